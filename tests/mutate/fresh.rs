//! Mutation kinds added for fresh hostile inputs: basic offset tables and fragment structure of
//! encapsulated pixel data, undefined or odd lengths on elements that are not sequences,
//! deflated data sets of garbage, big endian, a wrong VR on Pixel Data, images declared far
//! larger than their data, impossible bit depths, lying palette and LUT descriptors, a lying
//! meta group length.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use std::io::Write;

use super::{flip, hostile_len, retag_to, vr_sites, Rng};

/// The place of the Pixel Data element header (explicit VR little endian), if any.
fn pixel_data(b: &[u8]) -> Option<usize> {
    (132..b.len().saturating_sub(12))
        .rev()
        .find(|&p| b[p..p + 4] == [0xE0, 0x7F, 0x10, 0x00])
}

/// The first byte after the file meta group (from its group length), or `None`.
fn meta_end(b: &[u8]) -> Option<usize> {
    if b.len() < 144 || b[132..136] != [0x02, 0x00, 0x00, 0x00] {
        return None;
    }
    let len = u32::from_le_bytes(b[140..144].try_into().ok()?) as usize;
    (144 + len <= b.len()).then_some(144 + len)
}

/// The object parsed by the application's own reader, edited and written again.
fn edit(b: &[u8], f: impl FnOnce(&mut dicom_object::DefaultDicomObject)) -> Option<Vec<u8>> {
    let mut obj = us_dicomizer::core::load::parse_dicom(b).ok()?.obj;
    f(&mut obj);
    let mut out = Vec::new();
    obj.write_all(&mut out).ok()?;
    Some(out)
}

fn us(tag: (u16, u16), v: Vec<u16>) -> DataElement<dicom_object::InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), VR::US, PrimitiveValue::U16(v.into()))
}

fn text(tag: (u16, u16), vr: VR, v: &str) -> DataElement<dicom_object::InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), vr, PrimitiveValue::from(v))
}

