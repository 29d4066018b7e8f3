//! Everything the screen shows, owned by the UI thread. Changed only by `update` (keys) and
//! `on_msg` (worker results); drawn by `ui` (read-only).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::core::annotation::Annotations;
use crate::core::crop::{CropRect, CropSource};
use crate::core::load::{FileInfo, InputSource};
use crate::core::settings::Settings;

use super::keymap::{Key, Keymap, Mode};
use super::session::{Session, SessionTrack};

mod meta;

pub use meta::{MetaRow, MetaView};

pub type FileId = u64;

/// How far loading got for one input.
#[derive(Debug, Clone)]
pub enum LoadState {
    Pending,
    Loaded(Box<FileInfo>),
    Invalid(String),
}

/// What the last export did with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportMark {
    Exported(String),
    Skipped(String),
    Failed(String),
}

/// One row of the file list.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub id: FileId,
    /// Identity across sessions: the source label (path or archive!member). Shown, never logged.
    pub key: String,
    pub name: String,
    pub source: Option<InputSource>,
    pub load: LoadState,
    pub crop: Option<(CropRect, CropSource)>,
    pub tags: BTreeMap<String, String>,
    pub marked: bool,
    pub frame: u32,
    pub export: Option<ExportMark>,
    /// iMCU size of a JPEG baseline file (from its first frame), to show the snapped crop.
    pub mcu: Option<(u32, u32)>,
    /// Burned-in text found by the detector (`None`: not asked for).
    pub text: Option<super::text::TextScan>,
    /// A person's mask / keep decision on that text (`None`: the setting decides).
    pub text_choice: Option<crate::core::text::policy::TextChoice>,
    /// Status, per-frame grades and polygons (annotation mode; saved in the session).
    pub annotations: Annotations,
}

/// The summary status shown in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Loading,
    Invalid,
    Exported,
    Duplicate,
    Ready,
    Cropped,
    Tagged,
    New,
}

impl FileStatus {
    pub const ALL: [FileStatus; 8] = [
        FileStatus::New,
        FileStatus::Cropped,
        FileStatus::Tagged,
        FileStatus::Ready,
        FileStatus::Exported,
        FileStatus::Duplicate,
        FileStatus::Invalid,
        FileStatus::Loading,
    ];

    /// The glyph in the file list (the help shows the legend).
    pub fn glyph(self) -> &'static str {
        match self {
            FileStatus::Loading => "…",
            FileStatus::Invalid => "✗",
            FileStatus::Exported => "✓",
            FileStatus::Duplicate => "=",
            FileStatus::Ready => "●",
            FileStatus::Cropped => "◧",
            FileStatus::Tagged => "◆",
            FileStatus::New => "·",
        }
    }

    /// What the status means, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            FileStatus::Loading => "still being read",
            FileStatus::Invalid => "cannot be exported (reason shown under it)",
            FileStatus::Exported => "in the last export",
            FileStatus::Duplicate => "same SOP Instance UID as an earlier file (exported once)",
            FileStatus::Ready => "ready to export",
            FileStatus::Cropped => "cropped; something still blocks it (see the hint)",
            FileStatus::Tagged => "tagged, no crop yet; something blocks it",
            FileStatus::New => "neither cropped nor tagged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileStatus::Loading => "loading",
            FileStatus::Invalid => "invalid",
            FileStatus::Exported => "exported",
            FileStatus::Duplicate => "duplicate",
            FileStatus::Ready => "ready",
            FileStatus::Cropped => "cropped",
            FileStatus::Tagged => "tagged",
            FileStatus::New => "new",
        }
    }
}

impl FileEntry {
    /// A file just added to the list: no crop, tags, marks or annotations yet.
    pub fn new(
        id: FileId,
        name: String,
        key: String,
        source: Option<InputSource>,
        load: LoadState,
    ) -> Self {
        FileEntry {
            id,
            key,
            name,
            source,
            load,
            crop: None,
            tags: Default::default(),
            marked: false,
            frame: 0,
            export: None,
            mcu: None,
            text: None,
            text_choice: None,
            annotations: Default::default(),
        }
    }

