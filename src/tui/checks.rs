//! What stands between the list and an export, shown before the last step: duplicates (same
//! SOP Instance UID), per-file blockers including duplicates, the counts for the list header,
//! the hint that says which key fixes the current file, and the JPEG crop the export will snap.

use crate::core::crop::CropRect;
use crate::core::dcm::TransferSyntaxKind;
use crate::core::load::FileInfo;

use super::action::Action;
use super::keymap::Mode;
use super::state::{AppState, ExportMark, FileStatus, LoadState};

/// Counts over the whole list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub ready: usize,
    pub blocked: usize,
    pub duplicates: usize,
    pub invalid: usize,
    pub loading: usize,
    pub exported: usize,
    /// Blocked by burned-in text a person has to decide about (also in `blocked`).
    pub text: usize,
}

impl Counts {
    /// `3 ready · 1 blocked · 1 duplicate · 0 invalid` (loading and exported when non-zero).
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} ready · {} blocked · {} duplicate{} · {} invalid",
            self.ready,
            self.blocked,
            self.duplicates,
            if self.duplicates == 1 { "" } else { "s" },
            self.invalid
        );
        if self.text > 0 {
            s.push_str(&format!(" · {} text to decide", self.text));
        }
        if self.exported > 0 {
            s.push_str(&format!(" · {} exported", self.exported));
        }
        if self.loading > 0 {
            s.push_str(&format!(" · {} loading", self.loading));
        }
        s
    }

    /// The line that fits `w` columns: the full words, else shorter ones.
    pub fn line_for(&self, w: usize) -> String {
        let long = self.line();
        if long.chars().count() <= w {
            return long;
        }
        let text = if self.text > 0 {
            format!(" ({} text)", self.text)
        } else {
            String::new()
        };
        let mid = format!(
            "{} ready {} blocked{text} {} dup {} invalid",
            self.ready, self.blocked, self.duplicates, self.invalid
        );
        if mid.chars().count() <= w {
            return mid;
        }
        format!(
            "{} ready {} blk{text} {} dup {} inv",
            self.ready, self.blocked, self.duplicates, self.invalid
        )
    }
}

impl AppState {
    /// The list index of the first loaded file with the same SOP Instance UID, for a file that
    /// repeats it (the export writes a SOP Instance once).
    pub fn duplicate_of(&self, index: usize) -> Option<usize> {
        let uid = self.files.get(index)?.info()?.sop_instance_uid.as_str();
        if uid.is_empty() {
            return None;
        }
        self.files[..index]
            .iter()
            .position(|f| f.info().map(|i| i.sop_instance_uid == uid).unwrap_or(false))
    }

    /// Why the file at `index` cannot be exported now (duplicates included).
    pub fn blocker_at(&self, index: usize) -> Option<String> {
        let f = self.files.get(index)?;
        if let Some(first) = self.duplicate_of(index) {
            return Some(format!(
                "duplicate of #{} (same SOP Instance UID)",
                first + 1
            ));
        }
        f.blocker(&self.settings)
    }

    /// The list status of the file at `index` (duplicates shown as such).
    pub fn status_at(&self, index: usize) -> FileStatus {
        let f = &self.files[index];
        let s = f.status(&self.settings);
        if matches!(
            s,
            FileStatus::Invalid | FileStatus::Loading | FileStatus::Exported
        ) {
            return s;
        }
        if self.duplicate_of(index).is_some() {
            return FileStatus::Duplicate;
        }
        s
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for i in 0..self.files.len() {
            match &self.files[i].load {
                LoadState::Pending => c.loading += 1,
                LoadState::Invalid(_) => c.invalid += 1,
                LoadState::Loaded(_) => {
                    if self.duplicate_of(i).is_some() {
                        c.duplicates += 1;
                    } else if matches!(self.files[i].export, Some(ExportMark::Exported(_))) {
                        c.exported += 1;
                    } else {
                        match self.blocker_at(i) {
                            None => c.ready += 1,
                            Some(b) => {
                                c.blocked += 1;
                                if b.starts_with("burned-in text") {
                                    c.text += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        c
    }

    /// The next file (after the cursor, wrapping) that is blocked or has no tags yet.
    pub fn next_problem(&self) -> Option<usize> {
        let n = self.files.len();
        (1..=n).map(|k| (self.cursor + k) % n).find(|&i| {
            let f = &self.files[i];
            let untagged = !self.settings.tags.is_empty()
                && f.tags.is_empty()
                && !matches!(f.load, LoadState::Invalid(_));
            (self.blocker_at(i).is_some() || untagged)
                && !matches!(f.export, Some(ExportMark::Exported(_)))
        })
    }

    /// The hint for the current file, short: what blocks it and the key that fixes it
    /// (`blocked: no crop: press c`).
    pub fn hint(&self) -> Option<String> {
        let reason = self.blocker_at(self.cursor)?;
        // The reason's head only: details stay in the pane below the preview.
        let cut = [" (", ": "].iter().filter_map(|sep| reason.find(sep)).min();
        let reason = match cut {
            Some(i) => reason[..i].to_string(),
            None => reason,
        };
        let key = |a: Action| {
            self.keymap
                .keys_for(Mode::Files, a)
                .first()
                .cloned()
                .unwrap_or_default()
        };
        let fix = if reason.starts_with("burned-in text") {
            format!("press {}", self.text_keys_hint())
        } else if reason.starts_with("duplicate") {
            format!("press {} to remove", key(Action::RemoveFile))
        } else if reason.contains("crop") {
            format!("press {}", key(Action::CropMode))
        } else if reason.contains("tag") {
            format!("press {}", key(Action::TagMenu))
        } else {
            String::new()
        };
        Some(if fix.is_empty() {
            format!("blocked: {reason}")
        } else {
            format!("blocked: {reason}: {fix}")
        })
    }
}

/// The crop the export will really apply to a JPEG baseline file whose iMCU size is known,
/// when it differs from the box drawn (origin snapped to the grid), and whether the frames are
/// re-encoded instead (`Err`).
pub fn jpeg_snapped(
    info: &FileInfo,
    mcu: Option<(u32, u32)>,
    r: &CropRect,
    settings: &crate::core::settings::Settings,
) -> Option<Result<CropRect, ()>> {
    let mcu = mcu?;
    if info.ts_kind != TransferSyntaxKind::JpegBaseline || r.is_full(info.columns, info.rows) {
        return None;
    }
    match crate::core::export::file::jpeg_lossless_crop(r, mcu, settings) {
        Some(s) if s == *r => None,
        Some(s) => Some(Ok(s)),
        None => Some(Err(())),
    }
}
