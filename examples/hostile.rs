//! Hostile-input harness: prints figures, asserts nothing.
//!
//!     cargo build --release && cargo run --release --example hostile -- [CASES] [SEED]
//!
//! Generates CASES (default 3000) seeded mutations of the shared corpus (when present) and the
//! demo files (lengths, VRs, transfer syntax, nesting, truncation, splices, fragment lengths,
//! image header values, byte flips; and the fresh kinds of `tests/mutate/fresh.rs`: offset
//! tables, fragment structure, undefined/odd lengths, deflate garbage, big endian, Pixel Data
//! VR, huge images, bit depths, palette LUTs, meta length) and the hostile ZIPs of
//! `tests/mutate/zips.rs` (nested, ZIP64, traversal, encrypted, symlinks, odd names), runs the release binary's
//! `batch` (load, decode, auto-crop, de-identify, export) on each in its own process, and
//! counts aborts (killed by a signal), printed panics, hangs (> 10 s, killed) and runs above
//! 256 MB of peak memory. Then times `check` on ZIPs of 1,000 to 10,000 members.

#[path = "../tests/mutate/mod.rs"]
mod mutate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    signal: Option<i32>,
    panicked: bool,
    hung: bool,
    peak_kb: i64,
    secs: f64,
}

/// Runs the binary with a 10 s limit; peak memory from wait4's rusage (which reaps it).
#[allow(clippy::zombie_processes)]
fn run(bin: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s);
        s
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut hung = false;
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if t.elapsed() > Duration::from_secs(10) && !hung {
            hung = true;
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let err = reader.join().unwrap_or_default();
    let signal = (libc::WIFSIGNALED(status) && !hung).then(|| libc::WTERMSIG(status));
    Run {
        signal,
        panicked: err.contains("panicked"),
        hung,
        peak_kb: usage.ru_maxrss,
        secs: t.elapsed().as_secs_f64(),
    }
}

fn zip_with(path: &Path, members: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    for (n, b) in members {
        z.start_file(*n, o).unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(13);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/us-dicomizer");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    let bases = mutate::bases();
    println!("{} base files, {cases} mutations, seed {seed}", bases.len());
    let mut r = mutate::Rng::new(seed);
    let (mut aborts, mut panics, mut hangs, mut big) = (0, 0, 0, 0);
    let mut worst_kb = 0i64;
    let mut worst_s = 0f64;
    let mut by_kind = std::collections::BTreeMap::new();
    let t0 = Instant::now();
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    for case in 0..cases {
        let (_, base) = &bases[case % bases.len()];
        let (_, other) = &bases[r.below(bases.len())];
        let (kind, bytes) = mutate::mutate(&mut r, base, other);
        let p = dir.path().join(format!("case{case}.dcm"));
        std::fs::write(&p, &bytes).unwrap();
        inputs.push((kind.to_string(), p));
    }
    let some_dicom = &bases[0].1;
    for (name, p) in mutate::zips::hostile_zips(dir.path(), some_dicom, true) {
        inputs.push((format!("zip: {name}"), p));
    }
    for (k, (kind, p)) in inputs.iter().enumerate() {
        let out = dir.path().join(format!("out{k}.zip"));
        let a: Vec<&std::ffi::OsStr> = vec![
            "--config-dir".as_ref(),
            cfg.as_os_str(),
            "batch".as_ref(),
            p.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--crop".as_ref(),
            "auto".as_ref(),
            "--allow-uncropped".as_ref(),
            "--jobs".as_ref(),
            "1".as_ref(),
        ];
        let r = run(&bin, &a);
        let e = by_kind.entry(kind.clone()).or_insert((0, 0));
        e.0 += 1;
        let bad = r.signal.is_some() || r.panicked || r.hung || r.peak_kb > 256 * 1024;
        if bad {
            e.1 += 1;
            println!(
                "BAD {kind}: {} signal={:?} panicked={} hung={} peak={} MB",
                p.display(),
                r.signal,
                r.panicked,
                r.hung,
                r.peak_kb / 1024
            );
        }
        aborts += r.signal.is_some() as usize;
        panics += r.panicked as usize;
        hangs += r.hung as usize;
        big += (r.peak_kb > 256 * 1024) as usize;
        worst_kb = worst_kb.max(r.peak_kb);
        worst_s = worst_s.max(r.secs);
        let _ = std::fs::remove_file(&out);
        if bad {
            // kept for a look: copied next to the harness's working folder
            let keep = std::env::temp_dir().join(format!("hostile-bad-{seed}-{k}.dcm"));
            let _ = std::fs::copy(p, &keep);
        }
        if !kind.starts_with("zip") {
            let _ = std::fs::remove_file(p);
        }
    }
    println!("kind                 runs  bad");
    for (k, (n, bad)) in &by_kind {
        println!("{k:<20} {n:>5} {bad:>4}");
    }
    println!(
        "{} runs in {:.0} s: aborts {aborts}, panics printed {panics}, hangs (>10 s) {hangs}, above 256 MB {big}; worst peak {} MB, slowest {:.2} s",
        inputs.len(),
        t0.elapsed().as_secs_f64(),
        worst_kb / 1024,
        worst_s
    );

    println!("ZIP member scaling (check):");
    for n in [1_000usize, 5_000, 10_000] {
        let p = dir.path().join(format!("members{n}.zip"));
        let names: Vec<String> = (0..n).map(|i| format!("d/f{i}.txt")).collect();
        let members: Vec<(&str, &[u8])> = names.iter().map(|s| (s.as_str(), &b"hi"[..])).collect();
        zip_with(&p, &members);
        let a: Vec<&std::ffi::OsStr> = vec![
            "--config-dir".as_ref(),
            cfg.as_os_str(),
            "check".as_ref(),
            p.as_os_str(),
        ];
        let r = run(&bin, &a);
        println!(
            "  {n:>6} members: {:.2} s, peak {} MB",
            r.secs,
            r.peak_kb / 1024
        );
    }
}
