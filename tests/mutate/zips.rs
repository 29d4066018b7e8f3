//! Hostile ZIP archives for the harness and the tests: shared names, lying sizes and offsets,
//! bombs, truncation, and (fresh) nested archives, ZIP64 entries with lying sizes, path
//! traversal and absolute names, encrypted members, symbolic links, empty, unicode and
//! control-character names, unsupported methods, hundreds of duplicates.

use std::io::Write;
use std::path::{Path, PathBuf};

type Opts = zip::write::SimpleFileOptions;

fn stored() -> Opts {
    Opts::default().compression_method(zip::CompressionMethod::Stored)
}

/// An archive of `members` (name, bytes, options).
pub fn zip_bytes(members: &[(&str, &[u8], Opts)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b, o) in members {
        z.start_file(*n, *o).unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn sites(b: &[u8], sig: &[u8; 4]) -> Vec<usize> {
    (0..b.len().saturating_sub(4))
        .filter(|&p| b[p..p + 4] == *sig)
        .collect()
}

/// Replaces every occurrence of `from` by `to` (same length) in the bytes.
fn rename_in_place(b: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    for p in 0..b.len().saturating_sub(from.len() - 1) {
        if &b[p..p + from.len()] == from {
            b[p..p + from.len()].copy_from_slice(to);
        }
    }
}

/// Writes the hostile archives into `dir`: (label, path). `full` makes the bomb 200 MB (else
/// 16 MB) and the duplicates 500 (else 100).
pub fn hostile_zips(dir: &Path, dicom: &[u8], full: bool) -> Vec<(String, PathBuf)> {
    let (bomb_mb, dups) = if full { (200, 500) } else { (16, 100) };
    let mut out = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| {
        let p = dir.join(format!("{}.zip", name.replace(' ', "-")));
        std::fs::write(&p, bytes).unwrap();
        out.push((name.to_string(), p));
    };
    let o = Opts::default();
    let base = zip_bytes(&[
        ("a.dcm", dicom, o),
        ("c.dcm", dicom, o),
        ("b.dcm", dicom, o),
    ]);
    let mut good = base.clone();
    // the zip writer refuses a name twice: rename c.dcm to a.dcm in the bytes
    rename_in_place(&mut good, b"c.dcm", b"a.dcm");
    add("duplicate names", good.clone());
    add("truncated", good[..good.len() * 2 / 3].to_vec());
    let mut lying = good.clone();
    // every central directory entry: sizes 0xFFFFFFF0, local header offsets far away
    let cd = sites(&lying, b"PK\x01\x02");
    for &p in &cd {
        lying[p + 24..p + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    }
    add("lying sizes", lying.clone());
    for &p in &cd {
        lying[p + 42..p + 46].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    }
    add("offsets outside", lying);
    let mut count = good.clone();
    let e = *sites(&count, b"PK\x05\x06").last().unwrap();
    count[e + 10..e + 12].copy_from_slice(&0xFFFFu16.to_le_bytes());
    count[e + 8..e + 10].copy_from_slice(&0xFFFFu16.to_le_bytes());
    add("entry count lie", count);
    // a bomb: MBs of zeros
    {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = Opts::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("zeros.dcm", o).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..bomb_mb {
            z.write_all(&chunk).unwrap();
        }
        add("bomb", z.finish().unwrap().into_inner());
    }
    let mut flipped = good.clone();
    for k in (30..flipped.len()).step_by(97) {
        flipped[k] ^= 0x5A;
    }
    add("flipped bytes", flipped);

    // --- fresh kinds ---
    // nested: a ZIP member, a ZIP disguised as .dcm, three levels deep
    let inner = zip_bytes(&[("in.dcm", dicom, o)]);
    let inner2 = zip_bytes(&[("inner.zip", &inner, stored()), ("x.dcm", dicom, o)]);
    add(
        "nested zips",
        zip_bytes(&[
            ("inner.zip", &inner2, o),
            ("disguised.dcm", &inner, o),
            ("ok.dcm", dicom, o),
        ]),
    );
    // ZIP64 entries, then with their 64-bit sizes lying
    let z64 = zip_bytes(&[
        ("big/a.dcm", dicom, o.large_file(true)),
        ("big/b.dcm", dicom, stored().large_file(true)),
    ]);
    add("zip64", z64.clone());
    let mut z64l = z64.clone();
    for p in sites(&z64l, &[0x01, 0x00, 0x10, 0x00]) {
        // a ZIP64 extra field (header id 1, 16 bytes of sizes here): 2^62 bytes each
        if p + 20 <= z64l.len() {
            z64l[p + 4..p + 12].copy_from_slice(&(1u64 << 62).to_le_bytes());
            z64l[p + 12..p + 20].copy_from_slice(&3u64.to_le_bytes());
        }
    }
    add("zip64 lying", z64l);
    // names that climb out, are absolute, or carry a drive
    add(
        "traversal names",
        zip_bytes(&[
            ("../../../../tmp/evil.dcm", dicom, o),
            ("/etc/absolute.dcm", dicom, o),
            ("C:\\Windows\\drive.dcm", dicom, o),
            ("a/../../b.dcm", dicom, o),
            ("./././dot.dcm", dicom, o),
        ]),
    );
    // encrypted: the flag set on every entry (the data is not really encrypted)
    let mut enc = base.clone();
    for p in sites(&enc, b"PK\x03\x04") {
        enc[p + 6] |= 1;
    }
    for p in sites(&enc, b"PK\x01\x02") {
        enc[p + 8] |= 1;
    }
    add("encrypted", enc);
    // symbolic links to system files, to themselves and out of the archive
    {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.add_symlink("passwd.dcm", "/etc/passwd", o).unwrap();
        z.add_symlink("loop.dcm", "loop.dcm", o).unwrap();
        z.add_symlink("up.dcm", "../../../secret.dcm", o).unwrap();
        z.start_file("real.dcm", o).unwrap();
        z.write_all(dicom).unwrap();
        add("symlinks", z.finish().unwrap().into_inner());
    }
    // an empty name: the name length set to 0 in both headers, its bytes moved to the extra
    let mut empty = zip_bytes(&[("e.dcm", dicom, stored()), ("f.dcm", dicom, stored())]);
    for p in sites(&empty, b"PK\x03\x04") {
        if empty[p + 30..p + 35] == *b"e.dcm" {
            let extra = u16::from_le_bytes([empty[p + 28], empty[p + 29]]) + 5;
            empty[p + 26..p + 28].copy_from_slice(&0u16.to_le_bytes());
            empty[p + 28..p + 30].copy_from_slice(&extra.to_le_bytes());
        }
    }
    for p in sites(&empty, b"PK\x01\x02") {
        if empty[p + 46..p + 51] == *b"e.dcm" {
            let extra = u16::from_le_bytes([empty[p + 30], empty[p + 31]]) + 5;
            empty[p + 28..p + 30].copy_from_slice(&0u16.to_le_bytes());
            empty[p + 30..p + 32].copy_from_slice(&extra.to_le_bytes());
        }
    }
    add("empty name", empty);
    // unicode, right-to-left override, terminal escapes, new lines, a 4,000-character name
    let long = format!("{}.dcm", "é".repeat(2000));
    add(
        "unicode names",
        zip_bytes(&[
            ("étude/患者 Müller.dcm", dicom, o),
            ("\u{202E}mcd.exe", dicom, o),
            ("\x1b[2J\x1b[31mred.dcm", dicom, o),
            ("line\nbreak\r.dcm", dicom, o),
            (long.as_str(), dicom, o),
        ]),
    );
    // names that are not UTF-8 (the UTF-8 flag off, bytes 0x80-0xFF)
    let mut latin = zip_bytes(&[("xxxx.dcm", dicom, o)]);
    rename_in_place(&mut latin, b"xxxx.dcm", b"\xe9\xff\x80\x00.dcm");
    add("non-utf8 name", latin);
    // a hundred or more members with one name (renamed in their headers)
    {
        let names: Vec<String> = (0..dups).map(|i| format!("d{i:03}.dcm")).collect();
        let members: Vec<(&str, &[u8], Opts)> =
            names.iter().map(|n| (n.as_str(), dicom, o)).collect();
        let mut b = zip_bytes(&members);
        for p in sites(&b, b"PK\x03\x04") {
            if b.len() >= p + 38 && b[p + 30] == b'd' {
                b[p + 30..p + 38].copy_from_slice(b"d000.dcm");
            }
        }
        for p in sites(&b, b"PK\x01\x02") {
            if b.len() >= p + 54 && b[p + 46] == b'd' {
                b[p + 46..p + 54].copy_from_slice(b"d000.dcm");
            }
        }
        add("duplicates", b);
    }
    // an unsupported method (99, AES marker) and a stored member whose CRC lies
    let mut m99 = base.clone();
    for p in sites(&m99, b"PK\x03\x04") {
        m99[p + 8..p + 10].copy_from_slice(&99u16.to_le_bytes());
    }
    for p in sites(&m99, b"PK\x01\x02") {
        m99[p + 10..p + 12].copy_from_slice(&99u16.to_le_bytes());
    }
    add("method 99", m99);
    let mut crc = zip_bytes(&[("s.dcm", dicom, stored())]);
    for p in sites(&crc, b"PK\x01\x02") {
        crc[p + 16] ^= 0xFF;
    }
    add("crc lie", crc);
    // every local header offset pointing at the central directory
    let mut into_cd = good.clone();
    let first_cd = sites(&into_cd, b"PK\x01\x02")[0] as u32;
    for p in sites(&into_cd, b"PK\x01\x02") {
        into_cd[p + 42..p + 46].copy_from_slice(&first_cd.to_le_bytes());
    }
    add("offsets into directory", into_cd);
    out
}
