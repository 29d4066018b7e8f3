//! What `update` asks the runner to do: all I/O and thread work, described as data so the
//! reducer stays pure and testable.

use std::path::PathBuf;

use crate::core::crop::CropRect;
use crate::core::export::ExportItem;
use crate::core::load::InputSource;
use crate::core::settings::CropPreset;

use super::session::Snapshot;
use super::state::FileId;

/// A frame to show, decoded and encoded off the UI thread (latest request wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRequest {
    pub id: u64,
    pub file: FileId,
    pub source: InputSource,
    pub frame: u32,
    pub crop: Option<CropRect>,
    /// Cells available for the image.
    pub area: (u16, u16),
    /// Detected text boxes drawn over the frame.
    pub text: super::text::TextOverlay,
    /// Show only the crop area (larger, so halfblocks can show text).
    pub zoom: bool,
    /// Annotation polygons and the vertex cursor, drawn over the frame.
    pub overlay: Option<super::annot::Overlay>,
}

#[derive(Debug, Clone)]
pub enum Effect {
    /// Expand paths into inputs (folders, ZIPs) and validate them in the background.
    Gather {
        paths: Vec<PathBuf>,
    },
    /// Validate these inputs (after `Gather`).
    Load {
        items: Vec<(FileId, InputSource)>,
    },
    Preview(PreviewRequest),
    /// Read the annotation files found next to these inputs (LabelMe / Darwin JSON).
    ImportAnnotations {
        items: Vec<(FileId, Vec<InputSource>)>,
    },
    /// Build the attribute tree of a file.
    Metadata {
        file: FileId,
        source: InputSource,
    },
    /// Search a file's pixels for burned-in text (once per file, on the text worker).
    ScanText {
        file: FileId,
        source: InputSource,
    },
    /// Compute the automatic crop of a file.
    AutoCrop {
        file: FileId,
        source: InputSource,
    },
    /// Run the export (the runner adds the key and settings).
    StartExport {
        items: Vec<ExportItem>,
        out: PathBuf,
        force: bool,
        pseudonym: String,
        /// The listed files left out, with why (by list number; for the manifest).
        excluded: Vec<String>,
    },
    CancelExport,
    SaveSession(Box<Snapshot>),
    SavePreset(CropPreset),
    /// Put text on the clipboard through OSC 52.
    Clipboard(String),
    /// Switch the preview protocol (halfblocks, sixel, kitty, iterm2).
    SetProtocol(String),
    /// Complete a path typed in a prompt.
    CompletePath(String),
    Redraw,
}
