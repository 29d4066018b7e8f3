//! `verify --pixels`: OCR of the exported frames (see `core::text::ocr`).

use std::path::{Path, PathBuf};

use us_dicomizer::core::display::escape;
use us_dicomizer::core::text::ocr;

/// Exit status: 0 clean, 1 findings, 2 when the frames could not be read (or no tesseract).
pub fn run(archive: &Path, against: &[PathBuf], json: bool) -> i32 {
    match ocr::verify_pixels(archive, against, &mut |_, _| {}) {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                for f in &report.findings {
                    println!(
                        "FOUND {} in the pixels of {} frame {} (a {} value, read by OCR)",
                        escape(&f.needle),
                        escape(&f.entry),
                        f.frame,
                        f.needle_kind
                    );
                }
                println!(
                    "{} pixel finding(s); {} identifying values searched in {} frames of {} entries (OCR)",
                    report.findings.len(),
                    report.needles,
                    report.frames_read,
                    report.entries
                );
            }
            i32::from(!report.findings.is_empty())
        }
        Err(e) => {
            eprintln!("error: verify --pixels: {}", escape(&e.to_string()));
            2
        }
    }
}
