//! BENCH_ORIGINAL=<command>: the original (thrombusplus/US-DICOMizer, Python) timed on the same
//! exam in the same run, next to the figures issue 11 quotes. Its code is not in this
//! repository: the command is anything that takes `<kind folder> <output folder>` as its last
//! two arguments, runs the original's anonymise function over the folder's files in-process
//! (crop 1024x768 at (80,16)) and prints `<wall ms> [<CPU ms>]` on its last stdout line. It is
//! run through `sh -c`, so it may hold arguments (`BENCH_ORIGINAL="python3 /work/orig/drive.py"`);
//! BENCH_REPS=<reps> is set for it (best wall of that many runs, as ours). README "Benchmarks"
//! says how to build such a driver.

use std::path::Path;
use std::process::Command;

/// The command from BENCH_ORIGINAL, if set and not empty.
pub fn command() -> Option<String> {
    std::env::var("BENCH_ORIGINAL")
        .ok()
        .filter(|c| !c.trim().is_empty())
}

/// Runs the command on one kind's folder; its (wall ms, CPU ms if printed), or why not.
fn measure(cmd: &str, input: &Path, out: &Path, reps: usize) -> Result<(f64, Option<f64>), String> {
    let run = Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$@\""))
        .arg("sh")
        .arg(input)
        .arg(out)
        .env("BENCH_REPS", reps.to_string())
        .output()
        .map_err(|e| format!("cannot start sh: {e}"))?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    if !run.status.success() {
        let err = String::from_utf8_lossy(&run.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("exit {}: {last}", run.status.code().unwrap_or(-1)));
    }
    parse(&stdout).ok_or_else(|| format!("no `<wall ms> [<CPU ms>]` line in {stdout:?}"))
}

/// The last non-empty line's first number (wall ms) and second (CPU ms), if any.
fn parse(stdout: &str) -> Option<(f64, Option<f64>)> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut nums = line.split_whitespace().map(str::parse::<f64>);
    let wall = nums.next()?.ok().filter(|w| *w > 0.0)?;
    Some((wall, nums.next().and_then(Result::ok)))
}

/// One row of the side-by-side table: the original measured here on `input`, next to the
/// issue's quoted figure and ours (`jpeg`, `jpeg_cpu` in seconds, measured in this run).
#[allow(clippy::too_many_arguments)]
pub fn row(
    cmd: &str,
    label: &str,
    quoted_ms: f64,
    input: &Path,
    out: &Path,
    reps: usize,
    jpeg: f64,
    jpeg_cpu: f64,
) -> String {
    let (jpeg_ms, jpeg_cpu_ms) = (jpeg * 1e3, jpeg_cpu * 1e3);
    let res = measure(cmd, input, out, reps);
    let _ = std::fs::remove_dir_all(out);
    match res {
        Ok((wall, cpu)) => {
            let (cpu_ms, cpu_ratio) = match cpu {
                Some(c) => (format!("{c:.0}"), format!("{:.1}x", c / jpeg_cpu_ms)),
                None => (String::new(), String::new()),
            };
            format!(
                "| {label} | {quoted_ms:.0} | {wall:.0} | {jpeg_ms:.0} | {:.1}x | {cpu_ms} | \
                 {jpeg_cpu_ms:.0} | {cpu_ratio} |",
                wall / jpeg_ms
            )
        }
        Err(e) => format!(
            "| {label} | {quoted_ms:.0} | failed ({e}) | {jpeg_ms:.0} | | | {jpeg_cpu_ms:.0} | |"
        ),
    }
}

/// Prints the side-by-side table (after the exam table).
pub fn print(cmd: &str, rows: &[String], load_before: &str, load_after: &str) {
    println!();
    println!(
        "The original, run here on the same exam in this run (`{cmd}`: its anonymise function \
         timed in-process, start-up excluded; ours is one `batch` process, start-up included), \
         load average {load_before} before the exam, {load_after} after:"
    );
    println!();
    println!(
        "| input | original ms (issue) | original ms (here) | jpeg ms | original (here) / jpeg | \
         original CPU ms | jpeg CPU ms | CPU original / jpeg |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}
