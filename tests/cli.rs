//! The command line as a user runs it: exit codes, refusal to overwrite, reports.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_us-dicomizer"))
}

fn demo(dir: &Path) -> std::path::PathBuf {
    let exam = dir.join("exam");
    let st = bin().args(["demo"]).arg(&exam).status().unwrap();
    assert!(st.success());
    exam
}

fn batch(dir: &Path, extra: &[&str]) -> std::process::Output {
    let exam = dir.join("exam");
    bin()
        .arg("--config-dir")
        .arg(dir.join("cfg"))
        .arg("batch")
        .arg(&exam)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn batch_exit_codes_and_report() {
    let d = tempfile::tempdir().unwrap();
    demo(d.path());
    let out = d.path().join("out.zip");
    let rep = d.path().join("r.json");
    let tags = [
        "--tag",
        "position=GSV",
        "--tag",
        "side=R",
        "--tag",
        "purpose=diagnostic",
        "--pseudonym",
        "P7",
    ];
    // every file exported: 0
    let o = batch(
        d.path(),
        &[
            &[
                "-o",
                out.to_str().unwrap(),
                "--report",
                rep.to_str().unwrap(),
            ],
            &tags[..],
        ]
        .concat(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(r["summary"]["exported"], 5);
    let f0 = &r["files"][0];
    for k in [
        "input",
        "status",
        "reason",
        "output",
        "crop",
        "crop_source",
        "frames",
        "pixel_encoding",
    ] {
        assert!(f0.get(k).is_some(), "report lacks {k}");
    }
    assert_eq!(f0["output"], "P7_0001_GSV-R.dcm");
    // the archive exists: refused without --force, nothing touched: 2
    let before = std::fs::read(&out).unwrap();
    let o = batch(
        d.path(),
        &[&["-o", out.to_str().unwrap()], &tags[..]].concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // a missing tag skips every file: 1, the archive still written
    let out2 = d.path().join("out2.zip");
    let o = batch(
        d.path(),
        &["-o", out2.to_str().unwrap(), "--tag", "position=CFV"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing required tag"));
    // usage errors: 2, nothing written
    let out3 = d.path().join("out3.zip");
    let o = batch(
        d.path(),
        &[
            &["-o", out3.to_str().unwrap(), "--crop", "1,2,3"],
            &tags[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = batch(
        d.path(),
        &[
            &["-o", out3.to_str().unwrap(), "--tag", "position=NOPE"],
            &tags[2..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!out3.exists());
    // verify finds nothing identifying in the export
    let o = bin()
        .arg("verify")
        .arg(&out)
        .arg("--against")
        .arg(d.path().join("exam"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn bad_settings_exit_2_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("settings.toml"),
        "[output]\n\nencoding = \"gif\"\n",
    )
    .unwrap();
    let o = bin()
        .arg("--config-dir")
        .arg(&cfg)
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("settings.toml:3:"), "{err}");
}

#[test]
fn check_lists_skipped_files_with_reasons() {
    let d = tempfile::tempdir().unwrap();
    let exam = demo(d.path());
    std::fs::write(exam.join("notes.txt"), "not an image").unwrap();
    let o = bin()
        .arg("--config-dir")
        .arg(d.path().join("cfg"))
        .arg("check")
        .arg(&exam)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("notes.txt") && out.contains("not a DICOM file"),
        "{out}"
    );
    assert!(out.contains("5 usable, 1 skipped"), "{out}");
}
