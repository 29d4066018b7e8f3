//! `[pixels] mask_outside_sector`: everything outside the scan sector is blanked in every
//! frame, the scan itself is kept bit for bit (lossless inputs stay lossless), and the report and
//! the manifest say what was kept and blanked. Checked on generated fans of many geometries
//! (engine) and through the export of generated sector files with marks beside the fan.

mod common;

use std::io::Read;

use common::*;
use dicom_core::value::PrimitiveValue;
use dicom_core::VR;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use us_dicomizer::core::crop::scan_area::Shape;
use us_dicomizer::core::crop::sector;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{self, Kind, Planted, Spec};
use us_dicomizer::core::export::{CropChoice, Status};
use us_dicomizer::core::pixels::{decode, render, Frame};
use us_dicomizer::core::settings::{Settings, DEFAULT_SETTINGS};
use us_dicomizer::core::text::draw::Style;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 10_000) as f32 / 10_000.0
    }
}

/// A fan: apex, half angle (tan), inner and outer radius.
struct Fan {
    cx: f32,
    apex: f32,
    tan: f32,
    r0: f32,
    r1: f32,
}

impl Fan {
    fn contains(&self, x: u32, y: u32) -> bool {
        let (dx, dy) = (x as f32 + 0.5 - self.cx, y as f32 + 0.5 - self.apex);
        let r = (dx * dx + dy * dy).sqrt();
        dy > 0.0 && r >= self.r0 && r <= self.r1 && dx.abs() <= dy * self.tan
    }
}

#[test]
fn footprint_keeps_every_scan_pixel_and_blanks_marks_beside_the_fan() {
    let mut rng = Rng(2026);
    let mut excess_worst = 0f64;
    for case in 0..24u32 {
        let (w, h) = (320 + rng.next() % 320, 240 + rng.next() % 240);
        let area = CropRect::new(w / 10, h / 12, w - w / 10, h - h / 20);
        let fan = Fan {
            cx: w as f32 * (0.45 + 0.1 * rng.unit()),
            apex: area.y0 as f32 - 10.0 + 20.0 * rng.unit(),
            tan: 0.35 + 0.45 * rng.unit(),
            r0: h as f32 * 0.08 * rng.unit(),
            r1: h as f32 * (0.55 + 0.3 * rng.unit()),
        };
        let frames_n = if case % 3 == 0 { 5 } else { 1 };
        let mut frames = Vec::new();
        for f in 0..frames_n {
            let mut data = vec![0u8; (w * h) as usize];
            for y in 0..h {
                for x in 0..w {
                    if fan.contains(x, y) && area_contains(&area, x, y) {
                        // speckle, darker dots included (never the background level)
                        data[(y * w + x) as usize] = (8 + (rng.next() + f) % 200) as u8;
                    }
                }
            }
            frames.push((data, ()));
        }
        // marks inside the area, beside the fan: a grey bar and depth ticks in the corners
        let marks: Vec<(u32, u32)> = (0..60)
            .flat_map(|k| {
                [
                    (area.x0 + 3, area.y0 + 3 + k),
                    (area.x0 + 4, area.y0 + 3 + k),
                ]
            })
            .chain((0..6).map(|k| (area.x1 - 6, area.y0 + 4 + 10 * k)))
            .filter(|&(x, y)| !near_fan(&fan, x, y, 20))
            .collect();
        let frames: Vec<Frame> = frames
            .into_iter()
            .map(|(mut data, _)| {
                for &(x, y) in &marks {
                    data[(y * w + x) as usize] = 180;
                }
                Frame {
                    width: w,
                    height: h,
                    spp: 1,
                    bytes_per_sample: 1,
                    photometric: "MONOCHROME2".into(),
                    data,
                }
            })
            .collect();
        let fp = sector::footprint(&frames, &[area], 2);
        assert_eq!(fp.areas[0].1, Shape::Sector, "case {case}");
        let (mut sector_px, mut excess) = (0u64, 0u64);
        for y in 0..h {
            for x in 0..w {
                let scan = fan.contains(x, y) && area_contains(&area, x, y);
                sector_px += scan as u64;
                if scan {
                    assert!(
                        fp.keeps(x, y),
                        "case {case}: scan pixel {x},{y} blanked ({w}x{h}, area {area:?}, row kept {:?})",
                        (0..w).filter(|&xx| fp.keeps(xx, y)).fold((u32::MAX, 0), |a, xx| (a.0.min(xx), a.1.max(xx)))
                    );
                } else if fp.keeps(x, y) {
                    excess += 1;
                }
            }
        }
        for &(x, y) in &marks {
            assert!(!fp.keeps(x, y), "case {case}: mark at {x},{y} kept");
        }
        // what the hull adds (the strip above a curved top, edge rounding) stays small
        let share = excess as f64 / sector_px as f64;
        excess_worst = excess_worst.max(share);
        assert!(
            share < 0.10,
            "case {case}: hull adds {share:.3} of the sector"
        );
        // the blanked rectangles are exactly what is not kept
        let mut blank = vec![false; (w * h) as usize];
        for r in fp.outside_rects() {
            for y in r.y0..r.y1 {
                for x in r.x0..r.x1 {
                    blank[(y * w + x) as usize] = true;
                }
            }
        }
        for y in 0..h {
            for x in 0..w {
                assert_eq!(blank[(y * w + x) as usize], !fp.keeps(x, y));
            }
        }
    }
    eprintln!("hull excess over the true sector: worst {excess_worst:.3}");
}

