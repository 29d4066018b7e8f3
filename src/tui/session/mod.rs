//! Session persistence, so work a person did is never lost. Two kinds of files live in
//! `<data_dir>/sessions/` (folder 0700, files 0600, written atomically on every change):
//!
//! - `files.json`: what was decided for each FILE (crop, tags, export entry name, the mask /
//!   keep decision on burned-in text), keyed by the
//!   file's content identity ([`crate::core::identity`]: a hash of the SOP Instance UID and of
//!   every byte). Shared by all sessions: a file's work comes back whatever set of inputs it is
//!   opened with, and by whatever path.
//! - `<hash of the sorted input paths>.json`: the SET of inputs: list order, removed files,
//!   marks and cursor (as hashes of the file labels, not the labels), inputs added inside the UI
//!   (paths: needed to open them again), pseudonym and destination.
//!
//! The reducer keeps [`SessionTrack`]; [`Session::snapshot`] turns the state into what the
//! writer thread stores ([`store`]).

pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::annotation::Annotations;
use crate::core::crop::{CropRect, CropSource};

use super::state::{AppState, ExportMark, FileEntry, FileId};

/// The format written now (1: everything keyed by input path, read to migrate).
pub const VERSION: u32 = 2;

/// What a person decided for one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<[u32; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop_source: Option<CropSource>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<String>,
    /// The person's mask / keep decision on the file's burned-in text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<crate::core::text::policy::TextChoice>,
    /// Status, per-frame grades and polygons (annotation mode); absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

impl FileRecord {
    pub fn is_empty(&self) -> bool {
        *self == FileRecord::default()
    }

    pub fn of_entry(f: &FileEntry) -> FileRecord {
        FileRecord {
            crop: f.crop.map(|(r, _)| r.as_array()),
            crop_source: f.crop.map(|(_, s)| s),
            tags: f.tags.clone(),
            exported: match &f.export {
                Some(ExportMark::Exported(e)) => Some(e.clone()),
                _ => None,
            },
            text: f.text_choice,
            annotations: (!f.annotations.is_empty()).then(|| f.annotations.clone()),
        }
    }

    pub fn crop_rect(&self) -> Option<(CropRect, CropSource)> {
        self.crop.map(|b| {
            (
                CropRect::new(b[0], b[1], b[2], b[3]),
                self.crop_source.unwrap_or(CropSource::User),
            )
        })
    }

    /// Puts the record on a file that has no work of its own yet; false when it had some.
    pub fn apply_to(&self, f: &mut FileEntry) -> bool {
        if f.crop.is_some()
            || !f.tags.is_empty()
            || f.export.is_some()
            || f.text_choice.is_some()
            || !f.annotations.is_empty()
        {
            return false;
        }
        f.crop = self.crop_rect();
        f.text_choice = self.text;
        f.tags = self.tags.clone();
        f.export = self.exported.clone().map(ExportMark::Exported);
        f.annotations = self.annotations.clone().unwrap_or_default();
        true
    }
}

/// Version 1 per-file state (keyed by input path), read only to migrate it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LegacyFile {
    #[serde(default)]
    pub crop: Option<[u32; 4]>,
    #[serde(default)]
    pub crop_source: Option<CropSource>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub marked: bool,
    #[serde(default)]
    pub exported: Option<String>,
}

/// The saved state of one set of inputs. File references are [`key_hash`]es.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    /// Inputs added from inside the TUI (gathered again on restore).
    #[serde(default)]
    pub extra_inputs: Vec<PathBuf>,
    /// Files in list order.
    #[serde(default)]
    pub order: Vec<String>,
    /// Files the user removed from the list.
    #[serde(default)]
    pub removed: Vec<String>,
    #[serde(default)]
    pub marked: Vec<String>,
    /// The file under the cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub pseudonym: String,
    #[serde(default)]
    pub destination: String,
    /// Version 1 only: per-file state by input path; after [`Session::migrate`], by key hash.
    /// Never written (per-file state lives in `files.json`).
    #[serde(default, skip_serializing)]
    pub files: BTreeMap<String, LegacyFile>,
}

