//! The engine on generated fixtures (no shared corpus needed): exact pixels, headers, regions,
//! safety of the export.

mod common;

use std::sync::atomic::AtomicBool;

use common::*;
use dicom_dictionary_std::tags;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{self, Kind};
use us_dicomizer::core::export::{self, CropChoice, ExportRequest, Status};
use us_dicomizer::core::pixels::{decode, render};
use us_dicomizer::core::settings::Settings;

#[test]
fn mono_native_crop_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 200, 150, 3, 1),
    );
    let out = dir.path().join("out.zip");
    let r = CropRect::new(13, 21, 181, 140);
    let rep = export_files(&[(src, user_crop(r))], &out, &Settings::defaults());
    assert_eq!(rep.summary.exported, 1, "{:?}", rep.files);
    let f = &rep.files[0];
    assert_eq!(f.pixel_encoding, Some("lossless"));
    assert_eq!(f.crop, Some([13, 21, 181, 140]));
    let name = f.output.clone().unwrap();
    assert_eq!(name, "TEST01_0001_CFV-L.dcm");
    let o = read_entry(&out, &name);
    assert_eq!((o.info.columns, o.info.rows, o.info.frames), (168, 119, 3));
    assert_eq!(o.info.transfer_syntax, "1.2.840.10008.1.2.1");
    for fr in 0..3 {
        let px = decode::decode_full(&o.obj, &o.info, fr).unwrap();
        for y in 0..119 {
            for x in 0..168 {
                assert_eq!(
                    px.data[(y * 168 + x) as usize],
                    demo::pixel(x + 13, y + 21, fr, 200, 150),
                    "frame {fr} at {x},{y}"
                );
            }
        }
    }
}

#[test]
fn rgb_and_native_ybr422_crop_keep_exact_samples() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = write_fixture(
        dir.path(),
        "rgb.dcm",
        &fixture_spec(Kind::Rgb, 160, 120, 2, 1),
    );
    let ybr = write_fixture(
        dir.path(),
        "ybr.dcm",
        &fixture_spec(Kind::Ybr422Native, 160, 120, 1, 2),
    );
    let out = dir.path().join("out.zip");
    let r = CropRect::new(11, 17, 150, 110); // odd x0 splits a 4:2:2 pair
    let rep = export_files(
        &[(rgb.clone(), user_crop(r)), (ybr.clone(), user_crop(r))],
        &out,
        &Settings::defaults(),
    );
    assert_eq!(rep.summary.exported, 2, "{:?}", rep.files);
    // RGB: output equals the input's own samples
    let input = read_loaded(&rgb);
    let o = read_entry(&out, rep.files[0].output.as_ref().unwrap());
    for fr in 0..2 {
        let want = decode::decode_cropped(&input.obj, &input.info, fr, &r).unwrap();
        let got = decode::decode_full(&o.obj, &o.info, fr).unwrap();
        assert_eq!(got.data, want.data);
    }
    // YBR_FULL_422: written as YBR_FULL (RLE), each pixel keeps its Y and its pair's Cb/Cr
    let o = read_entry(&out, rep.files[1].output.as_ref().unwrap());
    assert_eq!(o.info.photometric, "YBR_FULL");
    assert_eq!(o.info.transfer_syntax, "1.2.840.10008.1.2.5");
    let input = read_loaded(&ybr);
    let raw = decode::native_frame_raw(&input.obj, &input.info, 0).unwrap();
    let got = decode::decode_full(&o.obj, &o.info, 0).unwrap();
    for y in 0..r.height() {
        for x in 0..r.width() {
            let (sx, sy) = ((x + r.x0) as usize, (y + r.y0) as usize);
            let pair = &raw[sy * 160 * 2 + (sx / 2) * 4..][..4];
            let i = ((y * r.width() + x) * 3) as usize;
            assert_eq!(&got.data[i..i + 3], &[pair[sx % 2], pair[2], pair[3]]);
        }
    }
}

