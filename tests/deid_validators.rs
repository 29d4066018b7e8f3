//! With dicom3tools installed (`dciodvfy`, `dcentvfy`), de-identified outputs must add no IOD
//! error to their input, and the two files of one study must be entity-consistent. Skipped
//! (with a note) when the tools are absent.

mod deid_support;

use deid_support::*;
use std::path::Path;
use std::process::Command;
use us_dicomizer::core::deid::{deidentify, DeidContext, DeidSettings};
use us_dicomizer::core::tags::Vocabulary;

fn tool(name: &str) -> bool {
    Command::new(name).arg("-help").output().is_ok()
}

fn errors(path: &Path) -> Vec<String> {
    let out = Command::new("dciodvfy").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&out.stdout).lines())
        .filter(|l| l.starts_with("Error"))
        .map(str::to_string)
        .collect()
}

#[test]
fn no_new_dciodvfy_errors_and_consistent_entities() {
    if !tool("dciodvfy") || !tool("dcentvfy") {
        eprintln!("note: dicom3tools not installed; skipping the dciodvfy/dcentvfy check");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let v = Vocabulary::default();
    let tags = vec![
        v.resolve("position", "CFV").unwrap(),
        v.resolve("side", "L").unwrap(),
    ];
    let mut outs = Vec::new();
    for n in [1, 2] {
        let input = d.path().join(format!("in{n}.dcm"));
        let o = sentinel_file(n);
        o.write_to_file(&input).unwrap();
        let mut o = sentinel_file(n);
        let ctx = DeidContext {
            key: b"validator-key",
            pseudonym: "P01",
            cropped: true,
            crop_approved: true,
            tags: &tags,
        };
        deidentify(&mut o, &DeidSettings::default(), &ctx).unwrap();
        let output = d.path().join(format!("out{n}.dcm"));
        o.write_to_file(&output).unwrap();
        let before = errors(&input);
        let after = errors(&output);
        eprintln!(
            "file {n}: input errors {}, output errors {}: {after:#?}",
            before.len(),
            after.len()
        );
        let new: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
        assert!(
            new.is_empty(),
            "file {n}: new dciodvfy errors {new:#?}\n(input had {before:#?})"
        );
        outs.push(output);
    }
    let out = Command::new("dcentvfy").args(&outs).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.lines().any(|l| l.starts_with("Error")),
        "dcentvfy: {text}"
    );
}
