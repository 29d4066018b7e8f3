//! What the tool writes (issue 14): never through a planted symbolic link, never over an
//! existing file unless asked and never over an input, one export per destination at a time,
//! private side files, terminal-safe output. Key files, stale temporaries and a full disk are in
//! `writes_keys_temps.rs`.

mod common;
mod writes_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{fixture_spec, one_file_request, write_fixture};
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::export::ExportRequest;
use writes_support::*;

// ---- 1. the temporary archive and side files -------------------------------------------------

#[test]
fn planted_symlinks_at_temporary_names_are_never_followed() {
    let d = tempfile::tempdir().unwrap();
    let src = write_fixture(d.path(), "m.dcm", &fixture_spec(Kind::Mono, 100, 80, 1, 1));
    // a file of the victim (root-owned when the tests run as root), elsewhere
    let victim_dir = d.path().join("victim");
    std::fs::create_dir(&victim_dir).unwrap();
    let victim = victim_dir.join("shadow");
    std::fs::write(&victim, b"root:precious\n").unwrap();
    let dest = d.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    let out = dest.join("o.zip");
    // symlinks at every name this process could predict for the archive and mapping temporaries
    let pid = std::process::id();
    for base in ["o.zip", "o.zip.mapping.json"] {
        for n in 0..64 {
            let name = dest.join(format!(".{base}.{pid}.{n}.partial"));
            std::os::unix::fs::symlink(&victim, name).unwrap();
        }
    }
    let req = ExportRequest {
        write_mapping: true,
        ..one_file_request(&src, &out)
    };
    let r = run_export(&req);
    assert_eq!(std::fs::read(&victim).unwrap(), b"root:precious\n");
    assert!(r.is_ok(), "{:?}", r.err());
    for p in [out.clone(), dest.join("o.zip.mapping.json")] {
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert!(
            m.file_type().is_file(),
            "{} is not a regular file",
            p.display()
        );
    }
    assert_eq!(
        common::entry_names(&out).len(),
        3,
        "one entry and two manifests"
    );
}

#[test]
fn a_symlink_at_the_final_name_is_refused_even_with_force() {
    let d = tempfile::tempdir().unwrap();
    let src = write_fixture(d.path(), "m.dcm", &fixture_spec(Kind::Mono, 100, 80, 1, 1));
    let victim = d.path().join("victim.zip");
    std::fs::write(&victim, b"precious").unwrap();
    for (name, target) in [
        ("to-file.zip", victim.clone()),
        ("dangling.zip", d.path().join("nowhere.zip")),
    ] {
        let out = d.path().join(name);
        std::os::unix::fs::symlink(&target, &out).unwrap();
        let req = ExportRequest {
            force: true,
            ..one_file_request(&src, &out)
        };
        let e = run_export(&req).err().map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("symbolic link")),
            "{name}: {e:?}"
        );
        assert!(std::fs::symlink_metadata(&out)
            .unwrap()
            .file_type()
            .is_symlink());
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!d.path().join("nowhere.zip").exists());
    // nor is a symbolic link at the lock file's name followed
    let out = d.path().join("locked.zip");
    std::os::unix::fs::symlink(&victim, d.path().join(".locked.zip.lock")).unwrap();
    assert!(run_export(&one_file_request(&src, &out)).is_err());
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!out.exists());
}

// ---- 2. nothing replaced unless asked, an input never ----------------------------------------

