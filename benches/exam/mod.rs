//! The issue-11 exam: per input kind, 8 single frames and 2 cines of 30 frames at 1200x800,
//! cropped to 1024x768. Ours runs as one `batch` process per kind (start-up included), for
//! `--encoding jpeg` (the original's job) and `preserve`, next to the floors: `cp -r` + `sync`
//! of the inputs, and for JPEG Baseline in `preserve`, libjpeg-turbo's `jpegtran -crop` over the
//! same frames. Prints a table with ratios; asserts nothing. CPU time (user + system of the
//! child processes) is printed too: on a loaded machine it shows the work removed better than
//! wall time. BENCH_BASELINE=<older binary> adds that binary's CPU time on the same exam.
//! BENCH_ORIGINAL=<command> runs the original on the same exam in the same run (original.rs).

mod original;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rayon::prelude::*;
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::pixels::encapsulated;

const W: u32 = 1200;
const H: u32 = 800;
/// 1024x768: x origin and width even (native 4:2:2 copied as is), origin on the 16x8 (and
/// 16x16) JPEG grid (DCT-domain crop without snapping).
const CROP: (u32, u32, u32, u32) = (80, 16, 1104, 784);

/// The original's own anonymise function timed in-process on this exam (from issue 11; it is
/// Python and not part of this repository, so these are quoted; BENCH_ORIGINAL measures it here).
const ORIGINAL_MS: [(&str, Kind, f64); 4] = [
    ("MONOCHROME2", Kind::Mono, 521.0),
    ("RGB", Kind::Rgb, 760.0),
    ("YBR_FULL_422 native", Kind::Ybr422Native, 2631.0),
    ("JPEG Baseline", Kind::JpegBaseline, 2515.0),
];

fn exam(dir: &Path, kind: Kind) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    (0..10u32)
        .map(|i| {
            let frames = if i < 8 { 1 } else { 30 };
            let spec = Spec {
                instance: i + 1,
                ..Spec::new(kind, W, H, frames)
            };
            let p = dir.join(format!("f{i:02}.dcm"));
            demo::write_file(&p, &spec).unwrap();
            p
        })
        .collect()
}

/// Wall and CPU (user + system of the children) seconds of `f`, best wall of `reps`.
fn timed(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut best = (f64::MAX, 0.0);
    for _ in 0..reps {
        let cpu0 = children_cpu();
        let t = Instant::now();
        f();
        let wall = t.elapsed().as_secs_f64();
        let cpu = children_cpu() - cpu0;
        if wall < best.0 {
            best = (wall, cpu);
        }
    }
    best
}

fn children_cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(ru.ru_utime) + s(ru.ru_stime)
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ours(exe: &Path, cfg: &Path, input: &Path, out: &Path, encoding: &str) {
    let (x0, y0, x1, y1) = CROP;
    run_ok(
        Command::new(exe)
            .arg("--config-dir")
            .arg(cfg)
            .arg("batch")
            .arg(input)
            .arg("-o")
            .arg(out)
            .args(["--force", "--encoding", encoding])
            .args(["--crop", &format!("{x0},{y0},{x1},{y1}")])
            .args(["--tag", "position=CFV", "--tag", "side=L"])
            .args(["--tag", "purpose=diagnostic"]),
    );
}

fn copy_floor(input: &Path, dst: &Path) {
    let _ = std::fs::remove_dir_all(dst);
    run_ok(Command::new("cp").arg("-r").arg(input).arg(dst));
    run_ok(&mut Command::new("sync"));
}

