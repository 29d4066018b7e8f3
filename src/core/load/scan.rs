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

use std::io::{Read, Seek, SeekFrom};

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

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

/// A source of bytes that can skip values cheaply.
pub trait Source {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()>;
    /// Skips `n` bytes; fails when fewer remain.
    fn skip(&mut self, n: u64) -> std::io::Result<()>;
    /// Bytes left, when known.
    fn remaining(&self) -> Option<u64>;
    fn pos(&self) -> u64;
}

/// A seekable source of known size (a file, bytes in memory).
pub struct Seekable<R> {
    inner: R,
    pos: u64,
    size: u64,
}

impl<R: Read + Seek> Seekable<R> {
    /// `pos` is where `inner` stands now, `size` the total size.
    pub fn new(inner: R, pos: u64, size: u64) -> Self {
        Seekable { inner, pos, size }
    }
}

impl<R: Read + Seek> Source for Seekable<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        if n > self.size.saturating_sub(self.pos) {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.inner.seek(SeekFrom::Current(n as i64))?;
        self.pos += n;
        Ok(())
    }
    fn remaining(&self) -> Option<u64> {
        Some(self.size.saturating_sub(self.pos))
    }
    fn pos(&self) -> u64 {
        self.pos
    }
}

/// A stream of unknown length (inflated data): skipping reads through, up to a cap.
pub struct Stream<R> {
    inner: R,
    pos: u64,
    cap: u64,
}

impl<R: Read> Stream<R> {
    pub fn new(inner: R, cap: u64) -> Self {
        Stream { inner, pos: 0, cap }
    }
}

impl<R: Read> Source for Stream<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if self.pos + buf.len() as u64 > self.cap {
            return Err(std::io::Error::other(
                "inflated data set above the size limit",
            ));
        }
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        if self.pos.saturating_add(n) > self.cap {
            return Err(std::io::Error::other(
                "inflated data set above the size limit",
            ));
        }
        let got = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())?;
        self.pos += got;
        if got < n {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
    fn remaining(&self) -> Option<u64> {
        None
    }
    fn pos(&self) -> u64 {
        self.pos
    }
}

#[derive(Clone, Copy)]
struct Enc {
    explicit: bool,
    big: bool,
}

impl Enc {
    fn u16(&self, b: [u8; 2]) -> u16 {
        if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }
    fn u32(&self, b: [u8; 4]) -> u32 {
        if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
}

struct Header {
    tag: (u16, u16),
    vr: Option<[u8; 2]>,
    len: u32,
}

fn tag_str(t: (u16, u16)) -> String {
    format!("({:04X},{:04X})", t.0, t.1)
}

fn human(n: u64) -> String {
    let f = n as f64;
    if n >= 1 << 30 {
        format!("{:.1} GB", f / (1u64 << 30) as f64)
    } else if n >= 1 << 20 {
        format!("{:.1} MB", f / (1u64 << 20) as f64)
    } else if n >= 10 << 10 {
        format!("{} KB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

fn io_reason(e: std::io::Error, what: &str) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("broken DICOM file: the data ends inside {what}")
    } else {
        format!("broken DICOM file: cannot read {what}: {e}")
    }
}

/// Reads an element or item header; `Ok(None)` at the clean end of the bytes.
fn read_header<S: Source>(src: &mut S, enc: Enc) -> Result<Option<Header>, String> {
    let mut t = [0u8; 4];
    if src.remaining() == Some(0) {
        return Ok(None);
    }
    match src.read_exact(&mut t) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io_reason(e, "an element header")),
    }
    let tag = (enc.u16([t[0], t[1]]), enc.u16([t[2], t[3]]));
    let mut b4 = [0u8; 4];
    if tag.0 == 0xFFFE || !enc.explicit {
        src.read_exact(&mut b4)
            .map_err(|e| io_reason(e, "an element header"))?;
        return Ok(Some(Header {
            tag,
            vr: None,
            len: enc.u32(b4),
        }));
    }
    let mut vr = [0u8; 2];
    src.read_exact(&mut vr)
        .map_err(|e| io_reason(e, "an element header"))?;
    // as the parser: the VRs with a 16-bit length; everything else (unknown VRs are read as
    // UN) has reserved bytes and a 32-bit length
    let long = !matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SS"
            | b"ST"
            | b"TM"
            | b"UI"
            | b"UL"
            | b"US"
    );
    let len = if long {
        let mut b6 = [0u8; 6];
        src.read_exact(&mut b6)
            .map_err(|e| io_reason(e, "an element header"))?;
        enc.u32([b6[2], b6[3], b6[4], b6[5]])
    } else {
        let mut b2 = [0u8; 2];
        src.read_exact(&mut b2)
            .map_err(|e| io_reason(e, "an element header"))?;
        enc.u16(b2) as u32
    };
    Ok(Some(Header {
        tag,
        vr: Some(vr),
        len,
    }))
}

fn is_sequence(h: &Header) -> bool {
    match h.vr {
        Some(vr) => &vr == b"SQ",
        None => StandardDataDictionary
            .by_tag(Tag(h.tag.0, h.tag.1))
            .map(|e| e.vr.relaxed() == VR::SQ)
            .unwrap_or(false),
    }
}