    pub fn info(&self) -> Option<&FileInfo> {
        match &self.load {
            LoadState::Loaded(i) => Some(i),
            _ => None,
        }
    }

    pub fn frames(&self) -> u32 {
        self.info().map(|i| i.frames).unwrap_or(0)
    }

    /// Why this file cannot be exported now, if anything blocks it.
    pub fn blocker(&self, settings: &Settings) -> Option<String> {
        let info = match &self.load {
            LoadState::Pending => return Some("still loading".into()),
            LoadState::Invalid(r) => return Some(format!("invalid: {r}")),
            LoadState::Loaded(i) => i,
        };
        let cropped = self
            .crop
            .map(|(r, _)| !r.is_full(info.columns, info.rows))
            .unwrap_or(false);
        if !cropped
            && info.may_have_burned_in_text()
            && !settings.output.allow_burned_in_without_crop
        {
            return Some("no crop (may contain burned-in text)".into());
        }
        if let Some((r, _)) = self.crop {
            if let Err(e) = r.validate(info.columns, info.rows) {
                return Some(e);
            }
        }
        if let Some(why) = self.text_blocker(settings) {
            return Some(why);
        }
        match settings.tags.resolve_map(&self.tags) {
            Err(e) => Some(e.to_string()),
            Ok(v) => settings.tags.check_required(&v).err(),
        }
    }

    pub fn status(&self, settings: &Settings) -> FileStatus {
        match &self.load {
            LoadState::Pending => return FileStatus::Loading,
            LoadState::Invalid(_) => return FileStatus::Invalid,
            LoadState::Loaded(_) => {}
        }
        if matches!(self.export, Some(ExportMark::Exported(_))) {
            return FileStatus::Exported;
        }
        if self.blocker(settings).is_none() {
            return FileStatus::Ready;
        }
        if self.crop.is_some() {
            FileStatus::Cropped
        } else if !self.tags.is_empty() {
            FileStatus::Tagged
        } else {
            FileStatus::New
        }
    }
}

/// The crop edge that h/j/k/l move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Left,
    Top,
    Right,
    Bottom,
}

impl Edge {
    pub const ALL: [Edge; 4] = [Edge::Left, Edge::Top, Edge::Right, Edge::Bottom];

    pub fn index(self) -> usize {
        match self {
            Edge::Left => 0,
            Edge::Top => 1,
            Edge::Right => 2,
            Edge::Bottom => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Edge::Left => "left (X0)",
            Edge::Top => "top (Y0)",
            Edge::Right => "right (X1)",
            Edge::Bottom => "bottom (Y1)",
        }
    }
}

/// The crop being edited in crop mode (not yet applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CropDraft {
    pub file: FileId,
    pub rect: CropRect,
    /// Where the numbers came from; an applied draft becomes `User` unless it is an unchanged
    /// preset (a person looked at it and approved it).
    pub origin: CropSource,
    pub edge: Edge,
    pub edited: bool,
    /// Typed numbers (crop_input mode): X0 Y0 X1 Y1 and the active field.
    pub fields: Option<([String; 4], usize)>,
    /// The next digit replaces the active field (set when a field is entered).
    pub replace: bool,
}

/// Result of one exported file, for the jobs pane.
#[derive(Debug, Clone)]
pub struct JobLine {
    pub n: usize,
    pub file: Option<FileId>,
    pub name: String,
    pub mark: ExportMark,
}

/// The running (or last) export.
#[derive(Debug, Clone, Default)]
pub struct ExportJob {
    pub items: Vec<FileId>,
    pub out: String,
    pub total: usize,
    pub done: usize,
    pub current: Option<usize>,
    pub frames: (u32, u32),
    pub writing: bool,
    pub results: Vec<JobLine>,
    pub running: bool,
    pub cancel_requested: bool,
    pub finished: Option<Result<String, String>>,
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Pseudonym,
    Destination,
    AddPath,
    Search,
}

