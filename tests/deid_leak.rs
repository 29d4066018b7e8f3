//! The sentinel exam goes through `deidentify`; nothing planted may survive, and the output
//! must stay a consistent, valid US object.

mod deid_support;

use deid_support::*;
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_object::{FileDicomObject, InMemDicomObject, OpenFileOptions};
use us_dicomizer::core::deid::{
    burned_in_risk, deidentify, DeidContext, DeidOutcome, DeidSettings, PrivateAllow,
};
use us_dicomizer::core::tags::{Code, TagTarget, TagValue, Vocabulary};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn tags_l() -> Vec<TagValue> {
    let v = Vocabulary::default();
    vec![
        v.resolve("position", "CFV").unwrap(),
        v.resolve("side", "L").unwrap(),
        v.resolve("purpose", "diagnostic").unwrap(),
    ]
}

fn run(
    n: u32,
    settings: &DeidSettings,
    key: &[u8],
    tags: &[TagValue],
    approved: bool,
) -> (FileDicomObject<InMemDicomObject>, DeidOutcome) {
    let mut o = sentinel_file(n);
    let ctx = DeidContext {
        key,
        pseudonym: "P01",
        cropped: approved,
        crop_approved: approved,
        tags,
    };
    let out = deidentify(&mut o, settings, &ctx).expect("deidentify");
    (o, out)
}

fn s(o: &InMemDicomObject, g: u16, e: u16) -> Option<String> {
    o.get(Tag(g, e)).map(|x| {
        x.to_str()
            .map(|c| c.trim_end_matches(['\0', ' ']).to_string())
            .unwrap_or_default()
    })
}

fn walk(o: &InMemDicomObject, f: &mut dyn FnMut(Tag, VR, &InMemDicomObject)) {
    for e in o.iter() {
        f(e.tag(), e.vr(), o);
        if let Value::Sequence(seq) = e.value() {
            for it in seq.items() {
                walk(it, f);
            }
        }
    }
}

fn reread(bytes: &[u8]) -> FileDicomObject<InMemDicomObject> {
    OpenFileOptions::new()
        .from_reader(bytes)
        .expect("re-read output")
}

#[test]
fn input_really_contains_the_sentinels() {
    // negative control: the checker sees every planted sentinel in the input
    let b = to_bytes(&sentinel_file(2));
    assert_eq!(leaks(&b).len(), SENTINELS.len(), "{:?}", leaks(&b));
}

#[test]
fn no_sentinel_survives() {
    for n in [1, 2] {
        for approved in [false, true] {
            let (o, _) = run(n, &DeidSettings::default(), KEY, &tags_l(), approved);
            let bytes = to_bytes(&o);
            let l = leaks(&bytes);
            assert!(l.is_empty(), "file {n}: leaked {l:#?}");
            // and the written file is readable
            let back = reread(&bytes);
            assert_eq!(s(&back, 0x0010, 0x0010).as_deref(), Some("P01"));
        }
    }
}

#[test]
fn no_sentinel_survives_under_every_option_that_removes() {
    // Options that do not deliberately retain identity must not leak either.
    let mut st = DeidSettings {
        clean_descriptors: true,
        clean_structured_content: true,
        clean_graphics: true,
        retain_long_modified_dates: false,
        ..DeidSettings::default()
    };
    let (o, out) = run(2, &st, KEY, &[], false);
    assert!(
        leaks(&to_bytes(&o)).is_empty(),
        "{:#?}",
        leaks(&to_bytes(&o))
    );
    assert!(out.codes_applied.contains(&"113105".to_string()));
    assert_eq!(out.date_shift_days, None);
    st.keep_references = false;
    let (o, _) = run(2, &st, KEY, &[], false);
    assert!(
        o.get(Tag(0x0008, 0x1140)).is_none(),
        "X/Z/U* removed when not kept"
    );
}