#[test]
fn native_ybr422_with_an_even_crop_stays_native_and_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let ybr = write_fixture(
        dir.path(),
        "ybr.dcm",
        &fixture_spec(Kind::Ybr422Native, 160, 120, 3, 2),
    );
    let out = dir.path().join("out.zip");
    // x0 and width even (y may be anything): every Y Y Cb Cr pair stays whole
    let r = CropRect::new(12, 17, 150, 110);
    let rep = export_files(&[(ybr.clone(), user_crop(r))], &out, &Settings::defaults());
    assert_eq!(rep.summary.exported, 1, "{:?}", rep.files);
    let f = &rep.files[0];
    assert_eq!(f.pixel_encoding, Some("lossless"));
    assert_eq!(f.photometric.as_deref(), Some("YBR_FULL_422"));
    let o = read_entry(&out, f.output.as_ref().unwrap());
    assert_eq!(o.info.transfer_syntax, "1.2.840.10008.1.2.1");
    assert_eq!(o.info.photometric, "YBR_FULL_422");
    assert_eq!((o.info.columns, o.info.rows, o.info.frames), (138, 93, 3));
    let input = read_loaded(&ybr);
    for fr in 0..3 {
        // the stored bytes of the output frame are the input's stored bytes inside the crop
        let raw = decode::native_frame_raw(&input.obj, &input.info, fr).unwrap();
        let mut want = Vec::new();
        for y in r.y0 as usize..r.y1 as usize {
            want.extend_from_slice(&raw[(y * 160 + r.x0 as usize) * 2..][..r.width() as usize * 2]);
        }
        let got = decode::native_frame_raw(&o.obj, &o.info, fr).unwrap();
        assert_eq!(&got[..], &want[..], "frame {fr}");
        // and it reads back as the same pixels as the input cropped
        let a = decode::decode_full(&o.obj, &o.info, fr).unwrap();
        let b = decode::decode_cropped(&input.obj, &input.info, fr, &r).unwrap();
        assert_eq!(a, b, "frame {fr}");
    }
}

fn read_loaded(p: &std::path::Path) -> us_dicomizer::core::load::LoadedFile {
    us_dicomizer::core::load::load(&file_source(p), &Settings::defaults().load).unwrap()
}

#[test]
fn jpeg_baseline_is_cropped_without_reencoding_on_the_mcu_grid() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "j.dcm",
        &fixture_spec(Kind::JpegBaseline, 320, 240, 4, 1),
    );
    let out = dir.path().join("out.zip");
    // x0=21,y0=13 is off the 16x8 grid: snapped inward to 32,16
    let rep = export_files(
        &[(src.clone(), user_crop(CropRect::new(21, 13, 300, 230)))],
        &out,
        &Settings::defaults(),
    );
    let f = &rep.files[0];
    assert_eq!(f.status, Status::Exported, "{:?}", f.reason);
    assert_eq!(f.crop, Some([32, 16, 300, 230]));
    assert_eq!(f.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.4.50"));
    assert_eq!(f.pixel_encoding, Some("lossy"));
    let o = read_entry(&out, f.output.as_ref().unwrap());
    assert_eq!((o.info.columns, o.info.rows, o.info.frames), (268, 214, 4));
    assert_eq!(o.info.photometric, "YBR_FULL_422");
    let input = read_loaded(&src);
    let r = CropRect::new(32, 16, 300, 230);
    for fr in 0..4 {
        let want = decode::decode_cropped(&input.obj, &input.info, fr, &r).unwrap();
        let got = decode::decode_full(&o.obj, &o.info, fr).unwrap();
        // DCT coefficients are untouched: away from the edges (chroma upsampling) pixels match
        let mut worst = 0i32;
        for y in 8..(r.height() - 8) {
            for x in 16..(r.width() - 16) {
                for c in 0..3 {
                    let i = ((y * r.width() + x) * 3 + c) as usize;
                    worst = worst.max((got.data[i] as i32 - want.data[i] as i32).abs());
                }
            }
        }
        assert!(worst <= 2, "frame {fr}: interior differs by {worst}");
    }
    // colour-by-pixel: a JPEG stream is interleaved whatever the photometric interpretation
    let planar = o
        .obj
        .element(tags::PLANAR_CONFIGURATION)
        .unwrap()
        .to_int::<u16>()
        .unwrap();
    assert_eq!(planar, 0);
    let lossy = o
        .obj
        .element(tags::LOSSY_IMAGE_COMPRESSION)
        .unwrap()
        .to_str()
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(lossy, "01");
}

