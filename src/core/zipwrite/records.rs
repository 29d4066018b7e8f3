//! The byte layout of the ZIP records we write (APPNOTE 6.3.10: 4.3.7 local header, 4.3.12
//! central directory header, 4.3.14-4.3.16 end records, 4.5.3 ZIP64 extra field). Pure
//! functions, so that the ZIP64 cases are tested without writing 4 GB.

/// Sizes and offsets at or above this go to the ZIP64 extra field (the 32-bit field then holds
/// 0xFFFFFFFF, which is why that value itself cannot be written there).
pub const LIMIT32: u64 = 0xFFFF_FFFF;
/// Entry counts at or above this need the ZIP64 end records.
pub const LIMIT16: u64 = 0xFFFF;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
/// Bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// Made by: Unix (3), specification 4.5.
const MADE_BY: u16 = (3 << 8) | 45;
/// A regular file, rw-r--r--.
const EXTERNAL_ATTR: u32 = 0o100_644 << 16;

/// How an entry's data is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Stored,
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

/// What the records say of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    pub method: Method,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    /// MS-DOS time and date.
    pub dos_time: u16,
    pub dos_date: u16,
}

fn flags(name: &str) -> u16 {
    if name.is_ascii() {
        0
    } else {
        FLAG_UTF8
    }
}

