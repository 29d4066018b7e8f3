//! Burned-in text: text drawn into generated frames (several fonts, sizes, colours; over black
//! and over speckle; inside and outside the scan region; single frames, cines, JPEG) must not
//! leave readable, while the files are still exported; text over the scan is blocked.

mod common;

use std::path::PathBuf;

use common::*;
use dicom_dictionary_std::tags;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{Kind, Planted, Spec};
use us_dicomizer::core::export::{CropChoice, Status};
use us_dicomizer::core::pixels::{decode, render};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::text::draw::{text_size, Style};
use us_dicomizer::core::text::{self, ocr};

const WHITE: [u8; 3] = [255, 255, 255];
const YELLOW: [u8; 3] = [250, 230, 40];
const CYAN: [u8; 3] = [60, 230, 240];
const GREY: [u8; 3] = [170, 170, 170];

/// The identity strings planted in the parameter column (inside the region, on black).
fn column_text(w: u32, h: u32, style: Style, colour: [u8; 3]) -> Vec<Planted> {
    // inside the region (the demo's scan area), right of the sector, on black
    let x = w - w / 8 - 76;
    let y0 = h / 4;
    ["JD 12975", "NTHI GEN", "9:04:47", "14.02.58"]
        .iter()
        .enumerate()
        .map(|(k, t)| Planted::new(x, y0 + k as u32 * 14, t, 1, style, colour))
        .collect()
}

fn spec(kind: Kind, w: u32, h: u32, frames: u32, instance: u32, text: Vec<Planted>) -> Spec {
    Spec {
        instance,
        sector: true,
        text,
        ..Spec::new(kind, w, h, frames)
    }
}

/// Largest luma inside `r` of every frame of an exported file (`r` in output coordinates).
fn max_luma_in(file: &us_dicomizer::core::load::LoadedFile, r: &CropRect) -> u8 {
    let mut m = 0;
    for i in 0..file.info.frames {
        let f = decode::decode_full(&file.obj, &file.info, i).unwrap();
        let e = render::to_8bit(&f, None, None);
        for y in r.y0..r.y1.min(e.height) {
            for x in r.x0..r.x1.min(e.width) {
                let at = (y * e.width + x) as usize * e.spp as usize;
                m = m.max(e.data[at]);
            }
        }
    }
    m
}

fn planted_box(p: &Planted) -> CropRect {
    let (w, h) = text_size(&p.text, p.scale, p.style);
    CropRect::new(p.x, p.y, p.x + w, p.y + h)
}

fn shifted(r: &CropRect, crop: &[u32; 4]) -> CropRect {
    CropRect::new(
        r.x0 - crop[0],
        r.y0 - crop[1],
        r.x1 - crop[0],
        r.y1 - crop[1],
    )
}

#[test]
fn default_export_blanks_planted_text_in_every_encoding_and_still_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    let cases = [
        (Kind::Mono, 1, Style::Plain, WHITE),
        (Kind::Rgb, 6, Style::Bold, YELLOW),
        (Kind::Ybr422Native, 1, Style::Tall, CYAN),
        (Kind::JpegBaseline, 5, Style::Plain, GREY),
    ];
    let mut files = Vec::new();
    let mut planted = Vec::new();
    for (k, (kind, frames, style, colour)) in cases.iter().enumerate() {
        let text = column_text(w, h, *style, *colour);
        let s = spec(*kind, w, h, *frames, 10 + k as u32, text.clone());
        // a person's crop: the region (Burned In Annotation NO needs an approved crop)
        let (x0, y0, x1, y1) = us_dicomizer::core::demo::scan_area(w, h);
        files.push((
            write_fixture(dir.path(), &format!("t{k}.dcm"), &s),
            user_crop(CropRect::new(x0, y0, x1, y1)),
        ));
        planted.push(text);
    }
    let out = dir.path().join("out.zip");
    let report = export_files(&files, &out, &Settings::defaults());
    for (k, r) in report.files.iter().enumerate() {
        assert_eq!(r.status, Status::Exported, "file {k}: {:?}", r.reason);
        let file = read_entry(&out, r.output.as_ref().unwrap());
        let crop = r.crop.unwrap();
        for p in &planted[k] {
            let b = shifted(&planted_box(p), &crop);
            let m = max_luma_in(&file, &b);
            assert!(
                m <= 40,
                "file {k}: `{}` still has glyph pixels (max luma {m})",
                p.text
            );
        }
        let note = r.burned_in_text.clone().unwrap_or_default();
        assert!(note.starts_with("masked: "), "file {k}: {note}");
        // the scan itself is untouched: bright speckle remains in the middle
        let mid = CropRect::new(200, 200, 260, 260);
        assert!(max_luma_in(&file, &shifted(&mid, &crop)) > 60);
        assert_eq!(
            file.obj
                .element(tags::BURNED_IN_ANNOTATION)
                .unwrap()
                .to_str()
                .unwrap()
                .trim(),
            "NO",
            "nothing left after masking, crop set by a person"
        );
        // lossless inputs stay lossless apart from the masked pixels
        if !matches!(cases[k].0, Kind::JpegBaseline) {
            assert_eq!(r.pixel_encoding, Some("lossless"), "file {k}");
        } else {
            assert_eq!(r.pixel_encoding, Some("lossy"));
        }
    }
    if ocr::available() {
        // OCR of the first frame of every output: no planted string is readable
        for (k, r) in report.files.iter().enumerate() {
            let file = read_entry(&out, r.output.as_ref().unwrap());
            let f = decode::decode_full(&file.obj, &file.info, 0).unwrap();
            let t = ocr::normalise(&ocr::read_text(&render::to_8bit(&f, None, None)).unwrap());
            for p in &planted[k] {
                let n = ocr::normalise(&p.text);
                assert!(!t.contains(&n), "file {k}: `{}` read by OCR in {t}", p.text);
            }
        }
    }
}

