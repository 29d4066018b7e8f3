//! `verify` finds what an independent search finds: text in other character sets (ISO_IR 100,
//! ISO 2022 IR 87), name variants with accents folded, IDs with and without separators, dates
//! in written forms, and values inside deflated nested ZIPs; nested ZIPs over the load limits
//! are refused.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::verify::{verify, verify_with, Finding, VerifyOptions};

static N: AtomicUsize = AtomicUsize::new(0);

fn dcm(charset: &str, elems: &[(u16, u16, VR, &str)]) -> Vec<u8> {
    let mut o = InMemDicomObject::from_element_iter([
        DataElement::new(Tag(0x0008, 0x0005), VR::CS, PrimitiveValue::from(charset)),
        DataElement::new(
            Tag(0x0008, 0x0016),
            VR::UI,
            PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.6.1"),
        ),
        DataElement::new(
            Tag(0x0008, 0x0018),
            VR::UI,
            PrimitiveValue::from(format!("2.25.{}", N.fetch_add(1, SeqCst) + 1000).as_str()),
        ),
    ]);
    for (g, e, vr, v) in elems {
        o.put(DataElement::new(Tag(*g, *e), *vr, PrimitiveValue::from(*v)));
    }
    let f: FileDicomObject<InMemDicomObject> = o
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid(format!("2.25.{}", N.fetch_add(1, SeqCst) + 5000))
                .implementation_version_name("V1"),
        )
        .unwrap();
    let mut v = Vec::new();
    f.write_all(&mut v).unwrap();
    v
}

fn zip_bytes(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b) in entries {
        z.start_file(
            *n,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn setup(dir: &Path, input: Vec<u8>, export: &[(&str, Vec<u8>)]) -> (PathBuf, PathBuf) {
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(inputs.join("IM1.dcm"), input).unwrap();
    let out = dir.join("out.zip");
    std::fs::write(&out, zip_bytes(export)).unwrap();
    (out, inputs)
}

fn findings(input: Vec<u8>, export: &[(&str, Vec<u8>)]) -> Vec<Finding> {
    let d = tempfile::tempdir().unwrap();
    let (out, inputs) = setup(d.path(), input, export);
    verify(&out, &[inputs], &mut |_, _| {}).unwrap().findings
}

fn found(f: &[Finding], kind: &str) -> bool {
    f.iter().any(|x| x.needle_kind == kind)
}

#[test]
fn latin1_names_are_found_with_accents_folded() {
    let input = dcm("ISO_IR 100", &[(0x0010, 0x0010, VR::PN, "MÜLLER^JÖRG")]);
    // the same name, Latin-1 encoded, and the name written without accents
    let out1 = dcm(
        "ISO_IR 100",
        &[(0x0020, 0x4000, VR::LT, "seen by jörg müller")],
    );
    let out2 = dcm("ISO_IR 192", &[(0x0020, 0x4000, VR::LT, "MULLER, JORG")]);
    for out in [out1, out2] {
        let f = findings(input.clone(), &[("a.dcm", out)]);
        assert!(found(&f, "person-name"), "{f:?}");
    }
    // nothing of the name: nothing found
    let out = dcm("ISO_IR 100", &[(0x0020, 0x4000, VR::LT, "liver scan")]);
    let f = findings(input, &[("a.dcm", out)]);
    assert!(f.is_empty(), "{f:?}");
}

/// A data set whose text is written in ISO 2022 IR 87 (bytes placed by hand: dicom-rs does
/// not encode ISO 2022): written as UTF-8 with placeholders, then the Specific Character Set
/// element and the text bytes replaced.
fn dcm_2022(tag: (u16, u16, VR), text: &str) -> Vec<u8> {
    let (enc, _, bad) = encoding_rs::ISO_2022_JP.encode(text);
    assert!(!bad);
    let mut enc = enc.into_owned();
    if enc.len() % 2 == 1 {
        enc.push(b' ');
    }
    let placeholder = "Q".repeat(enc.len());
    let mut b = dcm("ISO_IR 192", &[(tag.0, tag.1, tag.2, placeholder.as_str())]);
    let p = b
        .windows(enc.len())
        .position(|w| w == placeholder.as_bytes())
        .unwrap();
    b[p..p + enc.len()].copy_from_slice(&enc);
    let old: &[u8] = b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 192";
    let new: &[u8] = b"\x08\x00\x05\x00CS\x0e\x00ISO 2022 IR 87";
    let q = b.windows(old.len()).position(|w| w == old).unwrap();
    b.splice(q..q + old.len(), new.iter().copied());
    b
}

#[test]
fn iso_2022_japanese_names_are_found() {
    let input = dcm_2022((0x0010, 0x0010, VR::PN), "山田^太郎");
    let out = dcm_2022((0x0020, 0x4000, VR::LT), "担当 山田^太郎");
    let f = findings(input, &[("a.dcm", out)]);
    assert!(found(&f, "person-name"), "{f:?}");
}

#[test]
fn ids_with_or_without_separators_and_written_dates() {
    let input = dcm(
        "ISO_IR 100",
        &[
            (0x0010, 0x0020, VR::LO, "12-345-678"),
            (0x0010, 0x1000, VR::LO, "98765432"),
            (0x0010, 0x0030, VR::DA, "20990102"),
        ],
    );
    let cases: [(&str, &str); 3] = [
        ("id 12345678", "text"),
        ("ref 98-765-432", "text"),
        ("born 2 January 2099", "date"),
    ];
    for (text, kind) in cases {
        let f = findings(input.clone(), &[("notes.txt", text.as_bytes().to_vec())]);
        assert!(found(&f, kind), "{text}: {f:?}");
    }
}

#[test]
fn nested_deflated_zips_are_searched_and_limits_apply() {
    let input = dcm("ISO_IR 100", &[(0x0010, 0x0010, VR::PN, "QXDOE^QXJANE")]);
    let leaky = dcm("ISO_IR 100", &[(0x0020, 0x4000, VR::LT, "QXDOE^QXJANE")]);
    let inner = zip_bytes(&[("deep.dcm", leaky)]);
    let outer = zip_bytes(&[("level2.zip", inner)]);
    let f = findings(input.clone(), &[("bundle.zip", outer)]);
    assert!(
        f.iter()
            .any(|x| x.needle_kind == "person-name" && x.entry.contains("deep.dcm")),
        "{f:?}"
    );
    // a nested ZIP with more members than load.max_zip_members: refused, not skipped
    let d = tempfile::tempdir().unwrap();
    let many = zip_bytes(&[
        ("a.txt", b"a".to_vec()),
        ("b.txt", b"b".to_vec()),
        ("c.txt", b"c".to_vec()),
    ]);
    let (out, inputs) = setup(d.path(), input, &[("inner.zip", many)]);
    let mut s = Settings::defaults();
    s.load.max_zip_members = 2;
    let opts = VerifyOptions::from_settings(&s);
    let r = verify_with(&out, &[inputs], &opts, &mut |_, _| {});
    assert!(r.is_err(), "{r:?}");
}
