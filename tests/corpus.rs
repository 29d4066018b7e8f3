//! The shared corpus of real files (../shared/testdata/dicom): every ultrasound file exports
//! with the pixels of an independent decode (dicom-pixeldata) of the crop; every broken or
//! non-DICOM file is reported with a reason and nothing panics. Skipped (with a note) when the
//! corpus is not beside the repository; engine.rs covers the same ground on generated files.

mod common;

use common::*;
use dicom_pixeldata::PixelDecoder;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::export::Status;
use us_dicomizer::core::load;
use us_dicomizer::core::settings::Settings;

struct Row {
    file: String,
    modality: String,
}

fn manifest(dir: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (f, m) = (col("file"), col("modality"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                file: c[f].to_string(),
                modality: c[m].to_string(),
            }
        })
        .collect()
}

/// Frame `i` of a file as 8-bit RGB through dicom-pixeldata's own conversion (an independent
/// decode path), or None where dicom-pixeldata is known not to cope (native YBR_FULL_422,
/// palette colour).
fn reference_rgb(obj: &dicom_object::DefaultDicomObject, i: u32) -> Option<image::RgbImage> {
    let px = obj.decode_pixel_data_frame(i).ok()?;
    if *px.photometric_interpretation() == dicom_pixeldata::PhotometricInterpretation::PaletteColor
    {
        // palette indices, compared as they are stored
        let (w, h) = (px.columns(), px.rows());
        let grey: Vec<u8> = px
            .data()
            .iter()
            .take((w * h) as usize)
            .flat_map(|&v| [v, v, v])
            .collect();
        return image::RgbImage::from_raw(w, h, grey);
    }
    let stored_ybr = obj
        .element(dicom_dictionary_std::tags::PHOTOMETRIC_INTERPRETATION)
        .ok()?
        .to_str()
        .ok()?
        .trim()
        == "YBR_FULL";
    if stored_ybr && obj.meta().transfer_syntax() == "1.2.840.10008.1.2.5" {
        // dicom-pixeldata returns RLE YBR samples unconverted: convert with the standard formula
        let (w, h) = (px.columns(), px.rows());
        let rgb: Vec<u8> = px
            .data()
            .chunks_exact(3)
            .take((w * h) as usize)
            .flat_map(|p| us_dicomizer::core::pixels::render::ycc_to_rgb(p[0], p[1], p[2]))
            .collect();
        return image::RgbImage::from_raw(w, h, rgb);
    }
    let opts = dicom_pixeldata::ConvertOptions::new().force_8bit();
    Some(px.to_dynamic_image_with_options(0, &opts).ok()?.to_rgb8())
}