#[test]
fn verify_pixels_reads_identity_that_was_kept_and_not_what_was_masked() {
    if !ocr::available() {
        eprintln!("tesseract not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    let s = spec(
        Kind::Mono,
        w,
        h,
        1,
        41,
        vec![Planted::new(
            w - w / 8 - 100,
            h / 4,
            "ID DEMO-000001",
            1,
            Style::Plain,
            WHITE,
        )],
    );
    let input = write_fixture(dir.path(), "a.dcm", &s);
    let (x0, y0, x1, y1) = us_dicomizer::core::demo::scan_area(w, h);
    let crop = user_crop(CropRect::new(x0, y0, x1, y1));
    let mut keep = Settings::from_layers(&[
        (
            "defaults".into(),
            us_dicomizer::core::settings::DEFAULT_SETTINGS.into(),
        ),
        (
            "test".into(),
            "[pixels]\nburned_in_text = \"keep\"\n".into(),
        ),
    ])
    .unwrap();
    keep.output.allow_burned_in_without_crop = true;
    let kept = dir.path().join("kept.zip");
    export_files(&[(input.clone(), crop.clone())], &kept, &keep);
    let r = ocr::verify_pixels(&kept, std::slice::from_ref(&input), &mut |_, _| {}).unwrap();
    assert!(r.findings.iter().any(|f| f.needle_kind == "id"), "{r:?}");
    let masked = dir.path().join("masked.zip");
    export_files(&[(input.clone(), crop)], &masked, &Settings::defaults());
    let r = ocr::verify_pixels(&masked, &[input], &mut |_, _| {}).unwrap();
    assert!(r.findings.is_empty(), "{r:?}");
    assert_eq!(r.frames_read, 1);
}

#[test]
fn text_over_the_scan_is_blocked_not_masked_and_the_rest_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    // white text in the middle of the sector, over speckle
    let over = vec![Planted::new(
        250,
        220,
        "DOE JANE 1958",
        2,
        Style::Plain,
        WHITE,
    )];
    let a = write_fixture(dir.path(), "over.dcm", &spec(Kind::Mono, w, h, 1, 21, over));
    let b = write_fixture(
        dir.path(),
        "column.dcm",
        &spec(
            Kind::Mono,
            w,
            h,
            1,
            22,
            column_text(w, h, Style::Plain, WHITE),
        ),
    );
    let out = dir.path().join("out.zip");
    let report = export_files(
        &[(a, CropChoice::Auto), (b, CropChoice::Auto)],
        &out,
        &Settings::defaults(),
    );
    assert_eq!(report.files[0].status, Status::Skipped);
    let reason = report.files[0].reason.clone().unwrap();
    assert!(reason.contains("over the scan"), "{reason}");
    assert!(reason.contains('['), "the reason names the box: {reason}");
    assert_eq!(report.files[1].status, Status::Exported);
}

