//! A synthetic ultrasound exam: single- and multi-frame, MONOCHROME2, RGB, native YBR_FULL_422
//! and JPEG Baseline files with a burned-in banner and obviously fake PHI. Used by `demo`, the
//! tests and the benchmarks.
//!
//! `frames`: the pixels (speckle, sector, planted text); `object`: the DICOM file around them.

mod frames;
mod object;

use std::path::{Path, PathBuf};

use crate::core::text::draw::Style;

pub use frames::{pixel, scan_area, sector_pixel};
pub use object::build;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mono,
    Rgb,
    Ybr422Native,
    JpegBaseline,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    pub columns: u32,
    pub rows: u32,
    pub frames: u32,
    pub regions: bool,
    /// Fake patient identity written into the header.
    pub patient_name: String,
    pub patient_id: String,
    /// Distinguishes files of one exam (used in UIDs).
    pub instance: u32,
    /// Draw a fan-shaped sector (speckle changing from frame to frame) instead of the
    /// rectangular scan area, and no block banner.
    pub sector: bool,
    /// Text burned into every frame, drawn over the image.
    pub text: Vec<Planted>,
}

/// A line of text burned into the pixels.
#[derive(Debug, Clone)]
pub struct Planted {
    pub x: u32,
    pub y: u32,
    pub text: String,
    pub scale: u32,
    pub style: Style,
    pub colour: [u8; 3],
}

impl Planted {
    pub fn new(x: u32, y: u32, text: &str, scale: u32, style: Style, colour: [u8; 3]) -> Self {
        Planted {
            x,
            y,
            text: text.into(),
            scale,
            style,
            colour,
        }
    }
}

impl Spec {
    pub fn new(kind: Kind, columns: u32, rows: u32, frames: u32) -> Spec {
        Spec {
            kind,
            columns,
            rows,
            frames,
            regions: true,
            patient_name: "DEMO^FAKE^PATIENT".into(),
            patient_id: "DEMO-000001".into(),
            instance: 1,
            sector: false,
            text: Vec::new(),
        }
    }
}

/// Builds one synthetic file and writes it to `path` (atomically).
pub fn write_file(path: &Path, spec: &Spec) -> Result<(), String> {
    let obj = build(spec)?;
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).map_err(|e| e.to_string())?;
    crate::core::fsutil::write_atomic(path, &bytes).map_err(|e| e.to_string())
}

/// A demo file that looks like a scanner's: a speckled sector, a banner with the fake patient
/// above the scan region, and a parameter column (with a clinic name, an ID fragment and a
/// clock) inside the region, beside the sector, where only masking removes it.
pub fn realistic(kind: Kind, columns: u32, rows: u32, frames: u32) -> Spec {
    let white = [235, 235, 235];
    let yellow = [240, 220, 60];
    let col_x = columns - columns / 8 - 110;
    let col_y = rows / 8 + 30;
    let mut text = vec![
        Planted::new(12, 6, "DEMO^FAKE^PATIENT", 1, Style::Plain, white),
        Planted::new(
            12,
            20,
            "ID DEMO-000001  DOB 01.01.1900",
            1,
            Style::Plain,
            white,
        ),
        Planted::new(columns - 150, 6, "01 JAN 2000", 1, Style::Plain, white),
    ];
    for (k, line) in [
        "DEMO CLINIC",
        "ID 000001",
        "L12-5 8MHz",
        "Gn 60 DR 55",
        "10:42:13 am",
    ]
    .iter()
    .enumerate()
    {
        let colour = if k == 4 { yellow } else { white };
        text.push(Planted::new(
            col_x,
            col_y + k as u32 * 14,
            line,
            1,
            Style::Plain,
            colour,
        ));
    }
    Spec {
        sector: true,
        text,
        ..Spec::new(kind, columns, rows, frames)
    }
}

/// Writes the demo exam into `dir` (created if needed). Refuses to overwrite existing files.
pub fn write_exam(dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let specs = [
        (
            "demo_01_mono_single.dcm",
            Spec {
                instance: 1,
                ..realistic(Kind::Mono, 640, 480, 1)
            },
        ),
        (
            "demo_02_rgb_cine.dcm",
            Spec {
                instance: 2,
                ..realistic(Kind::Rgb, 640, 480, 12)
            },
        ),
        (
            "demo_03_jpeg_cine.dcm",
            Spec {
                instance: 3,
                ..realistic(Kind::JpegBaseline, 640, 480, 24)
            },
        ),
        (
            "demo_04_ybr422_single.dcm",
            Spec {
                instance: 4,
                regions: false,
                ..realistic(Kind::Ybr422Native, 640, 480, 1)
            },
        ),
        (
            "demo_05_jpeg_single.dcm",
            Spec {
                instance: 5,
                ..realistic(Kind::JpegBaseline, 800, 600, 1)
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, spec) in specs {
        let path = dir.join(name);
        if path.exists() {
            return Err(format!(
                "`{}` already exists: pick an empty folder",
                path.display()
            ));
        }
        write_file(&path, &spec)?;
        out.push(path);
    }
    Ok(out)
}
