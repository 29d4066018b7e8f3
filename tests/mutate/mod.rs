//! Seeded mutations of DICOM files for the hostile-input test and harness: declared lengths,
//! VRs, transfer syntax, nesting, truncation, splices, fragment lengths, byte flips.
#![allow(dead_code)]

pub mod fresh;
pub mod zips;

/// A small deterministic generator (splitmix64): the same seed gives the same cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const VRS: [&[u8; 2]; 12] = [
    b"SQ", b"UN", b"OB", b"OW", b"UT", b"LO", b"US", b"UL", b"FD", b"AT", b"ZZ", b"\0\0",
];

/// Positions just after a plausible explicit VR code (the place of the length field).
pub fn vr_sites(b: &[u8]) -> Vec<usize> {
    const KNOWN: [&[u8; 2]; 26] = [
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"OB",
        b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"TM", b"UI", b"UL", b"UN", b"US", b"UT",
    ];
    (132..b.len().saturating_sub(8))
        .filter(|&p| KNOWN.iter().any(|v| b[p..p + 2] == v[..]) && b[p - 4].is_multiple_of(2))
        .collect()
}

pub fn item_sites(b: &[u8]) -> Vec<usize> {
    (132..b.len().saturating_sub(8))
        .filter(|&p| b[p..p + 4] == [0xFE, 0xFF, 0x00, 0xE0])
        .collect()
}

pub fn hostile_len(r: &mut Rng, file_len: usize) -> u32 {
    let (a, b) = (r.next() as u32, (r.next() % 4096) as u32);
    *r.pick(&[
        0xFFFF_FFFF,
        0xFFFF_FFFE,
        0x7FFF_FFFF,
        0xC000_0000,
        (file_len as u32).wrapping_mul(2),
        file_len as u32 + 1,
        a,
        b,
        1,
        0,
    ])
}

fn nest(levels: usize, defined: bool) -> Vec<u8> {
    let mut n = Vec::new();
    for k in 0..levels {
        n.extend_from_slice(&[0x04, 0x00, 0x20, 0x12, b'S', b'Q', 0, 0]);
        if defined {
            // lengths that claim the rest of the nest (each level 20 bytes of headers)
            let inner = ((levels - k) * 20 - 12) as u32;
            n.extend_from_slice(&inner.to_le_bytes());
            n.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
            n.extend_from_slice(&(inner - 8).to_le_bytes());
        } else {
            n.extend_from_slice(&[0xFF; 4]);
            n.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
    }
    n
}

const SYNTAXES: [&str; 10] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.1.99",
];

/// Replaces the Transfer Syntax UID value in place (same value length, NUL padded).
fn retag_syntax(b: &mut [u8], r: &mut Rng) -> bool {
    let ts = *r.pick(&SYNTAXES);
    retag_to(b, ts)
}

/// Replaces the Transfer Syntax UID value with `ts` in place (same value length, NUL padded).
pub fn retag_to(b: &mut [u8], ts: &str) -> bool {
    let Some(p) = (0..b.len().min(1024).saturating_sub(8))
        .find(|&p| b[p..p + 6] == [0x02, 0x00, 0x10, 0x00, b'U', b'I'])
    else {
        return false;
    };
    let len = u16::from_le_bytes([b[p + 6], b[p + 7]]) as usize;
    let ts = ts.as_bytes();
    if ts.len() > len || p + 8 + len > b.len() {
        return false;
    }
    let v = &mut b[p + 8..p + 8 + len];
    v.fill(0);
    v[..ts.len()].copy_from_slice(ts);
    true
}

