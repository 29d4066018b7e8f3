//! Archive scale: one keyed pseudonym per patient, a refused literal over several patients, a
//! coordinator's list, and shards whose union equals one run (checked on real exports).

mod archive_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use archive_support::*;

/// 14 patients (two without Patient ID, some with an issuer), 2 studies of 2 files each.
fn archive(dir: &Path) -> PathBuf {
    let a = dir.join("archive");
    small_archive(&a, 14, 2, 2);
    a
}

fn ok(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn report(p: &Path) -> serde_json::Value {
    json(p)
}

/// (entry, pseudonym, new study UID, new SOP UID) of every exported file.
fn rows(r: &serde_json::Value) -> BTreeSet<(String, String, String, String)> {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "exported")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (
                s("output"),
                s("pseudonym"),
                s("study_instance_uid"),
                s("sop_instance_uid"),
            )
        })
        .collect()
}

/// Entry name -> bytes of every DICOM entry.
fn entries(zip: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        if name.ends_with(".dcm") {
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            out.insert(name, b);
        }
    }
    out
}

/// Patient folder of an input label -> set of pseudonyms given to its files.
fn pseudonyms_by_patient(r: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in r["files"].as_array().unwrap() {
        let input = f["input"].as_str().unwrap();
        let patient = input
            .split('/')
            .find(|c| c.starts_with("patient-"))
            .unwrap()
            .to_string();
        m.entry(patient)
            .or_default()
            .insert(f["pseudonym"].as_str().unwrap_or("").to_string());
    }
    m
}

fn study_date(bytes: &[u8]) -> String {
    let p = us_dicomizer::core::load::parse_dicom(bytes).unwrap();
    us_dicomizer::core::dcm::get_str(&p.obj, dicom_dictionary_std::tags::STUDY_DATE)
        .unwrap_or_default()
}