#[test]
fn jpeg_output_policy_labels_everything_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let mono = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 200, 150, 2, 1),
    );
    let rgb = write_fixture(
        dir.path(),
        "c.dcm",
        &fixture_spec(Kind::Rgb, 200, 150, 1, 2),
    );
    let mut s = Settings::defaults();
    s.output.encoding = us_dicomizer::core::settings::Encoding::Jpeg;
    let out = dir.path().join("out.zip");
    let r = CropRect::new(10, 20, 190, 140);
    let rep = export_files(&[(mono, user_crop(r)), (rgb, user_crop(r))], &out, &s);
    assert_eq!(rep.summary.exported, 2);
    for (f, pi, spp) in [
        (&rep.files[0], "MONOCHROME2", 1u16),
        (&rep.files[1], "YBR_FULL_422", 3),
    ] {
        let o = read_entry(&out, f.output.as_ref().unwrap());
        assert_eq!(o.info.transfer_syntax, "1.2.840.10008.1.2.4.50");
        assert_eq!(o.info.photometric, pi);
        assert_eq!(o.info.samples_per_pixel, spp);
        let method = o
            .obj
            .element(tags::LOSSY_IMAGE_COMPRESSION_METHOD)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(method.contains("ISO_10918_1"));
        let ratio: f64 = o
            .obj
            .element(tags::LOSSY_IMAGE_COMPRESSION_RATIO)
            .unwrap()
            .to_str()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(ratio > 1.0);
        // pixel values close to the ground truth of the synthetic image
        let px = render::to_8bit(
            &decode::decode_full(&o.obj, &o.info, 0).unwrap(),
            None,
            None,
        );
        let mut total = 0u64;
        for y in 0..r.height() {
            for x in 0..r.width() {
                let want = demo::pixel(x + r.x0, y + r.y0, 0, 200, 150) as i32;
                let got = px.data[((y * r.width() + x) * px.spp as u32) as usize] as i32;
                if spp == 1 {
                    total += (got - want).unsigned_abs() as u64;
                }
            }
        }
        if spp == 1 {
            let mean = total as f64 / (r.width() * r.height()) as f64;
            assert!(mean < 6.0, "mean abs error {mean}");
        }
    }
}

#[test]
fn regions_are_cropped_and_image_type_is_derived() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 320, 240, 1, 1),
    );
    let out = dir.path().join("out.zip");
    let (x0, y0, x1, _) = demo::scan_area(320, 240);
    let r = CropRect::new(60, 30, 300, 200);
    let rep = export_files(&[(src, user_crop(r))], &out, &Settings::defaults());
    let o = read_entry(&out, rep.files[0].output.as_ref().unwrap());
    let reg = &o.info.regions[0];
    assert_eq!((reg.min_x0, reg.min_y0), (0, y0 - 30));
    assert_eq!((reg.max_x1, reg.max_y1), (x1 - 1 - 60, 199 - 30));
    let rx = o
        .obj
        .element(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .unwrap()
        .items()
        .unwrap()[0]
        .element(tags::REFERENCE_PIXEL_X0)
        .unwrap()
        .to_int::<i32>()
        .unwrap();
    // the region's left edge moved from 40 to 60: the reference pixel moves 20 to the left
    assert_eq!(rx, ((x1 - x0) / 2) as i32 - 20);
    let it = o
        .obj
        .element(tags::IMAGE_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(it.starts_with("DERIVED"), "{it}");
}

#[test]
fn auto_crop_is_deterministic_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = fixture_spec(Kind::Mono, 320, 240, 5, 1);
    spec.regions = false;
    let src = write_fixture(dir.path(), "m.dcm", &spec);
    let a = export_files(
        &[(src.clone(), CropChoice::Auto)],
        &dir.path().join("a.zip"),
        &Settings::defaults(),
    );
    let b = export_files(
        &[(src, CropChoice::Auto)],
        &dir.path().join("b.zip"),
        &Settings::defaults(),
    );
    assert_eq!(a.files[0].crop, b.files[0].crop);
    assert_eq!(a.files[0].crop_source, Some("auto_content"));
    let [cx0, cy0, cx1, cy1] = a.files[0].crop.unwrap();
    let (x0, y0, x1, y1) = demo::scan_area(320, 240);
    // the crop holds the scan area within a few pixels and excludes the banner rows
    assert!(
        cx0 <= x0 && cx0 + 4 >= x0 && cy0 <= y0 && cy0 + 4 >= y0,
        "{:?}",
        a.files[0].crop
    );
    assert!(
        cx1 >= x1 && cx1 <= x1 + 4 && cy1 >= y1 && cy1 <= y1 + 4,
        "{:?}",
        a.files[0].crop
    );
}