impl PromptKind {
    pub fn title(self) -> &'static str {
        match self {
            PromptKind::Pseudonym => "Pseudonym",
            PromptKind::Destination => "Destination ZIP",
            PromptKind::AddPath => "Add path",
            PromptKind::Search => "Search",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// Candidates from the last tab completion.
    pub candidates: Vec<String>,
    pub error: Option<String>,
    /// Lines shown above the field (the export lists blocked files here).
    pub info: Vec<String>,
}

/// What a yes/no question will do on yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmKind {
    ApplySameGeometry {
        rect: CropRect,
        source: CropSource,
        files: Vec<FileId>,
    },
    Export {
        items: Vec<FileId>,
        out: PathBuf,
        force: bool,
    },
    /// Some files are marked: `m` exports the marked ones, `a` all.
    ExportScope,
    QuitDuringExport,
    Nothing,
}

#[derive(Debug, Clone)]
pub struct Confirm {
    pub kind: ConfirmKind,
    pub title: String,
    pub lines: Vec<String>,
}

/// The right-hand pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Preview,
    Metadata,
    Jobs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The preview the state wants on screen (requests are re-sent when this changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewKey {
    pub file: FileId,
    pub frame: u32,
    pub crop: Option<CropRect>,
    pub area: (u16, u16),
    /// Detected text boxes drawn over the frame.
    pub text: super::text::TextOverlay,
    /// Only the crop area is shown.
    pub zoom: bool,
    /// Annotation polygons and cursor over the frame.
    pub overlay: Option<super::annot::Overlay>,
}

#[derive(Debug, Clone, Default)]
pub struct PreviewStatus {
    /// Id of the last request sent.
    pub requested: u64,
    pub requested_key: Option<PreviewKey>,
    /// Id, file and frame of what is on screen.
    pub shown: Option<(u64, FileId, u32)>,
    pub error: Option<String>,
    /// Milliseconds the last frame took from request to ready.
    pub last_ms: Option<u64>,
}

pub struct AppState {
    pub settings: Settings,
    pub keymap: Keymap,
    pub mode: Mode,
    /// Modes to return to when an overlay (help, prompt, confirm, text field) closes.
    pub mode_stack: Vec<Mode>,
    pub view: View,
    pub pending: Vec<Key>,
    pub files: Vec<FileEntry>,
    pub cursor: usize,
    pub next_id: FileId,
    /// Rows of the file list on screen (for half pages); set by the runner.
    pub list_height: u16,
    pub preview_area: Option<(u16, u16)>,
    pub preview: PreviewStatus,
    pub playing: bool,
    pub draft: Option<CropDraft>,
    /// The vertex cursor and the polygon being drawn (annotation mode).
    pub annot: Option<super::annot::AnnotEdit>,
    pub tag_list: usize,
    pub meta: Option<MetaView>,
    pub export: Option<ExportJob>,
    pub log: Vec<(Level, String)>,
    pub jobs_scroll: usize,
    pub help_scroll: usize,
    pub prompt: Option<Prompt>,
    pub confirm: Option<Confirm>,
    pub notice: Option<(Level, String)>,
    pub pseudonym: String,
    pub destination: String,
    pub loading: usize,
    pub no_color: bool,
    pub protocol_name: String,
    /// Session restore data, consumed as inputs are gathered.
    pub restore: Option<Session>,
    /// Inputs given at start (session identity) and added later.
    pub inputs: Vec<PathBuf>,
    pub extra_inputs: Vec<PathBuf>,
    /// Keys of files removed from the list in this session.
    pub removed_keys: Vec<String>,
    /// Saved per-file work, file identities and what was restored.
    pub session: SessionTrack,
    pub quit: Option<i32>,
    /// A typed count (`5j`, `12G`) waiting for its motion.
    pub count: Option<usize>,
    /// The tags last picked in the menu, for "repeat last tags" on another file.
    pub last_tags: Option<BTreeMap<String, String>>,
    /// The answer to "marked only or all?" for the export being prepared.
    pub export_marked_only: bool,
    /// The preview protocol asked for (the runner switches to it).
    pub protocol_choice: Option<String>,
    /// The selected text box: file and index into its boxes.
    pub text_sel: Option<(FileId, usize)>,
    /// The preview shows only the crop area.
    pub zoom: bool,
}

impl AppState {
    pub fn new(settings: Settings, keymap: Keymap) -> AppState {
        AppState {
            settings,
            keymap,
            mode: Mode::Files,
            mode_stack: Vec::new(),
            view: View::Preview,
            pending: Vec::new(),
            files: Vec::new(),
            cursor: 0,
            next_id: 1,
            list_height: 10,
            preview_area: None,
            preview: PreviewStatus::default(),
            playing: false,
            draft: None,
            annot: None,
            tag_list: 0,
            meta: None,
            export: None,
            log: Vec::new(),
            jobs_scroll: 0,
            help_scroll: 0,
            prompt: None,
            confirm: None,
            notice: None,
            pseudonym: String::new(),
            destination: String::new(),
            loading: 0,
            no_color: false,
            protocol_name: "halfblocks".into(),
            restore: None,
            inputs: Vec::new(),
            extra_inputs: Vec::new(),
            removed_keys: Vec::new(),
            session: SessionTrack::default(),
            quit: None,
            count: None,
            last_tags: None,
            export_marked_only: false,
            protocol_choice: None,
            text_sel: None,
            zoom: false,
        }
    }

    pub fn current(&self) -> Option<&FileEntry> {
        self.files.get(self.cursor)
    }

    pub fn current_mut(&mut self) -> Option<&mut FileEntry> {
        self.files.get_mut(self.cursor)
    }

    pub fn file(&self, id: FileId) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.id == id)
    }

    pub fn file_mut(&mut self, id: FileId) -> Option<&mut FileEntry> {
        self.files.iter_mut().find(|f| f.id == id)
    }

    pub fn index_of(&self, id: FileId) -> Option<usize> {
        self.files.iter().position(|f| f.id == id)
    }

    pub fn export_running(&self) -> bool {
        self.export.as_ref().map(|e| e.running).unwrap_or(false)
    }

    pub fn marked_count(&self) -> usize {
        self.files.iter().filter(|f| f.marked).count()
    }

    /// The crop to outline on the preview: the draft in crop mode, else the applied one.
    pub fn shown_crop(&self) -> Option<CropRect> {
        let cur = self.current()?;
        match &self.draft {
            Some(d) if d.file == cur.id => Some(d.rect),
            _ => cur.crop.map(|(r, _)| r),
        }
    }

    pub fn notify(&mut self, level: Level, msg: impl Into<String>) {
        let msg = msg.into();
        self.log.push((level, msg.clone()));
        if self.log.len() > 500 {
            self.log.remove(0);
        }
        self.notice = Some((level, msg));
    }

    /// Enter an overlay mode, remembering where to come back.
    pub fn push_mode(&mut self, mode: Mode) {
        if self.mode != mode {
            self.mode_stack.push(self.mode);
            self.mode = mode;
        }
    }

    pub fn pop_mode(&mut self) {
        self.mode = self.mode_stack.pop().unwrap_or(Mode::Files);
    }

    /// Keys (from the live keymap) that pick tag values in the tag menu: digits, then letters
    /// not bound in the tags table.
    pub fn tag_value_keys(&self, count: usize) -> Vec<char> {
        let mut out = Vec::with_capacity(count);
        let candidates = "123456789abcdefgimnoprstuvwz".chars();
        for c in candidates {
            if out.len() >= count {
                break;
            }
            if !self.keymap.is_bound(Mode::Tags, Key::char(c)) {
                out.push(c);
            }
        }
        out
    }
}
