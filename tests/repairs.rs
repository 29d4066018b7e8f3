//! Files that are not proper Part 10 files but that dcmtk and pydicom read: a meta group
//! without group length, an Implicit VR meta group, no preamble or DICM, a bare data set.
//! Each variant is made from a generated file; its pixels must equal the original's and the
//! load must name the repair.

mod common;

use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::load::{self, REPAIRED};
use us_dicomizer::core::pixels::decode;
use us_dicomizer::core::settings::Settings;

/// (group, element, vr, value)
type Element = (u16, u16, [u8; 2], Vec<u8>);

/// The elements of the explicit meta group after "DICM", and where it ends.
fn meta_elements(b: &[u8]) -> (Vec<Element>, usize) {
    let mut p = 132;
    let mut out = Vec::new();
    while u16::from_le_bytes([b[p], b[p + 1]]) == 2 {
        let e = u16::from_le_bytes([b[p + 2], b[p + 3]]);
        let vr = [b[p + 4], b[p + 5]];
        let (v, len) = if &vr == b"OB" || &vr == b"UN" {
            (
                p + 12,
                u32::from_le_bytes(b[p + 8..p + 12].try_into().unwrap()) as usize,
            )
        } else {
            (p + 8, u16::from_le_bytes([b[p + 6], b[p + 7]]) as usize)
        };
        out.push((2, e, vr, b[v..v + len].to_vec()));
        p = v + len;
    }
    (out, p)
}

fn explicit(el: &[Element]) -> Vec<u8> {
    let mut o = Vec::new();
    for (g, e, vr, v) in el {
        o.extend_from_slice(&g.to_le_bytes());
        o.extend_from_slice(&e.to_le_bytes());
        o.extend_from_slice(vr);
        if vr == b"OB" || vr == b"UN" {
            o.extend_from_slice(&[0, 0]);
            o.extend_from_slice(&(v.len() as u32).to_le_bytes());
        } else {
            o.extend_from_slice(&(v.len() as u16).to_le_bytes());
        }
        o.extend_from_slice(v);
    }
    o
}

fn implicit(el: &[Element]) -> Vec<u8> {
    let mut o = Vec::new();
    for (g, e, _, v) in el {
        o.extend_from_slice(&g.to_le_bytes());
        o.extend_from_slice(&e.to_le_bytes());
        o.extend_from_slice(&(v.len() as u32).to_le_bytes());
        o.extend_from_slice(v);
    }
    o
}

#[test]
fn header_variants_are_read_with_the_same_pixels_and_the_repair_named() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::defaults();
    for (k, kind) in [Kind::Mono, Kind::Rgb].into_iter().enumerate() {
        let spec = common::fixture_spec(kind, 96, 64, 2, k as u32 + 1);
        let orig = common::write_fixture(dir.path(), &format!("orig{k}.dcm"), &spec);
        let b = std::fs::read(&orig).unwrap();
        let (meta, end) = meta_elements(&b);
        assert_eq!(
            meta[0].1, 0,
            "the generated file starts its meta with the group length"
        );
        let data = &b[end..];
        let no_len: Vec<_> = meta[1..].to_vec();
        let cat = |parts: &[&[u8]]| parts.concat();
        let variants: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "no group length",
                cat(&[&b[..132], &explicit(&no_len), data]),
                "no group length",
            ),
            (
                "implicit meta, no preamble",
                cat(&[&implicit(&meta), data]),
                "encoded Implicit VR",
            ),
            (
                "implicit meta without group length after DICM",
                cat(&[&b[..132], &implicit(&no_len), data]),
                "no group length",
            ),
            // read as before (the strict reader accepts DICM at 0): nothing to name
            ("no preamble", cat(&[b"DICM", &explicit(&meta), data]), ""),
            (
                "bare data set",
                data.to_vec(),
                "bare Explicit VR Little Endian data set",
            ),
        ];
        let want = load::load(&common::file_source(&orig), &settings.load).unwrap();
        for (name, bytes, says) in variants {
            let p = dir.path().join(format!("v{k}.dcm"));
            std::fs::write(&p, &bytes).unwrap();
            let got = load::load(&common::file_source(&p), &settings.load)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let repairs: Vec<&String> = got
                .info
                .flags
                .iter()
                .filter(|f| f.starts_with(REPAIRED))
                .collect();
            assert!(
                says.is_empty() || repairs.iter().any(|r| r.contains(says)),
                "{name}: repairs {repairs:?} do not say `{says}`"
            );
            assert_eq!(got.info.columns, 96);
            assert_eq!(got.info.frames, 2);
            for f in 0..2 {
                assert_eq!(
                    decode::decode_full(&got.obj, &got.info, f).unwrap(),
                    decode::decode_full(&want.obj, &want.info, f).unwrap(),
                    "{name}: frame {f}"
                );
            }
            // a proper file names no repair
            assert!(!want.info.flags.iter().any(|f| f.starts_with(REPAIRED)));
        }
    }
}

#[test]
fn text_is_still_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.dcm");
    std::fs::write(&p, b"patient notes, not an image\n".repeat(20)).unwrap();
    let Err(e) = load::load(&common::file_source(&p), &Settings::defaults().load) else {
        panic!("text loaded as DICOM");
    };
    assert!(e.contains("not a DICOM file: text"), "{e}");
}

/// The corpus files with these defects are read, and say so.
#[test]
fn corpus_headerless_files_are_read() {
    let Some(dir) = common::shared_corpus() else {
        return;
    };
    let settings = Settings::defaults();
    for (name, says) in [
        (
            "broken_nopreamble_implicitmeta_54-implicit-file-meta-info.dcm",
            "Implicit VR",
        ),
        (
            "nonus_ot_palette_implicitle_OT-PAL-8-face.dcm",
            "bare Implicit VR",
        ),
        ("broken_nopreamble_nometa_no_meta.dcm", "stray byte"),
    ] {
        let f = load::load(&common::file_source(&dir.join(name)), &settings.load)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            f.info.flags.iter().any(|x| x.contains(says)),
            "{name}: {:?}",
            f.info.flags
        );
        decode::decode_full(&f.obj, &f.info, 0).unwrap();
    }
}
