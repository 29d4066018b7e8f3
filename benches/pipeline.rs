//! `cargo bench`: the paper's Table 1 on generated 1200x800 inputs, header-only throughput and
//! peak memory. Prints tables; nothing is asserted (speed is measured here, not tested).
//!
//! First the issue-11 exam (one `batch` process per input kind next to the copy floor and
//! `jpegtran`, see exam/mod.rs; needs the release binary), then per-file figures.
//!
//! Environment: BENCH_QUICK=1 runs one repetition and skips the 100-frame JPEG-output rows;
//! BENCH_ONLY=exam stops after the exam table; BENCH_EXAM_WRITE=<dir> only writes the exam's
//! inputs there (for profiling one kind by hand).

mod exam;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::export::{self, CropChoice, ExportItem, ExportRequest};
use us_dicomizer::core::load::{InputSource, SourceKind};
use us_dicomizer::core::settings::{Encoding, Settings};

const W: u32 = 1200;
const H: u32 = 800;

fn write(dir: &Path, name: &str, spec: &Spec) -> PathBuf {
    let p = dir.join(name);
    demo::write_file(&p, spec).unwrap();
    p
}

fn tags() -> std::collections::BTreeMap<String, String> {
    [
        ("position", "CFV"),
        ("side", "L"),
        ("purpose", "diagnostic"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

fn source(p: &Path) -> InputSource {
    InputSource {
        kind: SourceKind::File(p.to_path_buf()),
        size: std::fs::metadata(p).unwrap().len(),
    }
}

fn export(
    files: &[PathBuf],
    crop: CropChoice,
    out: &Path,
    settings: &Settings,
    allow_uncropped: bool,
) -> f64 {
    let _ = std::fs::remove_file(out);
    let req = ExportRequest {
        items: files
            .iter()
            .map(|p| ExportItem {
                source: source(p),
                crop: crop.clone(),
                tags: tags(),
                index: None,
                text: None,
                annotations: None,
            })
            .collect(),
        out: out.to_path_buf(),
        force: true,
        pseudonym: "BENCH".into(),
        key: vec![42; 32],
        allow_uncropped,
        write_mapping: false,
        indices: None,
        shard: None,
        excluded: Vec::new(),
    };
    let t = Instant::now();
    let rep = export::run(&req, settings, &|_| {}, &AtomicBool::new(false)).unwrap();
    let s = t.elapsed().as_secs_f64();
    assert_eq!(
        rep.summary.exported,
        files.len(),
        "{:?}",
        rep.files.iter().map(|f| &f.reason).collect::<Vec<_>>()
    );
    s
}

fn centred(w: u32, h: u32) -> CropRect {
    let (x0, y0) = ((W - w) / 2, (H - h) / 2);
    CropRect::new(x0, y0, x0 + w, y0 + h)
}

fn main() {
    // cargo passes --bench; ignore arguments
    us_dicomizer::tune_allocator();
    if exam::write_only() {
        return;
    }
    let quick = std::env::var("BENCH_QUICK").is_ok();
    let reps = if quick { 1 } else { 3 };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.zip");
    let kinds = [
        ("MONOCHROME2", Kind::Mono),
        ("RGB", Kind::Rgb),
        ("YBR_FULL_422 native", Kind::Ybr422Native),
        ("JPEG Baseline", Kind::JpegBaseline),
    ];
    let crops = [(576, 432), (768, 576), (1024, 768)];
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/us-dicomizer");
    if exe.exists() {
        exam::run(&exe, dir.path(), reps);
    } else {
        println!("(build the release binary first for the exam table: cargo build --release)");
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("exam") {
        return;
    }
    println!();
    println!(
        "us-dicomizer pipeline benchmark: {} threads, {W}x{H} inputs",
        rayon::current_num_threads()
    );
    println!();
    println!("| input | frames | crop | preserve ms/frame | jpeg ms/frame |");
    println!("|---|---:|---|---:|---:|");
    let mut largest_input = (0u64, PathBuf::new());
    for (label, kind) in kinds {
        for frames in [1u32, 100] {
            let spec = Spec {
                regions: true,
                ..Spec::new(kind, W, H, frames)
            };
            let path = write(
                dir.path(),
                &format!("{label}_{frames}.dcm").replace(' ', "_"),
                &spec,
            );
            let size = std::fs::metadata(&path).unwrap().len();
            if size > largest_input.0 {
                largest_input = (size, path.clone());
            }
            for (cw, ch) in crops {
                let crop = CropChoice::Fixed(centred(cw, ch), CropSource::User);
                let mut row = Vec::new();
                for enc in [Encoding::Preserve, Encoding::Jpeg] {
                    if quick && enc == Encoding::Jpeg && frames > 1 {
                        row.push("-".to_string());
                        continue;
                    }
                    let mut s = Settings::defaults();
                    s.output.encoding = enc;
                    let best = (0..reps)
                        .map(|_| export(std::slice::from_ref(&path), crop.clone(), &out, &s, false))
                        .fold(f64::MAX, f64::min);
                    row.push(format!("{:.2}", best * 1000.0 / frames as f64));
                }
                println!(
                    "| {label} | {frames} | {cw}x{ch} | {} | {} |",
                    row[0], row[1]
                );
            }
            if frames > 1 && path != largest_input.1 {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    // header-only batch: 200 single-frame ~0.7 MB files, no crop (de-identification + copy)
    println!();
    let hdir = dir.path().join("headers");
    std::fs::create_dir_all(&hdir).unwrap();
    let files: Vec<PathBuf> = (0..200)
        .map(|i| {
            let mut spec = Spec::new(Kind::Mono, 1000, 700, 1);
            spec.instance = i + 1;
            spec.patient_id = format!("PID{:05}", i % 20);
            write(&hdir, &format!("h{i:03}.dcm"), &spec)
        })
        .collect();
    let s = Settings::defaults();
    let best = (0..reps)
        .map(|_| export(&files, CropChoice::None, &out, &s, true))
        .fold(f64::MAX, f64::min);
    println!("| header-only batch | files | seconds | files/s |");
    println!("|---|---:|---:|---:|");
    println!(
        "| 200 x {:.2} MB, no crop | 200 | {best:.3} | {:.0} |",
        std::fs::metadata(&files[0]).unwrap().len() as f64 / 1e6,
        200.0 / best
    );

    // terminal UI: key -> new 1200x800 JPEG frame on screen (halfblocks, 120x40), alone and
    // while an export of the largest input runs on another thread
    let jpeg = write(
        dir.path(),
        "latency_jpeg.dcm",
        &Spec::new(Kind::JpegBaseline, W, H, 40),
    );
    let s = Settings::defaults();
    let stats = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[v.len() - 1])
    };
    println!();
    println!("| terminal UI (halfblocks, 120x40) | median ms | max ms |");
    println!("|---|---:|---:|");
    match us_dicomizer::tui::measure_key_to_frame(&jpeg, &s, (120, 40), 30) {
        Ok(l) => {
            let (med, max) = stats(&l.samples_ms);
            println!("| key to new 1200x800 JPEG frame | {med:.1} | {max:.1} |");
        }
        Err(e) => println!("| key to new frame | error: {e} | |"),
    }
    {
        let busy = largest_input.1.clone();
        let out3 = dir.path().join("busy.zip");
        let s2 = s.clone();
        let worker = std::thread::spawn(move || {
            let crop = CropChoice::Fixed(centred(1024, 768), CropSource::User);
            export(std::slice::from_ref(&busy), crop, &out3, &s2, false)
        });
        let mut samples = Vec::new();
        while !worker.is_finished() {
            match us_dicomizer::tui::measure_key_to_frame(&jpeg, &s, (120, 40), 5) {
                Ok(l) => samples.extend(l.samples_ms),
                Err(_) => break,
            }
        }
        let _ = worker.join();
        if !samples.is_empty() {
            let (med, max) = stats(&samples);
            println!("| same, while an export runs | {med:.1} | {max:.1} |");
        }
    }

    // peak memory of the real binary exporting the largest input
    if exe.exists() && largest_input.1.exists() {
        let out2 = dir.path().join("rss.zip");
        let cfg = dir.path().join("cfg");
        let crop = centred(1024, 768).to_string();
        let mut child = std::process::Command::new(&exe)
            .arg("--config-dir")
            .arg(&cfg)
            .arg("batch")
            .arg(&largest_input.1)
            .args([
                "-o",
                out2.to_str().unwrap(),
                "--crop",
                &crop,
                "--tag",
                "position=CFV",
                "--tag",
                "side=L",
                "--tag",
                "purpose=diagnostic",
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // VmHWM of the child itself (rusage of children would count this process's pages
        // shared at fork time)
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak_kb = 0u64;
        let st = loop {
            if let Ok(text) = std::fs::read_to_string(&status_path) {
                if let Some(l) = text.lines().find(|l| l.starts_with("VmHWM:")) {
                    let kb: u64 = l
                        .split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    peak_kb = peak_kb.max(kb);
                }
            }
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        println!();
        println!("| peak RSS | input MB | peak MB | input + 64 MB |");
        println!("|---|---:|---:|---:|");
        println!(
            "| batch, largest input, crop 1024x768 (exit {}) | {:.0} | {:.0} | {:.0} |",
            st.code().unwrap_or(-1),
            largest_input.0 as f64 / 1e6,
            peak_kb as f64 * 1024.0 / 1e6,
            largest_input.0 as f64 / 1e6 + 64.0
        );
    } else {
        println!("(build the release binary first for the peak-RSS row: cargo build --release)");
    }
}
