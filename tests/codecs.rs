//! JPEG XL and HTJ2K inputs (small generated files in tests/data/codec, written by
//! .ci/gen_codec_fixtures.py with libjxl / OpenJPH through imagecodecs): decoded to the pixels
//! the generator's formula gives, lossless kept lossless, lossy kept marked lossy, and the
//! `jpeg` policy works on them.

mod common;

use std::path::{Path, PathBuf};
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::export::CropChoice;
use us_dicomizer::core::load;
use us_dicomizer::core::pixels::decode;
use us_dicomizer::core::settings::{Encoding, Settings};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/codec")
        .join(name)
}

/// The generator's formula.
fn expected(spp: usize, f: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for y in 0..24u32 {
        for x in 0..40u32 {
            let v = ((3 * x + 5 * y + 7 * f) % 256) as u8;
            if spp == 1 {
                out.push(v);
            } else {
                out.extend_from_slice(&[v, ((x * y + 40 * f) % 256) as u8, 255 - v]);
            }
        }
    }
    out
}

#[test]
fn lossless_jpeg_xl_and_htj2k_decode_to_the_exact_pixels() {
    let settings = Settings::defaults();
    for name in [
        "jxl_lossless_mono.dcm",
        "jxl_lossless_rgb.dcm",
        "htj2k_lossless_mono.dcm",
        "htj2k_lossless_rgb.dcm",
        "htj2k_rpcl_mono.dcm",
        "jpegls_lossless_mono.dcm",
    ] {
        let f = load::load(&common::file_source(&data(name)), &settings.load)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!f.info.lossy, "{name} is lossless");
        let spp = f.info.samples_per_pixel as usize;
        for i in 0..2 {
            let fr =
                decode::decode_full(&f.obj, &f.info, i).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(fr.data, expected(spp, i), "{name} frame {i}");
        }
    }
}

#[test]
fn lossy_jpeg_xl_decodes_close_and_stays_marked_lossy() {
    let settings = Settings::defaults();
    for name in ["jxl_lossy_mono.dcm", "jxl_lossy_rgb.dcm"] {
        let f = load::load(&common::file_source(&data(name)), &settings.load).unwrap();
        assert!(f.info.lossy, "{name} is lossy");
        let spp = f.info.samples_per_pixel as usize;
        let fr = decode::decode_full(&f.obj, &f.info, 1).unwrap();
        let want = expected(spp, 1);
        let err: f64 = fr
            .data
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / want.len() as f64;
        assert!(err < 12.0, "{name}: mean error {err}");
    }
}

#[test]
fn export_keeps_lossless_lossless_and_lossy_marked_under_both_policies() {
    let dir = tempfile::tempdir().unwrap();
    let crop = CropChoice::Fixed(CropRect::new(4, 2, 36, 22), CropSource::User);
    for (encoding, cases) in [
        (
            "preserve",
            vec![
                ("jxl_lossless_rgb.dcm", "lossless"),
                ("htj2k_lossless_mono.dcm", "lossless"),
                ("jxl_lossy_mono.dcm", "lossy"),
            ],
        ),
        (
            "jpeg",
            vec![
                ("jxl_lossless_mono.dcm", "lossy"),
                ("jxl_lossy_rgb.dcm", "lossy"),
            ],
        ),
    ] {
        let mut settings = Settings::defaults();
        settings.output.encoding = if encoding == "jpeg" {
            Encoding::Jpeg
        } else {
            Encoding::Preserve
        };
        let files: Vec<_> = cases.iter().map(|(n, _)| (data(n), crop.clone())).collect();
        let out = dir.path().join(format!("{encoding}.zip"));
        let report = common::export_files(&files, &out, &settings);
        for (r, (name, want)) in report.files.iter().zip(&cases) {
            assert_eq!(r.reason, None, "{name} under {encoding}");
            assert_eq!(r.pixel_encoding, Some(*want), "{name} under {encoding}");
        }
    }
}