#[test]
fn crop_outside_the_image_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 1),
    );
    let rep = export_files(
        &[(src, user_crop(CropRect::new(0, 0, 101, 80)))],
        &dir.path().join("o.zip"),
        &Settings::defaults(),
    );
    assert_eq!(rep.files[0].status, Status::Failed);
    assert!(
        rep.files[0].reason.as_ref().unwrap().contains("outside"),
        "{:?}",
        rep.files[0].reason
    );
}

#[test]
fn uncropped_burned_in_file_is_refused_and_duplicates_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 1),
    );
    let copy = dir.path().join("copy.dcm");
    std::fs::copy(&src, &copy).unwrap();
    let rep = export_files(
        &[
            (src.clone(), CropChoice::None),
            (src.clone(), user_crop(CropRect::new(1, 1, 50, 50))),
            (copy, user_crop(CropRect::new(1, 1, 50, 50))),
        ],
        &dir.path().join("o.zip"),
        &Settings::defaults(),
    );
    assert_eq!(rep.files[0].status, Status::Skipped);
    assert!(rep.files[0].reason.as_ref().unwrap().contains("burned-in"));
    assert_eq!(rep.files[1].status, Status::Exported);
    assert_eq!(rep.files[2].status, Status::Skipped);
    assert!(rep.files[2].reason.as_ref().unwrap().contains("duplicate"));
}

#[test]
fn existing_archive_is_not_overwritten_and_inputs_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 1),
    );
    let before = std::fs::read(&src).unwrap();
    let out = dir.path().join("o.zip");
    std::fs::write(&out, b"precious").unwrap();
    let req = one_file_request(&src, &out);
    assert!(export::run(
        &req,
        &Settings::defaults(),
        &|_| {},
        &AtomicBool::new(false)
    )
    .is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    let forced = ExportRequest { force: true, ..req };
    export::run(
        &forced,
        &Settings::defaults(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
    assert_eq!(std::fs::read(&src).unwrap(), before, "input modified");
}

#[test]
fn cancelled_export_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 1),
    );
    let out = dir.path().join("o.zip");
    let req = one_file_request(&src, &out);
    let r = export::run(&req, &Settings::defaults(), &|_| {}, &AtomicBool::new(true));
    assert!(matches!(
        r,
        Err(us_dicomizer::core::error::CoreError::Cancelled)
    ));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the input remains: {left:?}");
}

#[test]
fn zip_inputs_are_read_without_change_and_limits_apply() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "m.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 1, 1),
    );
    let zpath = dir.path().join("in.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("../../evil/study/IMG0001", o).unwrap();
        z.write_all(&std::fs::read(&src).unwrap()).unwrap();
        z.start_file("bomb.bin", o).unwrap();
        z.write_all(&vec![0u8; 8 << 20]).unwrap();
        z.start_file("notes.txt", o).unwrap();
        z.write_all(b"hello").unwrap();
        z.finish().unwrap();
    }
    let before = std::fs::read(&zpath).unwrap();
    let g =
        us_dicomizer::core::load::gather(std::slice::from_ref(&zpath), &Settings::defaults().load);
    assert_eq!(g.sources.len(), 2, "{:?}", g.skipped);
    assert!(
        g.skipped
            .iter()
            .any(|s| s.input.ends_with("bomb.bin") && s.reason.contains("ratio")),
        "{:?}",
        g.skipped
    );
    let loaded = us_dicomizer::core::load::load(&g.sources[0], &Settings::defaults().load).unwrap();
    assert_eq!(loaded.info.columns, 100);
    let txt = us_dicomizer::core::load::load(&g.sources[1], &Settings::defaults().load);
    assert!(txt.err().unwrap().contains("not a DICOM file"));
    assert_eq!(std::fs::read(&zpath).unwrap(), before);
    assert!(!dir.path().join("../evil").exists());
}

