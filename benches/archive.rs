//! `cargo bench --bench archive`: the release binary over a generated multi-patient archive of
//! many small files and some large cine loops. Prints files/s, frames/s and peak RSS for growing
//! parts of the archive (peak RSS must not grow with the number of files), then the same
//! archive as 2 shards run one after the other (their total against the single run).
//! Nothing is asserted: figures are printed.
//!
//! Needs `cargo build --release` first. Full: 10,000 small files (128x96) + 200 cines
//! (640x480, 40 frames, 12 MB each; ~3 GB of input in target/bench-archive-full, kept for
//! later runs). BENCH_QUICK=1: 1,000 small files + 10 cines. Then peak RSS over 1,000, 10,000
//! and (full, or BENCH_100K=1) 100,000 small files only. BENCH_SCALE_ONLY=1: only that last
//! table; BENCH_EXE=path: measure another build of the binary (an older one, to compare).

use std::path::{Path, PathBuf};
use std::time::Instant;

use us_dicomizer::core::demo_archive::{self, ArchiveSpec};

#[derive(serde::Deserialize)]
struct Report {
    summary: Summary,
}

#[derive(serde::Deserialize)]
struct Summary {
    exported: u64,
    frames: u64,
}

struct Run {
    seconds: f64,
    /// CPU time of the process (user + system): less noisy than wall time on a shared machine.
    cpu: f64,
    files: u64,
    frames: u64,
    peak_mb: f64,
}

// the child is reaped by wait4 (its rusage gives the peak RSS), not by Child::wait
#[allow(clippy::zombie_processes)]
fn run(exe: &Path, work: &Path, inputs: &[PathBuf], shard: Option<&str>) -> Run {
    let out = work.join("out.zip");
    let rep = work.join("report.json");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&rep);
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--config-dir")
        .arg(work.join("cfg"))
        .arg("--key-file")
        .arg(work.join("bench.key"))
        .arg("batch")
        .args(inputs)
        .args([
            "-o",
            out.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
        ])
        .args([
            "--tag",
            "position=CFV",
            "--tag",
            "side=L",
            "--tag",
            "purpose=diagnostic",
        ])
        .stderr(std::process::Stdio::null());
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    let t = Instant::now();
    let child = cmd.spawn().unwrap();
    // the child's own peak RSS (ru_maxrss, KB), from the kernel when it is reaped
    let mut status = 0i32;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let peak_kb = usage.ru_maxrss as u64;
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        9
    };
    let seconds = t.elapsed().as_secs_f64();
    assert!(code <= 1, "batch failed: status {status}");
    // only the summary, streamed: the bench's own peak must stay small (it counts in the next
    // child's ru_maxrss), and a report over 100,000 files is large
    let f = std::io::BufReader::new(std::fs::File::open(&rep).unwrap());
    let r: Report = serde_json::from_reader(f).unwrap();
    let _ = std::fs::remove_file(&out);
    Run {
        seconds,
        cpu,
        files: r.summary.exported,
        frames: r.summary.frames,
        peak_mb: peak_kb as f64 * 1024.0 / 1e6,
    }
}

fn row(label: &str, r: &Run) {
    println!(
        "| {label} | {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} |",
        r.files,
        r.frames,
        r.seconds,
        r.cpu,
        r.files as f64 / r.seconds,
        r.frames as f64 / r.seconds,
        r.peak_mb
    );
}

/// An archive of `n` small single-frame files only (kept in `target/bench-archive-small-N`).
fn small_archive(root: &Path, n: u32) -> PathBuf {
    let dir = root.join(format!("target/bench-archive-small-{n}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        let spec = ArchiveSpec {
            patients: n / 20,
            studies_per_patient: 4,
            files_per_study: 5,
            small: (128, 96),
            cines: 0,
            cine: (640, 480, 40),
        };
        generate(&dir, &spec);
        std::fs::write(&done, b"").unwrap();
        eprintln!(
            "generated {n} small files in {:.0}s into {}",
            t.elapsed().as_secs_f64(),
            dir.display()
        );
    }
    dir
}