#[test]
fn report_never_replaces_an_input_and_others_only_with_force() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 2);
    let input = exam.join("f0.dcm");
    let before = std::fs::read(&input).unwrap();
    // the report aimed at an input DICOM: refused, with and without --force
    for force in [false, true] {
        let out = d.path().join(format!("o{force}.zip"));
        let mut extra = vec!["-o", s(&out), "--report", s(&input)];
        if force {
            extra.push("--force");
        }
        let o = batch(d.path(), &[&exam], &extra);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert_eq!(std::fs::read(&input).unwrap(), before, "input replaced");
        assert!(!out.exists(), "nothing is written after a refusal");
    }
    // the same input through another spelling (a symlinked folder)
    let before1 = std::fs::read(exam.join("f1.dcm")).unwrap();
    let alias = d.path().join("alias");
    std::os::unix::fs::symlink(&exam, &alias).unwrap();
    let out = d.path().join("alias.zip");
    let rep = alias.join("f1.dcm");
    let o = batch(
        d.path(),
        &[&exam],
        &["-o", s(&out), "--report", s(&rep), "--force"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read(exam.join("f1.dcm")).unwrap(), before1);

    // an existing report that is not an input: only with --force
    let report = d.path().join("r.json");
    std::fs::write(&report, b"earlier").unwrap();
    let out = d.path().join("r.zip");
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--report", s(&report)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read(&report).unwrap(), b"earlier");
    assert!(!out.exists());
    let o = batch(
        d.path(),
        &[&exam],
        &["-o", s(&out), "--report", s(&report), "--force"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["summary"]["exported"], 2);
    // the report names inputs: private
    assert_eq!(mode(&report), 0o600);
}

#[test]
fn mapping_file_is_not_replaced_without_force_and_is_private() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    let out = d.path().join("o.zip");
    let mapping = d.path().join("o.zip.mapping.json");
    std::fs::write(&mapping, b"the only copy of an earlier mapping").unwrap();
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--mapping"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(&mapping).unwrap(),
        b"the only copy of an earlier mapping"
    );
    assert!(!out.exists(), "no archive without its mapping");
    std::fs::remove_file(&mapping).unwrap();
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--mapping"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // original UIDs and input paths: owner only; the folder (it existed) keeps its mode
    assert_eq!(mode(&mapping), 0o600);
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&mapping).unwrap()).unwrap();
    assert!(m["files"][0]["input"].as_str().unwrap().ends_with("f0.dcm"));
}

fn zip_of(dir: &Path, name: &str, files: &[PathBuf]) -> PathBuf {
    let p = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    for f in files {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file(f.file_name().unwrap().to_str().unwrap(), opts)
            .unwrap();
        z.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    z.finish().unwrap();
    p
}

#[test]
fn an_input_archive_is_never_the_output_even_with_force() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 2);
    let files: Vec<PathBuf> = (0..2).map(|i| exam.join(format!("f{i}.dcm"))).collect();
    let archive = zip_of(d.path(), "in.zip", &files);
    let before = std::fs::read(&archive).unwrap();
    // the same path, another spelling of it, and a hard link to it
    let link = d.path().join("hard.zip");
    std::fs::hard_link(&archive, &link).unwrap();
    let spelled = d.path().join("exam/../in.zip");
    for out in [&archive, &spelled, &link] {
        let o = batch(d.path(), &[&archive], &["-o", s(out), "--force"]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", out.display(), text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("one of the inputs"));
        assert_eq!(std::fs::read(&archive).unwrap(), before, "input replaced");
    }
    // an archive given but skipped before loading (over the ZIP member limit) is an input too
    let strict = d.path().join("strict.toml");
    std::fs::write(&strict, "[load]\nmax_zip_members = 1\n").unwrap();
    let o = batch(
        d.path(),
        &[&exam, &archive],
        &["-o", s(&archive), "--force", "--settings", s(&strict)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read(&archive).unwrap(), before, "input replaced");
    // a folder input: none of the files in it either (the mapping of `x.zip` is `x.zip.mapping.json`)
    let trap = exam.join("t.zip.mapping.json");
    std::fs::copy(&files[0], &trap).unwrap();
    let out = exam.join("t.zip");
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--mapping", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read(&trap).unwrap(),
        std::fs::read(&files[0]).unwrap()
    );
}

// ---- 2b. one export per destination ------------------------------------------------------------