fn needed(zip64: bool, method: Method) -> u16 {
    match (zip64, method) {
        (true, _) => 45,
        (false, Method::Deflated) => 20,
        (false, Method::Stored) => 10,
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a local file header. With `zip64` the sizes are in a ZIP64 extra field (both, as
/// 4.5.3 requires in a local header) and the 32-bit fields hold 0xFFFFFFFF: used where the
/// sizes are not known yet and may reach 4 GB. Returns the offset, within what was appended,
/// of the fields [`patch_local`] rewrites.
pub fn local_header(out: &mut Vec<u8>, name: &str, f: &Fields, zip64: bool) -> usize {
    let start = out.len();
    u32le(out, LOCAL_SIG);
    u16le(out, needed(zip64, f.method));
    u16le(out, flags(name));
    u16le(out, f.method.code());
    u16le(out, f.dos_time);
    u16le(out, f.dos_date);
    let patch = out.len() - start;
    u32le(out, f.crc);
    if zip64 {
        u32le(out, LIMIT32 as u32);
        u32le(out, LIMIT32 as u32);
    } else {
        u32le(out, f.compressed as u32);
        u32le(out, f.size as u32);
    }
    u16le(out, name.len() as u16);
    u16le(out, if zip64 { 20 } else { 0 });
    out.extend_from_slice(name.as_bytes());
    if zip64 {
        u16le(out, ZIP64_EXTRA);
        u16le(out, 16);
        u64le(out, f.size);
        u64le(out, f.compressed);
    }
    patch
}

/// The bytes that replace a local header's CRC and sizes once the data is written (at the
/// offset [`local_header`] returned): the CRC, and then either the two 32-bit sizes, or, in a
/// ZIP64 header, the same placeholders and the ZIP64 extra's sizes after the name.
pub fn patch_local(name: &str, f: &Fields, zip64: bool) -> Vec<(usize, Vec<u8>)> {
    let mut head = f.crc.to_le_bytes().to_vec();
    if !zip64 {
        head.extend_from_slice(&(f.compressed as u32).to_le_bytes());
        head.extend_from_slice(&(f.size as u32).to_le_bytes());
        return vec![(0, head)];
    }
    let mut extra = f.size.to_le_bytes().to_vec();
    extra.extend_from_slice(&f.compressed.to_le_bytes());
    // crc(4) sizes(8) name_len(2) extra_len(2) name, extra id(2) extra len(2)
    vec![(0, head), (16 + name.len() + 4, extra)]
}

/// Appends a central directory header for an entry whose local header is at `offset`. The
/// ZIP64 extra field holds, in the order 4.5.3 gives, only the values that do not fit.
pub fn central_header(out: &mut Vec<u8>, name: &str, f: &Fields, offset: u64) {
    let mut extra = Vec::new();
    let big = |v: u64, extra: &mut Vec<u8>| {
        if v >= LIMIT32 {
            u64le(extra, v);
            LIMIT32 as u32
        } else {
            v as u32
        }
    };
    let size = big(f.size, &mut extra);
    let compressed = big(f.compressed, &mut extra);
    let off = big(offset, &mut extra);
    let zip64 = !extra.is_empty();
    u32le(out, CENTRAL_SIG);
    u16le(out, MADE_BY);
    u16le(out, needed(zip64, f.method));
    u16le(out, flags(name));
    u16le(out, f.method.code());
    u16le(out, f.dos_time);
    u16le(out, f.dos_date);
    u32le(out, f.crc);
    u32le(out, compressed);
    u32le(out, size);
    u16le(out, name.len() as u16);
    u16le(out, if zip64 { extra.len() as u16 + 4 } else { 0 });
    u16le(out, 0); // comment
    u16le(out, 0); // disk number start
    u16le(out, 0); // internal attributes
    u32le(out, EXTERNAL_ATTR);
    u32le(out, off);
    out.extend_from_slice(name.as_bytes());
    if zip64 {
        u16le(out, ZIP64_EXTRA);
        u16le(out, extra.len() as u16);
        out.extend_from_slice(&extra);
    }
}

/// Appends the end records for `count` entries whose central directory of `size` bytes starts
/// at `offset`: the ZIP64 end record and its locator first when any of the three does not fit
/// its classic field, then the classic end record (with 0xFFFF / 0xFFFFFFFF in those fields).
pub fn end_records(out: &mut Vec<u8>, count: u64, size: u64, offset: u64) {
    let zip64 = count >= LIMIT16 || size >= LIMIT32 || offset >= LIMIT32;
    if zip64 {
        let at = offset + size;
        u32le(out, EOCD64_SIG);
        u64le(out, 44); // the record's size after this field
        u16le(out, MADE_BY);
        u16le(out, 45);
        u32le(out, 0); // this disk
        u32le(out, 0); // the disk with the central directory
        u64le(out, count);
        u64le(out, count);
        u64le(out, size);
        u64le(out, offset);
        u32le(out, LOCATOR_SIG);
        u32le(out, 0);
        u64le(out, at);
        u32le(out, 1); // total disks
    }
    let n16 = count.min(LIMIT16) as u16;
    u32le(out, EOCD_SIG);
    u16le(out, 0);
    u16le(out, 0);
    u16le(out, n16);
    u16le(out, n16);
    u32le(out, size.min(LIMIT32) as u32);
    u32le(out, offset.min(LIMIT32) as u32);
    u16le(out, 0); // comment length
}

/// MS-DOS (time, date) of a UTC time in seconds since the epoch (1980 at the earliest, two
/// seconds resolution).
pub fn dos_time(secs: u64) -> (u16, u16) {
    let secs = secs.max(315_532_800); // 1980-01-01
    let (y, m, d) = crate::core::deid::dates::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let time = (((rem / 3600) << 11) | ((rem % 3600 / 60) << 5) | ((rem % 60) / 2)) as u16;
    let date = ((((y - 1980).clamp(0, 127) as u32) << 9) | (m << 5) | d) as u16;
    (time, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(size: u64, compressed: u64) -> Fields {
        Fields {
            method: Method::Stored,
            crc: 0xDEAD_BEEF,
            compressed,
            size,
            dos_time: 0,
            dos_date: 0x21,
        }
    }
    fn u16at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }
    fn u32at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    #[test]
    fn central_header_moves_only_what_does_not_fit_into_zip64() {
        // (size, compressed, offset) -> which go to the extra, in the order size, csize, offset
        let cases: [(u64, u64, u64); 6] = [
            (10, 10, 0),
            (LIMIT32 - 1, LIMIT32 - 1, LIMIT32 - 1),
            (LIMIT32, LIMIT32, 0),
            (5, 5, LIMIT32),
            (6 << 32, 3 << 32, 9 << 32),
            (7 << 32, 100, 12),
        ];
        for (size, comp, off) in cases {
            let mut b = Vec::new();
            central_header(&mut b, "a/é.dcm", &f(size, comp), off);
            let name_len = u16at(&b, 28) as usize;
            assert_eq!(&b[46..46 + name_len], "a/é.dcm".as_bytes());
            assert_eq!(u16at(&b, 8) & FLAG_UTF8, FLAG_UTF8);
            let extra_len = u16at(&b, 30) as usize;
            assert_eq!(b.len(), 46 + name_len + extra_len);
            let mut extra = &b[46 + name_len..];
            let mut big = Vec::new();
            if extra_len > 0 {
                assert_eq!(u16at(extra, 0), ZIP64_EXTRA);
                assert_eq!(u16at(extra, 2) as usize, extra_len - 4);
                extra = &extra[4..];
                assert_eq!(u16at(&b, 6), 45);
            }
            for (field, v) in [(24, size), (20, comp), (42, off)] {
                if v >= LIMIT32 {
                    assert_eq!(u32at(&b, field), u32::MAX);
                    big.push(v);
                } else {
                    assert_eq!(u32at(&b, field) as u64, v);
                }
            }
            let read: Vec<u64> = (0..extra.len() / 8).map(|i| u64at(extra, i * 8)).collect();
            assert_eq!(read, big, "{size} {comp} {off}");
        }
    }

    #[test]
    fn end_records_switch_to_zip64_at_each_limit() {
        let cases: [(u64, u64, u64, bool); 6] = [
            (3, 100, 1000, false),
            (LIMIT16 - 1, LIMIT32 - 1, LIMIT32 - 1, false),
            (LIMIT16, 100, 1000, true),
            (200_000, 1 << 24, 1 << 20, true),
            (3, LIMIT32, 10, true),
            (3, 10, 5 << 32, true),
        ];
        for (count, size, offset, zip64) in cases {
            let mut b = Vec::new();
            end_records(&mut b, count, size, offset);
            let eocd = &b[b.len() - 22..];
            assert_eq!(u32at(eocd, 0), EOCD_SIG);
            assert_eq!(u16at(eocd, 10) as u64, count.min(LIMIT16));
            assert_eq!(u32at(eocd, 12) as u64, size.min(LIMIT32));
            assert_eq!(u32at(eocd, 16) as u64, offset.min(LIMIT32));
            assert_eq!(b.len() == 22 + 56 + 20, zip64, "{count} {size} {offset}");
            if zip64 {
                assert_eq!(u32at(&b, 0), EOCD64_SIG);
                assert_eq!(u64at(&b, 24), count);
                assert_eq!(u64at(&b, 32), count);
                assert_eq!(u64at(&b, 40), size);
                assert_eq!(u64at(&b, 48), offset);
                assert_eq!(u32at(&b, 56), LOCATOR_SIG);
                // the locator points at the ZIP64 end record, right after the directory
                assert_eq!(u64at(&b, 64), offset + size);
            }
        }
    }

    #[test]
    fn a_zip64_local_header_is_patched_in_both_places() {
        let name = "big.dcm";
        let mut b = Vec::new();
        let pre = f(0, 0);
        let at = local_header(&mut b, name, &pre, true);
        let done = f(5 << 32, (5 << 32) + 7);
        for (off, bytes) in patch_local(name, &done, true) {
            b[at + off..at + off + bytes.len()].copy_from_slice(&bytes);
        }
        assert_eq!(u32at(&b, 14), done.crc);
        assert_eq!((u32at(&b, 18), u32at(&b, 22)), (u32::MAX, u32::MAX));
        let extra = 30 + name.len();
        assert_eq!(u16at(&b, extra), ZIP64_EXTRA);
        assert_eq!(u64at(&b, extra + 4), 5 << 32); // uncompressed first
        assert_eq!(u64at(&b, extra + 12), (5 << 32) + 7);
        let mut s = Vec::new();
        let at = local_header(&mut s, name, &pre, false);
        let done = f(12, 9);
        for (off, bytes) in patch_local(name, &done, false) {
            s[at + off..at + off + bytes.len()].copy_from_slice(&bytes);
        }
        assert_eq!((u32at(&s, 18), u32at(&s, 22)), (9, 12));
    }

    #[test]
    fn dos_time_of_known_instants() {
        // 2026-11-30T19:20:05Z -> 19:20:04 (2 s resolution), 2026-11-30
        let (t, d) = dos_time(1_796_066_405);
        assert_eq!((t >> 11, (t >> 5) & 63, (t & 31) * 2), (19, 20, 4));
        assert_eq!((d >> 9) + 1980, 2026);
        assert_eq!(((d >> 5) & 15, d & 31), (11, 30));
        assert_eq!(dos_time(0), (0, (1 << 5) | 1)); // clamped to 1980-01-01
    }
}