#[test]
fn identity_and_type2_attributes() {
    let (o, out) = run(1, &DeidSettings::default(), KEY, &tags_l(), true);
    assert_eq!(s(&o, 0x0010, 0x0010).as_deref(), Some("P01"));
    assert_eq!(s(&o, 0x0010, 0x0020).as_deref(), Some("P01"));
    // Type 2: present, empty
    for (g, e) in [
        (0x0008, 0x0050),
        (0x0008, 0x0090),
        (0x0020, 0x0010),
        (0x0010, 0x0030),
        (0x0010, 0x0040),
    ] {
        assert_eq!(
            s(&o, g, e).as_deref(),
            Some(""),
            "({g:04X},{e:04X}) must be present and empty"
        );
    }
    // Type 3 identifying attributes: gone
    for (g, e) in [
        (0x0008, 0x0080),
        (0x0008, 0x1030),
        (0x0010, 0x1010),
        (0x0018, 0x1000),
        (0x0020, 0x4000),
        (0x0008, 0x2111),
        (0x0010, 0x1002),
        (0x0040, 0x0275),
        (0x0088, 0x0200),
    ] {
        assert!(
            o.get(Tag(g, e)).is_none(),
            "({g:04X},{e:04X}) must be removed"
        );
    }
    // kept by design
    assert_eq!(s(&o, 0x0008, 0x0070).as_deref(), Some("ACME Medical"));
    // Transducer Data can name an individual probe: kept only with Retain Device Identity
    assert!(o.get(Tag(0x0018, 0x5010)).is_none());
    assert_eq!(s(&o, 0x0008, 0x0060).as_deref(), Some("US"));
    // dates shifted by the reported offset, times kept
    let d = out.date_shift_days.expect("shifted");
    assert!(d != 0 && d.abs() <= 365);
    let sd = s(&o, 0x0008, 0x0020).unwrap();
    assert_eq!(sd.len(), 8);
    assert_ne!(sd, "20990102");
    assert_eq!(s(&o, 0x0008, 0x0030).as_deref(), Some("101530"));
    // DT: the date part shifted, the time kept
    let dt = s(&o, 0x0008, 0x002A).unwrap();
    assert_eq!(&dt[..8], sd.as_str());
    assert_eq!(&dt[8..], "101530.5");
    // markers
    assert_eq!(s(&o, 0x0012, 0x0062).as_deref(), Some("YES"));
    assert_eq!(s(&o, 0x0028, 0x0303).as_deref(), Some("MODIFIED"));
    assert_eq!(s(&o, 0x0028, 0x0301).as_deref(), Some("NO"));
    let method = s(&o, 0x0012, 0x0063).unwrap();
    assert!(
        method.starts_with(&format!("us-dicomizer {}", env!("CARGO_PKG_VERSION"))),
        "{method}"
    );
    let codes: Vec<String> = o
        .get(Tag(0x0012, 0x0064))
        .unwrap()
        .items()
        .unwrap()
        .iter()
        .map(|it| {
            format!(
                "{}:{}",
                s(it, 0x0008, 0x0102).unwrap(),
                s(it, 0x0008, 0x0100).unwrap()
            )
        })
        .collect();
    assert_eq!(codes, vec!["DCM:113100", "DCM:113101", "DCM:113107"]);
    assert_eq!(out.codes_applied, vec!["113100", "113101", "113107"]);
    // tags
    assert_eq!(s(&o, 0x0020, 0x0062).as_deref(), Some("L"));
    assert_eq!(out.tags.len(), 3);
    // private, group lengths, overlays, curves: none at any depth
    walk(&o, &mut |t, _, _| {
        assert!(t.group() % 2 == 0, "private {t} left");
        assert!(t.element() != 0, "group length {t} left");
        assert!(
            !(0x5000..=0x60FF).contains(&t.group()),
            "overlay/curve {t} left"
        );
        assert!(t != Tag(0xFFFC, 0xFFFC), "padding left");
    });
    // the file meta
    let m = o.meta();
    assert!(m.source_application_entity_title.is_none());
    assert!(m.sending_application_entity_title.is_none());
    assert!(m.receiving_application_entity_title.is_none());
    assert_eq!(
        m.media_storage_sop_instance_uid(),
        s(&o, 0x0008, 0x0018).unwrap()
    );
    assert!(m.implementation_class_uid().starts_with("2.25."));
}

