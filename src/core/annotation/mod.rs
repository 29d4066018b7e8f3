//! Annotations a person makes on a file: a status per file (e.g. DVT / NO DVT), a grade per
//! frame (e.g. ACEP 1-5) and labelled polygons per frame. The vocabulary is configuration
//! (`[annotation]` in settings.toml); the DVT study of the original US-DICOMizer is the default.
//!
//! Coordinates are in pixels of the **original, uncropped** frame (x right, y down, as floats),
//! so a crop can change after drawing; the export translates them by the crop and clips them.
//! Frames are numbered from 0.

pub mod crop;
pub mod darwin;
pub mod export;
pub mod import;
pub mod labelme;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Two vertices closer than this (in pixels, each coordinate) are the same point: polygons
/// whose labels match and whose vertices all match within it are one polygon (import merges).
pub const SAME_POINT: f64 = 1e-6;

/// One closed polygon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    /// The class label as stored (e.g. "CFV Scanning Location 1").
    pub label: String,
    /// Vertices in original-image pixels; at least 3 for a closed polygon.
    pub points: Vec<[f64; 2]>,
}

/// Everything annotated on one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    /// The per-file status (one of `[annotation] statuses`), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Frame -> grade (within `[annotation] grade_min..=grade_max`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grades: BTreeMap<u32, u8>,
    /// Frame -> its polygons, in drawing order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub polygons: BTreeMap<u32, Vec<Polygon>>,
}

impl Annotations {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.grades.is_empty()
            && self.polygons.values().all(|v| v.is_empty())
    }

    /// The number of polygons over all frames.
    pub fn polygon_count(&self) -> usize {
        self.polygons.values().map(|v| v.len()).sum()
    }

    /// Removes polygons that repeat an earlier one of the same frame (same label, vertices
    /// equal within [`SAME_POINT`]) and frames left without polygons; returns how many went.
    pub fn dedupe(&mut self) -> usize {
        let mut removed = 0;
        for list in self.polygons.values_mut() {
            let mut kept: Vec<Polygon> = Vec::with_capacity(list.len());
            for p in list.drain(..) {
                if kept.iter().any(|k| k.same_as(&p)) {
                    removed += 1;
                } else {
                    kept.push(p);
                }
            }
            *list = kept;
        }
        self.polygons.retain(|_, v| !v.is_empty());
        removed
    }
}

impl Polygon {
    /// Same label and the same vertices in the same order, each within [`SAME_POINT`].
    pub fn same_as(&self, other: &Polygon) -> bool {
        self.label == other.label
            && self.points.len() == other.points.len()
            && self.points.iter().zip(&other.points).all(|(a, b)| {
                (a[0] - b[0]).abs() <= SAME_POINT && (a[1] - b[1]).abs() <= SAME_POINT
            })
    }
}

/// One polygon class of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassDef {
    /// Stored label (written into the JSON files).
    pub label: String,
    /// Short name shown in the UI (e.g. "CFV 1").
    pub short: String,
    /// Category (e.g. "Vein"); classes of one category share a colour.
    pub category: String,
    /// Colour as `#RRGGBB`.
    pub colour: String,
}

/// Output format of annotation files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationFormat {
    /// LabelMe-style JSON, `<entry stem>.json`.
    Labelme,
    /// Darwin V7 JSON 2.0, `<entry stem>_darwin.json`.
    Darwin,
}

/// `[annotation]`: the vocabulary and the export format.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationSettings {
    /// Name of the per-file status (e.g. "DVT Status").
    pub status_name: String,
    /// The values the status takes (e.g. "DVT", "NO DVT").
    pub statuses: Vec<String>,
    /// Name of the per-frame grade (e.g. "ACEP Grading Score").
    pub grade_name: String,
    pub grade_min: u8,
    pub grade_max: u8,
    /// Formats written next to each exported entry (one or both).
    pub formats: Vec<AnnotationFormat>,
    /// Polygon classes.
    #[serde(rename = "class")]
    pub classes: Vec<ClassDef>,
}

impl Default for AnnotationSettings {
    fn default() -> Self {
        let s: SettingsFile = toml::from_str(crate::core::settings::DEFAULT_SETTINGS)
            .expect("the embedded settings.toml parses");
        s.annotation
    }
}

#[derive(Deserialize)]
struct SettingsFile {
    annotation: AnnotationSettings,
}

impl AnnotationSettings {
    /// The class with this stored label.
    pub fn class(&self, label: &str) -> Option<&ClassDef> {
        self.classes.iter().find(|c| c.label == label)
    }

    /// The LabelMe `flags` key of the status: the status name in lower case without a
    /// trailing " status", words joined by `_` ("DVT Status" -> "dvt", as the original writes).
    pub fn status_key(&self) -> String {
        let lower = self.status_name.trim().to_lowercase();
        let base = lower.strip_suffix(" status").unwrap_or(&lower).trim();
        let key: String = base
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        if key.is_empty() {
            "status".into()
        } else {
            key
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vocabulary_is_the_dvt_set() {
        let a = AnnotationSettings::default();
        assert_eq!(a.statuses, vec!["DVT", "NO DVT"]);
        assert_eq!((a.grade_min, a.grade_max), (1, 5));
        assert_eq!(a.classes.len(), 13);
        assert_eq!(a.class("Clot").unwrap().colour, "#FFDD00");
        assert_eq!(a.class("CFV Scanning Location 1").unwrap().category, "Vein");
    }

    #[test]
    fn empty_annotations_are_empty() {
        let mut a = Annotations::default();
        assert!(a.is_empty());
        a.polygons.insert(3, vec![]);
        assert!(a.is_empty());
        a.grades.insert(0, 2);
        assert!(!a.is_empty());
    }
}
