//! A file meta group whose group length lies: the parser (dicom-rs) ends the group where the
//! length says, so it would read the data set from another place than the element walk
//! checked (an element swallowed, or a misaligned stream with unchecked lengths). The file is
//! read element by element instead, every data set element kept, the repair named.

use dicom_core::Tag;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::load;

fn demo_bytes(kind: Kind, big_endian: bool) -> Vec<u8> {
    let mut obj = demo::build(&Spec::new(kind, 40, 24, 2)).unwrap();
    if big_endian {
        obj.meta_mut()
            .set_transfer_syntax(&dicom_transfer_syntax_registry::entries::EXPLICIT_VR_BIG_ENDIAN);
    }
    let mut b = Vec::new();
    obj.write_all(&mut b).unwrap();
    b
}

fn tags_of(o: &dicom_object::DefaultDicomObject) -> Vec<Tag> {
    o.iter().map(|e| e.header().tag).collect()
}

/// The group length at bytes 140..144 moved by `delta`.
fn lying(b: &[u8], delta: i64) -> Vec<u8> {
    let mut b = b.to_vec();
    assert_eq!(b[132..136], [0x02, 0x00, 0x00, 0x00]);
    let gl = u32::from_le_bytes(b[140..144].try_into().unwrap()) as i64;
    b[140..144].copy_from_slice(&((gl + delta) as u32).to_le_bytes());
    b
}

fn check(bytes: &[u8], deltas: &[i64]) {
    let want = tags_of(&load::parse_dicom(bytes).unwrap().obj);
    for &delta in deltas {
        let b = lying(bytes, delta);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.dcm");
        std::fs::write(&p, &b).unwrap();
        for parsed in [load::parse_dicom(&b), load::parse_file(&p)] {
            let parsed = parsed.unwrap_or_else(|e| panic!("delta {delta}: {e}"));
            assert_eq!(tags_of(&parsed.obj), want, "delta {delta}: elements lost");
            assert!(
                parsed
                    .repairs
                    .iter()
                    .any(|r| r.contains("group length said")),
                "delta {delta}: {:?}",
                parsed.repairs
            );
        }
        let limits = us_dicomizer::core::settings::Settings::defaults().load;
        let f = load::load(
            &load::InputSource {
                kind: load::SourceKind::File(p.clone()),
                size: b.len() as u64,
            },
            &limits,
        )
        .unwrap();
        assert!(f.info.flags.iter().any(|r| r.contains("group length said")));
    }
}

#[test]
fn a_meta_group_length_that_overshoots_loses_no_data_set_element() {
    // +4 and +30: the parser took the first data set elements into the meta group
    check(&demo_bytes(Kind::Mono, false), &[4, 30]);
    check(&demo_bytes(Kind::JpegBaseline, false), &[4]);
}

#[test]
fn a_big_endian_file_with_a_lying_meta_group_length_is_read_not_misaligned() {
    // a big endian data set read as a meta group (little endian) misaligns the parser, which
    // then believed lengths of gigabytes
    check(&demo_bytes(Kind::Rgb, true), &[3, 200, -40]);
}
