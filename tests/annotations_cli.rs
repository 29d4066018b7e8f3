//! Annotations on the command line (issue 12): `batch` carries the files found next to the
//! inputs (folders and ZIPs), `check` names them, `verify` searches annotation files.

mod annotation_support;
mod common;

use std::io::{Read, Write};

use annotation_support::*;
use common::*;
use serde_json::{json, Value};
use us_dicomizer::core::demo::Kind;

#[test]
fn batch_carries_annotations_found_next_to_the_inputs() {
    let d = tempfile::tempdir().unwrap();
    let exam = exam_with_sidecar(d.path(), "ZZTESTNAME^JANE");
    let (out, rep) = (d.path().join("out.zip"), d.path().join("r.json"));
    let o = run_batch(d.path(), &exam, &out, &rep);
    let stderr = String::from_utf8_lossy(&o.stderr);
    // the annotation file is not an input that was skipped
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("annotations: 1 polygon(s) exported"),
        "{stderr}"
    );
    let names = entry_names(&out);
    assert!(
        names.contains(&"P7_0001_GSV-R.json".to_string()),
        "{names:?}"
    );
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut text = String::new();
    z.by_name("P7_0001_GSV-R.json")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(!text.contains(REAL_ID) && !text.contains("ZZPHI"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["shapes"][0]["points"],
        json!([[10.0, 12.0], [20.0, 12.0], [15.0, 22.0]])
    );
    assert_eq!(
        v["shapes"].as_array().unwrap().len(),
        1,
        "the corner polygon is outside the crop"
    );
    assert_eq!(v["flags"]["dvt"], "NO DVT");
    assert_eq!(v["flags"]["pseudonym"], "P7");
    assert_eq!(v["frame_gradings"], json!({"1": "Grade 4"}));
    let r: Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(r["summary"]["total"], 1);
    let a = &r["files"][0]["annotations"];
    assert_eq!(a["imported_from"], json!(["ZZPHI_exam1.json"]));
    assert_eq!(
        (a["polygons"].as_u64(), a["dropped"].as_u64()),
        (Some(1), Some(1))
    );
    // and verify finds nothing in the export
    let v = bin()
        .arg("verify")
        .arg(&out)
        .arg("--against")
        .arg(&exam)
        .output()
        .unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[test]
fn verify_finds_a_name_hidden_in_an_annotation_file() {
    let d = tempfile::tempdir().unwrap();
    let exam = exam_with_sidecar(d.path(), "ZZTESTNAME^JANE");
    std::fs::remove_file(exam.join("ZZPHI_exam1.json")).unwrap();
    let (out, rep) = (d.path().join("out.zip"), d.path().join("r.json"));
    assert!(run_batch(d.path(), &exam, &out, &rep).status.success());
    // the export plus annotation files with the patient's name and ID written as JSON escapes
    let escape = |s: &str| {
        s.chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect::<String>()
    };
    let planted = [
        (
            "P7_0001_GSV-R.json",
            format!(
                r#"{{"shapes": [{{"label": "{}", "points": []}}]}}"#,
                escape("Jane Zztestname")
            ),
        ),
        (
            "P7_0001_GSV-R_darwin.json",
            format!(
                r#"{{"item": {{"source_info": {{"patient_id": "{}"}}}}, "annotations": []}}"#,
                escape(REAL_ID)
            ),
        ),
    ];
    let leaky = d.path().join("leaky.zip");
    {
        let mut src = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut w = zip::ZipWriter::new(std::fs::File::create(&leaky).unwrap());
        for i in 0..src.len() {
            w.raw_copy_file(src.by_index(i).unwrap()).unwrap();
        }
        for (name, body) in &planted {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    let r = us_dicomizer::core::verify::verify(&leaky, std::slice::from_ref(&exam), &mut |_, _| {})
        .unwrap();
    for (name, _) in &planted {
        assert!(
            r.findings.iter().any(|f| f.entry == *name),
            "{name}: {:#?}",
            r.findings
        );
    }
    assert!(
        !r.findings.iter().any(|f| f.entry == "P7_0001_GSV-R.dcm"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn check_names_annotation_files_instead_of_skipping_them() {
    let d = tempfile::tempdir().unwrap();
    let exam = exam_with_sidecar(d.path(), "ZZTESTNAME^JANE");
    write_fixture(
        &exam,
        "second.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 2),
    );
    std::fs::write(
        exam.join("second_darwin.json"),
        b"{\"item\": {}, \"annotations\": 5}",
    )
    .unwrap();
    let o = bin()
        .arg("check")
        .arg(&exam)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = |name: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["input"].as_str().unwrap().ends_with(name))
            .cloned()
            .unwrap()
    };
    let good = row("ZZPHI_exam1.json");
    assert_eq!(good["status"], "annot", "{v:#}");
    assert!(good["reason"]
        .as_str()
        .unwrap()
        .contains("2 polygon(s), 1 graded frame(s), status NO DVT"));
    let bad = row("second_darwin.json");
    assert_eq!(bad["status"], "skipped");
    assert!(
        bad["reason"]
            .as_str()
            .unwrap()
            .contains("`annotations` is not a list"),
        "{bad}"
    );
    assert_eq!(v["summary"]["ok"], 2);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["annotation_files"], 1);
}

#[test]
fn batch_reads_annotations_next_to_a_dicom_inside_a_zip() {
    let d = tempfile::tempdir().unwrap();
    let exam = exam_with_sidecar(d.path(), "ZZTESTNAME^JANE");
    let zpath = d.path().join("in.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        z.start_file("study/IM_7", opts).unwrap();
        z.write_all(&std::fs::read(exam.join("ZZPHI_exam1.dcm")).unwrap())
            .unwrap();
        // the Darwin file of `IM_7` (a name without extension), and a LabelMe file of the same
        // stem in another folder of the archive, which is not its
        z.start_file("study/IM_7_darwin.json", opts).unwrap();
        z.write_all(&bytes(&original_darwin())).unwrap();
        z.start_file("other/IM_7.json", opts).unwrap();
        z.write_all(&bytes(&original_labelme())).unwrap();
        z.finish().unwrap();
    }
    let (out, rep) = (d.path().join("out.zip"), d.path().join("r.json"));
    let o = run_batch(d.path(), &zpath, &out, &rep);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let r: Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let exported: Vec<&Value> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "exported")
        .collect();
    assert_eq!(exported.len(), 1, "{stderr}");
    let a = &exported[0]["annotations"];
    assert_eq!(a["imported_from"], json!(["IM_7_darwin.json"]), "{r:#}");
    // the Darwin square (100,100)-(150,140) lies outside the 50x40 crop at (10,8) of a 100x80
    // image: frame 1 has it, the file has 2 frames; it is clipped away, grades and status stay
    assert_eq!(
        (a["polygons"].as_u64(), a["dropped"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(a["grades"], 2);
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut text = String::new();
    z.by_name("P7_0001_GSV-R.json")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["flags"]["dvt"], "NO DVT");
    assert_eq!(v["frame_gradings"], json!({"0": "Grade 2", "1": "Grade 4"}));
    assert!(!text.contains(REAL_ID));
    // the unrelated LabelMe file stays an input of its own (and is skipped as not DICOM)
    assert!(r["files"].as_array().unwrap().iter().any(|f| f["input"]
        .as_str()
        .unwrap()
        .ends_with("other/IM_7.json")
        && f["status"] == "skipped"));
}