#[test]
fn a_rectangular_scan_is_kept_whole() {
    let (w, h) = (300u32, 200u32);
    let area = CropRect::new(40, 30, 260, 180);
    let mut data = vec![0u8; (w * h) as usize];
    for y in area.y0..area.y1 {
        for x in area.x0..area.x1 {
            data[(y * w + x) as usize] = (20 + (x * 7 + y * 13) % 150) as u8;
        }
    }
    let f = Frame {
        width: w,
        height: h,
        spp: 1,
        bytes_per_sample: 1,
        photometric: "MONOCHROME2".into(),
        data,
    };
    let fp = sector::footprint(&[f], &[area], 2);
    assert_eq!(fp.areas[0].1, Shape::Rectangle);
    assert_eq!(
        fp.blanked_pixels(),
        (w * h - area.width() * area.height()) as u64
    );
}

fn area_contains(a: &CropRect, x: u32, y: u32) -> bool {
    x >= a.x0 && x < a.x1 && y >= a.y0 && y < a.y1
}

fn near_fan(fan: &Fan, x: u32, y: u32, d: u32) -> bool {
    (x.saturating_sub(d)..=x + d)
        .any(|xx| (y.saturating_sub(d)..=y + d).any(|yy| fan.contains(xx, yy)))
}

/// Sector masking on. The lossy files' tolerance beside the fan (<= 2 after blanking) is the
/// ringing of quality 90, pinned here: at the default 85 (the original's, since issue 11) the
/// blue of a pixel next to the fan's edge reaches 4. The blanking itself comes before the
/// encoder and does not depend on the quality.
fn settings_on() -> Settings {
    Settings::from_layers(&[
        ("defaults".into(), DEFAULT_SETTINGS.into()),
        (
            "test".into(),
            "[pixels]\nmask_outside_sector = true\n[output]\njpeg_quality = 90\n".into(),
        ),
    ])
    .unwrap()
}

/// A demo sector file with a grey bar and depth ticks beside the fan (inside the region), for
/// the kinds whose pixels can be edited in place.
fn sector_file(
    dir: &std::path::Path,
    name: &str,
    kind: Kind,
    frames: u32,
    instance: u32,
) -> std::path::PathBuf {
    let (w, h) = (640u32, 480u32);
    let spec = Spec {
        instance,
        sector: true,
        text: vec![Planted::new(
            484,
            120,
            "JD 12975",
            1,
            Style::Plain,
            [230; 3],
        )],
        ..Spec::new(kind, w, h, frames)
    };
    let mut obj = demo::build(&spec).unwrap();
    if matches!(kind, Kind::Mono | Kind::Rgb) {
        let spp = if kind == Kind::Rgb { 3 } else { 1 };
        let mut px = obj
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_bytes()
            .unwrap()
            .to_vec();
        let frame = (w * h * spp) as usize;
        for f in 0..frames as usize {
            for (x, y) in marks() {
                for c in 0..spp as usize {
                    px[f * frame + ((y * w + x) * spp) as usize + c] = 150;
                }
            }
        }
        obj.put(InMemElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::from(px),
        ));
    }
    let p = dir.join(name);
    obj.write_to_file(&p).unwrap();
    p
}

/// A grey bar (top left of the region) and depth ticks (top right), far from the fan.
fn marks() -> Vec<(u32, u32)> {
    let bar = (90..98).flat_map(|x| (80..200).map(move |y| (x, y)));
    let ticks = (0..6).flat_map(|k| (540..544).map(move |x| (x, 80 + 20 * k)));
    bar.chain(ticks).collect()
}