#[test]
fn refuse_and_keep_modes() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(
        Kind::Mono,
        640,
        480,
        1,
        31,
        column_text(640, 480, Style::Plain, WHITE),
    );
    let a = write_fixture(dir.path(), "a.dcm", &s);
    let layer = |mode: &str| {
        Settings::from_layers(&[
            (
                "defaults".into(),
                us_dicomizer::core::settings::DEFAULT_SETTINGS.into(),
            ),
            (
                "test".into(),
                format!("[pixels]\nburned_in_text = \"{mode}\"\n"),
            ),
        ])
        .unwrap()
    };
    let r = export_files(
        &[(a.clone(), CropChoice::Auto)],
        &dir.path().join("r.zip"),
        &layer("refuse"),
    );
    assert_eq!(r.files[0].status, Status::Skipped);
    assert!(r.files[0].reason.as_ref().unwrap().contains("refuse"));
    // keep without an explicit allowance is refused; with it, exported and marked YES
    let k = export_files(
        &[(a.clone(), CropChoice::Auto)],
        &dir.path().join("k.zip"),
        &layer("keep"),
    );
    assert_eq!(k.files[0].status, Status::Skipped);
    let mut allowed = layer("keep");
    allowed.output.allow_burned_in_without_crop = true;
    let out = dir.path().join("k2.zip");
    let k = export_files(&[(a, CropChoice::Auto)], &out, &allowed);
    assert_eq!(k.files[0].status, Status::Exported);
    let file = read_entry(&out, k.files[0].output.as_ref().unwrap());
    assert_eq!(
        file.obj
            .element(tags::BURNED_IN_ANNOTATION)
            .unwrap()
            .to_str()
            .unwrap()
            .trim(),
        "YES"
    );
}

/// A generated frame with labelled text; returns (frame, boxes drawn).
fn labelled_frame(
    seed: u32,
    background: &dyn Fn(u32, u32) -> u8,
    w: u32,
    h: u32,
) -> (us_dicomizer::core::pixels::Frame, Vec<CropRect>) {
    use us_dicomizer::core::text::draw::{draw_text, Canvas};
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let v = background(x, y);
            data.extend_from_slice(&[v, v, v]);
        }
    }
    let mut rng = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = |n: u32| {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        rng % n
    };
    let words = [
        "DOE^JANE",
        "ID 4711-22",
        "03/02/1961",
        "ST MARY HOSP",
        "10:42:13 PM",
        "BMI 23",
        "Gn 60 C 61",
    ];
    let styles = [Style::Plain, Style::Bold, Style::Tall];
    let colours = [WHITE, YELLOW, CYAN, GREY, [120, 255, 120]];
    let mut boxes: Vec<CropRect> = Vec::new();
    let mut c = Canvas {
        data: &mut data,
        width: w,
        height: h,
        spp: 3,
    };
    let mut tries = 0;
    while boxes.len() < 4 && tries < 50 {
        tries += 1;
        let t = words[next(words.len() as u32) as usize];
        let scale = 1 + next(2);
        let style = styles[next(3) as usize];
        let (tw, th) = text_size(t, scale, style);
        if tw + 4 >= w || th + 4 >= h {
            continue;
        }
        let (x, y) = (2 + next(w - tw - 4), 2 + next(h - th - 4));
        let b = CropRect::new(x, y, x + tw, y + th);
        let grown = CropRect::new(x.saturating_sub(6), y.saturating_sub(6), b.x1 + 6, b.y1 + 6);
        if boxes.iter().any(|o| text::intersect(o, &grown).is_some()) {
            continue;
        }
        let colour = colours[next(colours.len() as u32) as usize];
        if let Some(ink) = draw_text(&mut c, x, y, t, scale, style, colour) {
            boxes.push(ink);
        }
    }
    let f = us_dicomizer::core::pixels::Frame {
        width: w,
        height: h,
        spp: 3,
        bytes_per_sample: 1,
        photometric: "RGB".into(),
        data,
    };
    (f, boxes)
}

fn corpus_backgrounds() -> Vec<us_dicomizer::core::pixels::Frame> {
    let Some(dir) = shared_corpus() else {
        return Vec::new();
    };
    // the scan areas of real frames, text-free parts only (cropped inside the sector)
    let mut out = Vec::new();
    for (name, r) in [
        (
            "us_ybr422_jpegbaseline_mf65_DIRW0007.dcm",
            CropRect::new(150, 120, 420, 380),
        ),
        (
            "us_rgb_explicitle_1f_US1_UNCR.dcm",
            CropRect::new(60, 240, 560, 340),
        ),
        (
            "us_mono2_jpeglslossless_1f_GH364.dcm",
            CropRect::new(300, 250, 760, 700),
        ),
    ] {
        let p = dir.join(name);
        let Ok(parsed) = us_dicomizer::core::load::parse_file(&p) else {
            continue;
        };
        let Ok(info) = us_dicomizer::core::load::probe(&parsed.obj) else {
            continue;
        };
        if let Ok(f) = decode::decode_cropped(&parsed.obj, &info, 0, &r) {
            let e = render::to_8bit(&f, None, None);
            out.push(e);
        }
    }
    out
}

