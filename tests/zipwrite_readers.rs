//! Our streaming ZIP writer (`core::zipwrite`) read by others: the zip crate, Python's
//! `zipfile`, Info-ZIP's `unzip -t` and `zipinfo` (skipped with a note where a tool is
//! missing; `.ci/run` installs them). Names, bytes, CRCs, methods and timestamps; ZIP64 end
//! records by count (more than 65,535 entries).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use us_dicomizer::core::zipwrite::{Method, Ready, ZipOut};

/// Pseudo-random bytes with runs (so that deflate has something to do), from a seed.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (i / 100) % 2 == 0 {
                (i / 100) as u8
            } else {
                x as u8
            }
        })
        .collect()
}

fn crc(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(data);
    h.finalize()
}

fn new_zip(path: &Path) -> ZipOut<std::fs::File> {
    let file = std::fs::File::create(path).unwrap();
    ZipOut::new(file, tempfile::tempfile_in(path.parent().unwrap()).unwrap())
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("-h")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty())
        .unwrap_or(false);
    if !ok {
        eprintln!("NOTE: `{name}` not installed; its check is skipped");
    }
    ok
}

/// Python's view: one line per entry (name, CRC, size, method, date_time), then testzip's
/// verdict (every CRC checked) and the count.
fn python_view(path: &Path) -> Option<String> {
    let script = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    print(repr(i.filename), i.CRC, i.file_size, i.compress_type, list(i.date_time))
print("testzip", z.testzip())
print("count", len(z.infolist()))
"#;
    match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "python zipfile: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8(o.stdout).unwrap())
        }
        Err(_) => {
            eprintln!("NOTE: python3 not installed; its check is skipped");
            None
        }
    }
}

fn unzip_test(path: &Path) {
    if !tool("unzip") {
        return;
    }
    let o = Command::new("unzip").arg("-tq").arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("No errors detected"),
        "unzip -t: {text} {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn our_archives_read_the_same_in_the_zip_crate_python_and_unzip() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("out.zip");
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut z = new_zip(&path);
    let mut want: Vec<(String, Vec<u8>, Method)> = Vec::new();
    let names = [
        "plain.dcm",
        "résumé/é.txt",
        "日本語の名前.dcm",
        "a b/c,d;e.json",
    ];
    for (k, size) in [0usize, 1, 4_000, 700_000, 3_000_001]
        .into_iter()
        .enumerate()
    {
        for (j, method) in [Method::Stored, Method::Deflated].into_iter().enumerate() {
            let data = bytes((k * 2 + j) as u64, size);
            let base = names[(k + j) % names.len()];
            let ready = format!("ready{k}{j}-{base}");
            z.add(&ready, &Ready::new(data.clone(), method).unwrap())
                .unwrap();
            let streamed = format!("stream{k}{j}-{base}");
            let mut e = z.start(&streamed, method).unwrap();
            for piece in data.chunks(300_007) {
                e.write_all(piece).unwrap();
            }
            e.finish().unwrap();
            let at_hand = format!("bytes{k}{j}-{base}");
            z.add_bytes(&at_hand, &data, method).unwrap();
            for n in [ready, streamed, at_hand] {
                want.push((n, data.clone(), method));
            }
        }
    }
    z.finish().unwrap().sync_all().unwrap();

    // the zip crate: names, bytes (its reader checks each CRC), methods, the time of writing
    let mut a = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(a.len(), want.len());
    for (i, (name, data, method)) in want.iter().enumerate() {
        let mut f = a.by_index(i).unwrap();
        assert_eq!(f.name().unwrap(), name.as_str());
        assert_eq!(f.crc32(), crc(data), "{name}");
        assert_eq!(f.size(), data.len() as u64);
        let m = match method {
            Method::Stored => zip::CompressionMethod::Stored,
            Method::Deflated => zip::CompressionMethod::Deflated,
        };
        assert_eq!(f.compression(), m, "{name}");
        let t = f.last_modified().unwrap();
        let secs = us_dicomizer::core::export::manifest::utc_timestamp(started);
        // 2026-11-30T19:20:05Z: the same day and hour (minute within one of the start)
        let day = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
        assert_eq!(day, secs[..10], "{name}");
        let minute = u32::from(t.hour()) * 60 + u32::from(t.minute());
        let want_minute: u32 =
            secs[11..13].parse::<u32>().unwrap() * 60 + secs[14..16].parse::<u32>().unwrap();
        assert!(minute.abs_diff(want_minute) <= 1, "{name}: {t:?} vs {secs}");
        let mut got = Vec::new();
        f.read_to_end(&mut got).unwrap();
        assert!(got == *data, "{name}: bytes differ");
    }

    // Python: the same names (UTF-8 flag honoured), CRCs, sizes, methods; testzip finds none bad
    if let Some(view) = python_view(&path) {
        let lines: Vec<&str> = view.lines().collect();
        assert_eq!(lines.len(), want.len() + 2, "{view}");
        for (line, (name, data, method)) in lines.iter().zip(&want) {
            let m = match method {
                Method::Stored => 0,
                Method::Deflated => 8,
            };
            let start = format!("'{name}' {} {} {m} [", crc(data), data.len());
            assert!(line.starts_with(&start), "{line} vs {start}");
        }
        assert_eq!(lines[want.len()], "testzip None");
    }

    unzip_test(&path);
    if tool("zipinfo") {
        let o = Command::new("zipinfo")
            .arg("-1")
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success());
        let listed: Vec<String> = String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let names: Vec<&String> = want.iter().map(|w| &w.0).collect();
        assert_eq!(listed.iter().collect::<Vec<_>>(), names);
    }
}