#[test]
fn export_blanks_outside_the_sector_and_keeps_the_scan_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        (
            sector_file(dir.path(), "mono.dcm", Kind::Mono, 3, 1),
            CropChoice::Auto,
        ),
        (
            sector_file(dir.path(), "rgb.dcm", Kind::Rgb, 1, 2),
            CropChoice::Auto,
        ),
        (
            sector_file(dir.path(), "jpeg.dcm", Kind::JpegBaseline, 2, 3),
            CropChoice::Auto,
        ),
    ];
    let (w, h) = (640u32, 480u32);
    let out = dir.path().join("out.zip");
    let report = export_files(&files, &out, &settings_on());
    for (k, r) in report.files.iter().enumerate() {
        assert_eq!(r.status, Status::Exported, "file {k}: {:?}", r.reason);
        let note = r.outside_sector.clone().unwrap_or_default();
        assert!(note.contains("sector in ["), "file {k}: {note}");
        assert!(
            note.contains("pixels per frame blanked"),
            "file {k}: {note}"
        );
        let lossless = k < 2;
        assert_eq!(
            r.pixel_encoding,
            Some(if lossless { "lossless" } else { "lossy" })
        );
        let got = read_entry(&out, r.output.as_ref().unwrap());
        let src =
            us_dicomizer::core::load::load(&file_source(&files[k].0), &Settings::defaults().load)
                .unwrap();
        let crop = r.crop.unwrap();
        let mut outside_seen = 0;
        for i in 0..got.info.frames {
            let o = render::to_8bit(
                &decode::decode_full(&got.obj, &got.info, i).unwrap(),
                None,
                None,
            );
            let s = render::to_8bit(
                &decode::decode_full(&src.obj, &src.info, i).unwrap(),
                None,
                None,
            );
            let spp = o.spp as usize;
            for y in 0..o.height {
                for x in 0..o.width {
                    let (ix, iy) = (x + crop[0], y + crop[1]);
                    let po = (y * o.width + x) as usize * spp;
                    let ps = (iy * w + ix) as usize * spp;
                    let inside = demo::sector_pixel(ix, iy, i, w, h) != 0;
                    // (the demo's colour-flow box is scan too; JPEG blocks blur the fan's edge)
                    let d = if lossless { 0 } else { 8 };
                    let flow = (235 - d..325 + d).contains(&ix) && (85 - d..131 + d).contains(&iy);
                    if !inside && !flow && !near_sector(ix, iy, i, w, h, d) {
                        outside_seen += 1;
                        assert!(
                            o.data[po..po + spp].iter().all(|&v| v <= 2),
                            "file {k} frame {i}: {ix},{iy} outside the sector not blanked: {:?}",
                            &o.data[po..po + spp]
                        );
                    } else if inside && lossless {
                        assert_eq!(
                            &o.data[po..po + spp],
                            &s.data[ps..ps + spp],
                            "file {k} frame {i}: scan pixel {ix},{iy} changed"
                        );
                    }
                }
            }
        }
        assert!(outside_seen > 10_000);
    }
    // the manifest says it too
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut m = String::new();
    z.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut m)
        .unwrap();
    assert_eq!(m.matches("\"outside_sector\"").count(), 3, "{m}");
    let _ = h;
}

/// Within `d` pixels of the fan (JPEG's blocks blur its edge).
fn near_sector(x: u32, y: u32, f: u32, w: u32, h: u32, d: u32) -> bool {
    (x.saturating_sub(d)..=(x + d).min(w - 1)).any(|xx| {
        (y.saturating_sub(d)..=(y + d).min(h - 1))
            .any(|yy| demo::sector_pixel(xx, yy, f, w, h) != 0)
    })
}

#[test]
fn off_by_default_marks_beside_the_fan_stay() {
    let dir = tempfile::tempdir().unwrap();
    let p = sector_file(dir.path(), "mono.dcm", Kind::Mono, 1, 4);
    let out = dir.path().join("out.zip");
    let report = export_files(&[(p, CropChoice::Auto)], &out, &Settings::defaults());
    let r = &report.files[0];
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    assert!(r.outside_sector.is_none());
    let got = read_entry(&out, r.output.as_ref().unwrap());
    let o = decode::decode_full(&got.obj, &got.info, 0).unwrap();
    let crop = r.crop.unwrap();
    let (x, y) = (92 - crop[0], 100 - crop[1]);
    assert_eq!(
        o.data[(y * o.width + x) as usize],
        150,
        "the grey bar is kept when off"
    );
}