#[test]
fn pixel_module_untouched() {
    let (o, _) = run(1, &DeidSettings::default(), KEY, &[], false);
    let px = o
        .get(Tag(0x7FE0, 0x0010))
        .unwrap()
        .to_bytes()
        .unwrap()
        .into_owned();
    assert_eq!(px, pixel_bytes());
    assert_eq!(s(&o, 0x0028, 0x0010).as_deref(), Some("16"));
    assert_eq!(s(&o, 0x0028, 0x0004).as_deref(), Some("MONOCHROME2"));
    let lut = o.get(Tag(0x0028, 0x3010)).unwrap().items().unwrap()[0].clone();
    assert!(lut.get(Tag(0x0028, 0x3006)).is_some());
    assert!(
        lut.get(Tag(0x0028, 0x3003)).is_none(),
        "LUT explanation is free text"
    );
    let region = o.get(Tag(0x0018, 0x6011)).unwrap().items().unwrap()[0].clone();
    assert_eq!(s(&region, 0x0018, 0x601C).as_deref(), Some("13"));
    assert_eq!(s(&region, 0x0018, 0x601E).as_deref(), Some("14"));
    // not approved: Burned In Annotation stays YES, and no Clean Pixel code
    assert_eq!(s(&o, 0x0028, 0x0301).as_deref(), Some("YES"));
    assert!(burned_in_risk(&o));
}

#[test]
fn uids_consistent_deterministic_and_keyed() {
    let st = DeidSettings::default();
    let (a, out_a) = run(1, &st, KEY, &[], false);
    let (b, _) = run(2, &st, KEY, &[], false);
    // grouping preserved
    for (g, e) in [(0x0020, 0x000D), (0x0020, 0x000E), (0x0020, 0x0052)] {
        assert_eq!(s(&a, g, e), s(&b, g, e));
    }
    let sop_a = s(&a, 0x0008, 0x0018).unwrap();
    assert_ne!(Some(sop_a.clone()), s(&b, 0x0008, 0x0018));
    // the cross-file reference resolves to file 1's new SOP Instance UID
    let r = b.get(Tag(0x0008, 0x1140)).unwrap().items().unwrap()[0].clone();
    assert_eq!(s(&r, 0x0008, 0x1155).as_deref(), Some(sop_a.as_str()));
    assert_eq!(
        s(&r, 0x0008, 0x1150).as_deref(),
        Some(US_MF),
        "class UIDs are not remapped"
    );
    // every UI at every depth is standard or 2.25
    for o in [&a, &b] {
        walk(o, &mut |t, vr, parent| {
            if vr == VR::UI {
                let v = s(parent, t.group(), t.element()).unwrap();
                for u in v.split('\\') {
                    assert!(
                        u.starts_with("1.2.840.10008.") || u.starts_with("2.25."),
                        "{t}: {u}"
                    );
                    assert!(u.len() <= 64);
                }
            }
        });
    }
    // the private map has file 1's SOP
    assert!(out_a
        .uid_map
        .iter()
        .any(|(o, n)| o == &format!("{UID_ROOT}.1.1") && n == &sop_a));
    // deterministic: a second run gives identical bytes
    let (a2, _) = run(1, &st, KEY, &[], false);
    assert_eq!(to_bytes(&a), to_bytes(&a2));
    // keyed: another key, other UIDs and (very likely) another shift
    let (a3, _) = run(1, &st, b"another key", &[], false);
    assert_ne!(s(&a, 0x0008, 0x0018), s(&a3, 0x0008, 0x0018));
    assert_ne!(s(&a, 0x0020, 0x000D), s(&a3, 0x0020, 0x000D));
}

