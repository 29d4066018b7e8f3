//! Patients at archive scale: `check` counts them (never printing one), a coordinator's list
//! matches Patient ID with its issuer and refuses ambiguity, and the private mapping holds a
//! patient table. Checked on generated archives through the binary.

mod archive_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use archive_support::*;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn archive(dir: &Path, patients: u32) -> (PathBuf, Vec<PathBuf>) {
    let a = dir.join("archive");
    let files = small_archive(&a, patients, 2, 2);
    (a, files)
}

/// Sets Patient ID and Issuer of Patient ID of a file (in place: a generated file).
fn set_patient(path: &Path, id: &str, issuer: &str) {
    let mut o = dicom_object::open_file(path).unwrap();
    o.put(DataElement::new(tags::PATIENT_ID, VR::LO, id));
    o.put(DataElement::new(tags::ISSUER_OF_PATIENT_ID, VR::LO, issuer));
    o.write_to_file(path).unwrap();
}

#[test]
fn check_counts_patients_without_naming_them() {
    let d = tempfile::tempdir().unwrap();
    // 9 patients: every seventh has no Patient ID (name and birth date tell it apart)
    let (a, _) = archive(d.path(), 9);
    let o = bin()
        .arg("--config-dir")
        .arg(d.path().join("cfg"))
        .arg("check")
        .arg(&a)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("36 usable, 0 skipped; 9 patient(s)"), "{out}");
    let o = bin()
        .arg("--config-dir")
        .arg(d.path().join("cfg"))
        .args(["check", "--json"])
        .arg(&a)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["patients"], 9);
    // the same ID from another issuer is another patient; two issuers more: 10
    let (b, files) = archive(&d.path().join("b"), 3);
    set_patient(&files[0], "FAKE-SHARED-ID", "FAKE-ISSUER-1");
    set_patient(&files[1], "FAKE-SHARED-ID", "FAKE-ISSUER-2");
    let o = bin()
        .arg("--config-dir")
        .arg(d.path().join("cfg"))
        .arg("check")
        .arg(&b)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("; 5 patient(s)"), "{out}");
    // no identity in what check prints
    for needle in ["FAKE-0000", "FAKE^PATIENT", "FAKE-SHARED", "FAKE-ISSUER"] {
        assert!(!out.contains(needle), "{needle} in {out}");
    }
}

#[test]
fn pseudonym_list_with_issuer_matches_both_and_refuses_ambiguity() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("cfg");
    let a = d.path().join("in");
    let files = small_archive(&a, 2, 1, 2);
    // two people with one Patient ID, from two hospitals
    set_patient(&files[0], "FAKE-77", "FAKE-HOSP-A");
    set_patient(&files[1], "FAKE-77", "FAKE-HOSP-A");
    set_patient(&files[2], "FAKE-77", "FAKE-HOSP-B");
    set_patient(&files[3], "FAKE-77", "FAKE-HOSP-B");
    let inputs = [a.clone()];
    let out = d.path().join("o.zip");
    let rep = d.path().join("o.json");
    let list = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };

    // a two-column list would give both people one pseudonym: refused, nothing written
    let two = list("two.csv", "patient_id,pseudonym\nFAKE-77,STUDY-001\n");
    let o = batch(
        &cfg,
        &inputs,
        &[
            "-o",
            out.to_str().unwrap(),
            "--pseudonyms",
            two.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("add an `issuer` column"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("FAKE-77"), "{}", stderr(&o));
    assert!(!out.exists());

    // with the issuer column each person gets their own
    let three = list(
        "three.csv",
        "patient_id,issuer,pseudonym\nFAKE-77,FAKE-HOSP-A,STUDY-001\nFAKE-77,FAKE-HOSP-B,STUDY-002\n",
    );
    let o = batch(
        &cfg,
        &inputs,
        &[
            "-o",
            out.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
            "--pseudonyms",
            three.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let r = json(&rep);
    let by_input: BTreeMap<String, String> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["input"].as_str().unwrap().to_string(),
                f["pseudonym"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let of = |p: &Path| by_input[&p.display().to_string()].clone();
    assert_eq!(of(&files[0]), "STUDY-001");
    assert_eq!(of(&files[1]), "STUDY-001");
    assert_eq!(of(&files[2]), "STUDY-002");
    assert_eq!(of(&files[3]), "STUDY-002");

    // ambiguous lists: refused with the line, before anything is written
    for (name, text, says) in [
        (
            "twice.csv",
            "patient_id,issuer,pseudonym\nFAKE-77,FAKE-HOSP-A,STUDY-001\nFAKE-77,FAKE-HOSP-A,STUDY-009\n",
            "line 3",
        ),
        (
            "shared.csv",
            "patient_id,issuer,pseudonym\nFAKE-77,FAKE-HOSP-A,STUDY-001\nFAKE-77,FAKE-HOSP-B,STUDY-001\n",
            "already given to another patient on line 2",
        ),
    ] {
        let p = list(name, text);
        let out2 = d.path().join(format!("{name}.zip"));
        let o = batch(&cfg, &inputs, &["-o", out2.to_str().unwrap(), "--pseudonyms", p.to_str().unwrap()]);
        assert_eq!(code(&o), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{name}: {}", stderr(&o));
        assert!(!out2.exists(), "{name}");
    }
}

#[test]
fn mapping_holds_a_patient_table() {
    let d = tempfile::tempdir().unwrap();
    let (a, _) = archive(d.path(), 8);
    let cfg = d.path().join("cfg");
    let out = d.path().join("m.zip");
    let rep = d.path().join("m.json");
    let o = batch(
        &cfg,
        &[a],
        &[
            "-o",
            out.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
            "--mapping",
        ],
    );
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let m = json(&d.path().join("m.zip.mapping.json"));
    let patients = m["patients"].as_array().expect("a patient table");
    assert_eq!(patients.len(), 8);
    let report_pseudonyms: BTreeSet<String> = json(&rep)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pseudonym"].as_str().unwrap().to_string())
        .collect();
    let mut seen = BTreeSet::new();
    for p in patients {
        assert_eq!(p["files"], 4, "{p}");
        assert_eq!(p["studies"], 2, "{p}");
        let ps = p["pseudonym"].as_str().unwrap().to_string();
        assert!(report_pseudonyms.contains(&ps));
        assert!(seen.insert(ps), "one row per patient");
        // the original identity, by ID (+ issuer) or by name and birth date
        let who = &p["patient"];
        assert!(
            who["patient_id"]
                .as_str()
                .is_some_and(|s| s.starts_with("FAKE-"))
                || who["patient_name"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("FAKE^")),
            "{who}"
        );
    }
    // and still one row per file
    assert_eq!(m["files"].as_array().unwrap().len(), 32);
}