#[test]
fn twelve_bit_jpeg_extended_decodes_through_libjpeg_turbo() {
    let settings = Settings::defaults();
    let f = load::load(
        &common::file_source(&data("jpeg_ext12_mono.dcm")),
        &settings.load,
    )
    .unwrap();
    assert!(f.info.lossy);
    for i in 0..2u32 {
        let fr = decode::decode_full(&f.obj, &f.info, i).unwrap();
        assert_eq!(fr.bytes_per_sample, 2);
        let mut err = 0f64;
        for y in 0..24u32 {
            for x in 0..40u32 {
                let k = ((y * 40 + x) * 2) as usize;
                let got = u16::from_le_bytes([fr.data[k], fr.data[k + 1]]) as f64;
                err += (got - ((97 * x + 31 * y + 500 * i) % 4096) as f64).abs();
            }
        }
        let mean = err / 960.0;
        assert!(mean < 2.0, "frame {i}: mean error {mean}");
    }
    let dir = tempfile::tempdir().unwrap();
    let crop = CropChoice::Fixed(CropRect::new(0, 2, 40, 22), CropSource::User);
    let report = common::export_files(
        &[(data("jpeg_ext12_mono.dcm"), crop)],
        &dir.path().join("out.zip"),
        &settings,
    );
    assert_eq!(report.files[0].reason, None);
    assert_eq!(report.files[0].pixel_encoding, Some("lossy"));
}

/// HTJ2K (.203, irreversible) and JPEG XL JPEG Recompression (.111): our decode (openjp2,
/// jxl-oxide) against the independent one the generator wrote (OpenJPH, libjxl), and both
/// stay marked lossy.
#[test]
fn lossy_htj2k_and_jpeg_xl_recompression_match_the_reference_decoders() {
    let settings = Settings::defaults();
    for (name, reference) in [
        ("htj2k_lossy_rgb.dcm", "htj2k_lossy_rgb.raw"),
        ("jxl_jpeg_mono.dcm", "jxl_jpeg_mono.raw"),
    ] {
        let f = load::load(&common::file_source(&data(name)), &settings.load)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(f.info.lossy, "{name} is lossy");
        let want = std::fs::read(data(reference)).unwrap();
        let per = want.len() / 2;
        for i in 0..2u32 {
            let fr =
                decode::decode_full(&f.obj, &f.info, i).unwrap_or_else(|e| panic!("{name}: {e}"));
            let r = &want[i as usize * per..(i as usize + 1) * per];
            assert_eq!(fr.data.len(), r.len(), "{name} frame {i}");
            let max = fr
                .data
                .iter()
                .zip(r)
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .max()
                .unwrap();
            assert!(
                max <= 2,
                "{name} frame {i}: max difference {max} from the reference"
            );
        }
    }
}

/// A cut JPEG-LS stream (any length, item length made to match, so the file itself is well
/// formed) is refused at once with the reason, instead of CharLS decoding zero bits for
/// seconds; the whole stream still decodes. The corpus's JPEG-LS file is cut too when present.
#[test]
fn truncated_jpeg_ls_streams_are_refused_with_the_reason() {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_core::{DataElement, VR};
    let settings = Settings::defaults();
    let mut files = vec![data("jpegls_lossless_mono.dcm")];
    if let Some(c) = common::shared_corpus() {
        files.push(c.join("us_mono2_jpeglslossless_1f_GH364.dcm"));
    }
    let mut cuts_checked = 0;
    for path in files {
        let f = load::load(&common::file_source(&path), &settings.load).unwrap();
        decode::decode_full(&f.obj, &f.info, 0).expect("the whole stream decodes");
        let frame = us_dicomizer::core::pixels::encapsulated::frame_bytes(&f.obj, f.info.frames, 0)
            .unwrap();
        let n = frame.len();
        for cut in [n / 50, n / 7, n / 3, n / 2, n * 9 / 10, n - 4, n - 2] {
            let mut part = frame[..cut].to_vec();
            if part.len() % 2 == 1 {
                part.push(0);
            }
            let mut obj = f.obj.clone();
            obj.put(DataElement::new(
                dicom_dictionary_std::tags::PIXEL_DATA,
                VR::OB,
                Value::PixelSequence(PixelFragmentSequence::new(vec![], vec![part])),
            ));
            let mut info = f.info.clone();
            info.frames = 1;
            let e = decode::decode_full(&obj, &info, 0)
                .err()
                .unwrap_or_else(|| panic!("{}: cut at {cut} of {n} decoded", path.display()));
            assert!(e.contains("truncated") && e.contains("JPEG-LS"), "{e}");
            cuts_checked += 1;
        }
    }
    assert!(cuts_checked >= 7);
}