#[test]
fn same_patient_same_shift() {
    let st = DeidSettings::default();
    let (_, a) = run(1, &st, KEY, &[], false);
    let (_, b) = run(2, &st, KEY, &[], false);
    assert_eq!(a.date_shift_days, b.date_shift_days);
}

#[test]
fn date_options() {
    let full = DeidSettings {
        retain_long_full_dates: true,
        ..DeidSettings::default()
    };
    let (o, out) = run(1, &full, KEY, &[], false);
    assert_eq!(s(&o, 0x0008, 0x0020).as_deref(), Some("20990102"));
    assert_eq!(s(&o, 0x0028, 0x0303).as_deref(), Some("UNMODIFIED"));
    assert_eq!(out.codes_applied, vec!["113100", "113106"]);
    let none = DeidSettings {
        retain_long_modified_dates: false,
        ..DeidSettings::default()
    };
    let (o, out) = run(1, &none, KEY, &[], false);
    assert_eq!(
        s(&o, 0x0008, 0x0020).as_deref(),
        Some(""),
        "Study Date is Type 2: emptied"
    );
    assert!(
        o.get(Tag(0x0008, 0x0021)).is_none(),
        "Series Date is Type 3: removed"
    );
    assert!(o
        .get(Tag(0x0008, 0x0030))
        .is_some_and(|e| e.to_str().unwrap().is_empty()));
    assert_eq!(s(&o, 0x0028, 0x0303).as_deref(), Some("REMOVED"));
    assert_eq!(out.codes_applied, vec!["113100"]);
}

#[test]
fn safe_private_allow_list() {
    let st = DeidSettings {
        retain_safe_private: true,
        private: us_dicomizer::core::deid::PrivateSettings {
            allow: vec![PrivateAllow {
                creator: "SAFE CREATOR".into(),
                element: "0019,xx0C".into(),
            }],
        },
        ..DeidSettings::default()
    };
    let (o, out) = run(1, &st, KEY, &[], false);
    assert_eq!(s(&o, 0x0019, 0x0010).as_deref(), Some("SAFE CREATOR"));
    assert_eq!(s(&o, 0x0019, 0x100C).as_deref(), Some("42"));
    assert!(o.get(Tag(0x0019, 0x100D)).is_none());
    assert!(o.get(Tag(0x0009, 0x0010)).is_none());
    assert!(out.codes_applied.contains(&"113111".to_string()));
    assert!(leaks(&to_bytes(&o)).is_empty());
}

#[test]
fn coded_position_replaces_anatomic_region() {
    let tags = vec![
        TagValue {
            key: "position".into(),
            value: "XV".into(),
            label: None,
            code: Some(Code {
                scheme: "99TEST".into(),
                value: "X-1".into(),
                meaning: "Test vein".into(),
            }),
            target: TagTarget::AnatomicRegion,
        },
        TagValue {
            key: "side".into(),
            value: "R".into(),
            label: None,
            code: None,
            target: TagTarget::Laterality,
        },
    ];
    let (o, _) = run(1, &DeidSettings::default(), KEY, &tags, false);
    let items = o
        .get(Tag(0x0008, 0x2218))
        .unwrap()
        .items()
        .unwrap()
        .to_vec();
    assert_eq!(items.len(), 1);
    assert_eq!(s(&items[0], 0x0008, 0x0100).as_deref(), Some("X-1"));
    assert_eq!(s(&items[0], 0x0008, 0x0102).as_deref(), Some("99TEST"));
    assert_eq!(s(&items[0], 0x0008, 0x0104).as_deref(), Some("Test vein"));
    assert_eq!(s(&o, 0x0020, 0x0062).as_deref(), Some("R"));
    // without a code the input's sequence is cleaned: its retired SRT item is not a standard
    // term (PS3.16), so it is dropped and the sequence with it
    let (o, _) = run(1, &DeidSettings::default(), KEY, &tags_l(), false);
    assert!(o.get(Tag(0x0008, 0x2218)).is_none());
}

