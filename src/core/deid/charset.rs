//! Character sets of the text the de-identification writes.
//!
//! Replacement text is ASCII (the pseudonym is checked). A non-ASCII code meaning (from the
//! tag vocabulary, or a standard meaning written by the code rule) switches the data set to
//! UTF-8 (ISO_IR 192), except for ISO 2022 data sets, where non-ASCII characters are replaced
//! by `?` (dicom-rs cannot re-encode ISO 2022 text).

use super::elems::*;
use dicom_object::InMemDicomObject;

pub(super) struct Charset {
    iso2022: bool,
    utf8: bool,
    /// Some text written needs UTF-8 and the data set is not UTF-8 yet.
    pub(super) need_utf8: bool,
}

impl Charset {
    pub(super) fn of(ds: &InMemDicomObject) -> Self {
        let cs = ds
            .get(tag_of(T_SPECIFIC_CHARSET))
            .and_then(elem_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        Charset {
            iso2022: cs.contains("2022"),
            utf8: cs.contains("ISO_IR 192") || cs.contains("GB18030"),
            need_utf8: false,
        }
    }

    /// Text as it can be written into this data set.
    pub(super) fn fold(&mut self, s: &str) -> String {
        if s.is_ascii() {
            s.to_string()
        } else if self.iso2022 {
            s.chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect()
        } else {
            self.need_utf8 |= !self.utf8;
            s.to_string()
        }
    }

    /// Switches the data set to UTF-8 when needed (before writing non-ASCII values).
    pub(super) fn apply(&self, ds: &mut InMemDicomObject) {
        if self.need_utf8 {
            ds.convert_to_utf8();
        }
    }
}
