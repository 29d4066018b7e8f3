//! The export's windows overlap (issue 11, wall time): the archive is written on the calling
//! thread while the next window is processed, and the writing order stays the input order.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use common::*;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::export::{self, Event, ExportItem, ExportRequest, Status};
use us_dicomizer::core::settings::Settings;

#[test]
fn next_window_is_processed_while_the_previous_one_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // the export's window of small files: 4 per worker thread (at least 4); one file more
    // makes a second window. 275 KB a file: a window to write of over 1 MB, which is written
    // alongside the next (a window of tiny files is written first)
    let window = (rayon::current_num_threads() * 4).max(4);
    let total = window + 2;
    let items: Vec<ExportItem> = (0..total)
        .map(|k| {
            let p = write_fixture(
                dir.path(),
                &format!("f{k}.dcm"),
                &fixture_spec(Kind::Mono, 640, 480, 1, k as u32 + 1),
            );
            ExportItem {
                source: file_source(&p),
                crop: user_crop(CropRect::new(8, 6, 600, 470)),
                tags: tags(),
                index: None,
                text: None,
                annotations: None,
            }
        })
        .collect();
    let out = dir.path().join("o.zip");
    let req = ExportRequest {
        items,
        ..one_file_request(&dir.path().join("f0.dcm"), &out)
    };
    // the first file's result is reported by the writer; it waits there (at most 30 s) for a
    // file of the next window to start: only possible if that window is processed meanwhile
    let next_started = (Mutex::new(false), Condvar::new());
    let saw_overlap = Mutex::new(None);
    let done = Mutex::new(Vec::new());
    let progress = |e: Event| match e {
        Event::FileStarted { n, .. } if n > window => {
            *next_started.0.lock().unwrap() = true;
            next_started.1.notify_all();
        }
        Event::FileDone { n, report } => {
            done.lock().unwrap().push((n, report.status));
            if n == 1 {
                let g = next_started.0.lock().unwrap();
                let (g, _) = next_started
                    .1
                    .wait_timeout_while(g, Duration::from_secs(30), |started| !*started)
                    .unwrap();
                *saw_overlap.lock().unwrap() = Some(*g);
            }
        }
        _ => {}
    };
    let rep = export::run(
        &req,
        &Settings::defaults(),
        &progress,
        &AtomicBool::new(false),
    )
    .expect("export runs");
    assert_eq!(
        *saw_overlap.lock().unwrap(),
        Some(true),
        "the next window did not start while the first was being written"
    );
    // written in input order, every file once
    let done = done.into_inner().unwrap();
    let order: Vec<usize> = done.iter().map(|d| d.0).collect();
    assert_eq!(order, (1..=total).collect::<Vec<_>>());
    assert!(done.iter().all(|d| d.1 == Status::Exported), "{done:?}");
    let names = entry_names(&out);
    let outputs: Vec<&String> = rep
        .files
        .iter()
        .map(|f| f.output.as_ref().unwrap())
        .collect();
    let dicom: Vec<&String> = names.iter().filter(|n| outputs.contains(n)).collect();
    assert_eq!(dicom, outputs, "entries in the archive in input order");
}
