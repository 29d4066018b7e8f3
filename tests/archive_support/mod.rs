//! Shared by the archive tests (`archive_scale.rs`, `archive_patients.rs`): generated
//! multi-patient archives and `batch` run through the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use us_dicomizer::core::demo_archive::{self, ArchiveSpec};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_us-dicomizer"))
}

/// The tags every test batch gives (all required tags of the default vocabulary).
pub const TAGS: [&str; 6] = [
    "--tag",
    "position=CFV",
    "--tag",
    "side=L",
    "--tag",
    "purpose=diagnostic",
];

/// `batch` over `inputs` with the config folder `cfg`, the tags, and `extra`.
pub fn batch(cfg: &Path, inputs: &[PathBuf], extra: &[&str]) -> Output {
    bin()
        .arg("--config-dir")
        .arg(cfg)
        .arg("batch")
        .args(inputs)
        .args(TAGS)
        .args(extra)
        .output()
        .unwrap()
}

/// A generated archive of small (64x48) single-frame files at `at`; its files.
pub fn small_archive(
    at: &Path,
    patients: u32,
    studies_per_patient: u32,
    files_per_study: u32,
) -> Vec<PathBuf> {
    demo_archive::write_archive(
        at,
        &ArchiveSpec {
            patients,
            studies_per_patient,
            files_per_study,
            small: (64, 48),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A JSON file (report, mapping) read back.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}
