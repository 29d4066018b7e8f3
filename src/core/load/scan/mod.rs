//! A walk over the element stream before the parser sees it: every declared length is checked
//! against the bytes that really remain, sequence nesting is capped, and the position of the
//! top-level Pixel Data element is taken from the walk itself (never from a byte search).
//!
//! dicom-rs parses sequences recursively and believes declared lengths when it allocates, so a
//! deeply nested or lying file can overflow the stack (an abort no `catch_unwind` can stop) or
//! ask for gigabytes. This walk uses an explicit stack and only reads headers, so it costs
//! little memory whatever the file declares. It follows the parser's rules: an element of VR SQ
//! (explicit, or from the dictionary in implicit VR) or of undefined length is a sequence; the
//! end of the bytes at an element tag ends the data set.

mod header;
mod source;

use std::io::{Read, Seek, SeekFrom};

/// Sequences may nest this deep (real files use a handful of levels).
pub const MAX_DEPTH: usize = 64;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQ_END: (u16, u16) = (0xFFFE, 0xE0DD);

/// Where the top-level Pixel Data element sits, as found by the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelElement {
    /// Offset of the first value byte, counted from the start of the walked bytes.
    pub offset: u64,
    /// The value length; `None` for encapsulated (undefined-length) pixel data.
    pub len: Option<u64>,
    /// Number of fragments (items after the offset table) of encapsulated pixel data.
    pub fragments: usize,
}

/// What the walk learnt.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub transfer_syntax: String,
    pub pixel: Option<PixelElement>,
    /// Deepest sequence nesting met.
    pub depth: usize,
}

pub use source::{Seekable, Source, Stream};

use header::{
    check_fits, check_value_size, encoding_of, io_reason, is_sequence, read_header, read_meta,
    tag_str, Enc,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequence,
    Item,
}

struct Level {
    kind: Kind,
    /// End position of a defined-length container.
    end: Option<u64>,
}

/// Walks a whole Part 10 stream that starts just after "DICM" (at `start`, where `inner`
/// stands). `max_inflated` bounds the inflated data set of a deflated transfer syntax.
pub fn scan_after_magic<R: Read + Seek>(
    mut inner: R,
    start: u64,
    size: u64,
    max_inflated: u64,
) -> Result<Scan, String> {
    let (ts, at) = read_meta(&mut Seekable::new(&mut inner, start, size))?;
    inner
        .seek(SeekFrom::Start(at))
        .map_err(|e| io_reason(e, "the data set"))?;
    let mut scan = match encoding_of(&ts) {
        Some(enc) => walk(&mut Seekable::new(&mut inner, at, size), enc)?,
        None => {
            let inflate = flate2::read::DeflateDecoder::new(std::io::BufReader::new(inner));
            let enc = Enc {
                explicit: true,
                big: false,
            };
            walk(&mut Stream::new(inflate, max_inflated), enc)
                .map_err(|e| e.replace("broken DICOM file", "broken DICOM file (deflated)"))?
        }
    };
    scan.transfer_syntax = ts;
    Ok(scan)
}

/// Walks a data set with an explicit stack.
fn walk<S: Source>(src: &mut S, enc: Enc) -> Result<Scan, String> {
    let mut scan = Scan::default();
    let mut stack: Vec<Level> = Vec::new();
    loop {
        // close defined-length containers that end here
        while let Some(top) = stack.last() {
            match top.end {
                Some(end) if src.pos() == end => {
                    stack.pop();
                }
                Some(end) if src.pos() > end => {
                    return Err(format!(
                        "broken DICOM file: an element overruns its {}",
                        if top.kind == Kind::Item {
                            "item"
                        } else {
                            "sequence"
                        }
                    ));
                }
                _ => break,
            }
        }
        let Some(h) = read_header(src, enc)? else {
            return Ok(scan); // the parser also ends the data set here
        };
        let limit = stack.iter().rev().find_map(|l| l.end);
        let in_sequence = matches!(stack.last(), Some(l) if l.kind == Kind::Sequence);
        if in_sequence {
            match h.tag {
                ITEM => {
                    let end = if h.len == UNDEFINED {
                        None
                    } else {
                        check_fits(src, h.len as u64, limit, || "an item".into())?;
                        Some(src.pos() + h.len as u64)
                    };
                    stack.push(Level {
                        kind: Kind::Item,
                        end,
                    });
                }
                SEQ_END => {
                    stack.pop();
                }
                t => {
                    return Err(format!(
                        "broken DICOM file: element {} where a sequence item was expected",
                        tag_str(t)
                    ))
                }
            }
            continue;
        }
        if h.tag == ITEM_END {
            // the parser ignores an item delimiter outside a sequence
            if matches!(stack.last(), Some(l) if l.kind == Kind::Item) {
                stack.pop();
            }
            continue;
        }
        let top_level = stack.is_empty();
        // the parser takes an explicit SQ as a sequence before it looks for encapsulated
        // pixel data: Pixel Data labelled SQ has its items read as data sets, so walked so
        if h.tag == (0x7FE0, 0x0010) && h.len == UNDEFINED && h.vr != Some(*b"SQ") {
            let offset = src.pos();
            let fragments = walk_fragments(src, enc, limit)?;
            if top_level && scan.pixel.is_none() {
                scan.pixel = Some(PixelElement {
                    offset,
                    len: None,
                    fragments,
                });
            }
            continue;
        }
        if h.len == UNDEFINED || is_sequence(&h) {
            let sequences = stack.iter().filter(|l| l.kind == Kind::Sequence).count() + 1;
            if sequences > MAX_DEPTH {
                return Err(format!(
                    "sequences nested deeper than {MAX_DEPTH} levels (the limit for safe parsing)"
                ));
            }
            scan.depth = scan.depth.max(sequences);
            let end = if h.len == UNDEFINED {
                None
            } else {
                check_fits(src, h.len as u64, limit, || {
                    format!("sequence {}", tag_str(h.tag))
                })?;
                Some(src.pos() + h.len as u64)
            };
            stack.push(Level {
                kind: Kind::Sequence,
                end,
            });
            continue;
        }
        check_fits(src, h.len as u64, limit, || {
            format!("element {}", tag_str(h.tag))
        })?;
        check_value_size(&h)?;
        if top_level && h.tag == (0x7FE0, 0x0010) && scan.pixel.is_none() {
            scan.pixel = Some(PixelElement {
                offset: src.pos(),
                len: Some(h.len as u64),
                fragments: 0,
            });
        }
        src.skip(h.len as u64)
            .map_err(|e| io_reason(e, &format!("element {}", tag_str(h.tag))))?;
    }
}

