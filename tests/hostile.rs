//! Hostile inputs: files built to mislead the loader must be refused or read correctly, never
//! turn header bytes into exported pixels.

mod common;
mod mutate;

use std::io::Read;

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::export::Status;
use us_dicomizer::core::settings::Settings;

/// A large native file (pixel data left on disk) whose private element carries a fake Pixel
/// Data header, followed by the patient's name, ID and birth date.
fn planted(
    dir: &std::path::Path,
    vr: &[u8; 2],
    name: &str,
    id: &str,
    birth: &str,
) -> std::path::PathBuf {
    let spec = Spec {
        patient_name: name.into(),
        patient_id: id.into(),
        ..Spec::new(Kind::Mono, 1024, 1024, 9)
    };
    let mut obj = demo::build(&spec).unwrap();
    let expected = 1024u32 * 1024 * 9;
    let mut fake = vec![0xE0, 0x7F, 0x10, 0x00];
    fake.extend_from_slice(vr);
    fake.extend_from_slice(&[0, 0]);
    fake.extend_from_slice(&expected.to_le_bytes());
    fake.extend_from_slice(b"PADS");
    obj.put(DataElement::new(
        Tag(0x0009, 0x0010),
        VR::LO,
        PrimitiveValue::from("HOSTILE"),
    ));
    obj.put(DataElement::new(
        Tag(0x0009, 0x1010),
        VR::OB,
        PrimitiveValue::from(fake),
    ));
    obj.put(DataElement::new(
        Tag(0x0010, 0x0030),
        VR::DA,
        PrimitiveValue::from(birth),
    ));
    let path = dir.join("planted.dcm");
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    assert!(bytes.len() > 9 << 20);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_pixel_data_header_planted_in_a_private_element_is_not_exported_as_pixels() {
    let dir = tempfile::tempdir().unwrap();
    for (vr, name, id, birth) in [
        (b"OB", "PLANTED^HEADER", "MRN42424242", "19450317"),
        (b"OW", "ZEBRA^QUINCE", "ID-770077", "19811224"),
    ] {
        let src = planted(dir.path(), vr, name, id, birth);
        let out = dir.path().join(format!("out-{}.zip", id));
        let settings = Settings::defaults();
        let report = common::export_files(
            &[(src, common::user_crop(CropRect::new(0, 0, 1024, 1000)))],
            &out,
            &settings,
        );
        assert_eq!(
            report.files[0].status,
            Status::Exported,
            "{:?}",
            report.files[0].reason
        );
        let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut bytes = Vec::new();
            z.by_index(i).unwrap().read_to_end(&mut bytes).unwrap();
            for needle in [name, id, birth] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "export holds `{needle}`"
                );
            }
        }
        // the exported pixels are the real ones
        let names = common::entry_names(&out);
        let dcm = names.iter().find(|n| n.ends_with(".dcm")).unwrap();
        let f = common::read_entry(&out, dcm);
        let frame = us_dicomizer::core::pixels::decode::decode_full(&f.obj, &f.info, 0).unwrap();
        for (x, y) in [(0u32, 0u32), (5, 0), (300, 400), (1023, 999)] {
            assert_eq!(
                frame.data[(y * 1024 + x) as usize],
                demo::pixel(x, y, 0, 1024, 1024),
                "pixel ({x},{y})"
            );
        }
    }
}

fn limits() -> us_dicomizer::core::settings::LoadSettings {
    Settings::defaults().load
}

fn load_path(p: &std::path::Path) -> Result<us_dicomizer::core::load::LoadedFile, String> {
    us_dicomizer::core::load::load(&common::file_source(p), &limits())
}

/// The bytes of a small valid native file, and the offset of its first data set element.
fn small_file() -> Vec<u8> {
    let obj = demo::build(&Spec::new(Kind::Mono, 32, 24, 1)).unwrap();
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    bytes
}

/// Inserts raw explicit-VR-LE bytes just before the first group-0008 element.
fn insert_before_dataset(bytes: &[u8], insert: &[u8]) -> Vec<u8> {
    let at = (132..bytes.len())
        .step_by(2)
        .find(|&i| bytes[i..i + 2] == [0x08, 0x00])
        .unwrap();
    [&bytes[..at], insert, &bytes[at..]].concat()
}

#[test]
fn deep_nesting_is_refused_on_a_small_worker_stack() {
    let dir = tempfile::tempdir().unwrap();
    for levels in [2_000usize, 50_000] {
        let mut nest = Vec::new();
        for _ in 0..levels {
            // (0004,1220) SQ of undefined length holding one item of undefined length
            nest.extend_from_slice(&[0x04, 0x00, 0x20, 0x12, b'S', b'Q', 0, 0]);
            nest.extend_from_slice(&[0xFF; 4]);
            nest.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let p = dir.path().join(format!("deep{levels}.dcm"));
        std::fs::write(&p, insert_before_dataset(&small_file(), &nest)).unwrap();
        // a 1 MB stack: less than any worker thread gets
        let r = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || load_path(&p).map(|_| ()))
            .unwrap()
            .join()
            .unwrap();
        let e = r.unwrap_err();
        assert!(e.contains("nested deeper than 64"), "{e}");
    }
}

#[test]
fn declared_lengths_beyond_the_file_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let base = small_file();
    // an explicit OB element (0009,1010) declaring 3 GB, and the implicit-VR style 0xFFFFFFFE
    for len in [0xC000_0000u32, 0xFFFF_FFFE, 70_000] {
        let mut el = vec![0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0];
        el.extend_from_slice(&len.to_le_bytes());
        el.extend_from_slice(&[0u8; 64]);
        let p = dir.path().join(format!("len{len}.dcm"));
        std::fs::write(&p, insert_before_dataset(&base, &el)).unwrap();
        let t = std::time::Instant::now();
        let e = load_path(&p).map(|_| ()).unwrap_err();
        assert!(e.contains("remain"), "{len}: {e}");
        assert!(t.elapsed().as_secs() < 5);
    }
}

