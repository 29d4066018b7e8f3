//! The planning read: the few header elements a plan needs (SOP Instance UID, the patient keys,
//! Study and Series Instance UID, Instance Number), from a bounded read of the file's first
//! bytes, stopping at the first element after Instance Number (0020,0013). The pixel data is
//! never read, so planning costs little more than opening each file.
//!
//! Only what this walk can read exactly as the full parser would is answered here: little
//! endian (explicit or implicit VR), plain ASCII single values. Anything else (deflated or big
//! endian data sets, non-ASCII or multi-valued text, undefined-length UN, elements beyond the
//! bounded read, a structure that does not add up) returns `None` and the caller falls back to
//! the full header parse, so the plan is the same either way.

use std::io::Read;

use super::Scanned;
use crate::core::patients::PatientKey;

/// The first read; enough for nearly every file's header.
const FIRST_READ: u64 = 64 << 10;
/// The most read before giving the file to the full parser.
const MAX_READ: u64 = 4 << 20;
/// Nesting of sequences walked before giving up.
const MAX_DEPTH: usize = 16;

/// (group, element) of the values a plan needs.
const SOP_UID: (u16, u16) = (0x0008, 0x0018);
const PATIENT_NAME: (u16, u16) = (0x0010, 0x0010);
const PATIENT_ID: (u16, u16) = (0x0010, 0x0020);
const ISSUER: (u16, u16) = (0x0010, 0x0021);
const BIRTH_DATE: (u16, u16) = (0x0010, 0x0030);
const STUDY_UID: (u16, u16) = (0x0020, 0x000D);
const SERIES_UID: (u16, u16) = (0x0020, 0x000E);
const INSTANCE_NUMBER: (u16, u16) = (0x0020, 0x0013);
const WANTED: [(u16, u16); 8] = [
    SOP_UID,
    PATIENT_NAME,
    PATIENT_ID,
    ISSUER,
    BIRTH_DATE,
    STUDY_UID,
    SERIES_UID,
    INSTANCE_NUMBER,
];

/// Reads the plan's values from `reader` (a file or ZIP member from its first byte), reading
/// at most a few MB; `None` when the full parser must decide.
pub fn read_head(reader: impl Read) -> Option<Scanned> {
    read_head_sized(reader, u64::MAX)
}

/// As [`read_head`] for an input of `size` bytes (as listed): the first read is no larger
/// than the input, so a small file does not cost a 64 KB buffer.
pub fn read_head_sized(mut reader: impl Read, size: u64) -> Option<Scanned> {
    let mut limit = FIRST_READ.min(size.saturating_add(1).max(256));
    let mut buf = Vec::with_capacity(limit as usize);
    loop {
        let want = limit - buf.len() as u64;
        let got = (&mut reader).take(want).read_to_end(&mut buf).ok()? as u64;
        let at_end = got < want;
        match parse_head(&buf) {
            Walk::Done(s) => return Some(s),
            Walk::Unsupported => return None,
            // the header goes on past what was read
            Walk::NeedMore if !at_end && limit < MAX_READ => limit = (limit * 4).min(MAX_READ),
            Walk::NeedMore => return None,
        }
    }
}

enum Walk {
    Done(Scanned),
    NeedMore,
    Unsupported,
}

/// Why a walk stopped early.
enum Stop {
    NeedMore,
    Unsupported,
}

