//! Shared by `writes.rs` and `writes_keys_temps.rs`: generated inputs, `batch` with a private
//! config folder, and reading its output.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

use crate::common::{fixture_spec, write_fixture};
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::export::{self, ExportRequest};
use us_dicomizer::core::settings::Settings;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_us-dicomizer"))
}

pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A folder of small generated ultrasound files (crop given on the command line).
pub fn inputs(dir: &Path, n: u32) -> PathBuf {
    let exam = dir.join("exam");
    std::fs::create_dir_all(&exam).unwrap();
    for i in 0..n {
        write_fixture(
            &exam,
            &format!("f{i}.dcm"),
            &fixture_spec(Kind::Mono, 120, 90, 2, i + 1),
        );
    }
    exam
}

/// `batch` with a private config folder, a good key file and a crop.
pub fn batch(dir: &Path, paths: &[&Path], extra: &[&str]) -> Output {
    batch_cmd(dir, paths, extra).output().unwrap()
}

pub fn batch_cmd(dir: &Path, paths: &[&Path], extra: &[&str]) -> Command {
    let mut c = bin();
    c.arg("--config-dir")
        .arg(dir.join("cfg"))
        .arg("batch")
        .args(paths)
        .args(["--crop", "1,1,60,60", "--tag", "position=CFV", "--tag"])
        .args(["side=L", "--tag", "purpose=diagnostic"])
        .args(extra);
    c
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn run_export(req: &ExportRequest) -> us_dicomizer::core::error::Result<export::ExportReport> {
    export::run(req, &Settings::defaults(), &|_| {}, &AtomicBool::new(false))
}
