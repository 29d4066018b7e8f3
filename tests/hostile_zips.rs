//! Hostile ZIP archives (tests/mutate/zips.rs): every member ends as one line, loaded or with a
//! reason, labels stay distinct, nothing is followed or unpacked outside the archive.

mod mutate;

use std::collections::BTreeSet;

use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::load;
use us_dicomizer::core::settings::Settings;

/// Gathers and loads every member on a thread with a small stack: (loaded labels, reasons).
fn outcome(path: &std::path::Path) -> (Vec<String>, Vec<(String, String)>) {
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let limits = Settings::defaults().load;
            let g = load::gather(std::slice::from_ref(&path), &limits);
            let mut loaded = Vec::new();
            let mut reasons: Vec<(String, String)> = g
                .skipped
                .iter()
                .map(|s| (s.input.clone(), s.reason.clone()))
                .collect();
            for s in &g.sources {
                match load::load(s, &limits) {
                    Ok(_) => loaded.push(s.display()),
                    Err(r) => reasons.push((s.display(), r)),
                }
            }
            (loaded, reasons)
        })
        .unwrap()
        .join()
        .expect("no panic escapes")
}

#[test]
fn every_member_of_a_hostile_archive_ends_as_one_line() {
    let obj = demo::build(&Spec::new(Kind::Mono, 48, 32, 1)).unwrap();
    let mut dicom = Vec::new();
    obj.write_all(&mut dicom).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zips = mutate::zips::hostile_zips(dir.path(), &dicom, false);
    assert!(zips.len() >= 20);
    for (name, path) in &zips {
        let (loaded, reasons) = outcome(path);
        assert!(
            !loaded.is_empty() || !reasons.is_empty(),
            "{name}: no line at all"
        );
        for (label, reason) in &reasons {
            assert!(!reason.trim().is_empty(), "{name}: {label} without reason");
        }
        let labels: BTreeSet<&String> = loaded.iter().chain(reasons.iter().map(|r| &r.0)).collect();
        assert_eq!(
            labels.len(),
            loaded.len() + reasons.len(),
            "{name}: two lines share a label"
        );
        let reason_has = |what: &str| reasons.iter().any(|(_, r)| r.contains(what));
        match name.as_str() {
            "duplicates" => assert_eq!(loaded.len(), 100, "{reasons:?}"),
            "encrypted" => {
                assert!(loaded.is_empty());
                assert_eq!(reasons.len(), 3);
                assert!(reasons.iter().all(|(_, r)| r.contains("encrypted")));
            }
            "nested zips" => {
                assert!(reason_has("nested ZIP"), "{reasons:?}");
                assert_eq!(loaded.len(), 1, "only ok.dcm: {loaded:?} {reasons:?}");
            }
            // names are labels only: the members load, nothing is written by their name
            "traversal names" | "unicode names" | "zip64" | "non-utf8 name" => {
                assert_eq!(loaded.len(), zip_members(path), "{name}: {reasons:?}")
            }
            // a link's data is its target's name: never followed, refused as not DICOM
            "symlinks" => assert_eq!(loaded.len(), 1, "{loaded:?} {reasons:?}"),
            "method 99" => assert!(reason_has("method 99"), "{reasons:?}"),
            "crc lie" => assert!(reason_has("CRC"), "{reasons:?}"),
            "bomb" => assert!(loaded.is_empty()),
            _ => {}
        }
    }
}

fn zip_members(path: &std::path::Path) -> usize {
    load::zipindex::read_index(path).unwrap().len()
}

/// Shared names across a directory larger than what the name counts keep in memory (600
/// distinct names, 300 of them used twice): every member is kept, each shared name labelled
/// with its copy number, the count and its place, as for a small archive.
#[test]
fn shared_names_are_labelled_in_a_large_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = b"not dicom";
    let names: Vec<String> = (0..300)
        .flat_map(|j| ["A", "B", "C"].map(|c| format!("p{j:03}-{c}.dcm")))
        .collect();
    let members: Vec<(&str, &[u8], _)> = names
        .iter()
        .map(|n| {
            (
                n.as_str(),
                &data[..],
                zip::write::SimpleFileOptions::default(),
            )
        })
        .collect();
    let mut bytes = mutate::zips::zip_bytes(&members);
    // the zip writer refuses a name twice: every `-B` member takes its `-A` twin's name
    for p in 0..bytes.len() - 6 {
        if &bytes[p..p + 6] == b"-B.dcm" {
            bytes[p..p + 6].copy_from_slice(b"-A.dcm");
        }
    }
    let path = dir.path().join("shared.zip");
    std::fs::write(&path, &bytes).unwrap();
    let g = load::gather(std::slice::from_ref(&path), &Settings::defaults().load);
    assert!(g.skipped.is_empty(), "{:?}", g.skipped);
    let labels: Vec<String> = g.sources.iter().map(|s| s.display()).collect();
    let expected: Vec<String> = (0..300)
        .flat_map(|j| {
            let a = format!("p{j:03}-A.dcm");
            [
                format!("{a} (copy 1 of 2 with this name, ZIP entry {})", 3 * j + 1),
                format!("{a} (copy 2 of 2 with this name, ZIP entry {})", 3 * j + 2),
                format!("p{j:03}-C.dcm"),
            ]
        })
        .map(|n| format!("{}!{n}", path.display()))
        .collect();
    assert_eq!(labels, expected);
}
