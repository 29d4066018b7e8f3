//! `verify`: search an export for identifying values of its inputs.

use std::path::PathBuf;

use clap::Args;
use us_dicomizer::core::display::escape;

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
    /// Also read the exported frames with OCR (needs the `tesseract` program) and search the
    /// text for the inputs' names, IDs, birth dates and institution.
    #[arg(long)]
    pub pixels: bool,
}

pub fn run(args: &VerifyArgs, settings: &us_dicomizer::core::settings::Settings) -> i32 {
    let header = run_header(args, settings);
    if !args.pixels {
        return header;
    }
    header.max(super::verify_pixels::run(
        &args.archive,
        &args.against,
        args.json,
    ))
}

fn run_header(args: &VerifyArgs, settings: &us_dicomizer::core::settings::Settings) -> i32 {
    let mut last = (0usize, 0usize);
    let mut progress = |done: usize, total: usize| {
        last = (done, total);
    };
    let opts = us_dicomizer::core::verify::VerifyOptions::from_settings(settings);
    match us_dicomizer::core::verify::verify_with(
        &args.archive,
        &args.against,
        &opts,
        &mut progress,
    ) {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                for f in &report.findings {
                    println!(
                        "FOUND {} in {} at {} (a {} value)",
                        escape(&f.needle),
                        escape(&f.entry),
                        escape(&f.location),
                        f.needle_kind
                    );
                }
                for s in &report.inputs_skipped {
                    println!("NOT READ {s} (over the load limits; loading skips it too)");
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
            eprintln!("error: {}", escape(&e.to_string()));
            2
        }
    }
}