impl From<Stop> for Walk {
    fn from(s: Stop) -> Self {
        match s {
            Stop::NeedMore => Walk::NeedMore,
            Stop::Unsupported => Walk::Unsupported,
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.pos.checked_add(n).ok_or(Stop::Unsupported)?;
        let s = self.b.get(self.pos..end).ok_or(Stop::NeedMore)?;
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, Stop> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, Stop> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// One element header: tag, VR (explicit only) and length.
struct Header {
    tag: (u16, u16),
    vr: Option<[u8; 2]>,
    len: u32,
}

const UNDEFINED: u32 = u32::MAX;

fn read_header(c: &mut Cursor, explicit: bool) -> Result<Header, Stop> {
    let tag = (c.u16()?, c.u16()?);
    // items and delimiters have no VR in either encoding
    if !explicit || tag.0 == 0xFFFE {
        return Ok(Header {
            tag,
            vr: None,
            len: c.u32()?,
        });
    }
    let vr = c.take(2)?;
    let vr = [vr[0], vr[1]];
    if !vr.iter().all(u8::is_ascii_uppercase) {
        return Err(Stop::Unsupported);
    }
    let long = matches!(
        &vr,
        b"OB"
            | b"OW"
            | b"OF"
            | b"OD"
            | b"OL"
            | b"OV"
            | b"SQ"
            | b"UT"
            | b"UN"
            | b"UC"
            | b"UR"
            | b"SV"
            | b"UV"
    );
    let len = if long {
        c.take(2)?;
        c.u32()?
    } else {
        c.u16()? as u32
    };
    Ok(Header {
        tag,
        vr: Some(vr),
        len,
    })
}

/// Skips the items of a sequence of undefined length (the sequence header was read).
fn skip_sequence(c: &mut Cursor, explicit: bool, depth: usize) -> Result<(), Stop> {
    if depth > MAX_DEPTH {
        return Err(Stop::Unsupported);
    }
    loop {
        let h = read_header(c, explicit)?;
        match h.tag {
            (0xFFFE, 0xE0DD) => return Ok(()),
            (0xFFFE, 0xE000) if h.len != UNDEFINED => {
                c.take(h.len as usize)?;
            }
            (0xFFFE, 0xE000) => skip_item(c, explicit, depth + 1)?,
            _ => return Err(Stop::Unsupported),
        }
    }
}

/// Skips the elements of an item of undefined length, up to its delimiter.
fn skip_item(c: &mut Cursor, explicit: bool, depth: usize) -> Result<(), Stop> {
    loop {
        let h = read_header(c, explicit)?;
        if h.tag == (0xFFFE, 0xE00D) {
            return Ok(());
        }
        skip_value(c, &h, explicit, depth)?;
    }
}

fn skip_value(c: &mut Cursor, h: &Header, explicit: bool, depth: usize) -> Result<(), Stop> {
    if h.len != UNDEFINED {
        c.take(h.len as usize)?;
        return Ok(());
    }
    // undefined length: a sequence (SQ, or any undefined-length element in implicit VR);
    // an undefined-length UN holds implicit VR, and anything else is not for this walk
    match h.vr {
        None | Some([b'S', b'Q']) => skip_sequence(c, explicit, depth + 1),
        _ => Err(Stop::Unsupported),
    }
}

/// A text value as the full parser's `get_str` gives it, or `Unsupported` when it might not.
fn text(v: &[u8]) -> Result<String, Stop> {
    let plain = |b: &u8| b.is_ascii_graphic() || *b == b' ' || *b == 0;
    if !v.iter().all(plain) || v.contains(&b'\\') {
        return Err(Stop::Unsupported);
    }
    let s = std::str::from_utf8(v).map_err(|_| Stop::Unsupported)?;
    Ok(s.trim_end_matches(['\0', ' ']).trim_start().to_string())
}

fn parse_head(bytes: &[u8]) -> Walk {
    match walk(bytes) {
        Ok(s) => Walk::Done(s),
        Err(stop) => stop.into(),
    }
}

fn walk(bytes: &[u8]) -> Result<Scanned, Stop> {
    let start = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        132
    } else if bytes.len() >= 4 && &bytes[..4] == b"DICM" {
        4
    } else if bytes.len() < 132 {
        return Err(Stop::NeedMore);
    } else {
        return Err(Stop::Unsupported);
    };
    let mut c = Cursor {
        b: bytes,
        pos: start,
    };
    // the file meta group: explicit VR little endian, group 0002
    let mut ts = None;
    loop {
        let at = c.pos;
        let group = c.u16()?;
        c.pos = at;
        if group != 0x0002 {
            break;
        }
        let h = read_header(&mut c, true)?;
        if h.len == UNDEFINED {
            return Err(Stop::Unsupported);
        }
        let v = c.take(h.len as usize)?;
        if h.tag == (0x0002, 0x0010) {
            ts = Some(text(v)?);
        }
    }
    let explicit = match ts.as_deref() {
        Some("1.2.840.10008.1.2") => false,
        // deflated and big endian data sets go to the full parser
        Some("1.2.840.10008.1.2.1.99") | Some("1.2.840.10008.1.2.2") | None => {
            return Err(Stop::Unsupported)
        }
        Some(_) => true,
    };
    let mut values: [Option<String>; 8] = Default::default();
    let mut last = (0u16, 0u16);
    loop {
        // a data set that ends before any element after Instance Number needs more bytes,
        // or (at the end of the file) the full parser
        let h = read_header(&mut c, explicit)?;
        if h.tag <= last || h.tag.0 == 0xFFFE {
            // out of order or a stray delimiter: not for this walk
            return Err(Stop::Unsupported);
        }
        last = h.tag;
        if h.tag > INSTANCE_NUMBER {
            break;
        }
        if let Some(i) = WANTED.iter().position(|&t| t == h.tag) {
            let texty = h.vr.is_none_or(|vr| {
                matches!(&vr, b"UI" | b"PN" | b"LO" | b"SH" | b"DA" | b"IS" | b"CS")
            });
            if h.len == UNDEFINED || !texty {
                return Err(Stop::Unsupported);
            }
            values[i] = Some(text(c.take(h.len as usize)?)?);
        } else {
            skip_value(&mut c, &h, explicit, 0)?;
        }
    }
    let [sop, name, id, issuer, birth, study, series, number] =
        values.map(Option::unwrap_or_default);
    Ok(Scanned {
        // as `PatientKey::from_obj` reads them
        patient: PatientKey::new(id.trim(), issuer.trim(), name.trim(), birth.trim()),
        study_uid: study,
        series_uid: series,
        instance_number: number.trim().parse().unwrap_or(0),
        sop_uid: sop,
    })
}