/// One mutation of `base` (with `other` for splices): a label of the kind and the bytes.
pub fn mutate(r: &mut Rng, base: &[u8], other: &[u8]) -> (&'static str, Vec<u8>) {
    let mut b = base.to_vec();
    let first_dataset = (132..b.len().saturating_sub(2))
        .step_by(2)
        .find(|&i| b[i..i + 2] == [0x08, 0x00])
        .unwrap_or(132.min(b.len()));
    let kind = r.below(20);
    if kind >= 10 {
        return fresh::mutate(r, kind - 10, b);
    }
    let label = match kind {
        0 => {
            let sites = vr_sites(&b);
            if sites.is_empty() {
                return ("flip", flip(r, b));
            }
            for _ in 0..1 + r.below(2) {
                let p = *r.pick(&sites);
                let long = matches!(&b[p..p + 2], b"OB" | b"OW" | b"SQ" | b"UN" | b"UT");
                let v = hostile_len(r, base.len());
                if long {
                    b[p + 4..p + 8].copy_from_slice(&v.to_le_bytes());
                } else {
                    b[p + 2..p + 4].copy_from_slice(&(v as u16).to_le_bytes());
                }
            }
            "length"
        }
        1 => {
            let sites = vr_sites(&b);
            if sites.is_empty() {
                return ("flip", flip(r, b));
            }
            let p = *r.pick(&sites);
            let vr = r.pick(&VRS);
            b[p..p + 2].copy_from_slice(&vr[..]);
            "vr"
        }
        2 => {
            if !retag_syntax(&mut b, r) {
                return ("flip", flip(r, b));
            }
            "transfer syntax"
        }
        3 => {
            let levels = *r.pick(&[2usize, 63, 65, 500, 3_000, 20_000]);
            let n = nest(levels, r.below(2) == 0);
            b.splice(first_dataset..first_dataset, n);
            "nesting"
        }
        4 => {
            let cut = 132 + r.below(b.len().saturating_sub(132).max(1));
            b.truncate(cut);
            "truncation"
        }
        5 => {
            let from = r.below(other.len().max(1));
            let n = r.below(4096).min(other.len() - from.min(other.len()));
            let at = 132.min(b.len()) + r.below(b.len().saturating_sub(132).max(1));
            let chunk = other[from.min(other.len())..from.min(other.len()) + n].to_vec();
            b.splice(at..at, chunk);
            "splice"
        }
        6 => {
            let sites = item_sites(&b);
            if sites.is_empty() {
                return ("flip", flip(r, b));
            }
            let p = *r.pick(&sites);
            let v = hostile_len(r, base.len());
            b[p + 4..p + 8].copy_from_slice(&v.to_le_bytes());
            "fragment length"
        }
        7 => {
            // image header values: rows, columns, frames, bits
            let targets: [[u8; 4]; 5] = [
                [0x28, 0x00, 0x10, 0x00],
                [0x28, 0x00, 0x11, 0x00],
                [0x28, 0x00, 0x08, 0x00],
                [0x28, 0x00, 0x00, 0x01],
                [0x28, 0x00, 0x02, 0x00],
            ];
            let t = r.pick(&targets);
            if let Some(p) = (132..b.len().saturating_sub(12)).find(|&p| b[p..p + 4] == t[..]) {
                let v = *r.pick(&[0u16, 1, 3, 0xFFFF, 0x8000, 7, 12, 33]);
                if &b[p + 4..p + 6] == b"IS" {
                    let len = u16::from_le_bytes([b[p + 6], b[p + 7]]) as usize;
                    let s = format!("{:<w$}", r.next() % 100_000, w = len);
                    if s.len() == len && p + 8 + len <= b.len() {
                        b[p + 8..p + 8 + len].copy_from_slice(s.as_bytes());
                    }
                } else {
                    b[p + 8..p + 10].copy_from_slice(&v.to_le_bytes());
                }
            }
            "image header"
        }
        8 => {
            // a chunk of the same file repeated
            let from = 132.min(b.len()) + r.below(b.len().saturating_sub(132).max(1));
            let n = r.below(512).min(b.len() - from);
            let chunk = b[from..from + n].to_vec();
            let at = 132.min(b.len()) + r.below(b.len().saturating_sub(132).max(1));
            for _ in 0..1 + r.below(8) {
                b.splice(at..at, chunk.iter().copied());
            }
            "duplicate chunk"
        }
        _ => return ("flip", flip(r, b)),
    };
    (label, b)
}

pub fn flip(r: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    if b.len() > 132 {
        for _ in 0..1 + r.below(16) {
            let p = 132 + r.below(b.len() - 132);
            b[p] = r.next() as u8;
        }
    }
    b
}

/// The files to mutate: the shared corpus's DICOM files when present, and generated demo files.
pub fn bases() -> Vec<(String, Vec<u8>)> {
    use us_dicomizer::core::demo::{self, Kind, Spec};
    let mut out = Vec::new();
    for (i, kind) in [
        Kind::Mono,
        Kind::Rgb,
        Kind::Ybr422Native,
        Kind::JpegBaseline,
    ]
    .into_iter()
    .enumerate()
    {
        let spec = Spec {
            instance: i as u32 + 1,
            ..Spec::new(kind, 96, 64, 2)
        };
        let obj = demo::build(&spec).expect("demo builds");
        let mut bytes = Vec::new();
        obj.write_all(&mut bytes).expect("demo writes");
        out.push((format!("demo {kind:?}"), bytes));
    }
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/dicom");
    if let Ok(rd) = std::fs::read_dir(&corpus) {
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let is_dicom = name.ends_with(".dcm") || name.starts_with("broken_");
            let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(u64::MAX);
            if is_dicom && size < 4 << 20 {
                if let Ok(b) = std::fs::read(&p) {
                    out.push((name, b));
                }
            }
        }
    }
    out
}
