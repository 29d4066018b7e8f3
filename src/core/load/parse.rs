//! Bytes to a DICOM object, with or without the 128-byte preamble. Parser panics are caught and
//! turned into reasons: a bad file must never take the program down.

use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

pub struct ParsedFile {
    pub obj: DefaultDicomObject,
    /// What was repaired to read a file that is not a proper Part 10 file (empty if none).
    pub repairs: Vec<String>,
}

/// Parses a whole DICOM file held in memory.
pub fn parse_dicom(bytes: &[u8]) -> Result<ParsedFile, String> {
    let strict = locate_magic(bytes).and_then(|skip| parse_reader(&bytes[skip..], None));
    strict.or_else(|e| lenient(bytes, e))
}

/// What dcmtk and pydicom read although a strict reader refuses it (see [`super::repair`]);
/// the strict reason stands when that fails too.
fn lenient(bytes: &[u8], strict: String) -> Result<ParsedFile, String> {
    match super::repair::parse_lenient(bytes) {
        Ok((obj, repairs)) => Ok(ParsedFile { obj, repairs }),
        // a meta group was found, and what it lacks is the specific reason
        Err(e) if e.starts_with("the file meta group") => Err(format!("broken DICOM file: {e}")),
        Err(_) => Err(strict),
    }
}

/// Parses a file from disk without holding a second copy of it: the head is inspected for
/// the DICM marker, then the parser reads straight from the file.
pub fn parse_file(path: &std::path::Path) -> Result<ParsedFile, String> {
    let strict = open_past_magic(path)
        .and_then(|(f, _)| parse_reader(std::io::BufReader::with_capacity(1 << 16, f), None));
    strict.or_else(|e| {
        let bytes = std::fs::read(path).map_err(|_| e.clone())?;
        lenient(&bytes, e)
    })
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
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
        let options = match until {
            Some(tag) => options.read_until(tag),
            None => options,
        };
        options.from_reader(std::io::Read::chain(&b"DICM"[..], body))
    }));
    match result {
        Ok(Ok(obj)) => Ok(ParsedFile {
            obj,
            repairs: Vec::new(),
        }),
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

/// Counts the bytes a reader hands out.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Parses everything before Pixel Data, without reading the pixels. Returns the object and
/// how many bytes of the file the parser consumed (it may have read a little ahead).
pub fn parse_file_header(path: &std::path::Path) -> Result<(ParsedFile, u64), String> {
    let (f, skip) = open_past_magic(path)?;
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(skip));
    let reader = Counting {
        inner: std::io::BufReader::with_capacity(1 << 16, f),
        count: count.clone(),
    };
    let parsed = parse_reader(reader, Some(dicom_dictionary_std::tags::PIXEL_DATA))?;
    Ok((parsed, count.load(std::sync::atomic::Ordering::Relaxed)))
}

/// Finds the native Pixel Data element of a little-endian file near where the header parse
/// stopped: tag (7FE0,0010), then (explicit VR) OB/OW and a 4-byte length, or (implicit VR) a
/// 4-byte length, holding at least `expected` bytes and ending inside the file.
pub fn locate_native_pixels(
    path: &std::path::Path,
    consumed: u64,
    explicit: bool,
    expected: u64,
) -> Option<super::probe::PixelLocation> {
    use std::io::{Read, Seek, SeekFrom};
    const WINDOW: u64 = 256 << 10;
    let mut f = std::fs::File::open(path).ok()?;
    let size = f.metadata().ok()?.len();
    let start = consumed.saturating_sub(WINDOW);
    let end = (consumed + WINDOW).min(size);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = vec![0u8; (end - start) as usize];
    f.read_exact(&mut buf).ok()?;
    let hdr = if explicit { 12 } else { 8 };
    for p in 0..buf.len().saturating_sub(hdr) {
        if buf[p..p + 4] != [0xE0, 0x7F, 0x10, 0x00] {
            continue;
        }
        let len = if explicit {
            let vr = &buf[p + 4..p + 6];
            if !(vr == b"OB" || vr == b"OW") || buf[p + 6..p + 8] != [0, 0] {
                continue;
            }
            u32::from_le_bytes(buf[p + 8..p + 12].try_into().ok()?)
        } else {
            u32::from_le_bytes(buf[p + 4..p + 8].try_into().ok()?)
        };
        let offset = start + p as u64 + hdr as u64;
        if len == u32::MAX || (len as u64) < expected || offset + len as u64 > size {
            continue;
        }
        return Some(super::probe::PixelLocation {
            path: path.to_path_buf(),
            offset,
            len: len as u64,
        });
    }
    None
}
