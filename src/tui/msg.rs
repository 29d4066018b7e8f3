//! What the workers report back to the UI thread (besides the encoded image itself).

use crate::core::crop::{CropRect, CropSource};
use crate::core::export::Status;
use crate::core::load::{FileInfo, InputSource, Skipped};

use super::state::{FileId, MetaRow};

/// Progress of the running export.
#[derive(Debug, Clone)]
pub enum ExportMsg {
    Started {
        total: usize,
    },
    FileStarted {
        n: usize,
    },
    Frames {
        n: usize,
        done: u32,
        total: u32,
    },
    FileDone {
        n: usize,
        status: Status,
        reason: Option<String>,
        output: Option<String>,
    },
    Writing,
    /// The archive path and a summary line, or why the export failed as a whole.
    Finished(Result<String, String>),
}

#[derive(Debug, Clone)]
pub enum Msg {
    Gathered {
        sources: Vec<InputSource>,
        skipped: Vec<Skipped>,
    },
    /// A file's content identity (sent just before its `Loaded`): its saved work comes back.
    Identified {
        file: FileId,
        identity: String,
    },
    Loaded {
        file: FileId,
        result: Result<Box<FileInfo>, String>,
    },
    PreviewDone {
        id: u64,
        file: FileId,
        frame: u32,
        result: Result<(), String>,
        ms: u64,
    },
    Metadata {
        file: FileId,
        result: Result<Vec<MetaRow>, String>,
    },
    AutoCrop {
        file: FileId,
        /// The crop, its source and the rule that chose it; or what was looked for.
        result: Result<(CropRect, CropSource, String), String>,
    },
    Export(ExportMsg),
    Completion {
        text: String,
        candidates: Vec<String>,
    },
    PresetSaved(Result<String, String>),
    SessionError(String),
    /// The iMCU size of a JPEG baseline file (sent after `Loaded`).
    Mcu {
        file: FileId,
        mcu: (u32, u32),
    },
    /// The text boxes found in a file's pixels, or why it could not be searched.
    TextFound {
        file: FileId,
        result: Result<Vec<crate::core::text::TextBox>, String>,
    },
    /// Cine playback: time for the next frame.
    PlayTick,
    /// The annotation files next to a file were read: what they hold (None: nothing usable),
    /// the file names read and the problems.
    AnnotationsImported {
        file: FileId,
        annotations: Option<crate::core::annotation::Annotations>,
        from: Vec<String>,
        problems: Vec<String>,
    },
}
