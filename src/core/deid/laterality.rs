//! Laterality: the file's side tag against the laterality attributes of the input.
//!
//! The tag is what a person decided while looking at the images, so **the tag wins**. When a
//! side tag (R, L, U or B) is written as Image Laterality (0020,0062):
//! - the series Laterality (0020,0060) is removed (Type 2C: required only when Image
//!   Laterality is absent; an empty or contradicting one beside it is an IOD error);
//! - Frame Laterality (0020,9072) and Measurement Laterality (0024,0113) at any depth that
//!   contradict the tag are set to the tag's side;
//! - laterality modifier codes (SCT Right/Left/Right and left) in the Anatomic Region Modifier
//!   Sequence (0008,2220) that contradict the tag are dropped.
//!
//! Every contradiction is returned as a note (only the codes R, L, U, B, never a patient value)
//! for the report and the UI.

use super::elems::*;
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_object::InMemDicomObject;

const T_FRAME_LATERALITY: u32 = 0x0020_9072;
const T_MEASUREMENT_LATERALITY: u32 = 0x0024_0113;
const T_REGION_MODIFIER: u32 = 0x0008_2220;

/// The side an SCT laterality code stands for.
fn code_side(scheme: &str, value: &str) -> Option<&'static str> {
    match (scheme, value) {
        ("SCT" | "SRT", "24028007" | "G-A100") => Some("R"),
        ("SCT" | "SRT", "7771000" | "G-A101") => Some("L"),
        ("SCT" | "SRT", "51440002" | "G-A102") => Some("B"),
        _ => None,
    }
}

/// True when a stated side `found` contradicts the side tag `tag` (B covers R and L).
pub fn contradicts(found: &str, tag: &str) -> bool {
    !found.is_empty() && found != tag && !(tag == "B" && (found == "R" || found == "L"))
}

/// What the input said about the side before the tag was applied, when it contradicts the tag
/// (`side` is R, L, U or B). For the UI before export.
pub fn conflict(obj: &InMemDicomObject, side: &str) -> Option<String> {
    let mut found = Vec::new();
    for (t, name) in [
        (T_LATERALITY, "Laterality"),
        (T_IMAGE_LATERALITY, "Image Laterality"),
    ] {
        if let Some(v) = get_str(obj, t) {
            let v = v.to_ascii_uppercase();
            if contradicts(&v, side) {
                found.push(format!("{name} {v}"));
            }
        }
    }
    (!found.is_empty()).then(|| {
        format!(
            "laterality conflict: input {} but the side tag is {side}; the tag wins",
            found.join(", ")
        )
    })
}

fn fix_nested(obj: &mut InMemDicomObject, side: &str, depth: u32, changed: &mut bool) {
    for t in [T_FRAME_LATERALITY, T_MEASUREMENT_LATERALITY] {
        if let Some(v) = get_str(obj, t) {
            if contradicts(&v.to_ascii_uppercase(), side) {
                obj.put(str_elem(t, VR::CS, side));
                *changed = true;
            }
        }
    }
    if depth > 8 {
        return;
    }
    let tags: Vec<Tag> = obj
        .iter()
        .filter(|e| matches!(e.value(), Value::Sequence(_)))
        .map(|e| e.tag())
        .collect();
    for tag in tags {
        let Some(e) = obj.take_element(tag).ok() else {
            continue;
        };
        let t = u32_tag(tag);
        let Value::Sequence(seq) = e.into_value() else {
            continue;
        };
        let mut items = Vec::new();
        for mut item in seq.into_items() {
            if t == T_REGION_MODIFIER {
                let (scheme, value) = super::codes::code_pair(&item);
                if code_side(&scheme, &value).is_some_and(|s| contradicts(s, side)) {
                    *changed = true;
                    continue;
                }
            }
            fix_nested(&mut item, side, depth + 1, changed);
            items.push(item);
        }
        if !items.is_empty() {
            obj.put(seq_elem(t, items));
        }
    }
}

/// Writes Image Laterality = `side` and makes every other laterality attribute agree (see
/// the module documentation). Returns the conflict note, if the input contradicted the tag.
pub(super) fn apply(ds: &mut InMemDicomObject, side: &str) -> Option<String> {
    let mut note = conflict(ds, side);
    ds.put(str_elem(T_IMAGE_LATERALITY, VR::CS, side));
    ds.remove_element(tag_of(T_LATERALITY));
    let mut changed = false;
    fix_nested(ds, side, 0, &mut changed);
    if changed && note.is_none() {
        note = Some(format!(
            "laterality conflict: nested laterality attributes contradicted the side tag {side}; the tag wins"
        ));
    }
    note
}
