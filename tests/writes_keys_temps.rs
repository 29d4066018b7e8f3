//! What the tool writes (issue 14), continued from `writes.rs`: checked key files, stale
//! temporaries of killed exports cleaned, a full destination leaving nothing behind.

mod common;
mod writes_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{fixture_spec, write_fixture};
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::fsutil::temp_prefix;
use writes_support::*;

// ---- 6. the key file ---------------------------------------------------------------------------

#[test]
fn key_files_that_are_links_devices_or_the_wrong_size_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    let good = d.path().join("good.key");
    std::fs::write(&good, [5u8; 32]).unwrap();
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = d.path().join("link.key");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let big = d.path().join("big.key");
    std::fs::write(&big, vec![1u8; 8 << 20]).unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tiny = d.path().join("tiny.key");
    std::fs::write(&tiny, b"k").unwrap();
    std::fs::set_permissions(&tiny, std::fs::Permissions::from_mode(0o600)).unwrap();
    for (key, why) in [
        (link.as_path(), "symbolic link"),
        (big.as_path(), "bytes"),
        (tiny.as_path(), "bytes"),
        (Path::new("/dev/zero"), "regular file"),
    ] {
        let out = d.path().join("o.zip");
        let mut c = batch_cmd(d.path(), &[&exam], &["-o", s(&out)]);
        let o = c.arg("--key-file").arg(key).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}: {}", key.display(), text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(why),
            "{}",
            text(&o)
        );
        assert!(!out.exists());
    }
    // the default key is checked the same way: a symlinked deid.key is refused
    let cfg = d.path().join("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    std::os::unix::fs::symlink(&good, cfg.join("deid.key")).unwrap();
    let out = d.path().join("o.zip");
    let o = batch(d.path(), &[&exam], &["-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("symbolic link"));
}

#[test]
fn a_key_open_to_others_warns_or_is_refused_by_setting() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    let key = d.path().join("open.key");
    std::fs::write(&key, [6u8; 32]).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = d.path().join("o.zip");
    let run = |extra: &[&str]| {
        let mut c = batch_cmd(d.path(), &[&exam], &[&["-o", s(&out)], extra].concat());
        c.arg("--key-file").arg(&key).output().unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning") && err.contains("0644"), "{err}");
    std::fs::remove_file(&out).unwrap();
    let strict = d.path().join("strict.toml");
    std::fs::write(&strict, "[deid]\nkey_permissions = \"refuse\"\n").unwrap();
    let o = run(&["--settings", s(&strict)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!out.exists());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run(&["--settings", s(&strict)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
}

// ---- 7. stale temporaries ----------------------------------------------------------------------

/// The id of a process that has ended.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn stale_temporaries_of_killed_exports_are_removed_and_reported() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 1);
    let dest = d.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    let dead = dead_pid();
    let live = std::process::id();
    let name = |dest: &str, pid: u32, rand: &str| {
        format!("{}{rand}.partial", temp_prefix(Path::new(dest), pid))
    };
    let stale = [
        name("o.zip", dead, "Xk3pQz9aB1cD"),
        name("other.zip", dead, "a8Fj2LmQ0zZz"),
        name("o.zip.mapping.json", dead, "QQQQ11112222"),
        format!(".old.zip.{dead}.0.partial"),
    ];
    let kept = [
        name("o.zip", live, "Xk3pQz9aB1cD"),
        // another machine's (same folder shared): its pid means nothing here
        format!(".o.zip.usdz-{dead}-0000zzzz-Xk3pQz9aB1cD.partial"),
        format!(".notes.txt.{dead}.0.partial"),
        name("o.zip", dead, "Xk3pQz9aB1cD")[1..].to_string(),
        "unrelated.partial".to_string(),
    ];
    for n in stale.iter().chain(&kept) {
        std::fs::write(dest.join(n), b"half an archive").unwrap();
    }
    let out = dest.join("o.zip");
    let rep = d.path().join("r.json");
    let o = batch(d.path(), &[&exam], &["-o", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for n in &stale {
        assert!(!dest.join(n).exists(), "{n} left");
    }
    for n in &kept {
        assert!(dest.join(n).exists(), "{n} removed");
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("removed 4 stale temporary"), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(
        r["summary"]["removed_temporaries"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn the_temporary_of_a_killed_export_is_removed_by_the_next_one() {
    let d = tempfile::tempdir().unwrap();
    let exam = inputs(d.path(), 24);
    let dest = d.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    let out = dest.join("o.zip");
    let partials = || -> Vec<String> {
        std::fs::read_dir(&dest)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    };
    // kill an export while its temporary exists (retried if one finishes before it is seen)
    let mut left = Vec::new();
    for _ in 0..10 {
        let _ = std::fs::remove_file(&out);
        let mut child = batch_cmd(d.path(), &[&exam], &["-o", s(&out)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            left = partials();
            if !left.is_empty() || child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        child.wait().unwrap();
        // what the killed process really left (it may have finished just before the kill)
        left = partials();
        if !left.is_empty() && !out.exists() {
            break;
        }
    }
    assert_eq!(left.len(), 1, "no temporary seen: {left:?}");
    assert!(
        !out.exists(),
        "a killed export leaves nothing under the final name"
    );
    let o = batch(d.path(), &[&exam], &["-o", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(partials().is_empty(), "{:?}", partials());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("removed 1 stale temporary") && err.contains(&left[0]),
        "{err}"
    );
}

/// A write error on the archive (here the file size limit of the process, as a full disk
/// would; ENOSPC was checked by hand on a 1 MB tmpfs) ends as one plain message naming the
/// folder and the archive: no debug line from the ZIP writer, nothing under the final name and
/// no temporary left.
#[test]
fn a_full_destination_gives_a_plain_message_and_leaves_nothing() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let exam = dir.path().join("exam");
    std::fs::create_dir_all(&exam).unwrap();
    for i in 0..6 {
        write_fixture(
            &exam,
            &format!("f{i}.dcm"),
            &fixture_spec(Kind::Mono, 640, 480, 2, i + 1),
        );
    }
    // the key file and the config folder first, without a limit
    let first = batch(dir.path(), &[&exam], &["-o", s(&dir.path().join("ok.zip"))]);
    assert!(first.status.success(), "{}", text(&first));
    std::fs::remove_file(dir.path().join("ok.zip")).unwrap();
    let out = dir.path().join("out.zip");
    let mut c = batch_cmd(dir.path(), &[&exam], &["-o", s(&out)]);
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 16 << 10,
                rlim_max: 16 << 10,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let o = c.output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("file size limit reached") && err.contains("while writing out.zip"),
        "{t}"
    );
    assert!(!err.contains("ZipWriter") && !err.contains("Os {"), "{t}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| n == "exam" || n == "cfg"), "{left:?}");
}