/// Walks the items of encapsulated pixel data up to its sequence delimiter; returns the number
/// of fragments (items after the basic offset table).
fn walk_fragments<S: Source>(src: &mut S, enc: Enc, limit: Option<u64>) -> Result<usize, String> {
    let item_enc = Enc {
        explicit: false,
        big: enc.big,
    };
    let mut items = 0usize;
    loop {
        let Some(h) = read_header(src, item_enc)? else {
            // the parser accepts pixel data that runs to the end of the file
            return Ok(items.saturating_sub(1));
        };
        match h.tag {
            ITEM => {
                if h.len == UNDEFINED {
                    return Err(
                        "broken DICOM file: a pixel data fragment has an undefined length".into(),
                    );
                }
                check_fits(src, h.len as u64, limit, || "a pixel data fragment".into())?;
                src.skip(h.len as u64)
                    .map_err(|e| io_reason(e, "a pixel data fragment"))?;
                items += 1;
            }
            SEQ_END => return Ok(items.saturating_sub(1)),
            t => {
                return Err(format!(
                    "broken DICOM file: element {} inside encapsulated pixel data",
                    tag_str(t)
                ))
            }
        }
    }
}

/// Walks a bare data set (no file meta group) held in memory, in transfer syntax `ts`.
pub fn scan_dataset(bytes: &[u8], ts: &str, max_inflated: u64) -> Result<Scan, String> {
    let size = bytes.len() as u64;
    let mut scan = match encoding_of(ts) {
        Some(enc) => walk(
            &mut Seekable::new(std::io::Cursor::new(bytes), 0, size),
            enc,
        )?,
        None => {
            let inflate = flate2::read::DeflateDecoder::new(bytes);
            let enc = Enc {
                explicit: true,
                big: false,
            };
            walk(&mut Stream::new(inflate, max_inflated), enc)?
        }
    };
    scan.transfer_syntax = ts.to_string();
    Ok(scan)
}

/// Walks bytes held in memory that start with the 128-byte preamble or "DICM".
pub fn scan_bytes(bytes: &[u8], skip: usize, max_inflated: u64) -> Result<Scan, String> {
    let mut c = std::io::Cursor::new(bytes);
    c.set_position(skip as u64);
    scan_after_magic(c, skip as u64, bytes.len() as u64, max_inflated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&tag.0.to_le_bytes());
        b.extend_from_slice(&tag.1.to_le_bytes());
        b.extend_from_slice(vr);
        b.extend_from_slice(&(value.len() as u16).to_le_bytes());
        b.extend_from_slice(value);
        b
    }

    fn meta() -> Vec<u8> {
        let mut b = b"DICM".to_vec();
        b.extend(el((0x0002, 0x0010), b"UI", b"1.2.840.10008.1.2.1\0"));
        b
    }

    fn seq_open(b: &mut Vec<u8>) {
        b.extend_from_slice(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0]);
        b.extend_from_slice(&UNDEFINED.to_le_bytes());
        b.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
        b.extend_from_slice(&UNDEFINED.to_le_bytes());
    }

    #[test]
    fn nesting_beyond_the_cap_is_refused_with_the_limit() {
        for (levels, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false), (100_000, false)] {
            let mut b = meta();
            for _ in 0..levels {
                seq_open(&mut b);
            }
            let r = scan_bytes(&b, 4, 1 << 30);
            assert_eq!(r.is_ok(), ok, "{levels}: {r:?}");
            if !ok {
                assert!(r.unwrap_err().contains(&MAX_DEPTH.to_string()));
            }
        }
    }

    #[test]
    fn a_length_beyond_the_bytes_is_refused() {
        let mut b = meta();
        b.extend(el((0x0010, 0x0010), b"PN", b"DOE^J "));
        b.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0]);
        b.extend_from_slice(&0xC000_0000u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 100]);
        let e = scan_bytes(&b, 4, 1 << 30).unwrap_err();
        assert!(e.contains("declares 3.0 GB"), "{e}");
    }

    #[test]
    fn pixel_data_inside_a_private_element_is_not_the_pixel_data() {
        let mut b = meta();
        let mut fake = vec![0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0];
        fake.extend_from_slice(&4u32.to_le_bytes());
        fake.extend_from_slice(b"XXXX");
        b.extend(el((0x0009, 0x1010), b"LO", &fake));
        let at = b.len() as u64 + 12;
        b.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0]);
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&[1, 2, 3, 4]);
        let s = scan_bytes(&b, 4, 1 << 30).unwrap();
        assert_eq!(s.pixel.unwrap().offset, at);
        assert_eq!(s.pixel.unwrap().len, Some(4));
    }
}
