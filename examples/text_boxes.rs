//! Shows what the burned-in text detector finds: writes one PNG per input (the middle sampled
//! frame) with found boxes outlined (green: masked on black, red: over the scan) and prints
//! the boxes. `cargo run --example text_boxes -- OUT_DIR FILE...`

use std::path::PathBuf;

use us_dicomizer::core::load;
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::text;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, inputs)) = args.split_first() else {
        eprintln!("usage: text_boxes OUT_DIR FILE...");
        std::process::exit(2);
    };
    let settings = Settings::defaults();
    let paths: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    let gathered = load::sources::gather(&paths, &settings.load);
    for (k, src) in gathered.sources.iter().enumerate() {
        let Ok(f) = load::load(src, &settings.load) else {
            continue;
        };
        let t = std::time::Instant::now();
        let Ok(frames) = text::read_frames(&f.obj, &f.info) else {
            continue;
        };
        let boxes = text::scan_frames(&frames);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{k}: {} frames {} boxes {ms:.0} ms",
            f.info.frames,
            boxes.len()
        );
        for b in &boxes {
            println!(
                "   {} over_scan={} glyphs={} h={}",
                b.label(),
                b.over_scan,
                b.glyphs,
                b.glyph_height
            );
        }
        let mid = &frames[frames.len() / 2];
        let mut rgb = image::RgbImage::new(mid.width, mid.height);
        for (i, p) in rgb.pixels_mut().enumerate() {
            *p = if mid.spp == 3 {
                image::Rgb([mid.data[3 * i], mid.data[3 * i + 1], mid.data[3 * i + 2]])
            } else {
                image::Rgb([mid.data[i]; 3])
            };
        }
        for b in &boxes {
            let c = if b.over_scan {
                [255, 0, 0]
            } else {
                [0, 255, 0]
            };
            let r = b.rect;
            for x in r.x0..r.x1 {
                rgb.put_pixel(x, r.y0.saturating_sub(1), image::Rgb(c));
                rgb.put_pixel(x, r.y1.min(mid.height - 1), image::Rgb(c));
            }
            for y in r.y0..r.y1 {
                rgb.put_pixel(r.x0.saturating_sub(1), y, image::Rgb(c));
                rgb.put_pixel(r.x1.min(mid.width - 1), y, image::Rgb(c));
            }
        }
        let _ = rgb.save(format!("{out}/{k:02}.png"));
    }
}