#[test]
fn every_ultrasound_file_exports_with_the_right_pixels() {
    let Some(dir) = shared_corpus() else {
        eprintln!("note: ../shared/testdata/dicom not found; corpus test skipped (engine.rs covers generated files)");
        return;
    };
    // pixel codecs only: burned-in text is kept here (masking has its own tests)
    let mut settings = Settings::defaults();
    settings.pixels.burned_in_text = us_dicomizer::core::text::policy::TextMode::Keep;
    settings.output.allow_burned_in_without_crop = true;
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for row in manifest(&dir).iter().filter(|r| r.file.starts_with("us_")) {
        let path = dir.join(&row.file);
        let input = load::load(&file_source(&path), &settings.load)
            .unwrap_or_else(|e| panic!("{}: {e}", row.file));
        let (w, h) = (input.info.columns, input.info.rows);
        let crop = CropRect::new(w / 8 + 1, h / 8 + 3, w - w / 8, h - h / 10);
        let out = tmp.path().join(format!("{}.zip", row.file));
        let rep = export_files(&[(path.clone(), user_crop(crop))], &out, &settings);
        let f = &rep.files[0];
        assert_eq!(f.status, Status::Exported, "{}: {:?}", row.file, f.reason);
        let applied = f.crop.unwrap();
        let applied = CropRect::new(applied[0], applied[1], applied[2], applied[3]);
        let o = read_entry(&out, f.output.as_ref().unwrap());
        assert_eq!(
            (o.info.columns, o.info.rows, o.info.frames),
            (applied.width(), applied.height(), input.info.frames),
            "{}",
            row.file
        );
        // independent decode of input and output, compared on the crop
        let sample_frames = [0, input.info.frames - 1];
        for &fr in &sample_frames {
            let (Some(a), Some(b)) = (reference_rgb(&input.obj, fr), reference_rgb(&o.obj, fr))
            else {
                continue;
            };
            let mut worst = 0i32;
            let mut total = 0u64;
            for y in 0..applied.height() {
                for x in 0..applied.width() {
                    let pa = a.get_pixel(x + applied.x0, y + applied.y0);
                    let pb = b.get_pixel(x, y);
                    for c in 0..3 {
                        let d = (pa[c] as i32 - pb[c] as i32).abs();
                        worst = worst.max(d);
                        total += d as u64;
                    }
                }
            }
            let mean = total as f64 / (applied.width() * applied.height() * 3) as f64;
            if f.pixel_encoding == Some("lossless") && input.info.photometric != "YBR_FULL" {
                assert_eq!(worst, 0, "{} frame {fr}: lossless output differs", row.file);
            } else {
                // lossy inputs cropped in the DCT domain differ only along block edges; YBR
                // conversions round differently between decoders
                assert!(
                    mean < 3.0,
                    "{} frame {fr}: mean difference {mean:.2}",
                    row.file
                );
            }
        }
        // verify finds nothing of the input in its export (no false alarm on real files)
        let v =
            us_dicomizer::core::verify::verify(&out, std::slice::from_ref(&path), &mut |_, _| {})
                .unwrap();
        assert!(
            v.is_clean(),
            "{}: verify flagged {:?}",
            row.file,
            v.findings
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} ultrasound files checked");
}

#[test]
fn broken_and_foreign_files_are_reported_with_a_reason() {
    let Some(dir) = shared_corpus() else {
        eprintln!("note: ../shared/testdata/dicom not found; corpus test skipped");
        return;
    };
    let settings = Settings::defaults();
    for row in manifest(&dir) {
        let path = dir.join(&row.file);
        let result = load::load(&file_source(&path), &settings.load);
        let broken = row.file.starts_with("broken_")
            || row.file.starts_with("nondicom_")
            || row.file.starts_with("dicomdir");
        match result {
            Ok(f) => {
                // a few "broken" files still parse (their fault is elsewhere); they must then
                // either export or fail with a reason, never panic
                if broken {
                    let out = tempfile::tempdir().unwrap();
                    let (w, h) = (f.info.columns, f.info.rows);
                    let rep = export_files(
                        &[(path.clone(), user_crop(CropRect::new(0, 0, w, h)))],
                        &out.path().join("o.zip"),
                        &settings,
                    );
                    let r = &rep.files[0];
                    assert!(
                        r.status == Status::Exported
                            || r.reason.as_deref().map(|s| !s.is_empty()).unwrap_or(false),
                        "{}",
                        row.file
                    );
                }
                if row.modality != "US" {
                    assert!(
                        !f.info.flags.is_empty(),
                        "{}: non-US must be flagged",
                        row.file
                    );
                }
            }
            Err(reason) => {
                assert!(!reason.trim().is_empty(), "{}: empty reason", row.file);
                assert!(
                    !reason.contains(&row.file),
                    "{}: reasons must not carry file names",
                    row.file
                );
                if row.file.starts_with("us_") {
                    panic!("{}: ultrasound file rejected: {reason}", row.file);
                }
            }
        }
    }
    // the README and licence texts next to the corpus are not DICOM
    let r = load::load(&file_source(&dir.join("README.md")), &settings.load);
    assert!(r.err().unwrap().contains("not a DICOM file"));
}
