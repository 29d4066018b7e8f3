//! De-identification round two: one generated fixture per leak class (code items, device
//! text, ICC profile, HL7 designator sequences, UTC offsets, laterality; JPEG marker segments
//! in `jpeg_markers.rs`), each checked on the de-identified output, and a `verify` test per
//! class that finds the leak in an export where the fix is switched off (the leaking element
//! put back into the de-identified output).

mod deid_support;

use deid_support::*;
use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_object::{FileDicomObject, InMemDicomObject};
use std::io::Write;
use std::path::Path;
use us_dicomizer::core::deid::{deidentify, DeidContext, DeidSettings};
use us_dicomizer::core::tags::{TagTarget, TagValue};
use us_dicomizer::core::verify::verify;

const KEY: &[u8] = b"round-two-key";

type Obj = FileDicomObject<InMemDicomObject>;

fn el(g: u16, e: u16, vr: VR, v: impl Into<PrimitiveValue>) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(g, e), vr, v.into())
}

fn sq(g: u16, e: u16, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        Tag(g, e),
        VR::SQ,
        DataSetSequence::new(items, Length::UNDEFINED),
    )
}

fn item(elems: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elems)
}

fn code(value: &str, scheme: &str, meaning: &str) -> InMemDicomObject {
    item(vec![
        el(0x0008, 0x0100, VR::SH, value),
        el(0x0008, 0x0102, VR::SH, scheme),
        el(0x0008, 0x0104, VR::LO, meaning),
    ])
}

fn deid_with(mut o: Obj, settings: &DeidSettings, tags: &[TagValue]) -> (Obj, String) {
    let ctx = DeidContext {
        key: KEY,
        pseudonym: "P01",
        cropped: true,
        crop_approved: true,
        tags,
    };
    let out = deidentify(&mut o, settings, &ctx).unwrap();
    dump(&o);
    (o, format!("{out:?}"))
}

fn deid(o: Obj) -> Obj {
    deid_with(o, &DeidSettings::default(), &[]).0
}

/// `DEID_DUMP_DIR=dir` writes every de-identified fixture there (for dciodvfy runs).
fn dump(o: &Obj) {
    if let Some(d) = std::env::var_os("DEID_DUMP_DIR") {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("{:?}-{n}.dcm", std::thread::current().name().unwrap_or("t"));
        let _ = std::fs::write(
            Path::new(&d).join(name.replace(['"', ':'], "_")),
            to_bytes(o),
        );
    }
}

fn str_of(o: &InMemDicomObject, g: u16, e: u16) -> Option<String> {
    o.get(Tag(g, e))
        .and_then(|x| x.to_str().ok())
        .map(|s| s.trim_matches([' ', '\0']).to_string())
}

fn assert_no_leak(o: &Obj) {
    let l = leaks(&to_bytes(o));
    assert!(l.is_empty(), "leaks: {l:#?}");
}

