//! Session persistence: order, crops, tags and marks, saved atomically on every change in
//! `<data_dir>/sessions/<hash of the sorted input paths>.json`, restored on the next start with
//! the same inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::crop::{CropRect, CropSource};

use super::state::{AppState, ExportMark};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<[u32; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop_source: Option<CropSource>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub marked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    /// Inputs added from inside the TUI (gathered again on restore).
    #[serde(default)]
    pub extra_inputs: Vec<PathBuf>,
    /// File keys in list order.
    #[serde(default)]
    pub order: Vec<String>,
    /// File keys the user removed from the list.
    #[serde(default)]
    pub removed: Vec<String>,
    #[serde(default)]
    pub files: BTreeMap<String, SessionFile>,
    #[serde(default)]
    pub pseudonym: String,
    #[serde(default)]
    pub destination: String,
}

impl Session {
    /// The saved state of a file, as a crop and tags.
    pub fn crop_of(f: &SessionFile) -> Option<(CropRect, CropSource)> {
        f.crop.map(|b| {
            (
                CropRect::new(b[0], b[1], b[2], b[3]),
                f.crop_source.unwrap_or(CropSource::User),
            )
        })
    }

    /// A snapshot of the state.
    pub fn from_state(state: &AppState) -> Session {
        let mut files = BTreeMap::new();
        let mut order = Vec::with_capacity(state.files.len());
        for f in &state.files {
            order.push(f.key.clone());
            let sf = SessionFile {
                crop: f.crop.map(|(r, _)| r.as_array()),
                crop_source: f.crop.map(|(_, s)| s),
                tags: f.tags.clone(),
                marked: f.marked,
                exported: match &f.export {
                    Some(ExportMark::Exported(e)) => Some(e.clone()),
                    _ => None,
                },
            };
            if sf != SessionFile::default() {
                files.insert(f.key.clone(), sf);
            }
        }
        let mut removed = state
            .restore
            .as_ref()
            .map(|r| r.removed.clone())
            .unwrap_or_default();
        removed.extend(state.removed_keys.iter().cloned());
        removed.sort();
        removed.dedup();
        Session {
            version: 1,
            extra_inputs: state.extra_inputs.clone(),
            order,
            removed,
            files,
            pseudonym: state.pseudonym.clone(),
            destination: state.destination.clone(),
        }
    }
}

/// The session file for a set of inputs (order does not matter).
pub fn session_path(data_dir: &Path, inputs: &[PathBuf]) -> PathBuf {
    let mut names: Vec<String> = inputs
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut h = Sha256::new();
    for n in &names {
        h.update(n.as_bytes());
        h.update(b"\n");
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    data_dir.join("sessions").join(format!("{hex}.json"))
}

/// Reads a session; a missing or unreadable file is no session (never an error).
pub fn load(path: &Path) -> Option<Session> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str::<Session>(&text) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "session file unreadable, starting fresh");
            None
        }
    }
}

/// Writes a session atomically.
pub fn save(path: &Path, session: &Session) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_vec_pretty(session).map_err(std::io::Error::other)?;
    crate::core::fsutil::write_atomic(path, &json)
}
