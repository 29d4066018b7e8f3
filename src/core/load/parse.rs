//! Bytes to a DICOM object, with or without the 128-byte preamble. Parser panics are caught and
//! turned into reasons: a bad file must never take the program down.

use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

pub struct ParsedFile {
    pub obj: DefaultDicomObject,
    /// What the walk over the element stream found (Pixel Data position, depth).
    pub scan: super::scan::Scan,
    /// What was repaired to read a file that is not a proper Part 10 file (empty if none).
    pub repairs: Vec<String>,
}

/// Parses a whole DICOM file held in memory, after the element stream walked safely.
pub fn parse_dicom(bytes: &[u8]) -> Result<ParsedFile, String> {
    let strict = locate_magic(bytes).and_then(|skip| {
        let scan = super::scan::scan_bytes(bytes, skip, inflate_cap(bytes.len() as u64))?;
        let mut p = parse_reader(&bytes[skip..], None)?;
        p.scan = scan;
        Ok(p)
    });
    strict.or_else(|e| lenient(bytes, e))
}

/// What dcmtk and pydicom read although a strict reader refuses it (see [`super::repair`]);
/// the strict reason stands when that fails too.
fn lenient(bytes: &[u8], strict: String) -> Result<ParsedFile, String> {
    match super::repair::parse_lenient(bytes) {
        Ok((obj, repairs)) => Ok(ParsedFile {
            obj,
            scan: Default::default(),
            repairs,
        }),
        // a meta group was found, and what it lacks is the specific reason
        Err(e) if e.starts_with("the file meta group") => Err(format!("broken DICOM file: {e}")),
        Err(_) => Err(strict),
    }
}

/// Parses a file from disk without holding a second copy of it: the head is inspected for
/// the DICM marker, the element stream is walked, then the parser reads straight from the file.
pub fn parse_file(path: &std::path::Path) -> Result<ParsedFile, String> {
    let strict = scan_file(path).and_then(|scan| {
        let (f, _) = open_past_magic(path)?;
        let mut p = parse_reader(std::io::BufReader::with_capacity(1 << 16, f), None)?;
        p.scan = scan;
        Ok(p)
    });
    strict.or_else(|e| {
        let bytes = std::fs::read(path).map_err(|_| e.clone())?;
        lenient(&bytes, e)
    })
}

/// Walks the element stream of a file (headers only): declared lengths against the bytes
/// that remain, nesting depth, where the top-level Pixel Data value starts.
pub fn scan_file(path: &std::path::Path) -> Result<super::scan::Scan, String> {
    let (f, skip) = open_past_magic(path)?;
    let size = f
        .metadata()
        .map_err(|e| format!("cannot read: {}", e.kind()))?
        .len();
    super::scan::scan_after_magic(
        std::io::BufReader::with_capacity(1 << 16, f),
        skip,
        size,
        inflate_cap(size),
    )
}

/// How far a deflated data set may inflate: a hundred times its file, 16 MB to 2 GB.
pub(crate) fn inflate_cap(size: u64) -> u64 {
    size.saturating_mul(100).clamp(16 << 20, 2 << 30)
}

/// Opens a file positioned just after its "DICM" marker; also returns that position.
fn open_past_magic(path: &std::path::Path) -> Result<(std::fs::File, u64), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot open: {}", e.kind()))?;
    let mut head = Vec::with_capacity(512);
    (&mut f)
        .take(512)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read: {}", e.kind()))?;
    let skip = locate_magic(&head)? as u64;
    f.seek(SeekFrom::Start(skip))
        .map_err(|e| format!("cannot read: {}", e.kind()))?;
    Ok((f, skip))
}

/// Where the data after "DICM" starts (after the 128-byte preamble, or at 4 without one).
fn locate_magic(bytes: &[u8]) -> Result<usize, String> {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        Ok(132)
    } else if bytes.len() >= 4 && &bytes[..4] == b"DICM" {
        Ok(4)
    } else {
        Err(not_dicom_reason(bytes))
    }
}

/// Parses the file meta group and the data set that follow "DICM", up to `until` if given.
fn parse_reader(
    body: impl std::io::Read,
    until: Option<dicom_core::Tag>,
) -> Result<ParsedFile, String> {
    let result = crate::core::guard::catch(|| {
        let options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
        let options = match until {
            Some(tag) => options.read_until(tag),
            None => options,
        };
        options.from_reader(std::io::Read::chain(&b"DICM"[..], body))
    });
    match result {
        Ok(Ok(obj)) => Ok(ParsedFile {
            obj,
            scan: Default::default(),
            repairs: Vec::new(),
        }),
        Ok(Err(e)) => Err(format!("broken DICOM file: {}", first_line(&e.to_string()))),
        Err(why) => Err(format!(
            "broken DICOM file: the parser gave up on malformed data ({why})"
        )),
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

/// Parses everything before Pixel Data, without reading the pixels; the element stream was
/// walked first, so the object's Pixel Data position comes from the walk.
pub fn parse_file_header(path: &std::path::Path) -> Result<ParsedFile, String> {
    let scan = scan_file(path)?;
    let (f, _) = open_past_magic(path)?;
    let mut p = parse_reader(
        std::io::BufReader::with_capacity(1 << 16, f),
        Some(dicom_dictionary_std::tags::PIXEL_DATA),
    )?;
    p.scan = scan;
    Ok(p)
}