#[test]
fn non_ascii_code_meaning_switches_to_utf8() {
    let tags = vec![TagValue {
        key: "position".into(),
        value: "V".into(),
        label: None,
        code: Some(Code {
            scheme: "99TEST".into(),
            value: "V1".into(),
            meaning: "Vène fémorale".into(),
        }),
        target: TagTarget::AnatomicRegion,
    }];
    let (o, _) = run(1, &DeidSettings::default(), KEY, &tags, false);
    assert_eq!(s(&o, 0x0008, 0x0005).as_deref(), Some("ISO_IR 192"));
    let back = reread(&to_bytes(&o));
    let it = back.get(Tag(0x0008, 0x2218)).unwrap().items().unwrap()[0].clone();
    assert_eq!(s(&it, 0x0008, 0x0104).as_deref(), Some("Vène fémorale"));
}

#[test]
fn rejects_bad_context() {
    let mut o = sentinel_file(1);
    let st = DeidSettings::default();
    let bad = DeidContext {
        key: KEY,
        pseudonym: "John Doe",
        cropped: false,
        crop_approved: false,
        tags: &[],
    };
    assert!(deidentify(&mut o, &st, &bad).is_err());
    let bad = DeidContext {
        key: b"",
        pseudonym: "P01",
        ..bad
    };
    assert!(deidentify(&mut o, &st, &bad).is_err());
}

#[test]
fn burned_in_rules() {
    let mut o = InMemDicomObject::new_empty();
    o.put(dicom_core::DataElement::new(
        Tag(0x0008, 0x0060),
        VR::CS,
        "US",
    ));
    assert!(burned_in_risk(&o), "absent on US: may have");
    o.put(dicom_core::DataElement::new(
        Tag(0x0028, 0x0301),
        VR::CS,
        "NO",
    ));
    assert!(!burned_in_risk(&o));
    o.put(dicom_core::DataElement::new(
        Tag(0x0028, 0x0301),
        VR::CS,
        "YES",
    ));
    assert!(burned_in_risk(&o));
    let mut ct = InMemDicomObject::new_empty();
    ct.put(dicom_core::DataElement::new(
        Tag(0x0008, 0x0060),
        VR::CS,
        "CT",
    ));
    assert!(!burned_in_risk(&ct));
}

/// A shift of a day or two leaves the real dates nearly readable: over many project keys, every
/// shift stays within `[deid] min_shift_days..=max_shift_days` in magnitude, of either sign.
#[test]
fn date_shift_never_smaller_than_the_minimum() {
    let st = DeidSettings::default();
    assert_eq!((st.min_shift_days, st.max_shift_days), (30, 365));
    let mut signs = [false; 2];
    for i in 0..400 {
        let key = format!("project-key-{i:04}-0123456789abcdef");
        let (o, out) = run(1, &st, key.as_bytes(), &tags_l(), true);
        let d = out.date_shift_days.expect("shifted");
        assert!((30..=365).contains(&d.abs()), "key {i}: shift {d}");
        signs[(d > 0) as usize] = true;
        assert_ne!(s(&o, 0x0008, 0x0020).as_deref(), Some("20990102"));
    }
    assert!(signs[0] && signs[1]);

    let fixed = DeidSettings {
        min_shift_days: 100,
        max_shift_days: 100,
        ..DeidSettings::default()
    };
    for i in 0..20 {
        let key = format!("project-key-{i:04}-0123456789abcdef");
        let (_, out) = run(1, &fixed, key.as_bytes(), &tags_l(), true);
        assert_eq!(out.date_shift_days.map(i32::abs), Some(100));
    }

    let bad = DeidSettings {
        min_shift_days: 400,
        ..DeidSettings::default()
    };
    let err = bad.validate().unwrap_err().to_string();
    assert!(err.contains("min_shift_days (400)"), "{err}");
    let zero = DeidSettings {
        min_shift_days: 0,
        ..DeidSettings::default()
    };
    assert!(zero.validate().is_err());
}