#[test]
fn manifest_lists_entries_without_input_paths() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "SECRET-NAME.dcm",
        &fixture_spec(Kind::Mono, 100, 80, 2, 1),
    );
    let out = dir.path().join("o.zip");
    export_files(
        &[(src, user_crop(CropRect::new(1, 1, 50, 50)))],
        &out,
        &Settings::defaults(),
    );
    let names = entry_names(&out);
    assert!(
        names.contains(&"manifest.csv".to_string()) && names.contains(&"manifest.json".to_string())
    );
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut z.by_name("manifest.csv").unwrap(), &mut csv).unwrap();
    assert!(csv.contains("TEST01_0001_CFV-L.dcm,2,49,49,"), "{csv}");
    assert!(!csv.contains("SECRET"));
    let mut json = String::new();
    std::io::Read::read_to_string(&mut z.by_name("manifest.json").unwrap(), &mut json).unwrap();
    assert!(!json.contains("SECRET") && !json.contains(&dir.path().display().to_string()));
}

#[test]
fn large_native_files_keep_pixels_on_disk_and_export_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    // 640x480 RGB x 12 frames = 11 MB: above the 8 MB threshold
    let src = write_fixture(
        dir.path(),
        "big.dcm",
        &fixture_spec(Kind::Rgb, 640, 480, 12, 1),
    );
    let lazy = read_loaded(&src);
    assert!(
        lazy.info.pixel_location.is_some(),
        "pixel data should stay on disk"
    );
    assert!(lazy.obj.element_opt(tags::PIXEL_DATA).unwrap().is_none());
    let parsed = us_dicomizer::core::load::parse_file(&src).unwrap();
    let full = us_dicomizer::core::load::probe(&parsed.obj).unwrap();
    assert!(full.pixel_location.is_none());
    let r = CropRect::new(33, 41, 601, 455);
    for fr in [0, 5, 11] {
        let a = decode::decode_cropped(&lazy.obj, &lazy.info, fr, &r).unwrap();
        let b = decode::decode_cropped(&parsed.obj, &full, fr, &r).unwrap();
        assert_eq!(a, b, "frame {fr}");
    }
    let out = dir.path().join("o.zip");
    let rep = export_files(&[(src, user_crop(r))], &out, &Settings::defaults());
    assert_eq!(
        rep.files[0].status,
        Status::Exported,
        "{:?}",
        rep.files[0].reason
    );
    let o = read_entry(&out, rep.files[0].output.as_ref().unwrap());
    for fr in [0, 11] {
        let got = decode::decode_full(&o.obj, &o.info, fr).unwrap();
        let want = decode::decode_cropped(&parsed.obj, &full, fr, &r).unwrap();
        assert_eq!(got.data, want.data, "frame {fr}");
    }
}

#[test]
fn jpeg_labelled_ybr_full_stays_colour_by_pixel() {
    // JPEG Baseline labelled YBR_FULL (as dcmtk writes 4:4:4 and 4:2:0 streams): the output
    // keeps the label, and PlanarConfiguration must stay 0 (a JPEG stream is interleaved).
    let dir = tempfile::tempdir().unwrap();
    let src = write_fixture(
        dir.path(),
        "j.dcm",
        &fixture_spec(Kind::JpegBaseline, 320, 240, 2, 1),
    );
    let mut obj = dicom_object::open_file(&src).unwrap();
    obj.put(dicom_core::DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        dicom_core::VR::CS,
        dicom_core::PrimitiveValue::from("YBR_FULL"),
    ));
    let relabelled = dir.path().join("ybr_full.dcm");
    obj.write_to_file(&relabelled).unwrap();
    let out = dir.path().join("out.zip");
    let rep = export_files(
        &[(relabelled, user_crop(CropRect::new(32, 16, 300, 230)))],
        &out,
        &Settings::defaults(),
    );
    assert_eq!(
        rep.files[0].status,
        Status::Exported,
        "{:?}",
        rep.files[0].reason
    );
    let o = read_entry(&out, rep.files[0].output.as_ref().unwrap());
    assert_eq!(o.info.photometric, "YBR_FULL");
    assert_eq!(o.info.transfer_syntax, "1.2.840.10008.1.2.4.50");
    let planar = o
        .obj
        .element(tags::PLANAR_CONFIGURATION)
        .unwrap()
        .to_int::<u16>()
        .unwrap();
    assert_eq!(planar, 0);
}
