//! Reading what dcmtk and pydicom read although it is not a proper Part 10 file: a file meta
//! group without its group length, a meta group encoded Implicit VR, a file without preamble
//! or "DICM", and a bare data set without any file meta information (ACR-NEMA style). Each
//! repair is named, so the report can say what was done.

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

/// VRs whose explicit header carries 2 reserved bytes and a 4-byte length.
const LONG_VRS: [&[u8; 2]; 10] = [
    b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"SQ", b"UN", b"UT", b"UC",
];
const VRS: [&[u8; 2]; 34] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"OB",
    b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
    b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
];

fn u16le(b: &[u8], p: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(p..p + 2)?.try_into().ok()?))
}

fn u32le(b: &[u8], p: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(p..p + 4)?.try_into().ok()?))
}

fn explicit_vr_at(b: &[u8], p: usize) -> Option<&[u8]> {
    let vr = b.get(p + 4..p + 6)?;
    VRS.iter().any(|v| &v[..] == vr).then_some(vr)
}

/// One element header at `p`: (group, element, value offset, value length).
fn element(b: &[u8], p: usize, explicit: bool) -> Option<(u16, u16, usize, usize)> {
    let (g, e) = (u16le(b, p)?, u16le(b, p + 2)?);
    if explicit {
        let vr = explicit_vr_at(b, p)?;
        if LONG_VRS.iter().any(|v| &v[..] == vr) {
            Some((g, e, p + 12, u32le(b, p + 8)? as usize))
        } else {
            Some((g, e, p + 8, u16le(b, p + 6)? as usize))
        }
    } else {
        Some((g, e, p + 8, u32le(b, p + 4)? as usize))
    }
}

/// Does a little-endian data set element start at `p`? (an even group from 0008, a known
/// explicit VR or an implicit length that fits)
fn data_set_at(b: &[u8], p: usize) -> Option<bool> {
    let g = u16le(b, p)?;
    if !(0x0008..0x7FE1).contains(&g) || g % 2 == 1 {
        return None;
    }
    if explicit_vr_at(b, p).is_some() {
        return Some(true);
    }
    let len = u32le(b, p + 4)? as usize;
    (len < b.len()).then_some(false)
}

/// What was found before the data set.
struct Head {
    start: usize,
    ts: String,
    class: String,
    instance: String,
    repairs: Vec<String>,
}

/// Reads the file meta group at `p` (group 0002, explicit or implicit VR, with or without its
/// group length) and returns where the data set starts.
fn meta_at(b: &[u8], mut p: usize, repairs: &mut Vec<String>) -> Option<Head> {
    if u16le(b, p)? != 0x0002 {
        return None;
    }
    let explicit = explicit_vr_at(b, p).is_some();
    if !explicit {
        repairs.push("the file meta group is encoded Implicit VR (read as such)".into());
    }
    // the declared group length, and where the elements it counts start
    let declared = (explicit && u16le(b, p + 2)? == 0x0000)
        .then(|| element(b, p, explicit))
        .flatten()
        .filter(|&(_, _, _, len)| len == 4)
        .and_then(|(_, _, v, _)| Some((u32le(b, v)?, v + 4)));
    if u16le(b, p + 2)? != 0x0000 {
        repairs.push("the file meta group has no group length (read element by element)".into());
    }
    let (mut ts, mut class, mut instance) = (String::new(), String::new(), String::new());
    while u16le(b, p) == Some(0x0002) {
        let (_, e, v, len) = element(b, p, explicit)?;
        let value = b.get(v..v.checked_add(len)?)?;
        let text = || {
            String::from_utf8_lossy(value)
                .trim_end_matches(['\0', ' '])
                .trim()
                .to_string()
        };
        match e {
            0x0002 => class = text(),
            0x0003 => instance = text(),
            0x0010 => ts = text(),
            _ => {}
        }
        p = v + len;
    }
    if let Some((len, from)) = declared {
        if p - from != len as usize {
            repairs.push(format!(
                "the file meta group length said {len} bytes, its elements take {} (read \
                 element by element)",
                p - from
            ));
        }
    }
    Some(Head {
        start: p,
        ts,
        class,
        instance,
        repairs: std::mem::take(repairs),
    })
}

