//! The burned-in text stages alone, repeated, on a folder of DICOM files (issue 11): the
//! luma/overlay preparation, the search and the recheck of the output, as in an export.
//!
//! `cargo run --release --example text_stages -- <folder> [x0,y0,x1,y1] [reps]`
//!
//! Prints CPU ms (this process's user + system) per repetition of each stage over the whole
//! folder, and the boxes found; asserts nothing. For profiling (`perf record`) and quick
//! before/after figures; `examples/stages.rs` puts these stages among the others.

use std::path::PathBuf;

use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::load::{self, InputSource, SourceKind};
use us_dicomizer::core::text;

fn cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(ru.ru_utime) + s(ru.ru_stime)
}

fn main() {
    us_dicomizer::tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: text_stages <folder> [x0,y0,x1,y1] [reps]");
        std::process::exit(2);
    };
    let v: Vec<u32> = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("80,16,1104,784")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let crop = CropRect::new(v[0], v[1], v[2], v[3]);
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let settings = us_dicomizer::core::settings::Settings::defaults();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let frames: Vec<_> = paths
        .iter()
        .map(|p| {
            let source = InputSource {
                kind: SourceKind::File(p.clone()),
                size: std::fs::metadata(p).unwrap().len(),
            };
            let l = load::load(&source, &settings.load).unwrap();
            (text::read_frames(&l.obj, &l.info).unwrap(), l.info)
        })
        .collect();
    let (mut t_img, mut t_scan, mut t_re) = (0.0, 0.0, 0.0);
    let (mut found, mut inside, mut left) = (0, 0, 0);
    for _ in 0..reps {
        let c = cpu();
        let imgs: Vec<_> = frames.iter().map(|(f, _)| text::images(f)).collect();
        t_img += cpu() - c;
        let c = cpu();
        let searches: Vec<_> = imgs.iter().map(|i| text::Search::new(i)).collect();
        t_scan += cpu() - c;
        let c = cpu();
        (found, inside, left) = (0, 0, 0);
        for (s, (_, info)) in searches.iter().zip(&frames) {
            let b = s.boxes();
            let m: Vec<CropRect> = text::inside(b, &crop)
                .iter()
                .map(|b| b.with_margin(info.columns, info.rows))
                .collect();
            found += b.len();
            inside += m.len();
            left += s.recheck(&m, &crop).len();
        }
        t_re += cpu() - c;
    }
    let r = reps as f64;
    println!(
        "{} files: {found} boxes, {inside} inside the crop, {left} left by the recheck",
        paths.len()
    );
    println!(
        "CPU ms per run: luma and overlay {:.1}, search {:.1}, recheck {:.1}, together {:.1}",
        t_img / r * 1e3,
        t_scan / r * 1e3,
        t_re / r * 1e3,
        (t_img + t_scan + t_re) / r * 1e3
    );
}
