//! The annotation files of one exported entry: annotations moved into the entry's (cropped)
//! coordinates and clipped, then written in each format of `[annotation] formats`, named after
//! the entry (`<entry stem>.json`, `<entry stem>_darwin.json`). What they say about the entry:
//! its name, the pseudonym, the crop's size and the frame count; never a Patient ID or an input
//! path.

use serde::Serialize;

use super::crop::{to_crop, CropCounts};
use super::{darwin, labelme, AnnotationFormat, AnnotationSettings, Annotations};
use crate::core::crop::CropRect;

/// The exported entry an annotation file sits next to.
#[derive(Debug, Clone, Copy)]
pub struct EntryInfo<'a> {
    /// The DICOM entry's file name (no folder).
    pub file_name: &'a str,
    /// Its folder in the archive, `/` for the top.
    pub folder: &'a str,
    pub pseudonym: &'a str,
    /// The entry's new SOP Instance UID (ids are derived from it).
    pub sop_instance_uid: &'a str,
    /// Image size = the crop's size.
    pub width: u32,
    pub height: u32,
    pub frames: u32,
}

/// The annotation part of a file's report line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnnotationReport {
    /// The annotation files read next to the input (batch).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imported_from: Vec<String>,
    /// Why something was not imported or not exported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// The annotation entries written next to the DICOM entry in the archive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Polygons exported (clipped ones included), clipped by the crop, and dropped (nothing
    /// inside the crop, fewer than 3 vertices, or a frame the file does not have).
    pub polygons: usize,
    pub clipped: usize,
    pub dropped: usize,
    /// Graded frames exported, and grades of frames the file does not have (not exported).
    pub grades: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub grades_dropped: usize,
    /// Whether a status was exported.
    pub status: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `<entry stem>.json` or `<entry stem>_darwin.json`, next to the entry (same folder).
pub fn file_name(entry: &str, format: AnnotationFormat) -> String {
    let (folder, base) = match entry.rsplit_once('/') {
        Some((d, b)) => (format!("{d}/"), b),
        None => (String::new(), entry),
    };
    let stem = match base.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => base,
    };
    match format {
        AnnotationFormat::Labelme => format!("{folder}{stem}.json"),
        AnnotationFormat::Darwin => format!("{folder}{stem}_darwin.json"),
    }
}

/// The files (archive name, bytes) for the entry `entry` (its full name in the archive), whose
/// pixels are `crop` of the original with `frames` frames; `a` is in original-image
/// coordinates. Nothing when `a` is empty.
pub fn files_for_entry(
    a: &Annotations,
    entry: &str,
    crop: &CropRect,
    frames: u32,
    pseudonym: &str,
    sop_instance_uid: &str,
    s: &AnnotationSettings,
) -> (Vec<(String, Vec<u8>)>, AnnotationReport) {
    let mut report = AnnotationReport::default();
    if a.is_empty() {
        return (Vec::new(), report);
    }
    let (mut moved, counts): (Annotations, CropCounts) = to_crop(a, crop, frames);
    let before = moved.grades.len();
    moved.grades.retain(|f, _| *f < frames);
    report.grades_dropped = before - moved.grades.len();
    report.polygons = counts.kept;
    report.clipped = counts.clipped;
    report.dropped = counts.dropped;
    report.grades = moved.grades.len();
    report.status = moved.status.is_some();
    let (folder, base_name) = match entry.rsplit_once('/') {
        Some((d, b)) => (format!("/{d}"), b),
        None => ("/".to_string(), entry),
    };
    let info = EntryInfo {
        file_name: base_name,
        folder: &folder,
        pseudonym,
        sop_instance_uid,
        width: crop.width(),
        height: crop.height(),
        frames,
    };
    let mut formats = s.formats.clone();
    let mut seen = Vec::new();
    formats.retain(|f| {
        let first = !seen.contains(f);
        seen.push(*f);
        first
    });
    let files = formats
        .into_iter()
        .map(|f| {
            let bytes = match f {
                AnnotationFormat::Labelme => labelme::write(&moved, &info, s),
                AnnotationFormat::Darwin => darwin::write(&moved, &info, s),
            };
            (file_name(entry, f), bytes)
        })
        .collect::<Vec<_>>();
    report.files = files.iter().map(|(n, _)| n.clone()).collect();
    (files, report)
}