#[test]
fn more_than_65535_entries_get_the_zip64_end_records() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("many.zip");
    let n = 70_001u64;
    let mut z = new_zip(&path);
    for i in 0..n {
        let body = format!("{i}");
        let method = if i % 2 == 0 {
            Method::Stored
        } else {
            Method::Deflated
        };
        z.add_bytes(&format!("d{}/{i:06}.txt", i % 7), body.as_bytes(), method)
            .unwrap();
    }
    assert_eq!(z.count(), n);
    z.finish().unwrap().sync_all().unwrap();
    let raw = std::fs::read(&path).unwrap();
    // the classic end record says "see ZIP64" (0xFFFF), the ZIP64 record holds the count
    let eocd = &raw[raw.len() - 22..];
    assert_eq!(&eocd[..4], b"PK\x05\x06");
    assert_eq!(u16::from_le_bytes([eocd[10], eocd[11]]), 0xFFFF);
    let z64 = &raw[raw.len() - 22 - 20 - 56..];
    assert_eq!(&z64[..4], b"PK\x06\x06");
    assert_eq!(u64::from_le_bytes(z64[32..40].try_into().unwrap()), n);

    let mut a = zip::ZipArchive::new(std::io::Cursor::new(raw)).unwrap();
    assert_eq!(a.len() as u64, n);
    for i in [0u64, 1, 65_534, 65_535, 65_536, n - 1] {
        let mut f = a.by_index(i as usize).unwrap();
        assert_eq!(f.name().unwrap(), format!("d{}/{i:06}.txt", i % 7));
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, i.to_string());
    }
    if let Some(view) = python_view(&path) {
        let tail: Vec<&str> = view.lines().rev().take(2).collect();
        assert_eq!(tail, [format!("count {n}").as_str(), "testzip None"]);
    }
    unzip_test(&path);
}

mod common;

/// `deflate_native`: the export deflates native entries on its workers; they read back as the
/// same DICOM bytes as the stored export of the same inputs, and `unzip -t` passes.
#[test]
fn deflated_native_entries_read_back_as_the_stored_ones() {
    use us_dicomizer::core::demo::Kind;
    use us_dicomizer::core::settings::{Encoding, Settings};
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = [(Kind::Mono, 1), (Kind::Rgb, 3), (Kind::Mono, 4)]
        .into_iter()
        .enumerate()
        .map(|(i, (kind, frames))| {
            let spec = common::fixture_spec(kind, 320, 240, frames, i as u32 + 1);
            let p = common::write_fixture(dir.path(), &format!("f{i}.dcm"), &spec);
            let crop = us_dicomizer::core::crop::CropRect::new(16, 8, 300, 230);
            (p, common::user_crop(crop))
        })
        .collect();
    let mut archives = Vec::new();
    for deflate in [false, true] {
        let mut settings = Settings::defaults();
        settings.output.encoding = Encoding::Preserve;
        settings.output.deflate_native = deflate;
        let out = dir.path().join(format!("out-{deflate}.zip"));
        let report = common::export_files(&files, &out, &settings);
        assert_eq!(report.summary.exported, 3);
        unzip_test(&out);
        archives.push(out);
    }
    let open = |p: &Path| zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
    let (mut stored, mut deflated) = (open(&archives[0]), open(&archives[1]));
    let dicom: Vec<String> = common::entry_names(&archives[0])
        .into_iter()
        .filter(|n| n.ends_with(".dcm"))
        .collect();
    assert_eq!(dicom.len(), 3);
    for name in &dicom {
        let mut a = stored.by_name(name).unwrap();
        let mut b = deflated.by_name(name).unwrap();
        assert_eq!(a.compression(), zip::CompressionMethod::Stored);
        assert_eq!(b.compression(), zip::CompressionMethod::Deflated);
        assert!(b.compressed_size() < b.size(), "{name}");
        let (mut x, mut y) = (Vec::new(), Vec::new());
        a.read_to_end(&mut x).unwrap();
        b.read_to_end(&mut y).unwrap();
        assert!(x == y, "{name}: the deflated entry differs");
    }
}
