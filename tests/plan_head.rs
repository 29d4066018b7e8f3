//! The planning read (`plan::scan_one`): a bounded read of each file's first bytes, never the
//! pixel data, that gives exactly what the full header parse gives, on generated files in many
//! encodings and shapes and on the public corpus when present.

use std::path::{Path, PathBuf};

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_transfer_syntax_registry::entries;
use us_dicomizer::core::demo_archive::{self, ArchiveSpec};
use us_dicomizer::core::export::plan;
use us_dicomizer::core::load::{InputSource, SourceKind};
use us_dicomizer::core::settings::Settings;

fn source(p: &Path) -> InputSource {
    InputSource {
        kind: SourceKind::File(p.to_path_buf()),
        size: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
    }
}

fn same(a: &plan::Scanned, b: &plan::Scanned) -> bool {
    a.patient == b.patient
        && a.study_uid == b.study_uid
        && a.series_uid == b.series_uid
        && a.instance_number == b.instance_number
        && a.sop_uid == b.sop_uid
}

fn put(o: &mut InMemDicomObject, t: Tag, vr: VR, v: impl Into<PrimitiveValue>) {
    o.put(DataElement::new(t, vr, v.into()));
}

/// An item sequence of undefined length with nested items (walked, not read).
fn nested_sequence(depth: usize) -> DataSetSequence<InMemDicomObject> {
    let mut item = InMemDicomObject::new_empty();
    put(
        &mut item,
        tags::REFERENCED_SOP_INSTANCE_UID,
        VR::UI,
        "1.2.3.4.5",
    );
    // a look-alike of a wanted tag inside an item must not be taken for the top-level one
    put(&mut item, tags::PATIENT_ID, VR::LO, "NESTED-NOT-THIS");
    if depth > 0 {
        item.put(DataElement::new(
            tags::REFERENCED_IMAGE_SEQUENCE,
            VR::SQ,
            nested_sequence(depth - 1),
        ));
    }
    DataSetSequence::new(vec![item.clone(), item], Length::UNDEFINED)
}

/// The variants of one file: encodings and header shapes the planning read must get right or
/// leave to the full parser.
fn variants(base: &DefaultDicomObject, dir: &Path, n: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut write = |name: &str, f: &dyn Fn(&mut DefaultDicomObject)| {
        let mut o = base.clone();
        f(&mut o);
        let p = dir.join(format!("{n}-{name}.dcm"));
        o.write_to_file(&p).unwrap();
        out.push(p);
    };
    write("explicit", &|_| {});
    write("implicit", &|o| {
        o.meta_mut()
            .set_transfer_syntax(&entries::IMPLICIT_VR_LITTLE_ENDIAN)
    });
    write("sequence-before-patient", &|o| {
        o.put(DataElement::new(
            tags::REFERENCED_IMAGE_SEQUENCE,
            VR::SQ,
            nested_sequence(3),
        ));
    });
    write("sequence-implicit", &|o| {
        o.put(DataElement::new(
            tags::REFERENCED_IMAGE_SEQUENCE,
            VR::SQ,
            nested_sequence(2),
        ));
        o.meta_mut()
            .set_transfer_syntax(&entries::IMPLICIT_VR_LITTLE_ENDIAN);
    });
    write("large-private-block", &|o| {
        put(o, Tag(0x0009, 0x0010), VR::LO, "FAKE PRIVATE");
        put(o, Tag(0x0009, 0x1001), VR::OB, vec![7u8; 300_000]);
    });
    write("issuer-and-padding", &|o| {
        put(o, tags::ISSUER_OF_PATIENT_ID, VR::LO, " FAKE-ISSUER ");
        put(o, tags::PATIENT_NAME, VR::PN, "fake^lower^^ ");
        put(o, tags::INSTANCE_NUMBER, VR::IS, " 42 ");
    });
    write("no-patient-id", &|o| {
        put(o, tags::PATIENT_ID, VR::LO, "");
    });
    write("non-ascii-name", &|o| {
        put(o, tags::PATIENT_NAME, VR::PN, "Ünïcødé^Fäke");
    });
    write("multi-valued-id", &|o| {
        put(
            o,
            tags::PATIENT_ID,
            VR::LO,
            PrimitiveValue::Strs(["FAKE-A".to_string(), "FAKE-B".to_string()].into()),
        );
    });
    write("deflated", &|o| {
        o.meta_mut()
            .set_transfer_syntax(&entries::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)
    });
    write("no-instance-number", &|o| {
        o.remove_element(tags::INSTANCE_NUMBER);
    });
    out
}

