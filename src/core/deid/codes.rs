//! Code items (Code Sequence Macro, PS3.3 Table 8.8-1) at every depth.
//!
//! # The rule
//!
//! A Code Meaning, and sometimes a Code Value, can carry free text or an identifier (a person's
//! ID and name in Person Identification Code Sequence, a name in a procedure or protocol code
//! meaning, a CODE content item of an SR-like Content Sequence). So after an item has been
//! cleaned like any other item, if it is a **code item** (it holds Code Value (0008,0100), Long
//! Code Value (0008,0119), URN Code Value (0008,0120) or Code Meaning (0008,0104)):
//!
//! 1. The coded pair (Coding Scheme Designator, value) is looked up among the **known terms**:
//!    the coded concepts of PS3.16 (`dicom_codes.tsv`, generated from
//!    `../shared/reference/dicom-codes.json` by `gen_codes.rs`, never typed by hand), and the
//!    codes of the tag vocabulary in the settings.
//! 2. A known term is kept with its **standard meaning** (the vocabulary's meaning for a
//!    vocabulary code): the input's Code Meaning is replaced, whatever it said. Coding Scheme
//!    Version is kept only when it looks like a version (`[0-9A-Za-z._-]`, 16 characters).
//! 3. An item that is not a known term (a local `99…` scheme, a retired `SRT` code, a typed
//!    meaning without a code) is **dropped**; a sequence left without items is removed (or
//!    emptied when the IOD requires it), see `walker.rs`.
//!
//! Sequences that Table E.1-1 names follow the table first: a code sequence with action D
//! (Person Identification Code Sequence) is replaced by one dummy item, never the original.

use super::elems::*;
use super::walker::Walker;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;
use std::collections::HashMap;
use std::sync::OnceLock;

const T_CODE_VALUE: u32 = 0x0008_0100;
const T_SCHEME: u32 = 0x0008_0102;
const T_SCHEME_VERSION: u32 = 0x0008_0103;
const T_CODE_MEANING: u32 = 0x0008_0104;
const T_LONG_CODE_VALUE: u32 = 0x0008_0119;
const T_URN_CODE_VALUE: u32 = 0x0008_0120;

static TABLE_TEXT: &str = include_str!("dicom_codes.tsv");

fn table() -> &'static HashMap<(&'static str, &'static str), &'static str> {
    static T: OnceLock<HashMap<(&'static str, &'static str), &'static str>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE_TEXT
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, '\t');
                Some(((f.next()?, f.next()?), f.next()?))
            })
            .collect()
    })
}

/// The standard meaning of a PS3.16 coded concept, `None` when it is not a standard term.
pub fn standard_meaning(scheme: &str, value: &str) -> Option<&'static str> {
    table()
        .get(&(
            scheme.trim_matches([' ', '\0']),
            value.trim_matches([' ', '\0']),
        ))
        .copied()
}

/// Number of coded concepts in the generated table.
pub fn standard_count() -> usize {
    table().len()
}

/// True when `item` holds attributes of the Code Sequence Macro.
pub fn is_code_item(item: &InMemDicomObject) -> bool {
    [
        T_CODE_VALUE,
        T_LONG_CODE_VALUE,
        T_URN_CODE_VALUE,
        T_CODE_MEANING,
    ]
    .iter()
    .any(|t| item.get(tag_of(*t)).is_some())
}

/// The (scheme, value) of a code item.
pub fn code_pair(item: &InMemDicomObject) -> (String, String) {
    let scheme = get_str(item, T_SCHEME).unwrap_or_default();
    let value = get_str(item, T_CODE_VALUE)
        .or_else(|| get_str(item, T_LONG_CODE_VALUE))
        .or_else(|| get_str(item, T_URN_CODE_VALUE))
        .unwrap_or_default();
    (scheme, value)
}

/// True when the items of sequence `e` are code items.
pub(super) fn holds_code_items(e: &InMemElement) -> bool {
    match e.value() {
        Value::Sequence(seq) => !seq.items().is_empty() && seq.items().iter().all(is_code_item),
        _ => false,
    }
}

/// The dummy code item written for a code sequence whose action is D.
pub(super) fn dummy_item() -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        str_elem(T_CODE_VALUE, VR::SH, "0"),
        str_elem(T_SCHEME, VR::SH, "99DEID"),
        str_elem(T_CODE_MEANING, VR::LO, "ANONYMIZED"),
    ])
}

fn version_ok(v: &str) -> bool {
    v.len() <= 16
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Applies the rule of this module to a cleaned item: `None` drops it.
pub(super) fn apply_rule(
    w: &mut Walker<'_>,
    mut item: InMemDicomObject,
) -> Option<InMemDicomObject> {
    if !is_code_item(&item) {
        return Some(item);
    }
    let (scheme, value) = code_pair(&item);
    if scheme.is_empty() || value.is_empty() {
        return None;
    }
    let meaning: String = match standard_meaning(&scheme, &value) {
        Some(m) => m.to_string(),
        None => w
            .vocab
            .iter()
            .find(|c| c.scheme.trim() == scheme && c.value.trim() == value)?
            .meaning
            .clone(),
    };
    let meaning = w.charset.fold(&meaning);
    item.put(str_elem(T_CODE_MEANING, VR::LO, &meaning));
    if let Some(v) = get_str(&item, T_SCHEME_VERSION) {
        if !version_ok(&v) {
            item.remove_element(tag_of(T_SCHEME_VERSION));
        }
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_table_answers() {
        assert!(standard_count() > 15_000);
        assert_eq!(
            standard_meaning("DCM", "113100"),
            Some("Basic Application Confidentiality Profile")
        );
        assert_eq!(standard_meaning("SCT", "7771000"), Some("Left"));
        assert_eq!(standard_meaning("SCT", "ZZPHI"), None);
        assert_eq!(standard_meaning("99LOCAL", "7771000"), None);
    }
}