#[test]
fn detector_precision_and_recall_on_a_labelled_generated_set() {
    let (w, h) = (320, 240);
    let speckle =
        |x: u32, y: u32| us_dicomizer::core::demo::sector_pixel(x + 160, y + 120, 0, 640, 480);
    let black = |_: u32, _: u32| 0u8;
    let (mut drawn, mut hit, mut found, mut true_found) = (0usize, 0usize, 0usize, 0usize);
    let mut frames = 0;
    let started = std::time::Instant::now();
    let mut score = |f: &us_dicomizer::core::pixels::Frame, boxes: &[CropRect], on_scan: bool| {
        let got = text::scan_frames(std::slice::from_ref(f));
        frames += 1;
        drawn += boxes.len();
        for b in boxes {
            let covered = got.iter().any(|g| {
                text::intersect(&g.with_margin(f.width, f.height), b) == Some(*b)
                    || (on_scan && text::intersect(&g.rect, b).is_some())
            });
            if !covered && std::env::var_os("TEXT_DEBUG").is_some() {
                eprintln!(
                    "missed {b:?} on_scan={on_scan} got={:?}",
                    got.iter().map(|g| g.rect).collect::<Vec<_>>()
                );
            }
            hit += covered as usize;
        }
        found += got.len();
        true_found += got
            .iter()
            .filter(|g| boxes.iter().any(|b| text::intersect(&g.rect, b).is_some()))
            .count();
    };
    for seed in 0..24 {
        let (f, b) = labelled_frame(seed, &black, w, h);
        score(&f, &b, false);
        let (f, b) = labelled_frame(100 + seed, &speckle, w, h);
        score(&f, &b, true);
    }
    for (k, bg) in corpus_backgrounds().into_iter().enumerate() {
        for seed in 0..6 {
            let get = |x: u32, y: u32| bg.data[((y * bg.width + x) as usize) * bg.spp as usize];
            let (f, b) = labelled_frame(500 + k as u32 * 10 + seed, &get, bg.width, bg.height);
            score(&f, &b, true);
        }
    }
    // text-free scans: every box found is a false positive
    for seed in 0..8 {
        let (f, _) = labelled_frame(seed, &speckle, w, h);
        let mut clean = f.clone();
        for y in 0..h {
            for x in 0..w {
                let v = speckle(x, y);
                let at = ((y * w + x) * 3) as usize;
                clean.data[at..at + 3].copy_from_slice(&[v, v, v]);
            }
        }
        score(&clean, &[], true);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let recall = hit as f64 / drawn as f64;
    let precision = true_found as f64 / found.max(1) as f64;
    println!(
        "text detector: {drawn} text rows drawn in {frames} frames, recall {:.3}, precision {:.3} ({true_found}/{found} boxes), {:.1} ms per frame",
        recall,
        precision,
        elapsed * 1000.0 / frames as f64
    );
    assert!(recall >= 0.95, "recall {recall}");
    assert!(precision >= 0.9, "precision {precision}");
}

#[test]
fn corpus_cine_with_text_in_its_regions_exports_without_readable_identity() {
    let Some(dir) = shared_corpus() else { return };
    let p: PathBuf = dir.join("us_ybr422_jpegbaseline_mf65_DIRW0007.dcm");
    if !p.exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.zip");
    let report = export_files(
        &[(p.clone(), CropChoice::Auto)],
        &out,
        &Settings::defaults(),
    );
    let r = &report.files[0];
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    if ocr::available() {
        let file = read_entry(&out, r.output.as_ref().unwrap());
        let f = decode::decode_full(&file.obj, &file.info, 32).unwrap();
        let e = render::to_8bit(&f, None, None);
        let t = ocr::normalise(&ocr::read_text(&e).unwrap());
        for needle in ["12975", "NTHIGENERAL", "90447"] {
            assert!(!t.contains(needle), "`{needle}` is readable: {t}");
        }
    }
    assert!(r.burned_in_text.as_ref().unwrap().starts_with("masked"));
}
