//! The key-count goals, end to end through the real keymap and reducer on real files: the
//! 5-file demo exam (crop all, tag all, export) in at most 25 keys, and a 20-file exam with a
//! device preset in at most 5 keys per file. Each run checks the ZIP that comes out.

mod tui_common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use tui_common::*;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::settings::{CropPreset, Settings};
use us_dicomizer::tui::keymap::Mode;

/// Entry name -> (rows, columns) of each DICOM entry, and the manifest JSON.
fn read_zip(path: &Path) -> (BTreeMap<String, (u32, u32)>, serde_json::Value) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut dims = BTreeMap::new();
    let mut manifest = serde_json::Value::Null;
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        if name == "manifest.json" {
            manifest = serde_json::from_slice(&bytes).unwrap();
        } else if name.ends_with(".dcm") {
            let obj = dicom_object::from_reader(&bytes[128..]).expect("a DICOM entry");
            let num = |t| obj.element(t).unwrap().to_int::<u32>().expect("a number");
            dims.insert(
                name,
                (
                    num(dicom_dictionary_std::tags::ROWS),
                    num(dicom_dictionary_std::tags::COLUMNS),
                ),
            );
        }
    }
    (dims, manifest)
}

fn settings_exporting_to(dir: &Path) -> Settings {
    let mut s = Settings::defaults();
    s.output.export_dir = dir.display().to_string();
    s
}

#[test]
fn demo_exam_end_to_end_in_at_most_25_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let exam = tmp.path().join("exam");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let paths = demo::write_exam(&exam).unwrap();
    let mut d = Driver::new();
    let mut s = state_on(
        std::slice::from_ref(&exam),
        settings_exporting_to(&out_dir),
        &mut d,
    );
    assert_eq!(s.files.len(), paths.len());
    assert_eq!(s.counts().ready, 0, "nothing is ready before the work");

    // Crop: automatic crop, applied to every 640x480 file (asks), then the 800x600 one.
    d.press(&mut s, "c a A y");
    d.press(&mut s, "G c a enter");
    // Tags: the menu on the first file moves on to the next; `.` repeats the tags there
    // (and closes the menu on the last file).
    d.press(&mut s, "g g t 1 1 1 . . . .");
    assert_eq!(s.mode, Mode::Files);
    assert_eq!(s.counts().ready, 5, "{:?}", s.counts());
    // Export: pseudonym, the default destination (in the export folder), yes.
    d.press(&mut s, "e");
    d.type_text(&mut s, "P01");
    d.press(&mut s, "enter");
    let dest = s.prompt.as_ref().expect("destination prompt").text.clone();
    assert_eq!(
        Path::new(&dest),
        out_dir.join("P01.zip"),
        "the default destination is the export folder, not the working directory"
    );
    d.press(&mut s, "enter y");
    assert!(d.keys <= 25, "{} keys", d.keys);
    eprintln!("demo exam: {} keys", d.keys);

    let report = d.report.as_ref().expect("the export ran");
    assert_eq!(report.summary.exported, 5, "{:?}", report.files);
    let (dims, manifest) = read_zip(&out_dir.join("P01.zip"));
    assert_eq!(dims.len(), 5, "{dims:?}");
    // Every entry is cropped: smaller than its input.
    for (name, (rows, cols)) in &dims {
        assert!(*rows < 600 && *cols < 800, "{name}: {rows}x{cols}");
    }
    assert!(dims.values().filter(|(r, c)| *r < 480 && *c < 640).count() >= 4);
    assert_eq!(manifest["pseudonym"], "P01");
    assert!(manifest["exported_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(manifest["not_exported"].as_array().unwrap().len(), 0);
    for e in manifest["entries"].as_array().unwrap() {
        assert_eq!(e["tags"]["position"], "CFV", "{e}");
        assert_eq!(e["tags"]["side"], "L", "{e}");
    }
}

#[test]
fn twenty_files_with_a_device_preset_in_at_most_5_keys_per_file() {
    let tmp = tempfile::tempdir().unwrap();
    let exam = tmp.path().join("exam");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&exam).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    for i in 1..=20 {
        let spec = Spec {
            instance: i,
            ..Spec::new(Kind::Mono, 640, 480, 1)
        };
        demo::write_file(&exam.join(format!("f{i:02}.dcm")), &spec).unwrap();
    }
    let mut d = Driver::new();
    let mut settings = settings_exporting_to(&out_dir);
    // The device preset (as `S` in crop mode would have saved it).
    let probe = us_dicomizer::core::load::load(
        &us_dicomizer::core::load::gather(&[exam.join("f01.dcm")], &settings.load).sources[0],
        &settings.load,
    )
    .unwrap();
    settings.crop.preset.push(CropPreset {
        name: "demo device".into(),
        manufacturer: probe.info.manufacturer.trim().into(),
        model: probe.info.model.trim().into(),
        columns: 640,
        rows: 480,
        single: [32, 48, 608, 448],
        multi: None,
    });
    let mut s = state_on(std::slice::from_ref(&exam), settings, &mut d);
    assert_eq!(s.files.len(), 20);
    assert_eq!(s.counts().duplicates, 0);

    // The preset is proposed in crop mode; applied to all files of the geometry.
    d.press(&mut s, "c A y");
    // Tags file by file (left and right alternate): the menu moves to the next file.
    d.press(&mut s, "g g t");
    for i in 0..20 {
        let side = if i % 2 == 0 { "1" } else { "2" };
        d.press(&mut s, &format!("1 {side} 1"));
    }
    assert_eq!(s.mode, Mode::Files, "the menu closes after the last file");
    d.press(&mut s, "e");
    d.type_text(&mut s, "P02");
    d.press(&mut s, "enter enter y");
    let per_file = d.keys as f64 / 20.0;
    eprintln!("20-file exam: {} keys, {per_file:.2} per file", d.keys);
    assert!(per_file <= 5.0, "{} keys", d.keys);

    let (dims, manifest) = read_zip(&out_dir.join("P02.zip"));
    assert_eq!(dims.len(), 20);
    assert!(dims.values().all(|d| *d == (400, 576)), "{dims:?}");
    let sides: Vec<String> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tags"]["side"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..20)
        .map(|i| if i % 2 == 0 { "L" } else { "R" }.to_string())
        .collect();
    assert_eq!(sides, want);
}
