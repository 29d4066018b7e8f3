//! Decoded text: every element of an exported DICOM data set read in its declared character
//! set (dicom-rs decodes ISO_IR 100/192, ISO 2022 IR 13/87/149 ... when it parses), folded for
//! matching: Unicode NFD with combining marks removed (accents), a few letters spelled out
//! (`ß` → `ss`, `ø` → `o`), lowercase.

use super::needles::{binary_text, elem_text};
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::InMemDicomObject;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Accent- and case-folded text.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'đ' | 'Đ' => out.push('d'),
            'ł' | 'Ł' => out.push('l'),
            'ı' => out.push('i'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Alphanumerics only (IDs written with or without separators).
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The decoded text of every element at every depth (pixel data excepted), one value a line:
/// text values as decoded, opaque values (UN, OB, OW...) as their ASCII and UTF-16 runs and as
/// Latin-1 and UTF-8 text. Items deeper than `dcm::MAX_NESTING` are not walked (the byte
/// scan of the whole entry still covers them).
pub fn dataset_text(obj: &InMemDicomObject, out: &mut String) {
    dataset_text_at(obj, out, 0)
}

fn dataset_text_at(obj: &InMemDicomObject, out: &mut String, depth: u32) {
    for e in obj.iter() {
        let tag = e.tag();
        if tag == dicom_core::Tag(0x7FE0, 0x0010) {
            continue;
        }
        match e.value() {
            Value::Sequence(seq) if depth < crate::core::dcm::MAX_NESTING => {
                for item in seq.items() {
                    dataset_text_at(item, out, depth + 1);
                }
            }
            Value::Sequence(_) => {}
            Value::PixelSequence(_) => {}
            Value::Primitive(_) => match e.vr() {
                VR::UN | VR::OB | VR::OW | VR::OD | VR::OF | VR::OL | VR::OV => {
                    if let Ok(b) = e.to_bytes() {
                        for r in binary_text(&b) {
                            out.push_str(&r);
                            out.push('\n');
                        }
                        out.push_str(&String::from_utf8_lossy(&b));
                        out.push('\n');
                        out.extend(b.iter().map(|&c| c as char));
                        out.push('\n');
                    }
                }
                _ => {
                    if let Some(s) = elem_text(e) {
                        out.push_str(&s);
                        out.push('\n');
                    }
                }
            },
        }
    }
}

/// Every string (keys and values) of a JSON document, decoded (`\u00fc`, `\"`, `\/` escapes
/// undone), one per line; `None` when the bytes are not JSON. Annotation files and any other
/// JSON entry are searched in this form too.
pub fn json_text(bytes: &[u8]) -> Option<String> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut out = String::new();
    let mut stack = vec![&v];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Array(a) => stack.extend(a.iter().rev()),
            serde_json::Value::Object(o) => {
                for (k, v) in o.iter().rev() {
                    stack.push(v);
                    out.push_str(k);
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("MÜLLER^Jörg"), "muller^jorg");
        assert_eq!(fold("Straße Øre"), "strasse ore");
        assert_eq!(squeeze("12-345 678"), "12345678");
    }
}
