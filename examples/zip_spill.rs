//! Peak memory of `batch` on a large native file on disk against the same file stored in a ZIP
//! (issue 13): prints figures, asserts nothing.
//!
//!     cargo build --release && cargo run --release --example zip_spill -- [MB]
//!
//! Writes a generated native grey cine of about MB megabytes (default 300), the same bytes as a
//! stored member of a ZIP, and runs the release binary's `batch` on each (one process each, a
//! fixed crop, preserve encoding), then on the ZIP again with the spill turned off
//! (`load.spill_zip_member_mb` above the member's size), which reads the member into memory.
//! Peak memory is the child's ru_maxrss (wait4).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use us_dicomizer::core::demo::{self, Kind, Spec};

/// Runs the binary; peak memory is the child's own VmHWM, sampled until it exits (its rusage
/// would include this process's pages, which a fork shares before the exec).
fn run(bin: &Path, args: &[&std::ffi::OsStr]) -> (i32, u64, f64, String) {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(l) = text.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb = l
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
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
    (
        status.code().unwrap_or(-1),
        peak_kb,
        t.elapsed().as_secs_f64(),
        err.lines().last().unwrap_or("").to_string(),
    )
}

fn main() {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/us-dicomizer");
    assert!(bin.exists(), "build the release binary first");
    let dir = tempfile::tempdir().unwrap();
    let frames = ((mb << 20) / (1024 * 768)).max(1) as u32;
    let file = dir.path().join("cine.dcm");
    demo::write_file(&file, &Spec::new(Kind::Mono, 1024, 768, frames)).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    let archive = dir.path().join("cine.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        z.start_file("exam/cine.dcm", opts).unwrap();
        std::io::copy(&mut std::fs::File::open(&file).unwrap(), &mut z).unwrap();
        z.finish().unwrap();
    }
    let no_spill = dir.path().join("no-spill.toml");
    writeln!(
        std::fs::File::create(&no_spill).unwrap(),
        "[load]\nspill_zip_member_mb = 1000000"
    )
    .unwrap();
    println!(
        "input: {} frames of 1024x768 grey, {} MB (the ZIP stores it uncompressed)",
        frames,
        size >> 20
    );
    let cfg = dir.path().join("cfg");
    let cases: [(&str, &Path, Option<&Path>); 3] = [
        ("file on disk", &file, None),
        ("stored ZIP member (spilled)", &archive, None),
        ("stored ZIP member, spill off", &archive, Some(&no_spill)),
    ];
    for (i, (label, input, extra)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("out{i}.zip"));
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "--config-dir".as_ref(),
            cfg.as_os_str(),
            "batch".as_ref(),
            input.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--crop".as_ref(),
            "16,40,1008,740".as_ref(),
            "--encoding".as_ref(),
            "preserve".as_ref(),
            "--jobs".as_ref(),
            "1".as_ref(),
            "--tag".as_ref(),
            "position=CFV".as_ref(),
            "--tag".as_ref(),
            "side=L".as_ref(),
            "--tag".as_ref(),
            "purpose=diagnostic".as_ref(),
        ];
        if let Some(s) = extra {
            args.extend(["--settings".as_ref(), s.as_os_str()]);
        }
        let (code, peak_kb, secs, last) = run(&bin, &args);
        let written = std::fs::metadata(&out).map(|m| m.len() >> 20).unwrap_or(0);
        let _ = std::fs::remove_file(&out); // disk: one output at a time
        println!(
            "{label:<30} exit {code}  peak RSS {:>5} MB  {secs:>5.1} s  archive {written} MB",
            peak_kb >> 10
        );
        if code != 0 {
            println!("  {last}");
        }
    }
}