#[test]
fn two_exports_started_together_do_not_both_claim_success() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 12);
    let out = d.path().join("same.zip");
    for round in 0..2 {
        let _ = std::fs::remove_file(&out);
        let rep: Vec<PathBuf> = (0..2)
            .map(|i| d.path().join(format!("r{round}{i}.json")))
            .collect();
        let children: Vec<_> = rep
            .iter()
            .map(|r| {
                batch_cmd(d.path(), &[&exam], &["-o", s(&out), "--report", s(r)])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let ok: Vec<usize> = (0..2).filter(|&i| outs[i].status.success()).collect();
        assert_eq!(
            ok.len(),
            1,
            "exactly one export succeeds:\n{}\n{}",
            text(&outs[0]),
            text(&outs[1])
        );
        let loser = &outs[1 - ok[0]];
        let err = String::from_utf8_lossy(&loser.stderr);
        assert!(
            err.contains("another export") || err.contains("already exists"),
            "{err}"
        );
        assert!(!rep[1 - ok[0]].exists(), "the refused run writes no report");
        assert_eq!(common::entry_names(&out).len(), 14);
    }
}

#[test]
fn a_held_destination_lock_refuses_a_second_export() {
    use std::os::unix::io::AsRawFd;
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    let out = d.path().join("o.zip");
    // another process (here: this test) is writing o.zip and holds its lock
    let lock = std::fs::File::create(d.path().join(".o.zip.lock")).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--force"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another export"),
        "{}",
        text(&o)
    );
    assert!(!out.exists());
    drop(lock);
    let o = batch(d.path(), &[&exam], &["-o", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!d.path().join(".o.zip.lock").exists(), "lock file removed");
}

// ---- 4. terminal control characters ----------------------------------------------------------

const HOSTILE: [&str; 5] = [
    "a\x1b]0;pwned\x07.dcm",
    "b\x1b[2J\x1b[H.dcm",
    "c.dcm\nexported: fine.dcm",
    "d\r\u{9b}31m\u{202e}mcd.txt",
    "e\x08\x08\x7f\u{2028}.dcm",
];

fn no_controls(what: &str, out: &str) {
    for (i, line) in out.lines().enumerate() {
        assert!(
            !line.chars().any(|c| c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2028}' | '\u{2029}')),
            "{what} line {i} carries a control character: {line:?}"
        );
        assert!(!line.starts_with("exported: fine"), "{what}: forged line");
    }
}

#[test]
fn control_characters_in_names_are_escaped_in_human_output_and_exact_in_json() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    for (i, name) in HOSTILE.iter().enumerate() {
        if i % 2 == 0 {
            std::fs::write(exam.join(name), b"not a DICOM file at all").unwrap();
        } else {
            std::fs::copy(exam.join("f0.dcm"), exam.join(name)).unwrap();
        }
    }
    // ZIP members with the same names, broken or duplicates
    let zdir = d.path().join("z");
    std::fs::create_dir(&zdir).unwrap();
    let zpath = zdir.join("members.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
        for name in HOSTILE {
            z.start_file(
                format!("m/{name}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(b"DICM? no").unwrap();
        }
        z.finish().unwrap();
    }
    let check = |json: bool| {
        let mut c = bin();
        c.arg("--config-dir")
            .arg(d.path().join("cfg"))
            .arg("check")
            .arg(&exam)
            .arg(&zpath);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let o = check(false);
    let table = String::from_utf8_lossy(&o.stdout);
    no_controls("check", &table);
    assert!(table.contains("\\x1b]0;pwned\\x07"), "{table}");
    no_controls("check stderr", &String::from_utf8_lossy(&o.stderr));
    // JSON: the names exactly as they are
    let o = check(true);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let inputs: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["input"].as_str().unwrap())
        .collect();
    for name in HOSTILE {
        assert!(
            inputs.iter().any(|i| i.ends_with(&format!("/{name}"))),
            "{name:?} not exact in {inputs:?}"
        );
        assert!(
            inputs.iter().any(|i| i.ends_with(&format!("!m/{name}"))),
            "member {name:?} not exact in {inputs:?}"
        );
    }
    // batch: the per-file lines on stderr; the report JSON stays exact
    let out = d.path().join("o.zip");
    let rep = d.path().join("r.json");
    let o = batch(
        d.path(),
        &[&exam, &zpath],
        &["-o", s(&out), "--report", s(&rep)],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    no_controls("batch", &err);
    assert!(err.contains("\\x1b[2J"), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let reported: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["input"].as_str().unwrap())
        .collect();
    assert!(reported.iter().any(|i| i.ends_with(HOSTILE[2])));
    // an error message naming the output
    let bad = d.path().join("x\x1b]2;t\x07.txt");
    let o = batch(d.path(), &[&exam], &["-o", s(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    no_controls("batch error", &String::from_utf8_lossy(&o.stderr));
}