#[test]
fn jpeg_data_relabelled_rle_gets_a_specific_reason() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        regions: false,
        ..Spec::new(Kind::JpegBaseline, 64, 48, 2)
    };
    let mut obj = demo::build(&spec).unwrap();
    obj.meta_mut().transfer_syntax = "1.2.840.10008.1.2.5\0".into();
    obj.meta_mut().update_information_group_length();
    let p = dir.path().join("relabelled.dcm");
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    std::fs::write(&p, bytes).unwrap();
    let f = load_path(&p).unwrap();
    let e = us_dicomizer::core::pixels::decode::decode_full(&f.obj, &f.info, 0).unwrap_err();
    assert!(e.contains("RLE") && e.contains("segments"), "{e}");
    let e = us_dicomizer::core::export::auto_crop_explained(&f, &Settings::defaults()).unwrap_err();
    assert!(!e.contains("no scan area") && e.contains("segments"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_through_two_ancestors_ends_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = a.join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("x.dcm"), small_file()).unwrap();
    std::os::unix::fs::symlink(&a, b.join("up")).unwrap();
    std::os::unix::fs::symlink(dir.path(), b.join("top")).unwrap();
    let mut l = limits();
    l.follow_symlinks = true;
    let g = us_dicomizer::core::load::gather(&[dir.path().to_path_buf()], &l);
    assert_eq!(g.sources.len(), 1, "{:?}", g.sources);
    assert_eq!(
        g.skipped
            .iter()
            .filter(|s| s.reason.contains("loop"))
            .count(),
        2,
        "{:?}",
        g.skipped
    );
}

/// A fan-out of symbolic links (each level a folder of links to the next, no loop anywhere)
/// multiplies what a walk visits; the walk stops at `load.max_walk_entries` and says so.
#[cfg(unix)]
#[test]
fn a_fan_out_of_symlinks_stops_at_the_walk_limit() {
    let dir = tempfile::tempdir().unwrap();
    let levels: Vec<_> = (0..5).map(|k| dir.path().join(format!("d{k}"))).collect();
    for d in &levels {
        std::fs::create_dir_all(d).unwrap();
    }
    for (k, d) in levels.iter().enumerate().take(4) {
        for i in 0..8 {
            std::os::unix::fs::symlink(&levels[k + 1], d.join(format!("l{i}"))).unwrap();
        }
    }
    for i in 0..10 {
        std::fs::write(levels[4].join(format!("f{i}.dcm")), b"x").unwrap();
    }
    // 8^4 paths to the last folder, 40,960 files through the links
    let mut l = limits();
    l.follow_symlinks = true;
    l.max_walk_entries = 5_000;
    let g = us_dicomizer::core::load::gather(std::slice::from_ref(&levels[0]), &l);
    assert!(g.sources.len() < 5_000, "{} sources", g.sources.len());
    let stops: Vec<_> = g
        .skipped
        .iter()
        .filter(|s| s.reason.contains("load.max_walk_entries (5000)"))
        .collect();
    assert_eq!(stops.len(), 1, "{:?}", g.skipped);
    // without links followed, the same tree is small and walked whole
    l.follow_symlinks = false;
    let g = us_dicomizer::core::load::gather(std::slice::from_ref(&levels[4]), &l);
    assert_eq!(g.sources.len(), 10);
}

/// Loads and decodes the last frame of one input on a thread with a small
/// stack; returns what happened in a word. A panic that escapes fails the test.
fn exercise(path: std::path::PathBuf) -> &'static str {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let settings = Settings::defaults();
            let f =
                match us_dicomizer::core::load::load(&common::file_source(&path), &settings.load) {
                    Ok(f) => f,
                    Err(reason) => {
                        assert!(!reason.trim().is_empty());
                        return "refused";
                    }
                };
            // the last frame: the one most often cut off
            let last = f.info.frames - 1;
            match us_dicomizer::core::pixels::decode::decode_full(&f.obj, &f.info, last) {
                Ok(_) => "decoded",
                Err(reason) => {
                    assert!(!reason.trim().is_empty());
                    "undecodable"
                }
            }
        })
        .unwrap()
        .join()
        .expect("no panic escapes and the stack holds")
}

#[test]
fn seeded_mutations_end_as_reasons_not_aborts() {
    let bases: Vec<_> = mutate::bases()
        .into_iter()
        .filter(|(_, b)| b.len() <= 200 << 10)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut r = mutate::Rng::new(13);
    let mut tally = std::collections::BTreeMap::new();
    for case in 0..300 {
        let (_, base) = &bases[case % bases.len()];
        let (_, other) = &bases[r.below(bases.len())];
        let (kind, bytes) = mutate::mutate(&mut r, base, other);
        let p = dir.path().join(format!("case{case}.dcm"));
        std::fs::write(&p, &bytes).unwrap();
        let what = exercise(p.clone());
        *tally.entry((kind, what)).or_insert(0) += 1;
        std::fs::remove_file(&p).unwrap();
    }
    eprintln!("{tally:?}");
    // the mutations really reach every outcome
    assert!(tally
        .iter()
        .any(|((k, w), _)| *k == "nesting" && *w == "refused"));
    assert!(tally.iter().any(|((_, w), _)| *w == "decoded"));
}
