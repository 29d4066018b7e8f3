//! Prints how automatic crop without ultrasound regions does on generated screens with a known
//! scan area, and what it chooses on the shared corpus files that carry no regions.
//!
//!     cargo run --release --example autocrop_eval [N]

#[path = "../tests/common/scan_frames.rs"]
mod scan_frames;

use us_dicomizer::core::crop::scan_area::{self, Options};
use us_dicomizer::core::load;
use us_dicomizer::core::settings::Settings;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let settings = Settings::defaults();
    let opts = Options {
        banner_rows: settings.crop.banner_rows,
        tolerance: settings.crop.threshold,
    };
    // per (kind, panes): cases, whole scan area, no banner row, both, pane count right
    let mut rows: std::collections::BTreeMap<String, [u32; 5]> = Default::default();
    let mut excess = Vec::new();
    for k in 0..n {
        let c = scan_frames::case(k);
        let e = rows
            .entry(format!("{:?} x{}", c.kind, c.panes))
            .or_default();
        e[0] += 1;
        if let Ok(a) = scan_area::find(&c.frame, opts) {
            let s = scan_frames::score(&c, &a.union());
            e[1] += s.whole as u32;
            e[2] += s.no_banner as u32;
            e[3] += (s.whole && s.no_banner) as u32;
            e[4] += (a.panes.len() as u32 == c.panes) as u32;
            excess.push(s.excess);
        }
    }
    println!("generated screens: {n}");
    println!(
        "{:<12} {:>6} {:>8} {:>10} {:>6} {:>7}",
        "layout", "cases", "whole", "no banner", "both", "panes"
    );
    let mut tot = [0u32; 5];
    for (k, v) in &rows {
        println!(
            "{k:<12} {:>6} {:>8} {:>10} {:>6} {:>7}",
            v[0], v[1], v[2], v[3], v[4]
        );
        for i in 0..5 {
            tot[i] += v[i];
        }
    }
    println!(
        "{:<12} {:>6} {:>8} {:>10} {:>6} {:>7}   ({:.1}% whole scan area and no banner row)",
        "all",
        tot[0],
        tot[1],
        tot[2],
        tot[3],
        tot[4],
        tot[3] as f64 * 100.0 / tot[0].max(1) as f64
    );
    excess.sort_by(f64::total_cmp);
    if !excess.is_empty() {
        println!(
            "crop area / true scan-area box: median {:.3}, worst {:.3}",
            excess[excess.len() / 2],
            excess[excess.len() - 1]
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/dicom");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    names.sort();
    println!("\ncorpus files without ultrasound regions:");
    for p in names {
        let src = load::InputSource {
            kind: load::SourceKind::File(p.clone()),
            size: 0,
        };
        let Ok(f) = load::load(&src, &settings.load) else {
            continue;
        };
        if !f.info.regions.is_empty() {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy();
        match us_dicomizer::core::export::auto_crop_explained(&f, &settings) {
            Ok((r, _, rule)) => {
                println!("{name}: {}x{} -> {r} ({rule})", f.info.columns, f.info.rows)
            }
            Err(e) => println!("{name}: {e}"),
        }
    }
}