/// `verify` on a clean export (the de-identified file) finds nothing; on the same output with
/// `put_back` applied (the fix switched off) it finds a value of `kind`.
fn verify_catches<R>(input: &Obj, clean: &Obj, put_back: impl Fn(&mut Obj) -> R, kind: &str) {
    let d = tempfile::tempdir().unwrap();
    let inputs = d.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(inputs.join("IM1.dcm"), to_bytes(input)).unwrap();
    let zip = |name: &str, o: &Obj| {
        let p = d.path().join(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        z.start_file("P01_0001.dcm", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&to_bytes(o)).unwrap();
        z.finish().unwrap();
        p
    };
    let good = verify(
        &zip("good.zip", clean),
        std::slice::from_ref(&inputs),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(good.is_clean(), "clean export flagged: {:?}", good.findings);
    let mut leaky = clean.clone();
    put_back(&mut leaky);
    let bad = verify(&zip("bad.zip", &leaky), &[inputs], &mut |_, _| {}).unwrap();
    assert!(
        bad.findings.iter().any(|f| f.needle_kind == kind),
        "verify missed the {kind} leak: {:?}",
        bad.findings
    );
}

// ---- 1. code items ----

fn with_codes() -> Obj {
    let mut o = sentinel_file(1);
    o.put(sq(
        0x0008,
        0x2218,
        vec![
            code("71341001", "SCT", "ZZPHI FEMUR OF SMITH"),
            code("ZZPID777", "99HOSP", "ZZPHI CODED NAME"),
        ],
    ));
    o.put(sq(
        0x0040,
        0xA730,
        vec![
            item(vec![
                el(0x0040, 0xA040, VR::CS, "CODE"),
                sq(0x0040, 0xA043, vec![code("121071", "DCM", "ZZPHI CONCEPT")]),
                sq(0x0040, 0xA168, vec![code("ZZC55", "99X", "ZZPHI MEANING")]),
            ]),
            item(vec![
                el(0x0040, 0xA040, VR::CS, "PNAME"),
                sq(
                    0x0040,
                    0xA043,
                    vec![code("121008", "DCM", "Person Observer Name")],
                ),
                sq(
                    0x0040,
                    0x1101,
                    vec![code("ZZPID4242", "99HOSP", "ZZPHI DOCTOR WHO")],
                ),
            ]),
        ],
    ));
    o
}

#[test]
fn code_items_keep_only_standard_terms_with_standard_meanings() {
    let o = deid(with_codes());
    assert_no_leak(&o);
    let region = o
        .get(Tag(0x0008, 0x2218))
        .unwrap()
        .items()
        .unwrap()
        .to_vec();
    assert_eq!(region.len(), 1, "the non-standard item is dropped");
    assert_eq!(
        str_of(&region[0], 0x0008, 0x0100).as_deref(),
        Some("71341001")
    );
    assert_eq!(str_of(&region[0], 0x0008, 0x0104).as_deref(), Some("Femur"));
    let content = o
        .get(Tag(0x0040, 0xA730))
        .unwrap()
        .items()
        .unwrap()
        .to_vec();
    let concept = content[0]
        .get(Tag(0x0040, 0xA043))
        .unwrap()
        .items()
        .unwrap()[0]
        .clone();
    assert_eq!(str_of(&concept, 0x0008, 0x0104).as_deref(), Some("Finding"));
    assert!(content[0].get(Tag(0x0040, 0xA168)).is_none());
    // Person Identification Code Sequence is D: one dummy item, never the original
    let pid = content[1]
        .get(Tag(0x0040, 0x1101))
        .unwrap()
        .items()
        .unwrap()
        .to_vec();
    assert_eq!(pid.len(), 1);
    assert_ne!(
        str_of(&pid[0], 0x0008, 0x0100).as_deref(),
        Some("ZZPID4242")
    );
}

#[test]
fn verify_catches_code_meanings() {
    let input = with_codes();
    let clean = deid(input.clone());
    verify_catches(
        &input,
        &clean,
        |o| {
            o.put(sq(
                0x0008,
                0x2218,
                vec![code("71341001", "SCT", "ZZPHI FEMUR OF SMITH")],
            ))
        },
        "code",
    );
}

// ---- 2. device identity in kept text ----

fn with_device_text() -> Obj {
    let mut o = sentinel_file(1);
    o.put(el(0x0018, 0x5010, VR::LO, "L12-3 SN ZZTX998877"));
    o.put(el(0x0008, 0x1090, VR::LO, "Model 9 S/N 4455667"));
    o
}

#[test]
fn device_text_is_kept_only_with_retain_device_identity() {
    let o = deid(with_device_text());
    assert_no_leak(&o);
    assert!(o.get(Tag(0x0018, 0x5010)).is_none());
    assert!(o.get(Tag(0x0008, 0x1090)).is_none());
    let s = DeidSettings {
        retain_device_identity: true,
        ..Default::default()
    };
    let (o, _) = deid_with(with_device_text(), &s, &[]);
    assert_eq!(
        str_of(&o, 0x0018, 0x5010).as_deref(),
        Some("L12-3 SN ZZTX998877")
    );
}

#[test]
fn verify_catches_device_text() {
    let input = with_device_text();
    let clean = deid(input.clone());
    verify_catches(
        &input,
        &clean,
        |o| o.put(el(0x0018, 0x5010, VR::LO, "L12-3 SN ZZTX998877")),
        "text",
    );
}

// ---- 3. ICC profile ----

fn icc_bytes() -> Vec<u8> {
    let mut b = vec![0u8; 128];
    b.extend_from_slice(b"desc\0\0\0\0ZZPHI ICC DESCRIPTION\0");
    b.extend_from_slice(b"mluc");
    b.extend("ZZPHI MLUC".encode_utf16().flat_map(|c| c.to_be_bytes()));
    if b.len() % 2 == 1 {
        b.push(0);
    }
    b
}

fn with_icc() -> Obj {
    let mut o = sentinel_file(1);
    o.put(el(
        0x0028,
        0x2000,
        VR::OB,
        PrimitiveValue::from(icc_bytes()),
    ));
    o.put(el(0x0028, 0x2002, VR::CS, "SRGB"));
    o
}

#[test]
fn icc_profile_text_does_not_pass() {
    let o = deid(with_icc());
    assert_no_leak(&o);
    assert!(o.get(Tag(0x0028, 0x2000)).is_none());
    assert!(o.get(Tag(0x0028, 0x2002)).is_none());
}

#[test]
fn verify_catches_icc_text() {
    let input = with_icc();
    let clean = deid(input.clone());
    verify_catches(
        &input,
        &clean,
        |o| {
            o.put(el(
                0x0028,
                0x2000,
                VR::OB,
                PrimitiveValue::from(icc_bytes()),
            ))
        },
        "icc",
    );
}

// ---- 5. HL7 v2 Hierarchic Designator sequences ----

fn with_hl7() -> Obj {
    let mut o = sentinel_file(1);
    o.put(sq(
        0x0010,
        0x0024,
        vec![item(vec![
            el(0x0040, 0x0032, VR::UT, "ZZUNIV.ENTITY.9"),
            el(0x0040, 0x0033, VR::CS, "ISO"),
        ])],
    ));
    o.put(sq(
        0x0008,
        0x0051,
        vec![item(vec![
            el(0x0040, 0x0031, VR::UT, "ZZLOCALNS"),
            el(0x0040, 0x0032, VR::UT, "ZZUNIVACC"),
            el(0x0040, 0x0033, VR::CS, "DNS"),
        ])],
    ));
    o
}

#[test]
fn hl7_designator_sequences_are_removed_whole() {
    let o = deid(with_hl7());
    assert_no_leak(&o);
    assert!(o.get(Tag(0x0010, 0x0024)).is_none());
    assert!(o.get(Tag(0x0008, 0x0051)).is_none());
}

#[test]
fn verify_catches_hl7_designators() {
    let input = with_hl7();
    let clean = deid(input.clone());
    verify_catches(
        &input,
        &clean,
        |o| {
            o.put(sq(
                0x0008,
                0x0051,
                vec![item(vec![el(0x0040, 0x0031, VR::UT, "ZZLOCALNS")])],
            ))
        },
        "text",
    );
}

// ---- 6. UTC offsets ----

fn with_offsets() -> Obj {
    let mut o = sentinel_file(1);
    o.put(el(0x0008, 0x0201, VR::SH, "+0930"));
    o.put(el(0x0008, 0x002A, VR::DT, "20990102101530.5+0930"));
    o.put(el(0x0018, 0x1202, VR::DT, "20990102-0330"));
    o
}

#[test]
fn utc_offsets_go_with_the_timezone_attribute() {
    let o = deid(with_offsets());
    assert_no_leak(&o);
    assert!(o.get(Tag(0x0008, 0x0201)).is_none());
    for (g, e) in [(0x0008, 0x002A), (0x0018, 0x1202)] {
        if let Some(v) = str_of(&o, g, e) {
            assert!(!v[8..].contains(['+', '-']), "offset kept in {v}");
        }
    }
    // Retain Full Dates keeps both
    let s = DeidSettings {
        retain_long_full_dates: true,
        ..Default::default()
    };
    let (o, _) = deid_with(with_offsets(), &s, &[]);
    assert_eq!(str_of(&o, 0x0008, 0x0201).as_deref(), Some("+0930"));
    assert!(str_of(&o, 0x0008, 0x002A).unwrap().ends_with("+0930"));
}

#[test]
fn verify_agrees_on_utc_offsets() {
    let input = with_offsets();
    let clean = deid(input.clone());
    let shifted = str_of(&clean, 0x0008, 0x002A).unwrap();
    verify_catches(
        &input,
        &clean,
        move |o| {
            o.put(el(
                0x0008,
                0x002A,
                VR::DT,
                format!("{shifted}+0930").as_str(),
            ))
        },
        "text",
    );
}

// ---- 7. laterality ----

fn side(v: &str) -> Vec<TagValue> {
    vec![TagValue {
        key: "side".into(),
        value: v.into(),
        label: None,
        code: None,
        target: TagTarget::Laterality,
    }]
}

#[test]
fn side_tag_wins_over_contradicting_laterality() {
    let mut input = sentinel_file(1);
    input.put(el(0x0020, 0x0060, VR::CS, "R"));
    input.put(el(0x0020, 0x0062, VR::CS, "R"));
    input.put(sq(
        0x0008,
        0x2218,
        vec![item(vec![
            el(0x0008, 0x0100, VR::SH, "71341001"),
            el(0x0008, 0x0102, VR::SH, "SCT"),
            el(0x0008, 0x0104, VR::LO, "Femur"),
            sq(0x0008, 0x2220, vec![code("24028007", "SCT", "Right")]),
        ])],
    ));
    let (o, outcome) = deid_with(input, &DeidSettings::default(), &side("L"));
    assert_eq!(str_of(&o, 0x0020, 0x0062).as_deref(), Some("L"));
    assert!(
        o.get(Tag(0x0020, 0x0060)).is_none(),
        "series laterality R left"
    );
    let region = o.get(Tag(0x0008, 0x2218)).unwrap().items().unwrap()[0].clone();
    assert!(
        region.get(Tag(0x0008, 0x2220)).is_none(),
        "Right modifier left"
    );
    assert!(outcome.contains("laterality conflict"), "{outcome}");
    // no conflict, no note
    let mut agree = sentinel_file(1);
    agree.put(el(0x0020, 0x0060, VR::CS, "L"));
    let (_, outcome) = deid_with(agree, &DeidSettings::default(), &side("L"));
    assert!(!outcome.contains("laterality conflict"), "{outcome}");
}