/// Peak RSS against the number of files: 1,000 and 10,000 small files, and 100,000 in the full
/// run or with BENCH_100K=1 (~0.8 GB of input, kept for later runs).
fn scale_rows(exe: &Path, root: &Path, work: &Path, quick: bool) {
    let sizes: &[u32] = if quick && std::env::var("BENCH_100K").is_err() {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    println!();
    println!("peak RSS by number of files (small files only):");
    println!();
    println!("| run | files | frames | s | CPU s | files/s | frames/s | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut runs = Vec::new();
    for &n in sizes {
        let dir = small_archive(root, n);
        let r = run(exe, work, &[dir], None);
        row(&format!("{n} small files"), &r);
        runs.push(r);
    }
    for w in runs.windows(2) {
        println!(
            "peak RSS {:.1} MB at {} files -> {:.1} MB at {} files: {:+.0} bytes per added file",
            w[0].peak_mb,
            w[0].files,
            w[1].peak_mb,
            w[1].files,
            (w[1].peak_mb - w[0].peak_mb) * 1e6 / (w[1].files - w[0].files).max(1) as f64
        );
    }
}

/// Writes an archive in a child process (this bench run again with BENCH_GENERATE set), so
/// that the bench's own memory stays small: the kernel's peak RSS of a child (`ru_maxrss`)
/// includes the resident size of the process that spawned it.
fn generate(dir: &Path, spec: &ArchiveSpec) {
    let exe = std::env::current_exe().unwrap();
    let s = spec;
    let arg = format!(
        "{} {} {} {} {} {} {} {} {}",
        s.patients,
        s.studies_per_patient,
        s.files_per_study,
        s.small.0,
        s.small.1,
        s.cines,
        s.cine.0,
        s.cine.1,
        s.cine.2
    );
    let st = std::process::Command::new(exe)
        .env("BENCH_GENERATE", dir)
        .env("BENCH_SPEC", arg)
        .status()
        .unwrap();
    assert!(st.success(), "generating {} failed", dir.display());
}

fn generate_child(dir: &str) {
    let v: Vec<u32> = std::env::var("BENCH_SPEC")
        .unwrap()
        .split(' ')
        .map(|x| x.parse().unwrap())
        .collect();
    let spec = ArchiveSpec {
        patients: v[0],
        studies_per_patient: v[1],
        files_per_study: v[2],
        small: (v[3], v[4]),
        cines: v[5],
        cine: (v[6], v[7], v[8]),
    };
    demo_archive::write_archive(Path::new(dir), &spec).unwrap();
}

fn main() {
    if let Ok(dir) = std::env::var("BENCH_GENERATE") {
        return generate_child(&dir);
    }
    let quick = std::env::var("BENCH_QUICK").is_ok();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // BENCH_EXE: another build of the binary (an older one, to compare)
    let exe = std::env::var_os("BENCH_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/us-dicomizer"));
    if !exe.exists() {
        println!("build the release binary first: cargo build --release");
        return;
    }
    if std::env::var("BENCH_SCALE_ONLY").is_ok() {
        // only the peak RSS by number of small files
        let work = tempfile::tempdir_in(root.join("target")).unwrap();
        std::fs::write(work.path().join("bench.key"), [42u8; 32]).unwrap();
        return scale_rows(&exe, root, work.path(), quick);
    }
    let spec = if quick {
        ArchiveSpec {
            patients: 50,
            studies_per_patient: 4,
            files_per_study: 5,
            small: (128, 96),
            cines: 10,
            cine: (640, 480, 40),
        }
    } else {
        ArchiveSpec {
            patients: 500,
            studies_per_patient: 4,
            files_per_study: 5,
            small: (128, 96),
            cines: 200,
            cine: (640, 480, 40),
        }
    };
    let archive = root.join(if quick {
        "target/bench-archive-quick"
    } else {
        "target/bench-archive-full"
    });
    let done = archive.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&archive);
        let t = Instant::now();
        generate(&archive, &spec);
        let n = spec.patients * spec.studies_per_patient * spec.files_per_study + spec.cines;
        std::fs::write(&done, b"").unwrap();
        eprintln!(
            "generated {n} files in {:.0}s into {}",
            t.elapsed().as_secs_f64(),
            archive.display()
        );
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let work = tempfile::tempdir_in(root.join("target")).unwrap();
    std::fs::write(work.path().join("bench.key"), [42u8; 32]).unwrap();
    println!(
        "us-dicomizer archive benchmark: {} small {}x{} files, {} cines {}x{}x{} ({} patients), release binary, all cores of this machine",
        spec.patients * spec.studies_per_patient * spec.files_per_study,
        spec.small.0,
        spec.small.1,
        spec.cines,
        spec.cine.0,
        spec.cine.1,
        spec.cine.2,
        spec.patients
    );
    println!();
    println!("| run | files | frames | s | CPU s | files/s | frames/s | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    // growing parts of the archive: peak memory must stay flat
    let mut parts = Vec::new();
    for frac in [10usize, 4, 2] {
        let part = &folders[..(folders.len() / frac).max(1)];
        let r = run(&exe, work.path(), part, None);
        row(&format!("1/{frac} of the patients"), &r);
        parts.push(r);
    }
    let single = run(&exe, work.path(), &folders, None);
    row("whole archive, one run", &single);
    scale_rows(&exe, root, work.path(), quick);
    let first = &parts[0];
    println!();
    println!(
        "peak RSS: {:.0} MB at {} files, {:.0} MB at {} files ({:+.1} KB per added file)",
        first.peak_mb,
        first.files,
        single.peak_mb,
        single.files,
        (single.peak_mb - first.peak_mb) * 1000.0 / (single.files - first.files).max(1) as f64
    );
    println!();
    println!("| run | files | frames | s | CPU s | files/s | frames/s | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let s1 = run(&exe, work.path(), &folders, Some("1/2"));
    row("shard 1/2", &s1);
    let s2 = run(&exe, work.path(), &folders, Some("2/2"));
    row("shard 2/2", &s2);
    let total = s1.seconds + s2.seconds;
    println!(
        "| 2 shards one after the other | {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} |",
        s1.files + s2.files,
        s1.frames + s2.frames,
        total,
        s1.cpu + s2.cpu,
        (s1.files + s2.files) as f64 / total,
        (s1.frames + s2.frames) as f64 / total,
        s1.peak_mb.max(s2.peak_mb)
    );
    println!();
    println!(
        "2 shards / single run: {:.2} wall time, {:.2} CPU time (each shard plans from a bounded read of every header; goal <= 1.10)",
        total / single.seconds,
        (s1.cpu + s2.cpu) / single.cpu
    );
}