/// Refuses a binary value whose length is not a whole number of its values: the parser reads
/// such a value past its declared end and then walks a different stream than this one.
fn check_value_size(h: &Header) -> Result<(), String> {
    let vr: [u8; 2] = match h.vr {
        Some(vr) => vr,
        None => match StandardDataDictionary.by_tag(Tag(h.tag.0, h.tag.1)) {
            Some(e) => {
                let s = e.vr.relaxed().to_string();
                let b = s.as_bytes();
                if b.len() != 2 {
                    return Ok(());
                }
                [b[0], b[1]]
            }
            None => return Ok(()),
        },
    };
    let size = match &vr {
        b"AT" | b"FL" | b"UL" | b"SL" | b"OF" | b"OL" => 4,
        b"FD" | b"OD" | b"SV" | b"UV" | b"OV" => 8,
        b"US" | b"SS" | b"OW" => 2,
        _ => return Ok(()),
    };
    if !h.len.is_multiple_of(size) {
        return Err(format!(
            "broken DICOM file: element {} of VR {} has length {}, not a multiple of {size}",
            tag_str(h.tag),
            String::from_utf8_lossy(&vr),
            h.len
        ));
    }
    Ok(())
}

/// Checks that `len` bytes fit in what remains (of the bytes and of every enclosing
/// defined-length container).
fn check_fits<S: Source>(src: &S, len: u64, limit: Option<u64>, what: &str) -> Result<(), String> {
    let pos = src.pos();
    let left_in_container = limit.map(|end| end.saturating_sub(pos));
    let left = match (src.remaining(), left_in_container) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(left) = left {
        if len > left {
            return Err(format!(
                "broken DICOM file: {what} declares {} but only {} remain (truncated or corrupt length)",
                human(len),
                human(left)
            ));
        }
    }
    Ok(())
}

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

/// Reads the file meta group (explicit VR little endian) from just after "DICM"; returns the
/// transfer syntax and the position of the first data set byte.
fn read_meta<S: Source>(src: &mut S) -> Result<(String, u64), String> {
    let le = Enc {
        explicit: true,
        big: false,
    };
    let mut ts = String::new();
    loop {
        let at = src.pos();
        let mut t = [0u8; 2];
        if src.remaining().unwrap_or(0) < 2 || src.read_exact(&mut t).is_err() {
            return Ok((ts, at));
        }
        if u16::from_le_bytes(t) != 0x0002 {
            return Ok((ts, at));
        }
        // the group is 0002: the rest of the header is explicit VR little endian
        let rest = read_header_after_group(src, le, 0x0002)?;
        let Some(h) = rest else {
            return Ok((ts, src.pos()));
        };
        if h.len == UNDEFINED {
            return Err("broken DICOM file: a file meta element has an undefined length".into());
        }
        check_fits(src, h.len as u64, None, "a file meta element")?;
        if h.tag == (0x0002, 0x0010) && h.len <= 128 {
            let mut v = vec![0u8; h.len as usize];
            src.read_exact(&mut v)
                .map_err(|e| io_reason(e, "the file meta information"))?;
            ts = String::from_utf8_lossy(&v)
                .trim_end_matches(['\0', ' '])
                .to_string();
        } else {
            src.skip(h.len as u64)
                .map_err(|e| io_reason(e, "the file meta information"))?;
        }
    }
}

/// Reads the rest of a meta header whose group was already read.
fn read_header_after_group<S: Source>(
    src: &mut S,
    enc: Enc,
    group: u16,
) -> Result<Option<Header>, String> {
    let mut rest = Vec::with_capacity(12);
    rest.extend_from_slice(&group.to_le_bytes());
    let mut mem = MemThen {
        head: rest,
        at: 0,
        src,
    };
    read_header(&mut mem, enc)
}

/// Bytes already read, then the source.
struct MemThen<'a, S> {
    head: Vec<u8>,
    at: usize,
    src: &'a mut S,
}

impl<S: Source> Source for MemThen<'_, S> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        let from_head = (self.head.len() - self.at).min(buf.len());
        buf[..from_head].copy_from_slice(&self.head[self.at..self.at + from_head]);
        self.at += from_head;
        self.src.read_exact(&mut buf[from_head..])
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        self.src.skip(n)
    }
    fn remaining(&self) -> Option<u64> {
        self.src
            .remaining()
            .map(|r| r + (self.head.len() - self.at) as u64)
    }
    fn pos(&self) -> u64 {
        self.src.pos()
    }
}

/// The encoding of the data set for a transfer syntax; `None` when deflated.
fn encoding_of(ts: &str) -> Option<Enc> {
    match ts {
        "1.2.840.10008.1.2" => Some(Enc {
            explicit: false,
            big: false,
        }),
        "1.2.840.10008.1.2.2" => Some(Enc {
            explicit: true,
            big: true,
        }),
        "1.2.840.10008.1.2.1.99" => None,
        _ => Some(Enc {
            explicit: true,
            big: false,
        }),
    }
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
                        check_fits(src, h.len as u64, limit, "an item")?;
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
        if h.tag == (0x7FE0, 0x0010) && h.len == UNDEFINED {
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
                check_fits(
                    src,
                    h.len as u64,
                    limit,
                    &format!("sequence {}", tag_str(h.tag)),
                )?;
                Some(src.pos() + h.len as u64)
            };
            stack.push(Level {
                kind: Kind::Sequence,
                end,
            });
            continue;
        }
        check_fits(
            src,
            h.len as u64,
            limit,
            &format!("element {}", tag_str(h.tag)),
        )?;
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
                check_fits(src, h.len as u64, limit, "a pixel data fragment")?;
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
