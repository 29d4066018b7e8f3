//! Archive scale, memory: what a batch holds while it exports must not grow with the number of
//! files beyond the archive's own directory (held by the zip crate until the archive is
//! finished) and 16-byte digests for duplicate UIDs and entry names.
//!
//! Measured structurally, not by time or RSS: this test binary counts the live heap bytes of
//! every allocation, and the batch is run as `batch` runs it (a compact plan, items built by
//! [`BatchItems`], [`export::run_items`]) over two generated archives of different sizes. The
//! growth of each peak (planning, export) between them, per added file, is bounded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use us_dicomizer::core::demo_archive::{self, ArchiveSpec};
use us_dicomizer::core::export::batch_items::{BatchItems, Planned};
use us_dicomizer::core::export::{self, CropChoice, ExportRequest, Keep};
use us_dicomizer::core::export::{plan, Items};
use us_dicomizer::core::load;
use us_dicomizer::core::settings::Settings;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
            grew(new);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The peaks of live heap bytes while `batch` gathers and plans the inputs of `dir` (the input
/// list included) and turns them into an archive (above what was live before its items
/// existed), the peak of the whole run, and the number of files exported.
fn batch_peak(dir: &Path, out: &Path, settings: &Settings) -> Peaks {
    // gathering and planning, as batch does them: the peak above what was live before
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let mut gathered =
        load::gather_list(&[dir.to_path_buf()], &settings.load, out.parent()).unwrap();
    let (imported, notes) =
        export::batch_items::import_annotations(&mut gathered, settings).unwrap();
    assert!(notes.is_empty());
    let scan = plan::scan_compact(&gathered.sources, &settings.load, &|_| {}).unwrap();
    let the_plan = plan::plan_compact(
        &scan.entries,
        scan.patients,
        &|i| gathered.sources.get(i).unwrap().display(),
        1,
    );
    let planned: Vec<Planned> = (0..scan.entries.len())
        .map(|i| Planned::new(i, the_plan.index[i].expect("readable")))
        .collect();
    let plan_peak = PEAK.load(Ordering::Relaxed) - start;
    drop((scan.entries, the_plan));
    let global_tags: Vec<(String, String)> = [
        ("position", "CFV"),
        ("side", "L"),
        ("purpose", "diagnostic"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let before = LIVE.load(Ordering::Relaxed);
    let run_peak = PEAK.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let items = BatchItems {
        sources: &gathered.sources,
        planned,
        crop: CropChoice::Auto,
        global_tags: &global_tags,
        rows: &[],
        row_of: Vec::new(),
        annotations: imported,
    };
    let req = ExportRequest {
        items: Vec::new(),
        out: out.to_path_buf(),
        force: false,
        pseudonym: settings.pseudonym.rule("auto"),
        key: vec![7; 32],
        allow_uncropped: false,
        write_mapping: false,
        indices: None,
        shard: None,
        excluded: Vec::new(),
    };
    let report = export::run_items(
        &req,
        &items,
        settings,
        &|_| {},
        &AtomicBool::new(false),
        Keep::Summary,
    )
    .unwrap();
    assert_eq!(report.summary.exported, items.len());
    let export_peak = PEAK.load(Ordering::Relaxed);
    Peaks {
        plan: plan_peak,
        export: export_peak - before,
        whole: run_peak.max(export_peak) - start,
        files: report.summary.exported,
    }
}

struct Peaks {
    plan: usize,
    export: usize,
    /// The whole run: gathering, planning and export, above what was live before.
    whole: usize,
    files: usize,
}

#[test]
fn batch_memory_grows_only_by_the_archive_directory() {
    us_dicomizer::core::guard::init_pool(Some(2));
    let settings = Settings::defaults();
    let tmp = tempfile::tempdir().unwrap();
    let mut runs = HashMap::new();
    for (name, patients) in [("small", 20u32), ("large", 70)] {
        let dir = tmp.path().join(name);
        demo_archive::write_archive(
            &dir,
            &ArchiveSpec {
                patients,
                studies_per_patient: 3,
                files_per_study: 5,
                small: (64, 48),
                ..Default::default()
            },
        )
        .unwrap();
        let out = tmp.path().join(format!("{name}.zip"));
        let peaks = batch_peak(&dir, &out, &settings);
        assert_eq!(peaks.files, patients as usize * 15);
        // the archive holds them all
        let z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        assert!(z.len() > peaks.files);
        runs.insert(name, peaks);
    }
    let (s, l) = (&runs["small"], &runs["large"]);
    let added = (l.files - s.files) as f64;
    let plan_per_file = l.plan.saturating_sub(s.plan) as f64 / added;
    eprintln!(
        "peak live heap of planning: {} B at {} files, {} B at {} files: {plan_per_file:.0} B per added file",
        s.plan, s.files, l.plan, l.files
    );
    // 64 bytes of digests and numbers, the order and the shard: well under 250 B. Every
    // header's strings held at once cost more than 500 B a file.
    assert!(
        plan_per_file < 250.0,
        "planning holds {plan_per_file:.0} bytes per added file"
    );
    let (small, n_small, large, n_large) = (s.export, s.files, l.export, l.files);
    let per_file = large.saturating_sub(small) as f64 / (n_large - n_small) as f64;
    eprintln!(
        "peak live heap above the plan: {small} B at {n_small} files, {large} B at {n_large} files: {per_file:.0} B per added file"
    );
    // the zip crate's directory entry (~140-280 B with its table's spare room), the entry
    // name's and the UID's digests (~60 B): well under 800 B. Items built up front with their
    // tag maps cost more than 1 KB a file.
    assert!(
        per_file < 800.0,
        "a batch holds {per_file:.0} bytes per added file (peak {small} B at {n_small} files, {large} B at {n_large})"
    );
    let whole_per_file = l.whole.saturating_sub(s.whole) as f64 / added;
    eprintln!(
        "peak live heap of the whole run: {} B at {} files, {} B at {} files: {whole_per_file:.0} B per added file",
        s.whole, s.files, l.whole, l.files
    );
}
