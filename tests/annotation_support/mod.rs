//! Shared fixtures of the annotation tests: the original US-DICOMizer's files as it writes
//! them (built from the inventory's description, bugs included), and an exam folder with one.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use us_dicomizer::core::demo::{self, Kind, Spec};

/// The real Patient ID the original writes into its files.
pub const REAL_ID: &str = "ZZMRN12345678";

pub fn pts(v: &[[f64; 2]]) -> Value {
    json!(v)
}

/// A LabelMe file as the original (4.16) writes it: the source file's real Patient ID in
/// `flags`, points in original-image pixels, and one polygon twice (its re-import appends).
pub fn original_labelme() -> Value {
    let a = [[120.5, 80.0], [200.0, 90.25], [160.0, 150.0]];
    json!({
        "version": "1.0",
        "flags": {"patient_id": REAL_ID, "dvt": "DVT"},
        "frame_gradings": {"0": "Grade 3", "2": "Grade 5"},
        "shapes": [
            {"label": "CFV Scanning Location 1", "points": pts(&a), "group_id": null,
             "description": "", "shape_type": "polygon", "frame": 0, "flags": {}},
            {"label": "Clot", "points": pts(&[[300.0, 200.0], [340.0, 200.0], [320.0, 260.0]]),
             "group_id": null, "description": "", "shape_type": "polygon", "frame": 2, "flags": {}},
            {"label": "CFV Scanning Location 1", "points": pts(&a), "group_id": null,
             "description": "", "shape_type": "polygon", "frame": 0, "flags": {}}
        ],
        "imagePath": "exam1.dcm",
        "imageWidth": 640,
        "imageHeight": 480
    })
}

/// A Darwin V7 2.0 file as the original writes it: `item.name` names the JSON (`_darwin.dcm`),
/// `source_info.patient_id` is the real ID, random uuid4 ids, grades and status as tags.
pub fn original_darwin() -> Value {
    let tag = |name: &str, value: &str, f: u32| {
        json!({
            "frames": {f.to_string(): {"keyframe": true, "tag": {}}},
            "id": "0b0e6c36-9f8e-4f0b-bb52-1b2a3c4d5e6f",
            "name": name,
            "properties": [{"frame_index": f, "name": name, "value": value}],
            "ranges": [[f, f + 1]],
            "slot_names": ["0"],
            "updated_at": "2026-02-27T10:11:12"
        })
    };
    json!({
        "version": "2.0",
        "schema_ref": "https://darwin-public.s3.eu-west-1.amazonaws.com/darwin_json/2.0/schema.json",
        "item": {
            "name": "exam1_darwin.dcm",
            "path": "/",
            "source_info": {"item_id": "5f1d7c9e-0000-4000-8000-123456789abc", "patient_id": REAL_ID},
            "slots": [{"type": "dicom", "slot_name": "0", "width": 640, "height": 480,
                       "frame_count": 3, "metadata": {"colorspace": "RGB", "primary_plane": "AXIAL"}}]
        },
        "annotations": [
            {
                "frames": {"1": {
                    "bounding_box": {"x": 100.0, "y": 100.0, "w": 50.0, "h": 40.0},
                    "keyframe": true,
                    "polygon": {"paths": [[{"x": 100.0, "y": 100.0}, {"x": 150.0, "y": 100.0},
                                           {"x": 150.0, "y": 140.0}, {"x": 100.0, "y": 140.0}]]}
                }},
                "id": "7d3c1a2b-1111-4222-8333-444455556666",
                "interpolate_algorithm": "linear-1.1",
                "interpolated": true,
                "name": "FV Scanning Location 3",
                "ranges": [[1, 2]],
                "updated_at": "2026-02-27T10:11:12"
            },
            tag("ACEP Grading Score", "2", 0),
            tag("ACEP Grading Score", "4", 1),
            tag("DVT Status", "NO DVT", 0)
        ]
    })
}

pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

pub fn write_json(p: &Path, v: &Value) {
    std::fs::write(p, bytes(v)).unwrap();
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_us-dicomizer"))
}

/// A folder with a DICOM and, next to it, the original's LabelMe file (real Patient ID, points
/// in original pixels).
pub fn exam_with_sidecar(dir: &Path, patient_name: &str) -> PathBuf {
    let exam = dir.join("exam");
    std::fs::create_dir_all(&exam).unwrap();
    let spec = Spec {
        patient_name: patient_name.into(),
        patient_id: REAL_ID.into(),
        ..Spec::new(Kind::Mono, 100, 80, 2)
    };
    demo::write_file(&exam.join("ZZPHI_exam1.dcm"), &spec).expect("fixture builds");
    write_json(
        &exam.join("ZZPHI_exam1.json"),
        &json!({"version": "1.0", "flags": {"patient_id": REAL_ID, "dvt": "NO DVT"},
                "frame_gradings": {"1": "Grade 4"},
                "shapes": [{"label": "Clot", "points": pts(&[[20.0, 20.0], [30.0, 20.0], [25.0, 30.0]]),
                            "group_id": null, "description": "", "shape_type": "polygon", "frame": 0, "flags": {}},
                           {"label": "Other", "points": pts(&[[0.0, 0.0], [5.0, 0.0], [5.0, 5.0]]),
                            "group_id": null, "description": "", "shape_type": "polygon", "frame": 0, "flags": {}}],
                "imagePath": "ZZPHI_exam1.dcm", "imageWidth": 100, "imageHeight": 80}),
    );
    exam
}

pub fn run_batch(dir: &Path, exam: &Path, out: &Path, rep: &Path) -> std::process::Output {
    bin()
        .arg("--config-dir")
        .arg(dir.join("cfg"))
        .arg("batch")
        .arg(exam)
        .args([
            "-o",
            out.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
        ])
        .args(["--crop", "10,8,60,48", "--pseudonym", "P7"])
        .args([
            "--tag",
            "position=GSV",
            "--tag",
            "side=R",
            "--tag",
            "purpose=diagnostic",
        ])
        .output()
        .unwrap()
}
