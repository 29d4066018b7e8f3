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
    let (skip, had_preamble) = locate_magic(bytes)?;
    parse_reader(&bytes[skip..], had_preamble)
}

/// Parses a file from disk without holding a second copy of it: the head is inspected for
/// the DICM marker, then the parser reads straight from the file.
pub fn parse_file(path: &std::path::Path) -> Result<ParsedFile, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot open: {}", e.kind()))?;
    let mut head = Vec::with_capacity(512);
    (&mut f)
        .take(512)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read: {}", e.kind()))?;
    let (skip, had_preamble) = locate_magic(&head)?;
    f.seek(SeekFrom::Start(skip as u64))
        .map_err(|e| format!("cannot read: {}", e.kind()))?;
    parse_reader(std::io::BufReader::with_capacity(1 << 16, f), had_preamble)
}

/// Where the data after "DICM" starts, and whether a preamble came before it.
fn locate_magic(bytes: &[u8]) -> Result<(usize, bool), String> {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        Ok((132, true))
    } else if bytes.len() >= 4 && &bytes[..4] == b"DICM" {
        Ok((4, false))
    } else {
        Err(not_dicom_reason(bytes))
    }
}

fn parse_reader(body: impl std::io::Read, had_preamble: bool) -> Result<ParsedFile, String> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(std::io::Read::chain(&b"DICM"[..], body))
    }));
    match result {
        Ok(Ok(obj)) => Ok(ParsedFile { obj, had_preamble }),
        Ok(Err(e)) => Err(format!("broken DICOM file: {}", first_line(&e.to_string()))),
        Err(_) => Err("broken DICOM file: the parser gave up on malformed data".into()),
    }
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