fn have_jpegtran() -> bool {
    Command::new("jpegtran")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The JPEG frames of the exam as .jpg files (not timed).
fn jpeg_frames(files: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut out = Vec::new();
    for (k, f) in files.iter().enumerate() {
        let obj = dicom_object::open_file(f).unwrap();
        let n = if k < 8 { 1 } else { 30 };
        for i in 0..n {
            let b = encapsulated::frame_bytes(&obj, n, i).unwrap();
            let p = dir.join(format!("f{k:02}_{i:02}.jpg"));
            std::fs::write(&p, b).unwrap();
            out.push(p);
        }
    }
    out
}

/// `jpegtran -crop` on every frame, one process per frame, as many at a time as we use threads.
fn jpegtran(frames: &[PathBuf], out: &Path) {
    let (x0, y0, x1, y1) = CROP;
    let geometry = format!("{}x{}+{x0}+{y0}", x1 - x0, y1 - y0);
    std::fs::create_dir_all(out).unwrap();
    frames.par_iter().for_each(|f| {
        run_ok(
            Command::new("jpegtran")
                .args(["-copy", "none", "-crop", &geometry, "-outfile"])
                .arg(out.join(f.file_name().unwrap()))
                .arg(f),
        )
    });
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// BENCH_EXAM_WRITE=<dir>: writes the exam's inputs there (one folder per kind) and returns
/// true, for profiling one kind by hand (`perf record us-dicomizer batch <dir>/RGB ...`).
pub fn write_only() -> bool {
    let Some(dir) = std::env::var_os("BENCH_EXAM_WRITE").map(PathBuf::from) else {
        return false;
    };
    for (label, kind, _) in ORIGINAL_MS {
        exam(&dir.join(label.replace(' ', "_")), kind);
    }
    let (x0, y0, x1, y1) = CROP;
    println!(
        "exam written to {}; crop {x0},{y0},{x1},{y1}",
        dir.display()
    );
    true
}

pub fn run(exe: &Path, dir: &Path, reps: usize) {
    // BENCH_BASELINE=/path/to/an/older/us-dicomizer adds its CPU time per kind (before/after)
    let baseline = std::env::var_os("BENCH_BASELINE").map(PathBuf::from);
    let jt = have_jpegtran();
    let load_before = loadavg();
    println!(
        "Issue-11 exam per kind: 8 single frames + 2 cines of 30 frames, {W}x{H}, crop 1024x768 \
         at ({}, {}); one `batch` process per kind; best wall of {reps}; {} threads; \
         load average {load_before}",
        CROP.0,
        CROP.1,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!();
    println!(
        "| input | original ms (issue) | jpeg ms | original / jpeg | preserve ms | floor | \
         floor ms | preserve / floor | cp -r + sync ms | CPU ms jpeg / preserve |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    let mut cpu_rows = Vec::new();
    let original_cmd = original::command();
    let mut original_rows = Vec::new();
    let cfg = dir.join("cfg");
    for (label, kind, original) in ORIGINAL_MS {
        let input = dir.join(label.replace(' ', "_"));
        let files = exam(&input, kind);
        let out = dir.join("exam.zip");
        let (jpeg, jpeg_cpu) = timed(reps, || ours(exe, &cfg, &input, &out, "jpeg"));
        let (preserve, preserve_cpu) = timed(reps, || ours(exe, &cfg, &input, &out, "preserve"));
        if let Some(old) = &baseline {
            let (_, j) = timed(reps, || ours(old, &cfg, &input, &out, "jpeg"));
            let (_, p) = timed(reps, || ours(old, &cfg, &input, &out, "preserve"));
            cpu_rows.push(format!(
                "| {label} | {:.0} | {:.0} | {:.0} | {:.0} |",
                j * 1e3,
                jpeg_cpu * 1e3,
                p * 1e3,
                preserve_cpu * 1e3
            ));
        }
        if let Some(cmd) = &original_cmd {
            let out = dir.join("original_out");
            original_rows.push(original::row(
                cmd, label, original, &input, &out, reps, jpeg, jpeg_cpu,
            ));
        }
        let copy_dst = dir.join("copy");
        let (copy, _) = timed(reps, || copy_floor(&input, &copy_dst));
        let _ = std::fs::remove_dir_all(&copy_dst);
        let _ = std::fs::remove_file(&out);
        // preserve's floor: libjpeg-turbo's own DCT crop for JPEG Baseline, else the copy
        let floor = if kind != Kind::JpegBaseline {
            Some(("cp -r + sync", copy))
        } else if !jt {
            None
        } else {
            let jdir = dir.join("frames");
            let frames = jpeg_frames(&files, &jdir);
            let jout = dir.join("frames_out");
            let (t, _) = timed(reps, || jpegtran(&frames, &jout));
            let _ = std::fs::remove_dir_all(&jdir);
            let _ = std::fs::remove_dir_all(&jout);
            Some(("jpegtran -crop", t))
        };
        let (floor_name, floor_ms, ratio) = match floor {
            Some((n, t)) => (
                n.to_string(),
                format!("{:.0}", t * 1e3),
                format!("{:.2}x", preserve / t),
            ),
            None => (
                "jpegtran missing (Debian libjpeg-turbo-progs)".into(),
                String::new(),
                String::new(),
            ),
        };
        println!(
            "| {label} | {original:.0} | {:.0} | {:.1}x | {:.0} | {floor_name} | {floor_ms} | {ratio} | {:.0} | {:.0} / {:.0} |",
            jpeg * 1e3,
            original / (jpeg * 1e3),
            preserve * 1e3,
            copy * 1e3,
            jpeg_cpu * 1e3,
            preserve_cpu * 1e3
        );
        let _ = std::fs::remove_dir_all(&input);
    }
    if let Some(cmd) = &original_cmd {
        original::print(cmd, &original_rows, &load_before, &loadavg());
    }
    if !cpu_rows.is_empty() {
        println!();
        println!("CPU time (user + system) of the baseline binary and of this one, same exam:");
        println!();
        println!("| input | baseline jpeg CPU ms | jpeg CPU ms | baseline preserve CPU ms | preserve CPU ms |");
        println!("|---|---:|---:|---:|---:|");
        for r in cpu_rows {
            println!("{r}");
        }
    }
    println!();
    println!(
        "Load average before {load_before}, after {}. Goals: original / jpeg >= 5x; preserve / \
         floor <= 1.5x (cp -r + sync) and <= 2x (jpegtran -crop, one process per frame, as many \
         at a time as threads, no sync). Ours includes start-up, the ZIP and its fsync.",
        loadavg()
    );
}