/// Finds the data set in bytes that a strict Part 10 reader refused.
fn head(b: &[u8]) -> Result<Head, String> {
    // with the "DICM" marker (after a preamble or at the start), a meta group follows
    for at in [128usize, 0] {
        if b.get(at..at + 4) == Some(b"DICM") {
            let mut repairs = Vec::new();
            if at == 0 {
                repairs.push("no 128-byte preamble".to_string());
            }
            if let Some(h) = meta_at(b, at + 4, &mut repairs) {
                return Ok(h);
            }
        }
    }
    // no marker: a meta group straight away (no preamble, no DICM)
    let mut repairs = vec!["no 128-byte preamble and no DICM marker".to_string()];
    if let Some(h) = meta_at(b, 0, &mut repairs) {
        return Ok(h);
    }
    // a bare data set, perhaps after one stray byte
    for skip in [0usize, 1] {
        if let Some(explicit) = data_set_at(b, skip) {
            // two consecutive elements must parse, to tell data from noise
            let (_, _, v, len) = element(b, skip, explicit).ok_or("")?;
            if data_set_at(b, v + len) != Some(explicit) {
                continue;
            }
            let ts = if explicit {
                "1.2.840.10008.1.2.1"
            } else {
                "1.2.840.10008.1.2"
            };
            let mut repairs = vec![format!(
                "no preamble, DICM marker or file meta information: read as a bare {} VR Little Endian data set (ACR-NEMA style)",
                if explicit { "Explicit" } else { "Implicit" }
            )];
            if skip == 1 {
                repairs.push("one stray byte before the data set was skipped".into());
            }
            return Ok(Head {
                start: skip,
                ts: ts.into(),
                class: String::new(),
                instance: String::new(),
                repairs,
            });
        }
    }
    Err("no file meta group and no data set found".into())
}

/// Reads bytes a strict Part 10 reader refused; returns the object and what was repaired.
pub fn parse_lenient(b: &[u8]) -> Result<(DefaultDicomObject, Vec<String>), String> {
    let h = head(b)?;
    let mut repairs = h.repairs;
    let mut ts_uid = h.ts;
    if ts_uid.is_empty() {
        // the meta group names no transfer syntax: tell it from the first data set element
        let explicit = data_set_at(b, h.start).ok_or("the file meta group has no Transfer Syntax UID, and the data after it does not start like a data set whose encoding could be told")?;
        ts_uid = if explicit {
            "1.2.840.10008.1.2.1"
        } else {
            "1.2.840.10008.1.2"
        }
        .into();
        repairs.push(format!(
            "the file meta group has no Transfer Syntax UID: {} VR Little Endian assumed from the data set",
            if explicit { "Explicit" } else { "Implicit" }
        ));
    }
    let ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(&ts_uid)
        .ok_or_else(|| format!("unsupported transfer syntax {ts_uid}"))?;
    let body = b.get(h.start..).unwrap_or_default();
    // the same walk as for proper files: lengths, nesting depth (see `scan`)
    super::scan::scan_dataset(body, &ts_uid, super::parse::inflate_cap(body.len() as u64))?;
    let ds = crate::core::guard::catch(|| InMemDicomObject::read_dataset_with_ts(body, ts))
        .map_err(|why| format!("broken DICOM file: the parser gave up on malformed data ({why})"))?
        .map_err(|e| {
            format!(
                "broken DICOM file: {}",
                e.to_string().lines().next().unwrap_or("")
            )
        })?;
    let get = |tag| crate::core::dcm::get_str_in(&ds, tag).unwrap_or_default();
    let class = if h.class.is_empty() {
        get(dicom_dictionary_std::tags::SOP_CLASS_UID)
    } else {
        h.class
    };
    let instance = if h.instance.is_empty() {
        get(dicom_dictionary_std::tags::SOP_INSTANCE_UID)
    } else {
        h.instance
    };
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts_uid)
        .media_storage_sop_class_uid(class)
        .media_storage_sop_instance_uid(instance)
        .build()
        .map_err(|e| format!("cannot rebuild the file meta group: {e}"))?;
    Ok((ds.with_exact_meta(meta), repairs))
}