#[test]
fn default_is_one_keyed_pseudonym_per_patient_stable_across_runs() {
    let d = tempfile::tempdir().unwrap();
    let a = archive(d.path());
    let cfg = d.path().join("cfg");
    let (out1, rep1) = (d.path().join("a.zip"), d.path().join("a.json"));
    ok(
        &batch(
            &cfg,
            std::slice::from_ref(&a),
            &[
                "-o",
                out1.to_str().unwrap(),
                "--report",
                rep1.to_str().unwrap(),
            ],
        ),
        0,
    );
    let r1 = report(&rep1);
    assert_eq!(r1["summary"]["exported"], 56);
    let by_patient = pseudonyms_by_patient(&r1);
    assert_eq!(by_patient.len(), 14);
    for (p, set) in &by_patient {
        assert_eq!(set.len(), 1, "{p}: one pseudonym per patient, got {set:?}");
    }
    let all: BTreeSet<&String> = by_patient.values().flatten().collect();
    assert_eq!(all.len(), 14, "different patients, different pseudonyms");
    for p in &all {
        assert!(p.starts_with("P-") && p.len() == 12, "{p}");
        assert!(!p.contains("FAKE"), "no original value in a pseudonym: {p}");
    }
    // dates are shifted per patient, also for the two patients without an ID
    let files = entries(&out1);
    let date_of = |patient: &str| -> BTreeSet<String> {
        r1["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["input"].as_str().unwrap().contains(patient))
            .map(|f| study_date(&files[f["output"].as_str().unwrap()]))
            .collect()
    };
    let (d6, d13) = (date_of("patient-00006"), date_of("patient-00013"));
    assert_eq!(d6.len(), 1);
    assert_eq!(d13.len(), 1);
    assert_ne!(d6, d13, "patients without ID get their own date shift");
    // another run, inputs in another order: same pseudonyms, names, UIDs and bytes
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    folders.reverse();
    let (out2, rep2) = (d.path().join("b.zip"), d.path().join("b.json"));
    ok(
        &batch(
            &cfg,
            &folders,
            &[
                "-o",
                out2.to_str().unwrap(),
                "--report",
                rep2.to_str().unwrap(),
            ],
        ),
        0,
    );
    assert_eq!(rows(&r1), rows(&report(&rep2)));
    assert_eq!(files, entries(&out2));
}

#[test]
fn one_literal_over_several_patients_is_refused_before_writing() {
    let d = tempfile::tempdir().unwrap();
    let a = archive(d.path());
    let cfg = d.path().join("cfg");
    let out = d.path().join("x.zip");
    let o = batch(
        &cfg,
        std::slice::from_ref(&a),
        &["-o", out.to_str().unwrap(), "--pseudonym", "ANON"],
    );
    ok(&o, 2);
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("14 different patients"), "{msg}");
    assert!(
        msg.contains("--same-patient") && msg.contains("--pseudonym auto"),
        "{msg}"
    );
    assert!(
        !msg.contains("FAKE"),
        "no patient value in the message: {msg}"
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("x.zip"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // the user says the files are one person
    ok(
        &batch(
            &cfg,
            std::slice::from_ref(&a),
            &[
                "-o",
                out.to_str().unwrap(),
                "--pseudonym",
                "ANON",
                "--same-patient",
            ],
        ),
        0,
    );
    // one patient's folder: a literal is fine
    let one = d.path().join("one.zip");
    let rep = d.path().join("one.json");
    ok(
        &batch(
            &cfg,
            &[a.join("patient-00002")],
            &[
                "-o",
                one.to_str().unwrap(),
                "--pseudonym",
                "STUDY-7",
                "--report",
                rep.to_str().unwrap(),
            ],
        ),
        0,
    );
    assert!(entries(&one).keys().all(|n| n.starts_with("STUDY-7_")));
}

#[test]
fn pseudonym_list_is_used_and_unlisted_patients_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = archive(d.path());
    let cfg = d.path().join("cfg");
    let csv = d.path().join("list.csv");
    std::fs::write(
        &csv,
        "patient_id,pseudonym\nFAKE-000000,SUBJ-001\nFAKE-000001,SUBJ-002\n",
    )
    .unwrap();
    let (out, rep) = (d.path().join("l.zip"), d.path().join("l.json"));
    let o = batch(
        &cfg,
        &[
            a.join("patient-00000"),
            a.join("patient-00001"),
            a.join("patient-00003"),
        ],
        &[
            "-o",
            out.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
            "--pseudonyms",
            csv.to_str().unwrap(),
        ],
    );
    ok(&o, 1);
    let r = report(&rep);
    let by = pseudonyms_by_patient(&r);
    assert_eq!(
        by["patient-00000"],
        BTreeSet::from(["SUBJ-001".to_string()])
    );
    assert_eq!(
        by["patient-00001"],
        BTreeSet::from(["SUBJ-002".to_string()])
    );
    for f in r["files"].as_array().unwrap() {
        if f["input"].as_str().unwrap().contains("patient-00003") {
            assert_eq!(f["status"], "skipped");
            assert!(
                f["reason"].as_str().unwrap().contains("pseudonym list"),
                "{f}"
            );
        }
    }
    let names = entries(&out);
    assert_eq!(names.len(), 8);
    assert!(names.keys().all(|n| n.starts_with("SUBJ-00")));
}

#[test]
fn shards_union_equals_one_run_and_merge_checks_completeness() {
    let d = tempfile::tempdir().unwrap();
    let a = archive(d.path());
    let cfg = d.path().join("cfg");
    let (single, single_rep) = (d.path().join("all.zip"), d.path().join("all.json"));
    ok(
        &batch(
            &cfg,
            std::slice::from_ref(&a),
            &[
                "-o",
                single.to_str().unwrap(),
                "--report",
                single_rep.to_str().unwrap(),
            ],
        ),
        0,
    );
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    let mut reps = Vec::new();
    let mut union = BTreeMap::new();
    for k in 1..=3 {
        // each shard gets the paths in another order: the partition must not care
        folders.rotate_left(5);
        let (z, r) = (
            d.path().join(format!("s{k}.zip")),
            d.path().join(format!("s{k}.json")),
        );
        let shard = format!("{k}/3");
        ok(
            &batch(
                &cfg,
                &folders,
                &[
                    "-o",
                    z.to_str().unwrap(),
                    "--report",
                    r.to_str().unwrap(),
                    "--shard",
                    &shard,
                ],
            ),
            0,
        );
        let e = entries(&z);
        assert!(!e.is_empty(), "shard {k} is empty: the partition is poor");
        for (name, bytes) in e {
            assert!(
                union.insert(name.clone(), bytes).is_none(),
                "{name} in two shards"
            );
        }
        reps.push(r);
    }
    assert_eq!(union, entries(&single), "same entries, names and bytes");
    let all = d.path().join("merged.json");
    let o = bin()
        .arg("merge")
        .args(&reps)
        .arg("-o")
        .arg(&all)
        .output()
        .unwrap();
    ok(&o, 0);
    let m = report(&all);
    assert_eq!(rows(&m), rows(&report(&single_rep)));
    assert_eq!(m["summary"]["exported"], 56);
    assert_eq!(m["summary"]["pseudonyms"], 14);
    assert_eq!(m["manifest"].as_array().unwrap().len(), 56);
    // a missing or a duplicated shard is refused and nothing is written
    let bad = d.path().join("bad.json");
    for set in [
        vec![&reps[0], &reps[2]],
        vec![&reps[0], &reps[1], &reps[1], &reps[2]],
    ] {
        let o = bin()
            .arg("merge")
            .args(set)
            .arg("-o")
            .arg(&bad)
            .output()
            .unwrap();
        ok(&o, 2);
        let msg = String::from_utf8_lossy(&o.stderr);
        assert!(
            msg.contains("missing shard(s) 2/3") || msg.contains("given twice"),
            "{msg}"
        );
        assert!(!bad.exists());
    }
    // a finished shard is skipped when run again (resume), redone with --force
    let s2 = d.path().join("s2.zip");
    let before = std::fs::metadata(&s2).unwrap().modified().unwrap();
    let again = |force: bool| {
        let mut extra = vec![
            "-o",
            s2.to_str().unwrap(),
            "--report",
            reps[1].to_str().unwrap(),
            "--shard",
            "2/3",
        ];
        if force {
            extra.push("--force");
        }
        batch(&cfg, std::slice::from_ref(&a), &extra)
    };
    let o = again(false);
    ok(&o, 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("skipped"));
    assert_eq!(std::fs::metadata(&s2).unwrap().modified().unwrap(), before);
    // another shard's archive under this name is refused, not skipped
    let o = batch(
        &cfg,
        std::slice::from_ref(&a),
        &["-o", s2.to_str().unwrap(), "--shard", "3/3"],
    );
    ok(&o, 2);
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(&again(true), 0);
    assert_ne!(std::fs::metadata(&s2).unwrap().modified().unwrap(), before);
}