/// Mutation `kind` (0..10) of `b`: a label and the bytes (a byte flip when it does not apply).
pub fn mutate(r: &mut Rng, kind: usize, mut b: Vec<u8>) -> (&'static str, Vec<u8>) {
    let n = b.len();
    let label = match kind {
        0 => {
            // a basic offset table of lies: offsets past the data, decreasing, repeated
            let Some(p) = pixel_data(&b).filter(|&p| b[p + 8..p + 12] == [0xFF; 4]) else {
                return ("flip", flip(r, b));
            };
            let item = p + 12;
            if item + 8 > n || b[item..item + 4] != [0xFE, 0xFF, 0x00, 0xE0] {
                return ("flip", flip(r, b));
            }
            let old = u32::from_le_bytes(b[item + 4..item + 8].try_into().unwrap()) as usize;
            let count = *r.pick(&[1usize, 2, 7, 1000, 60_000]);
            let mut table = Vec::with_capacity(count * 4);
            for k in 0..count {
                let v = match r.below(5) {
                    0 => 0xFFFF_FFF0u32,
                    1 => (count - k) as u32 * 1000,
                    2 => (n as u32).wrapping_mul(3),
                    3 => 1,
                    _ => r.next() as u32,
                };
                table.extend_from_slice(&v.to_le_bytes());
            }
            // sometimes a table length that is not a multiple of 4, or claims more
            let declared = match r.below(3) {
                0 => table.len() as u32 + 3,
                1 => 0xFFFF_FFF0,
                _ => table.len() as u32,
            };
            b[item + 4..item + 8].copy_from_slice(&declared.to_le_bytes());
            let end = (item + 8 + old).min(n);
            b.splice(item + 8..end, table);
            "offset table"
        }
        1 => {
            // fragment structure: the sequence delimiter removed, thousands of empty
            // fragments, a fragment cut in two, or an item tag that is not an item
            let Some(p) = pixel_data(&b).filter(|&p| b[p + 8..p + 12] == [0xFF; 4]) else {
                return ("flip", flip(r, b));
            };
            match r.below(4) {
                0 => {
                    if let Some(d) = (p..n.saturating_sub(8))
                        .rev()
                        .find(|&q| b[q..q + 4] == [0xFE, 0xFF, 0xDD, 0xE0])
                    {
                        b.truncate(d);
                    }
                }
                1 => {
                    let empty = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0];
                    let at = (p + 12 + 8).min(n);
                    let many: Vec<u8> = empty
                        .iter()
                        .copied()
                        .cycle()
                        .take(8 * *r.pick(&[3usize, 5000, 100_000]))
                        .collect();
                    b.splice(at..at, many);
                }
                2 => {
                    let sites: Vec<usize> = (p + 12..n.saturating_sub(8))
                        .filter(|&q| b[q..q + 4] == [0xFE, 0xFF, 0x00, 0xE0])
                        .collect();
                    if let Some(&q) = sites.last() {
                        let len = u32::from_le_bytes(b[q + 4..q + 8].try_into().unwrap());
                        let half = (len / 2) | 1; // odd on purpose
                        if half > len {
                            return ("flip", flip(r, b));
                        }
                        b[q + 4..q + 8].copy_from_slice(&half.to_le_bytes());
                        let at = (q + 8 + half as usize).min(n);
                        let mut h = vec![0xFE, 0xFF, 0x00, 0xE0];
                        h.extend_from_slice(&(len - half).to_le_bytes());
                        b.splice(at..at, h);
                    }
                }
                _ => {
                    let at = (p + 12).min(n);
                    let tag = *r.pick(&[
                        [0xFE, 0xFF, 0x0D, 0xE0],
                        [0xE0, 0x7F, 0x10, 0x00],
                        [0x08, 0x00, 0x18, 0x00],
                    ]);
                    b[at..(at + 4).min(n)].copy_from_slice(&tag[..(n - at).min(4)]);
                }
            }
            "fragments"
        }
        2 => {
            // undefined (0xFFFFFFFF) or odd lengths on elements that are not sequences
            let sites = vr_sites(&b);
            if sites.is_empty() {
                return ("flip", flip(r, b));
            }
            for _ in 0..1 + r.below(3) {
                let p = *r.pick(&sites);
                let long = matches!(&b[p..p + 2], b"OB" | b"OW" | b"UN" | b"UT");
                if long {
                    let v = *r.pick(&[0xFFFF_FFFFu32, 1, 3, 0xFFFF_FFFD]);
                    b[p + 4..p + 8].copy_from_slice(&v.to_le_bytes());
                } else if &b[p..p + 2] != b"SQ" {
                    let old = u16::from_le_bytes([b[p + 2], b[p + 3]]);
                    let v = *r.pick(&[0xFFFFu16, old | 1, old.wrapping_add(1), 1]);
                    b[p + 2..p + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            "undefined length"
        }
        3 => {
            // deflated transfer syntax over bytes that are not a deflated data set
            let Some(end) = meta_end(&b) else {
                return ("flip", flip(r, b));
            };
            if !retag_to(&mut b, "1.2.840.10008.1.2.1.99") {
                return ("flip", flip(r, b));
            }
            let body = b.split_off(end);
            let garbage: Vec<u8> = (0..r.below(64 << 10)).map(|_| r.next() as u8).collect();
            let deflate = |data: &[u8]| {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            };
            let tail = match r.below(5) {
                0 => garbage,
                1 => deflate(&garbage),
                2 => body, // the data set left raw
                3 => {
                    let mut d = deflate(&body);
                    d.truncate(d.len() * r.below(100) / 100);
                    d
                }
                _ => {
                    // a small deflated stream that inflates to far more: 64 MB of zeros
                    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
                    let zeros = vec![0u8; 1 << 20];
                    for _ in 0..64 {
                        e.write_all(&zeros).unwrap();
                    }
                    e.finish().unwrap()
                }
            };
            b.extend_from_slice(&tail);
            "deflate garbage"
        }
        4 => {
            // big endian: the data set really written big endian (its pixels as the writer
            // swaps them), or only the syntax changed
            let real = r.below(2) == 0;
            let written = real
                .then(|| {
                    edit(&b, |o| {
                        o.meta_mut().set_transfer_syntax(
                            &dicom_transfer_syntax_registry::entries::EXPLICIT_VR_BIG_ENDIAN,
                        );
                    })
                })
                .flatten();
            match written {
                Some(w) => {
                    b = w;
                    // and a length in it made hostile
                    let sites = vr_sites(&b);
                    if !sites.is_empty() && r.below(2) == 0 {
                        let p = *r.pick(&sites);
                        let v = hostile_len(r, n);
                        if matches!(&b[p..p + 2], b"OB" | b"OW" | b"SQ" | b"UN" | b"UT") {
                            b[p + 4..p + 8].copy_from_slice(&v.to_be_bytes());
                        } else {
                            b[p + 2..p + 4].copy_from_slice(&(v as u16).to_be_bytes());
                        }
                    }
                }
                None => {
                    if !retag_to(&mut b, "1.2.840.10008.1.2.2") {
                        return ("flip", flip(r, b));
                    }
                }
            }
            "big endian"
        }
        5 => {
            // Pixel Data with another VR (short and long forms alike)
            let Some(p) = pixel_data(&b) else {
                return ("flip", flip(r, b));
            };
            let vr = *r.pick(&[
                b"US", b"SQ", b"UN", b"LO", b"OF", b"OD", b"UT", b"AT", b"  ",
            ]);
            b[p + 4..p + 6].copy_from_slice(vr);
            "pixel data VR"
        }
        6 => {
            // an image declared far larger than its data
            let rows = *r.pick(&[0xFFFFu16, 0x8000, 4096, 1]);
            let cols = *r.pick(&[0xFFFFu16, 0x8000, 4096, 1]);
            let frames = *r.pick(&["2147483647", "99999999", "65536", "0", "-1", "1e9"]);
            let spp = *r.pick(&[1u16, 3, 4]);
            let Some(w) = edit(&b, |o| {
                o.put(us((0x0028, 0x0010), vec![rows]));
                o.put(us((0x0028, 0x0011), vec![cols]));
                o.put(us((0x0028, 0x0002), vec![spp]));
                o.put(text((0x0028, 0x0008), VR::IS, frames));
            }) else {
                return ("flip", flip(r, b));
            };
            b = w;
            "huge image"
        }
        7 => {
            // bit depths that cannot be: zero, "negative" (0xFFFF), stored above allocated
            let alloc = *r.pick(&[0u16, 0xFFFF, 1, 24, 33, 64, 128]);
            let stored = *r.pick(&[0u16, 0xFFFF, 17, 64, alloc]);
            let high = *r.pick(&[0u16, 0xFFFF, 31, stored.wrapping_sub(1)]);
            let repr = *r.pick(&[0u16, 1, 2, 0xFFFF]);
            let planar = *r.pick(&[0u16, 1, 7]);
            let spp = *r.pick(&[0u16, 1, 2, 3, 0xFFFF]);
            let Some(w) = edit(&b, |o| {
                o.put(us((0x0028, 0x0100), vec![alloc]));
                o.put(us((0x0028, 0x0101), vec![stored]));
                o.put(us((0x0028, 0x0102), vec![high]));
                o.put(us((0x0028, 0x0103), vec![repr]));
                if r.below(2) == 0 {
                    o.put(us((0x0028, 0x0006), vec![planar]));
                    o.put(us((0x0028, 0x0002), vec![spp]));
                }
            }) else {
                return ("flip", flip(r, b));
            };
            b = w;
            "bit depth"
        }
        8 => {
            // palette colour with lying LUT descriptors and data, or a lying modality LUT
            let entries = *r.pick(&[0u16, 1, 256, 4096, 0xFFFF]);
            let first = *r.pick(&[0u16, 0x7FFF, 0xFFFF, 30_000]);
            let bits = *r.pick(&[0u16, 8, 16, 99, 0xFFFF]);
            let data_len = *r.pick(&[0usize, 1, 2, 6, 512, 8192]);
            let seg = r.below(4) == 0;
            let modality = r.below(4) == 0;
            let Some(w) = edit(&b, |o| {
                if modality {
                    let mut item = dicom_object::InMemDicomObject::new_empty();
                    item.put(us((0x0028, 0x3002), vec![entries, first, bits]));
                    item.put(DataElement::new(
                        Tag(0x0028, 0x3006),
                        VR::US,
                        PrimitiveValue::U16(vec![7u16; data_len / 2].into()),
                    ));
                    o.put(DataElement::new(
                        Tag(0x0028, 0x3000),
                        VR::SQ,
                        dicom_core::value::DataSetSequence::from(vec![item]),
                    ));
                    return;
                }
                o.put(text((0x0028, 0x0004), VR::CS, "PALETTE COLOR"));
                o.put(us((0x0028, 0x0002), vec![1]));
                for (d, lut) in [(0x1101u16, 0x1201u16), (0x1102, 0x1202), (0x1103, 0x1203)] {
                    o.put(us((0x0028, d), vec![entries, first, bits]));
                    let data: Vec<u8> = (0..data_len).map(|i| i as u8).collect();
                    let t = if seg { lut + 0x0020 } else { lut }; // segmented: (0028,122x)
                    o.put(DataElement::new(
                        Tag(0x0028, t),
                        VR::OW,
                        PrimitiveValue::from(data),
                    ));
                }
            }) else {
                return ("flip", flip(r, b));
            };
            b = w;
            "palette LUT"
        }
        _ => {
            // the meta group length lies: zero, one byte off, past the end, inside a value
            if b.len() < 144 || b[132..136] != [0x02, 0x00, 0x00, 0x00] {
                return ("flip", flip(r, b));
            }
            let old = u32::from_le_bytes(b[140..144].try_into().unwrap());
            let v = *r.pick(&[
                0u32,
                old.wrapping_add(1),
                old.wrapping_sub(2),
                0xFFFF_FFFF,
                n as u32 * 2,
                old / 2,
            ]);
            b[140..144].copy_from_slice(&v.to_le_bytes());
            "meta length"
        }
    };
    (label, b)
}
