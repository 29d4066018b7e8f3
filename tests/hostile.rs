//! Hostile inputs: files built to mislead the loader must be refused or read correctly, never
//! turn header bytes into exported pixels.

mod common;

use std::io::Read;

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::export::Status;
use us_dicomizer::core::settings::Settings;

/// A large native file (pixel data left on disk) whose private element carries a fake Pixel
/// Data header, followed by the patient's name, ID and birth date.
fn planted(
    dir: &std::path::Path,
    vr: &[u8; 2],
    name: &str,
    id: &str,
    birth: &str,
) -> std::path::PathBuf {
    let spec = Spec {
        patient_name: name.into(),
        patient_id: id.into(),
        ..Spec::new(Kind::Mono, 1024, 1024, 9)
    };
    let mut obj = demo::build(&spec).unwrap();
    let expected = 1024u32 * 1024 * 9;
    let mut fake = vec![0xE0, 0x7F, 0x10, 0x00];
    fake.extend_from_slice(vr);
    fake.extend_from_slice(&[0, 0]);
    fake.extend_from_slice(&expected.to_le_bytes());
    fake.extend_from_slice(b"PADS");
    obj.put(DataElement::new(
        Tag(0x0009, 0x0010),
        VR::LO,
        PrimitiveValue::from("HOSTILE"),
    ));
    obj.put(DataElement::new(
        Tag(0x0009, 0x1010),
        VR::OB,
        PrimitiveValue::from(fake),
    ));
    obj.put(DataElement::new(
        Tag(0x0010, 0x0030),
        VR::DA,
        PrimitiveValue::from(birth),
    ));
    let path = dir.join("planted.dcm");
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    assert!(bytes.len() > 9 << 20);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_pixel_data_header_planted_in_a_private_element_is_not_exported_as_pixels() {
    let dir = tempfile::tempdir().unwrap();
    for (vr, name, id, birth) in [
        (b"OB", "PLANTED^HEADER", "MRN42424242", "19450317"),
        (b"OW", "ZEBRA^QUINCE", "ID-770077", "19811224"),
    ] {
        let src = planted(dir.path(), vr, name, id, birth);
        let out = dir.path().join(format!("out-{}.zip", id));
        let settings = Settings::defaults();
        let report = common::export_files(
            &[(src, common::user_crop(CropRect::new(0, 0, 1024, 1000)))],
            &out,
            &settings,
        );
        assert_eq!(
            report.files[0].status,
            Status::Exported,
            "{:?}",
            report.files[0].reason
        );
        let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut bytes = Vec::new();
            z.by_index(i).unwrap().read_to_end(&mut bytes).unwrap();
            for needle in [name, id, birth] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "export holds `{needle}`"
                );
            }
        }
        // the exported pixels are the real ones
        let names = common::entry_names(&out);
        let dcm = names.iter().find(|n| n.ends_with(".dcm")).unwrap();
        let f = common::read_entry(&out, dcm);
        let frame = us_dicomizer::core::pixels::decode::decode_full(&f.obj, &f.info, 0).unwrap();
        for (x, y) in [(0u32, 0u32), (5, 0), (300, 400), (1023, 999)] {
            assert_eq!(
                frame.data[(y * 1024 + x) as usize],
                demo::pixel(x, y, 0, 1024, 1024),
                "pixel ({x},{y})"
            );
        }
    }
}
