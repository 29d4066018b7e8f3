//! Element and item headers as the walk reads them, and the checks made on each: declared
//! lengths against what remains, whole-value sizes, the file meta group, the encoding.

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

use super::source::{MemThen, Source};
use super::UNDEFINED;

#[derive(Clone, Copy)]
pub(super) struct Enc {
    pub(super) explicit: bool,
    pub(super) big: bool,
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

pub(super) struct Header {
    pub(super) tag: (u16, u16),
    pub(super) vr: Option<[u8; 2]>,
    pub(super) len: u32,
}

pub(super) fn tag_str(t: (u16, u16)) -> String {
    format!("({:04X},{:04X})", t.0, t.1)
}

pub(super) fn human(n: u64) -> String {
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

pub(super) fn io_reason(e: std::io::Error, what: &str) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("broken DICOM file: the data ends inside {what}")
    } else {
        format!("broken DICOM file: cannot read {what}: {e}")
    }
}

/// Reads an element or item header; `Ok(None)` at the clean end of the bytes.
pub(super) fn read_header<S: Source>(src: &mut S, enc: Enc) -> Result<Option<Header>, String> {
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

pub(super) fn is_sequence(h: &Header) -> bool {
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
pub(super) fn check_value_size(h: &Header) -> Result<(), String> {
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
pub(super) fn check_fits<S: Source>(
    src: &S,
    len: u64,
    limit: Option<u64>,
    what: impl Fn() -> String,
) -> Result<(), String> {
    let pos = src.pos();
    let left_in_container = limit.map(|end| end.saturating_sub(pos));
    let left = match (src.remaining(), left_in_container) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(left) = left {
        if len > left {
            return Err(format!(
                "broken DICOM file: {} declares {} but only {} remain (truncated or corrupt length)",
                what(),
                human(len),
                human(left)
            ));
        }
    }
    Ok(())
}

/// Reads the file meta group (explicit VR little endian) from just after "DICM"; returns the
/// transfer syntax and the position of the first data set byte.
///
/// The parser (dicom-rs) ends the meta group where its group length says, whatever the
/// elements there are; this walk ends it at the first element of another group. When the two
/// disagree the parser would read the data set from another place than the one walked here
/// (misaligned, with lengths this walk never checked), so the file is refused here and the
/// lenient reader (`repair`), which reads the group element by element, takes it.
pub(super) fn read_meta<S: Source>(src: &mut S) -> Result<(String, u64), String> {
    let le = Enc {
        explicit: true,
        big: false,
    };
    let mut ts = String::new();
    // (declared group length, where the counted elements start)
    let mut group_length: Option<(u32, u64)> = None;
    let end = |ts: String, at: u64, gl: Option<(u32, u64)>| match gl {
        Some((len, from)) if at - from != len as u64 => Err(format!(
            "broken DICOM file: the file meta group length says {len} bytes, its elements \
             take {}",
            at - from
        )),
        _ => Ok((ts, at)),
    };
    loop {
        let at = src.pos();
        let mut t = [0u8; 2];
        if src.remaining().unwrap_or(0) < 2 || src.read_exact(&mut t).is_err() {
            return end(ts, at, group_length);
        }
        if u16::from_le_bytes(t) != 0x0002 {
            return end(ts, at, group_length);
        }
        // the group is 0002: the rest of the header is explicit VR little endian
        let rest = read_header_after_group(src, le, 0x0002)?;
        let Some(h) = rest else {
            return end(ts, src.pos(), group_length);
        };
        if h.tag == (0x0002, 0x0000) && h.len == 4 && group_length.is_none() {
            let mut v = [0u8; 4];
            src.read_exact(&mut v)
                .map_err(|e| io_reason(e, "the file meta information"))?;
            group_length = Some((u32::from_le_bytes(v), src.pos()));
            continue;
        }
        if h.len == UNDEFINED {
            return Err("broken DICOM file: a file meta element has an undefined length".into());
        }
        check_fits(src, h.len as u64, None, || "a file meta element".into())?;
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
pub(super) fn read_header_after_group<S: Source>(
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

/// The encoding of the data set for a transfer syntax; `None` when deflated.
pub(super) fn encoding_of(ts: &str) -> Option<Enc> {
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
