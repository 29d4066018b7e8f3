//! The write stage's row path (issue 11): native frames held in memory are written row by row
//! straight from the stored frame into the output, without a cropped copy in between. The
//! pixel data written must be the bytes the cropped-copy path (`decode::decode_cropped`) gives,
//! frame after frame, for 8-bit grey, RGB and 16-bit grey, whole frames and odd crops, with the
//! pixel data in memory and left on disk (inputs of 8 MB and more).

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;

use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::export::file;
use us_dicomizer::core::load::{self, InputSource, SourceKind};
use us_dicomizer::core::pixels::decode;
use us_dicomizer::core::settings::{Encoding, Settings};

/// A generated file of `kind`; with `bits16`, its grey samples widened to 16 bits (12 stored).
fn fixture(dir: &std::path::Path, kind: Kind, frames: u32, bits16: bool) -> std::path::PathBuf {
    let (w, h) = (97, 61);
    let mut obj = demo::build(&Spec::new(kind, w, h, frames)).unwrap();
    if bits16 {
        let n = (w * h * frames) as usize;
        let samples: Vec<u8> = (0..n)
            .flat_map(|i| (((i * 37) % 4096) as u16).to_le_bytes())
            .collect();
        let us = |v: u16| PrimitiveValue::from(v);
        obj.put(DataElement::new(tags::BITS_ALLOCATED, VR::US, us(16)));
        obj.put(DataElement::new(tags::BITS_STORED, VR::US, us(12)));
        obj.put(DataElement::new(tags::HIGH_BIT, VR::US, us(11)));
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::from(samples),
        ));
    }
    let path = dir.join(format!("{kind:?}-{bits16}-{frames}.dcm"));
    obj.write_to_file(&path).unwrap();
    path
}

fn source(p: &std::path::Path) -> InputSource {
    InputSource {
        kind: SourceKind::File(p.to_path_buf()),
        size: std::fs::metadata(p).unwrap().len(),
    }
}

#[test]
fn rows_written_straight_are_the_cropped_frames() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.output.encoding = Encoding::Preserve;
    let crops = [
        CropRect::new(0, 0, 97, 61),
        CropRect::new(3, 5, 90, 60),
        CropRect::new(1, 0, 2, 61),
        CropRect::new(50, 17, 97, 18),
    ];
    let mut checked = 0;
    let cases = [
        (Kind::Mono, false, 3),
        (Kind::Rgb, false, 3),
        (Kind::Mono, true, 3),
        // 97 x 61 x 2 bytes x 720 frames: 8.5 MB, left on disk by the loader
        (Kind::Mono, true, 720),
    ];
    for (kind, bits16, frames) in cases {
        let path = fixture(dir.path(), kind, frames, bits16);
        for crop in crops {
            let loaded = load::load(&source(&path), &settings.load).unwrap();
            let info = loaded.info.clone();
            assert_eq!(info.pixel_location.is_some(), frames > 100);
            let want: Vec<u8> = (0..info.frames)
                .flat_map(|i| {
                    decode::decode_cropped(&loaded.obj, &info, i, &crop)
                        .unwrap()
                        .data
                })
                .collect();
            let prepared = file::prepare(loaded, crop, &[], &[], &settings, &|_, _| {}).unwrap();
            assert_eq!(prepared.written.transfer_syntax, "1.2.840.10008.1.2.1");
            let mut out = Vec::with_capacity(prepared.size_hint());
            file::write(prepared, &mut out, &|_, _| {}).unwrap();
            let back = dicom_object::from_reader(&out[128..]).unwrap();
            let px = back.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
            let px = &px[..want.len()];
            assert!(
                px == want.as_slice(),
                "{kind:?} 16-bit {bits16} crop {crop:?}: pixel data differs"
            );
            assert_eq!(
                dicom_object::from_reader(&out[128..])
                    .unwrap()
                    .element(tags::BITS_ALLOCATED)
                    .unwrap()
                    .to_int::<u16>()
                    .unwrap(),
                if bits16 { 16 } else { 8 }
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}