/// A hash standing for a file label (path or `archive!member`) in session files.
pub fn key_hash(key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"us-dicomizer session key\0");
    h.update(key.as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Session {
    /// Turns a version 1 session (paths in clear) into the current form.
    pub fn migrate(mut self) -> Session {
        if self.version >= VERSION {
            self.files.clear();
            return self;
        }
        let h = |v: &[String]| v.iter().map(|k| key_hash(k)).collect::<Vec<_>>();
        self.order = h(&self.order);
        self.removed = h(&self.removed);
        self.marked = self
            .files
            .iter()
            .filter(|(_, f)| f.marked)
            .map(|(k, _)| key_hash(k))
            .collect();
        self.files = std::mem::take(&mut self.files)
            .into_iter()
            .map(|(k, f)| (key_hash(&k), f))
            .collect();
        self.version = VERSION;
        self
    }

    /// The record a version 1 session held for a file label.
    pub fn legacy_record(&self, key: &str) -> Option<FileRecord> {
        self.files.get(&key_hash(key)).map(|f| FileRecord {
            crop: f.crop,
            crop_source: f.crop_source,
            tags: f.tags.clone(),
            exported: f.exported.clone(),
            text: None,
            annotations: None,
        })
    }

    /// What to store now: the set's session, and the per-file records that changed since the
    /// last snapshot (an empty record removes the file's entry). Files whose identity is not
    /// known yet are left out (they are written once it is).
    pub fn snapshot(state: &mut AppState) -> Snapshot {
        let mut records = BTreeMap::new();
        for f in &state.files {
            let Some(identity) = state.session.identity.get(&f.id) else {
                continue;
            };
            let now = FileRecord::of_entry(f);
            let before = state.session.written.get(identity);
            if before.map(|b| *b != now).unwrap_or(!now.is_empty()) {
                records.insert(identity.clone(), now);
            }
        }
        for (id, r) in &records {
            state.session.written.insert(id.clone(), r.clone());
        }
        let mut removed = state
            .restore
            .as_ref()
            .map(|r| r.removed.clone())
            .unwrap_or_default();
        removed.extend(state.removed_keys.iter().map(|k| key_hash(k)));
        removed.sort();
        removed.dedup();
        let session = Session {
            version: VERSION,
            extra_inputs: state.extra_inputs.clone(),
            order: state.files.iter().map(|f| key_hash(&f.key)).collect(),
            removed,
            marked: state
                .files
                .iter()
                .filter(|f| f.marked)
                .map(|f| key_hash(&f.key))
                .collect(),
            cursor: state.current().map(|f| key_hash(&f.key)),
            pseudonym: state.pseudonym.clone(),
            destination: state.destination.clone(),
            files: BTreeMap::new(),
        };
        Snapshot { session, records }
    }
}

/// One write: the set's session and the changed per-file records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub session: Session,
    pub records: BTreeMap<String, FileRecord>,
}

impl Snapshot {
    /// Folds an older pending snapshot under this one (only the newest is written, but the
    /// records of both are kept).
    pub fn absorb(&mut self, older: Snapshot) {
        for (k, r) in older.records {
            self.records.entry(k).or_insert(r);
        }
    }
}

/// What the reducer keeps about the saved work.
#[derive(Debug, Clone, Default)]
pub struct SessionTrack {
    /// The per-file store as read at start (empty with `--fresh`).
    pub records: HashMap<String, FileRecord>,
    /// Content identity of each loaded file.
    pub identity: HashMap<FileId, String>,
    /// The record last handed to the writer, per identity.
    pub written: HashMap<String, FileRecord>,
    /// Counts for "restored N crops, M tags".
    pub restored_crops: usize,
    pub restored_tags: usize,
    /// Files whose annotations came back.
    pub restored_annotated: usize,
    /// Set when there was saved work to look in (the start message then says what came back).
    pub had_saved: bool,
    /// A line for the first screen (e.g. where `--fresh` kept the previous session).
    pub start_note: Option<String>,
}
