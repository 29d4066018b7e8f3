//! `verify` finds every planted identifier in a leaky export (negative control), and nothing
//! in a de-identified one.

mod deid_support;

use deid_support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use us_dicomizer::core::deid::{deidentify, DeidContext, DeidSettings};
use us_dicomizer::core::verify::verify;

const KEY: &[u8] = b"verify-test-key";

/// Inputs: a folder named with sentinels holding two sentinel files, plus a ZIP input with a
/// third file under a sentinel folder name.
fn make_inputs(dir: &Path) -> Vec<PathBuf> {
    let exam = dir.join("ZZPHI_DOE_JANE_exam");
    std::fs::create_dir_all(exam.join("ZZMRN12345678_series")).unwrap();
    std::fs::write(
        exam.join("ZZMRN12345678_series/IM1.dcm"),
        to_bytes(&sentinel_file(1)),
    )
    .unwrap();
    std::fs::write(
        exam.join("ZZMRN12345678_series/IM2.dcm"),
        to_bytes(&sentinel_file(2)),
    )
    .unwrap();
    std::fs::write(exam.join("notes.txt"), b"not dicom").unwrap();
    let zpath = dir.join("ZZPHI_ZIPPED_INPUT.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    z.start_file(
        "ZZZIPFOLDER_X/img.dcm",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(&to_bytes(&sentinel_file(1))).unwrap();
    z.finish().unwrap();
    vec![exam, zpath]
}

fn write_zip(path: &Path, entries: &[(&str, Vec<u8>, bool)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data, deflate) in entries {
        let m = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(m),
        )
        .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

fn deid_bytes(n: u32) -> Vec<u8> {
    let mut o = sentinel_file(n);
    let tags = [];
    let ctx = DeidContext {
        key: KEY,
        pseudonym: "P01",
        cropped: true,
        crop_approved: true,
        tags: &tags,
    };
    deidentify(&mut o, &DeidSettings::default(), &ctx).unwrap();
    to_bytes(&o)
}

#[test]
fn clean_export_has_no_findings() {
    let d = tempfile::tempdir().unwrap();
    let inputs = make_inputs(d.path());
    let out = d.path().join("out.zip");
    let manifest = "entry,position,side\nP01_0001_CFV-L.dcm,CFV,L\nP01_0002_GSV-R.dcm,GSV,R\n";
    write_zip(
        &out,
        &[
            ("P01_0001_CFV-L.dcm", deid_bytes(1), false),
            ("P01_0002_GSV-R.dcm", deid_bytes(2), true),
            ("manifest.csv", manifest.as_bytes().to_vec(), true),
        ],
    );
    let mut calls = 0;
    let r = verify(&out, &inputs, &mut |_, _| calls += 1).unwrap();
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.entries_scanned, 3);
    assert_eq!(r.input_dicom_files, 3);
    assert!(r.needles > 40, "needles: {}", r.needles);
    assert!(calls >= 3);
}

#[test]
fn leaky_export_is_caught_and_redacted() {
    let d = tempfile::tempdir().unwrap();
    let inputs = make_inputs(d.path());
    let out = d.path().join("leak.zip");
    let raw = to_bytes(&sentinel_file(2));
    write_zip(
        &out,
        &[
            ("P01_0001.dcm", deid_bytes(1), false),
            ("raw.dcm", raw, true),
            ("ZZMRN12345678.dcm", deid_bytes(1), false),
            (
                "notes.json",
                br#"{"patient":"zzphi doe jane","dob":"1901-02-03"}"#.to_vec(),
                false,
            ),
            (
                "utf16.txt",
                "ZZPHI INSTITUTION"
                    .encode_utf16()
                    .flat_map(|c| c.to_le_bytes())
                    .collect(),
                false,
            ),
        ],
    );
    let r = verify(&out, &inputs, &mut |_, _| {}).unwrap();
    let by_entry = |e: &str| r.findings.iter().filter(|f| f.entry == e).count();
    assert_eq!(by_entry("P01_0001.dcm"), 0, "{:#?}", r.findings);
    assert!(by_entry("raw.dcm") > 20, "{}", by_entry("raw.dcm"));
    // the leaking name is reported by index, not by name
    assert!(r
        .findings
        .iter()
        .any(|f| f.entry == "entry #3" && f.location == "name"));
    assert!(r.findings.iter().all(|f| !f.entry.contains("ZZMRN")));
    // case-insensitive PN with spaces, reformatted date, UTF-16
    let nj: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.entry == "notes.json")
        .collect();
    assert!(nj.iter().any(|f| f.needle_kind == "person-name"), "{nj:#?}");
    assert!(nj.iter().any(|f| f.needle_kind == "date"), "{nj:#?}");
    assert!(r.findings.iter().any(|f| f.entry == "utf16.txt"));
    // kinds seen in the raw file
    for kind in ["person-name", "text", "date", "uid", "private", "ae-title"] {
        assert!(
            r.findings
                .iter()
                .any(|f| f.entry == "raw.dcm" && f.needle_kind == kind),
            "no {kind} finding"
        );
    }
    // never the full value
    for f in &r.findings {
        assert!(f.needle.contains('…'), "{}", f.needle);
        assert!(f.needle.chars().take_while(|c| *c != '…').count() <= 2);
    }
}

#[test]
fn deflated_dataset_is_inflated_before_the_search() {
    let d = tempfile::tempdir().unwrap();
    let inputs = make_inputs(d.path());
    let mut raw = sentinel_file(1);
    raw.update_meta(|m| {
        m.set_transfer_syntax(
            &dicom_transfer_syntax_registry::entries::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        )
    });
    let bytes = to_bytes(&raw);
    // the plain bytes do not show the data set's values
    assert!(!bytes.windows(14).any(|w| w == b"ZZPHI^REFERRER"));
    let out = d.path().join("deflated.zip");
    write_zip(&out, &[("a.dcm", bytes, false)]);
    let r = verify(&out, &inputs, &mut |_, _| {}).unwrap();
    assert!(
        r.findings.iter().any(|f| f.needle_kind == "person-name"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn missing_input_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o.zip");
    write_zip(&out, &[("a.txt", b"x".to_vec(), false)]);
    assert!(verify(&out, &[d.path().join("nope")], &mut |_, _| {}).is_err());
    assert!(verify(&d.path().join("none.zip"), &[], &mut |_, _| {}).is_err());
}
