//! `verify`: search an export for identifying values of its inputs.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The exported archive.
    pub archive: PathBuf,
    /// The inputs it was made from (files, folders, .zip archives).
    #[arg(long, required = true, num_args = 1..)]
    pub against: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &VerifyArgs) -> i32 {
    let mut last = (0usize, 0usize);
    let mut progress = |done: usize, total: usize| {
        last = (done, total);
    };
    match verify_stub(&args.archive, &args.against, &mut progress) {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                for f in &report.findings {
                    println!("FOUND {f}");
                }
                println!(
                    "{} finding(s); {} identifying values searched in {} entries",
                    report.findings.len(),
                    report.needles,
                    report.entries_scanned
                );
            }
            if report.findings.is_empty() {
                0
            } else {
                1
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

#[derive(serde::Serialize)]
struct StubReport {
    findings: Vec<String>,
    needles: usize,
    entries_scanned: usize,
}
fn verify_stub(
    _: &std::path::Path,
    _: &[PathBuf],
    _: &mut dyn FnMut(usize, usize),
) -> Result<StubReport, String> {
    Err("TEMP".into())
}
