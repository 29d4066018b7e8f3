//! Annotations (issue 12, engine): the original's LabelMe and Darwin files read without their
//! bugs, written back next to each exported entry translated by the crop and clipped, imported
//! from next to the inputs without duplicates. The command line side is in
//! `annotations_cli.rs`.

mod annotation_support;
mod common;

use std::io::Read;
use std::sync::atomic::AtomicBool;

use annotation_support::*;
use common::*;
use serde_json::{json, Value};
use us_dicomizer::core::annotation::crop::area;
use us_dicomizer::core::annotation::export::files_for_entry;
use us_dicomizer::core::annotation::import::{self, pair};
use us_dicomizer::core::annotation::{AnnotationFormat, AnnotationSettings, Annotations, Polygon};
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::export;
use us_dicomizer::core::settings::Settings;

fn both_formats() -> AnnotationSettings {
    AnnotationSettings {
        formats: vec![AnnotationFormat::Labelme, AnnotationFormat::Darwin],
        ..AnnotationSettings::default()
    }
}

fn text_of(files: &[(String, Vec<u8>)], name: &str) -> String {
    let (_, b) = files.iter().find(|(n, _)| n == name).expect(name);
    String::from_utf8(b.clone()).unwrap()
}

#[test]
fn original_labelme_file_reads_and_writes_without_its_bugs() {
    let s = AnnotationSettings::default();
    let (a, format, warnings) = import::parse(&bytes(&original_labelme()), &s).unwrap();
    assert_eq!(format, AnnotationFormat::Labelme);
    assert_eq!(a.status.as_deref(), Some("DVT"));
    assert_eq!(
        a.grades.iter().collect::<Vec<_>>(),
        vec![(&0, &3), (&2, &5)]
    );
    // the polygon the original's re-import doubled is read once
    assert_eq!(a.polygons[&0].len(), 1, "{warnings:?}");
    assert_eq!(a.polygons[&2][0].label, "Clot");
    assert_eq!(a.polygons[&0][0].points[1], [200.0, 90.25]);

    let crop = CropRect::new(100, 50, 600, 450);
    let (files, report) = files_for_entry(&a, "P-X_0001_CFV-L.dcm", &crop, 3, "P-X", "2.25.1", &s);
    assert_eq!(report.files, vec!["P-X_0001_CFV-L.json"]);
    let text = text_of(&files, "P-X_0001_CFV-L.json");
    assert!(
        !text.contains(REAL_ID) && !text.contains("patient_id"),
        "{text}"
    );
    assert!(!text.contains("exam1"), "no input name: {text}");
    assert!(
        text.starts_with("{\n  \"version\": \"1.0\""),
        "indent 2: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["flags"]["pseudonym"], "P-X");
    assert_eq!(v["flags"]["dvt"], "DVT");
    assert_eq!(v["imagePath"], "P-X_0001_CFV-L.dcm");
    assert_eq!(
        (v["imageWidth"].as_u64(), v["imageHeight"].as_u64()),
        (Some(500), Some(400))
    );
    assert_eq!(v["imageData"], Value::Null);
    assert_eq!(v["frame_gradings"], json!({"0": "Grade 3", "2": "Grade 5"}));
    assert_eq!(
        v["shapes"][0]["points"],
        json!([[20.5, 30.0], [100.0, 40.25], [60.0, 100.0]])
    );
    assert_eq!(v["shapes"][0]["frame"], 0);
    assert_eq!(v["shapes"][1]["frame"], 2);
    assert_eq!(v["shapes"][1]["shape_type"], "polygon");
    // round trip: our file reads back to the translated annotations
    let (back, _, _) = import::parse(text.as_bytes(), &s).unwrap();
    let (moved, _) = us_dicomizer::core::annotation::crop::to_crop(&a, &crop, 3);
    assert_eq!(back, moved);
}

#[test]
fn original_darwin_file_reads_and_writes_without_its_bugs() {
    let s = both_formats();
    let (a, format, _) = import::parse(&bytes(&original_darwin()), &s).unwrap();
    assert_eq!(format, AnnotationFormat::Darwin);
    assert_eq!(a.status.as_deref(), Some("NO DVT"));
    assert_eq!(
        a.grades.iter().collect::<Vec<_>>(),
        vec![(&0, &2), (&1, &4)]
    );
    assert_eq!(a.polygons[&1][0].label, "FV Scanning Location 3");
    assert_eq!(a.polygons[&1][0].points.len(), 4);

    let crop = CropRect::new(90, 95, 140, 135);
    let entry = "P-Y_0002_FV-R.dcm";
    let write = |uid: &str| files_for_entry(&a, entry, &crop, 3, "P-Y", uid, &s);
    let (files, report) = write("2.25.77");
    assert_eq!(
        report.files,
        vec!["P-Y_0002_FV-R.json", "P-Y_0002_FV-R_darwin.json"]
    );
    assert_eq!((report.polygons, report.clipped, report.dropped), (1, 1, 0));
    let text = text_of(&files, "P-Y_0002_FV-R_darwin.json");
    assert!(
        !text.contains(REAL_ID) && !text.contains("patient_id"),
        "{text}"
    );
    assert!(
        !text.contains("_darwin.dcm") && !text.contains("exam1"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "2.0");
    assert_eq!(v["item"]["name"], entry);
    assert_eq!(v["item"]["slots"][0]["source_files"][0]["file_name"], entry);
    assert_eq!(v["item"]["source_info"]["pseudonym"], "P-Y");
    assert_eq!(v["item"]["slots"][0]["width"], 50);
    assert_eq!(v["item"]["slots"][0]["height"], 40);
    assert_eq!(v["item"]["slots"][0]["frame_count"], 3);
    let anns = v["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 4, "1 polygon, 2 grades, 1 status");
    // the square (100,100)-(150,140) moved by (90,95) and clipped to 50x40
    let path = &anns[0]["frames"]["1"]["polygon"]["paths"][0];
    let got: Vec<[f64; 2]> = path
        .as_array()
        .unwrap()
        .iter()
        .map(|p| [p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap()])
        .collect();
    assert!((area(&got).abs() - 40.0 * 35.0).abs() < 1e-9, "{got:?}");
    assert!(got.iter().all(|p| p[0] <= 50.0 && p[1] <= 40.0));
    assert_eq!(
        anns[0]["frames"]["1"]["bounding_box"],
        json!({"h": 35.0, "w": 40.0, "x": 10.0, "y": 5.0})
    );
    assert_eq!(
        anns[1]["properties"][0],
        json!({"frame_index": 0, "name": "ACEP Grading Score", "value": "2"})
    );
    assert_eq!(anns[3]["name"], "DVT Status");
    // deterministic: UUIDv5 of the new SOP Instance UID, not random
    let ids: Vec<&str> = anns.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert!(ids
        .iter()
        .all(|i| uuid::Uuid::parse_str(i).unwrap().get_version_num() == 5));
    assert_eq!(write("2.25.77").0, files, "same export, same bytes");
    let other = text_of(&write("2.25.78").0, "P-Y_0002_FV-R_darwin.json");
    assert_ne!(other, text);
    // round trip
    let (back, f2, _) = import::parse(text.as_bytes(), &s).unwrap();
    assert_eq!(f2, AnnotationFormat::Darwin);
    assert_eq!(back.status, a.status);
    assert_eq!(back.grades, a.grades);
    assert_eq!(back.polygons[&1][0].points, got);
}

#[test]
fn format_detection_and_bad_files() {
    let s = AnnotationSettings::default();
    let d = json!({"item": {}, "annotations": []});
    assert_eq!(
        import::parse(&bytes(&d), &s).unwrap().1,
        AnnotationFormat::Darwin
    );
    // `annotations` alone is not Darwin (the original's rule)
    let l = json!({"annotations": [], "shapes": []});
    assert_eq!(
        import::parse(&bytes(&l), &s).unwrap().1,
        AnnotationFormat::Labelme
    );
    for (bad, why) in [
        (&b"{not json"[..], "not valid JSON"),
        (br#"{"shapes": 3}"#, "`shapes` is not a list"),
        (
            br#"{"shapes": [{"label": "x", "points": [[1, "a"]]}]}"#,
            "shape 1",
        ),
        (
            br#"{"item": {}, "annotations": {}}"#,
            "`annotations` is not a list",
        ),
    ] {
        let e = import::parse(bad, &s).unwrap_err();
        assert!(e.contains(why), "{e}");
    }
}

#[test]
fn import_twice_and_both_formats_never_duplicate() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("exam1.dcm"), b"not read here").unwrap();
    std::fs::write(dir.join("exam2.dcm"), b"not read here").unwrap();
    let a = [[10.0, 10.0], [40.0, 10.0], [25.0, 30.0]];
    write_json(
        &dir.join("exam1.json"),
        &json!({"flags": {"dvt": "DVT"}, "frame_gradings": {"0": "Grade 2"},
                "shapes": [{"label": "Clot", "points": pts(&a), "frame": 0},
                           {"label": "Other", "points": pts(&[[1.0, 1.0], [5.0, 1.0], [3.0, 4.0]]), "frame": 1}]}),
    );
    // the same Clot polygon, within 1e-7, and another one
    let near: Vec<[f64; 2]> = a.iter().map(|p| [p[0] + 1e-7, p[1] - 1e-7]).collect();
    write_json(
        &dir.join("exam1_darwin.json"),
        &json!({"item": {"name": "exam1_darwin.dcm"}, "annotations": [
            {"name": "Clot", "frames": {"0": {"polygon": {"paths": [
                near.iter().map(|p| json!({"x": p[0], "y": p[1]})).collect::<Vec<_>>()]}}}},
            {"name": "PV Scanning Location 4", "frames": {"0": {"polygon": {"paths": [[
                {"x": 50.0, "y": 50.0}, {"x": 60.0, "y": 50.0}, {"x": 55.0, "y": 60.0}]]}}}},
            {"name": "ACEP Grading Score", "properties": [{"frame_index": 0, "name": "ACEP Grading Score", "value": "2"}]}
        ]}),
    );
    std::fs::write(dir.join("exam2.json"), b"{\"shapes\": [").unwrap();
    let g = us_dicomizer::core::load::gather(&[dir.to_path_buf()], &Settings::defaults().load);
    let names: Vec<String> = g.sources.iter().map(|s| s.short_name()).collect();
    let p = pair(&g.sources);
    let idx = |n: &str| names.iter().position(|x| x == n).unwrap();
    let run = |i: usize| {
        let files: Vec<_> = p.sidecars[i].iter().map(|&j| &g.sources[j]).collect();
        import::import(
            &files,
            &Settings::defaults().load,
            &AnnotationSettings::default(),
        )
    };
    let first = run(idx("exam1.dcm"));
    let second = run(idx("exam1.dcm"));
    let a1 = first.annotations.clone().unwrap();
    assert_eq!(
        first.annotations, second.annotations,
        "import replaces, never appends"
    );
    assert_eq!(a1.polygon_count(), 3, "{:?}", a1.polygons);
    assert_eq!(
        a1.polygons[&0].iter().filter(|p| p.label == "Clot").count(),
        1
    );
    assert_eq!(a1.status.as_deref(), Some("DVT"));
    assert_eq!(a1.grades.get(&0), Some(&2));
    assert_eq!(
        first.report.imported_from,
        vec!["exam1_darwin.json", "exam1.json"]
    );
    // a broken file: a reason, nothing imported, no panic
    let broken = run(idx("exam2.dcm"));
    assert!(broken.annotations.is_none());
    assert!(
        broken.report.problems[0].contains("exam2.json")
            && broken.report.problems[0].contains("not valid JSON")
    );
    // the annotation files are not inputs of their own
    for n in ["exam1.json", "exam1_darwin.json", "exam2.json"] {
        assert!(p.consumed[idx(n)], "{n}");
    }
}

fn poly(label: &str, p: &[[f64; 2]]) -> Polygon {
    Polygon {
        label: label.into(),
        points: p.to_vec(),
    }
}

#[test]
fn export_writes_translated_clipped_annotations_next_to_each_entry() {
    let d = tempfile::tempdir().unwrap();
    let src = write_fixture(
        d.path(),
        "SECRET-NAME.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 2, 1),
    );
    let out = d.path().join("o.zip");
    let mut settings = Settings::defaults();
    settings.annotation.formats = vec![AnnotationFormat::Labelme, AnnotationFormat::Darwin];
    let mut a = Annotations {
        status: Some("DVT".into()),
        ..Default::default()
    };
    a.grades.insert(1, 4);
    a.polygons.insert(
        0,
        vec![
            poly("Clot", &[[20.0, 20.0], [30.0, 20.0], [25.0, 30.0]]), // inside
            poly(
                "CFV Scanning Location 1",
                &[[50.0, 30.0], [80.0, 30.0], [80.0, 40.0], [50.0, 40.0]],
            ), // crossing x1 = 60
            poly("Other", &[[70.0, 60.0], [90.0, 60.0], [80.0, 75.0]]), // outside
        ],
    );
    let mut req = one_file_request(&src, &out);
    req.items[0].crop = user_crop(CropRect::new(10, 8, 60, 48));
    req.items[0].annotations = Some(a);
    let report = export::run(&req, &settings, &|_| {}, &AtomicBool::new(false)).unwrap();
    let f = &report.files[0];
    let entry = f.output.clone().unwrap();
    let stem = entry.strip_suffix(".dcm").unwrap();
    let ar = f.annotations.as_ref().expect("annotation report");
    assert_eq!(
        (ar.polygons, ar.clipped, ar.dropped, ar.grades, ar.status),
        (2, 1, 1, 1, true)
    );
    let names = entry_names(&out);
    let lm = format!("{stem}.json");
    let dw = format!("{stem}_darwin.json");
    assert!(names.contains(&lm) && names.contains(&dw), "{names:?}");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut read = |n: &str| {
        let mut s = String::new();
        z.by_name(n).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let text = read(&lm);
    for secret in [
        "SECRET",
        "DEMO-000001",
        "DEMO^FAKE",
        d.path().to_str().unwrap(),
    ] {
        assert!(
            !text.contains(secret) && !read(&dw).contains(secret),
            "{secret}"
        );
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["imageWidth"].as_u64(), v["imageHeight"].as_u64()),
        (Some(50), Some(40))
    );
    assert_eq!(v["imagePath"], entry.as_str());
    assert_eq!(v["flags"]["pseudonym"], "P");
    let shapes = v["shapes"].as_array().unwrap();
    assert_eq!(shapes.len(), 2);
    assert_eq!(
        shapes[0]["points"],
        json!([[10.0, 12.0], [20.0, 12.0], [15.0, 22.0]])
    );
    assert_eq!(
        shapes[1]["points"],
        json!([[40.0, 22.0], [50.0, 22.0], [50.0, 32.0], [40.0, 32.0]])
    );
    // the manifest lists them with the entry
    let m: Value = serde_json::from_str(&read("manifest.json")).unwrap();
    assert_eq!(m["entries"][0]["annotations"], json!([lm, dw]));
    let csv = read("manifest.csv");
    assert!(
        csv.lines().next().unwrap().contains(",annotations"),
        "{csv}"
    );
    assert!(csv.contains(&format!("{lm};{dw}")), "{csv}");
    // a file without annotations gets none
    let out2 = d.path().join("o2.zip");
    export::run(
        &one_file_request(&src, &out2),
        &settings,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(!entry_names(&out2)
        .iter()
        .any(|n| n.ends_with(".json") && !n.starts_with("manifest")));
}