#[test]
fn planning_read_equals_the_full_header_parse() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("archive");
    let files = demo_archive::write_archive(
        &a,
        &ArchiveSpec {
            patients: 8,
            studies_per_patient: 1,
            files_per_study: 1,
            small: (64, 48),
            cines: 1,
            cine: (96, 64, 3),
        },
    )
    .unwrap();
    let v = d.path().join("variants");
    std::fs::create_dir(&v).unwrap();
    let mut inputs = files.clone();
    for (n, f) in files.iter().take(7).enumerate() {
        let base = dicom_object::open_file(f).unwrap();
        inputs.extend(variants(&base, &v, n));
    }
    let limits = Settings::defaults().load;
    let mut fast = 0;
    for p in &inputs {
        let src = source(p);
        let full = plan::scan_one_full(&src, &limits).unwrap();
        let planned = plan::scan_one(&src, &limits).unwrap();
        assert!(
            same(&planned, &full),
            "{}: {planned:?} != {full:?}",
            p.display()
        );
        assert_ne!(planned.patient.id, "NESTED-NOT-THIS");
        let head = plan::read_head(std::fs::File::open(p).unwrap());
        if let Some(h) = &head {
            assert!(same(h, &full), "{}", p.display());
            fast += 1;
        }
        let name = p.file_name().unwrap().to_string_lossy();
        // the plain shapes are read by the planning read itself, the rest left to the parser
        let expect_fast = !["non-ascii", "multi-valued", "deflated"]
            .iter()
            .any(|k| name.contains(k));
        assert_eq!(head.is_some(), expect_fast, "{name}");
    }
    assert!(fast >= inputs.len() / 2, "{fast} of {}", inputs.len());
}

/// The plan never reads pixel data: a file cut short inside its pixels (a copy interrupted
/// mid-way) is planned from its header, placed in one shard and refused there by the export.
/// The old plan walked the whole element stream and refused it while planning.
#[test]
fn planning_does_not_read_the_pixel_data() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("archive");
    let files = demo_archive::write_archive(
        &a,
        &ArchiveSpec {
            patients: 1,
            studies_per_patient: 1,
            files_per_study: 1,
            small: (256, 256),
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = std::fs::read(&files[0]).unwrap();
    let cut = d.path().join("cut.dcm");
    std::fs::write(&cut, &bytes[..bytes.len() - 20_000]).unwrap();
    let limits = Settings::defaults().load;
    let whole = plan::scan_one(&source(&files[0]), &limits).unwrap();
    let planned = plan::scan_one(&source(&cut), &limits).expect("planned from its header");
    assert!(same(&planned, &whole));
}

/// Every corpus file the planning read answers gets the full parse's values.
#[test]
fn planning_read_agrees_on_the_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/dicom");
    let Ok(rd) = std::fs::read_dir(&corpus) else {
        eprintln!("no corpus: skipped");
        return;
    };
    let limits = Settings::defaults().load;
    let (mut checked, mut fast) = (0, 0);
    for e in rd.flatten() {
        let p = e.path();
        if !p.is_file() {
            continue;
        }
        let Ok(full) = plan::scan_one_full(&source(&p), &limits) else {
            continue;
        };
        checked += 1;
        if let Some(h) = plan::read_head(std::fs::File::open(&p).unwrap()) {
            assert!(same(&h, &full), "{}: {h:?} != {full:?}", p.display());
            fast += 1;
        }
    }
    eprintln!("corpus: {fast} of {checked} readable files answered by the planning read");
}
