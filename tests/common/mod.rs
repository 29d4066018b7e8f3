//! Shared helpers for the integration tests: generated fixtures and reading exports back.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::export::{self, CropChoice, ExportItem, ExportReport, ExportRequest};
use us_dicomizer::core::load::{self, InputSource, SourceKind};
use us_dicomizer::core::settings::Settings;

pub fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/dicom");
    p.join("MANIFEST.tsv").exists().then_some(p)
}

pub fn write_fixture(dir: &Path, name: &str, spec: &Spec) -> PathBuf {
    let path = dir.join(name);
    demo::write_file(&path, spec).expect("fixture builds");
    path
}

pub fn fixture_spec(kind: Kind, w: u32, h: u32, frames: u32, instance: u32) -> Spec {
    Spec {
        instance,
        ..Spec::new(kind, w, h, frames)
    }
}

pub fn tags() -> BTreeMap<String, String> {
    [
        ("position", "CFV"),
        ("side", "L"),
        ("purpose", "diagnostic"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

pub fn file_source(p: &Path) -> InputSource {
    InputSource {
        kind: SourceKind::File(p.to_path_buf()),
        size: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
    }
}

pub fn export_files(
    files: &[(PathBuf, CropChoice)],
    out: &Path,
    settings: &Settings,
) -> ExportReport {
    let req = ExportRequest {
        items: files
            .iter()
            .map(|(p, c)| ExportItem {
                source: file_source(p),
                crop: c.clone(),
                tags: tags(),
                index: None,
                text: None,
                annotations: None,
            })
            .collect(),
        out: out.to_path_buf(),
        force: false,
        pseudonym: "TEST01".into(),
        key: vec![7u8; 32],
        allow_uncropped: false,
        write_mapping: false,
        indices: None,
        shard: None,
        excluded: Vec::new(),
    };
    export::run(&req, settings, &|_| {}, &AtomicBool::new(false)).expect("export runs")
}

pub fn user_crop(r: CropRect) -> CropChoice {
    CropChoice::Fixed(r, CropSource::User)
}

/// Reads one ZIP entry and parses it as DICOM.
pub fn read_entry(zip: &Path, name: &str) -> load::LoadedFile {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut e = z.by_name(name).unwrap();
    let mut bytes = Vec::new();
    e.read_to_end(&mut bytes).unwrap();
    let parsed = load::parse_dicom(&bytes).expect("output parses");
    let info = load::probe(&parsed.obj).expect("output validates");
    load::LoadedFile {
        source: file_source(zip),
        obj: parsed.obj,
        info,
    }
}

pub fn entry_names(zip: &Path) -> Vec<String> {
    let z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..z.len())
        .filter_map(|i| {
            z.name_for_index(i)
                .and_then(|n| n.ok())
                .map(|n| n.to_string())
        })
        .collect()
}

/// A one-file request with a user crop of (1,1)-(50,50).
pub fn one_file_request(src: &Path, out: &Path) -> ExportRequest {
    ExportRequest {
        items: vec![ExportItem {
            source: file_source(src),
            crop: user_crop(CropRect::new(1, 1, 50, 50)),
            tags: tags(),
            index: None,
            text: None,
            annotations: None,
        }],
        out: out.to_path_buf(),
        force: false,
        pseudonym: "P".into(),
        key: vec![1; 32],
        allow_uncropped: false,
        write_mapping: false,
        indices: None,
        shard: None,
        excluded: Vec::new(),
    }
}
