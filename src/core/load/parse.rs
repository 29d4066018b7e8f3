//! Bytes to a DICOM object, with or without the 128-byte preamble. Parser panics are caught and
//! turned into reasons: a bad file must never take the program down.

use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

pub struct ParsedFile {
    pub obj: DefaultDicomObject,
    pub had_preamble: bool,
}

/// Parses a whole DICOM file held in memory.
pub fn parse_dicom(bytes: &[u8]) -> Result<ParsedFile, String> {
    let (body, had_preamble) = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        (&bytes[132..], true)
    } else if bytes.len() >= 4 && &bytes[..4] == b"DICM" {
        (&bytes[4..], false)
    } else {
        return Err(not_dicom_reason(bytes));
    };
    let result = std::panic::catch_unwind(|| {
        OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(prefixed(body))
    });
    match result {
        Ok(Ok(obj)) => Ok(ParsedFile { obj, had_preamble }),
        Ok(Err(e)) => Err(format!("broken DICOM file: {}", first_line(&e.to_string()))),
        Err(_) => Err("broken DICOM file: the parser gave up on malformed data".into()),
    }
}

/// `from_reader` expects the "DICM" magic code first.
fn prefixed(body: &[u8]) -> impl std::io::Read + '_ {
    std::io::Read::chain(&b"DICM"[..], body)
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("").trim();
    let mut out: String = l.chars().take(160).collect();
    if out.is_empty() {
        out = "unknown error".into();
    }
    out
}

/// A human reason for bytes that carry no DICM marker.
fn not_dicom_reason(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "not a DICOM file: empty".into();
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return "not a DICOM file: gzip-compressed data (decompress it first)".into();
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return "not a DICOM file: a ZIP archive".into();
    }
    // A bare data set without file meta information starts with a group 0008 tag (LE).
    if bytes.len() >= 8 && bytes[0..2] == [0x08, 0x00] {
        return "not a DICOM file: a bare data set without the DICM marker and file meta information (Part 10 header)".into();
    }
    let printable = bytes
        .iter()
        .take(512)
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if printable * 10 >= bytes.len().min(512) * 9 {
        return "not a DICOM file: text".into();
    }
    "not a DICOM file: no DICM marker at offset 0 or 128".into()
}
