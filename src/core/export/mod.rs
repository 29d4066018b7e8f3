//! Export: every planned file through the pipeline into one ZIP, written under a temporary
//! name in the destination folder and renamed when complete. Files are streamed one after the
//! other (frames in parallel), so memory does not grow with the number of files.

pub mod file;
pub mod header;
pub mod manifest;
pub mod names;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::core::crop::{auto, CropRect, CropSource};
use crate::core::error::{CoreError, Result};
use crate::core::load::{self, InputSource, LoadedFile};
use crate::core::pixels::decode;
use crate::core::settings::Settings;

/// How the crop of a file is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CropChoice {
    /// A box given by the user (or restored from a session), with its origin.
    Fixed(CropRect, CropSource),
    /// Device preset if one matches, else automatic detection.
    Auto,
    /// Device preset only (a file without a preset fails).
    Preset,
    /// No crop.
    None,
}

#[derive(Debug, Clone)]
pub struct ExportItem {
    pub source: InputSource,
    pub crop: CropChoice,
    /// Tag list key -> value (position, side, purpose, ...).
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub items: Vec<ExportItem>,
    pub out: PathBuf,
    pub force: bool,
    pub pseudonym: String,
    pub key: Vec<u8>,
    pub allow_uncropped: bool,
    pub write_mapping: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Exported,
    Skipped,
    Failed,
}

/// One line of the report. Field names are read by other tools: keep them.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub input: String,
    pub status: Status,
    pub reason: Option<String>,
    pub output: Option<String>,
    pub crop: Option<[u32; 4]>,
    pub crop_source: Option<&'static str>,
    pub frames: Option<u32>,
    pub pixel_encoding: Option<&'static str>,
    pub transfer_syntax: Option<String>,
    pub photometric: Option<String>,
    pub tags: BTreeMap<String, String>,
    #[serde(skip)]
    pub entry_bytes: u64,
    #[serde(skip)]
    pub rows_cols: Option<(u32, u32)>,
}

impl FileReport {
    pub fn new(input: String, status: Status, reason: impl Into<String>) -> Self {
        FileReport {
            input,
            status,
            reason: Some(reason.into()),
            output: None,
            crop: None,
            crop_source: None,
            frames: None,
            pixel_encoding: None,
            transfer_syntax: None,
            photometric: None,
            tags: BTreeMap::new(),
            entry_bytes: 0,
            rows_cols: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub exported: usize,
    pub skipped: usize,
    pub failed: usize,
    pub frames: u64,
    pub archive: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub files: Vec<FileReport>,
    pub summary: Summary,
}

/// Progress events, in order.
#[derive(Debug, Clone)]
pub enum Event {
    Started { total: usize },
    FileStarted { n: usize, total: usize },
    Frames { n: usize, done: u32, total: u32 },
    FileDone { n: usize, report: Box<FileReport> },
    Writing,
}

/// Checks that the destination can be written, before any work.
pub fn check_destination(out: &Path, force: bool) -> Result<()> {
    if out
        .extension()
        .map(|e| !e.eq_ignore_ascii_case("zip"))
        .unwrap_or(true)
    {
        return Err(CoreError::Invalid(format!(
            "output `{}` must end in .zip",
            out.display()
        )));
    }
    if out.exists() && !force {
        return Err(CoreError::Invalid(format!(
            "`{}` already exists: pass --force to replace it",
            out.display()
        )));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(CoreError::Invalid(format!(
            "destination folder `{}` does not exist",
            parent.display()
        )));
    }
    Ok(())
}

/// Resolves a crop choice for a loaded file.
pub fn resolve_crop(
    choice: &CropChoice,
    file: &LoadedFile,
    settings: &Settings,
) -> std::result::Result<(CropRect, CropSource), String> {
    let info = &file.info;
    let preset = || {
        settings
            .preset_for(&info.manufacturer, &info.model, info.columns, info.rows)
            .map(|p| p.rect(info.is_multi_frame()))
    };
    match choice {
        CropChoice::Fixed(r, s) => Ok((*r, *s)),
        CropChoice::None => Ok((CropRect::full(info.columns, info.rows), CropSource::None)),
        CropChoice::Preset => preset().map(|r| (r, CropSource::Preset)).ok_or_else(|| {
            format!(
                "no crop preset for this device and {}x{} images",
                info.columns, info.rows
            )
        }),
        CropChoice::Auto => {
            if let Some(r) = preset() {
                return Ok((r, CropSource::Preset));
            }
            auto_crop(file, settings)
        }
    }
}

/// Regions first, else content of the middle frame. A frame that cannot be decoded gives the
/// decoder's reason, not "no scan area".
pub fn auto_crop(file: &LoadedFile, settings: &Settings) -> Result<(CropRect, CropSource), String> {
    let info = &file.info;
    let failed = std::cell::RefCell::new(None);
    auto::detect(
        &info.regions,
        info.columns,
        info.rows,
        || {
            let f = decode::decode_full(&file.obj, info, auto::detection_frame(info.frames))
                .map_err(|e| *failed.borrow_mut() = Some(e))
                .ok()?;
            let palette = crate::core::pixels::render::read_palette(&file.obj);
            Some(crate::core::pixels::render::to_8bit(
                &f,
                palette.as_ref(),
                None,
            ))
        },
        settings.crop.banner_rows,
        settings.crop.threshold,
    )
    .ok_or_else(|| match failed.take() {
        Some(e) => format!("automatic crop: {e}"),
        None => "automatic crop found no scan area".to_string(),
    })
}

/// Runs the export. Per-file problems become report lines; only problems with the archive
/// itself (or cancellation) are errors, and then nothing is left under the final name.
pub fn run(
    req: &ExportRequest,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
) -> Result<ExportReport> {
    let started = std::time::Instant::now();
    check_destination(&req.out, req.force)?;
    let tmp = crate::core::fsutil::temp_sibling(&req.out);
    let result = run_into(req, settings, progress, cancel, &tmp);
    match result {
        Ok(mut report) => {
            std::fs::rename(&tmp, &req.out).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
            report.summary.seconds = started.elapsed().as_secs_f64();
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Files up to this size are processed several at a time, their output held in memory;
/// larger ones one at a time, streamed into the archive frame chunk by frame chunk.
const IN_MEMORY_LIMIT: u64 = 24 << 20;

fn run_into(
    req: &ExportRequest,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
    tmp: &Path,
) -> Result<ExportReport> {
    use rayon::prelude::*;
    let total = req.items.len();
    progress(Event::Started { total });
    let file = std::fs::File::create(tmp)?;
    let mut w = Writer {
        zip: zip::ZipWriter::new(std::io::BufWriter::with_capacity(1 << 20, file)),
        seen: HashMap::new(),
        used_names: HashSet::new(),
        mapping: Vec::new(),
        exported_index: 0,
    };
    let mut reports = Vec::with_capacity(total);
    let window = (rayon::current_num_threads() * 4).max(4);
    let mut i = 0;
    while i < total {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        // a window of small files in parallel, or one large file alone
        let mut end = i;
        while end < total
            && end - i < window
            && (end == i || req.items[end].source.size <= IN_MEMORY_LIMIT)
        {
            if req.items[end].source.size > IN_MEMORY_LIMIT {
                if end == i {
                    end += 1;
                }
                break;
            }
            end += 1;
        }
        let streamed = end == i + 1 && req.items[i].source.size > IN_MEMORY_LIMIT;
        let processed: Vec<std::result::Result<Processed, Outcome>> = (i..end)
            .into_par_iter()
            .map(|k| {
                progress(Event::FileStarted { n: k + 1, total });
                // a bug on one odd file must not take the whole export down
                crate::core::guard::catch(|| {
                    process(req, settings, &req.items[k], k + 1, progress, !streamed)
                })
                .unwrap_or_else(|why| {
                    Err(Outcome::Fail(format!(
                        "internal error while processing this file (please report it): {why}"
                    )))
                })
            })
            .collect();
        for (k, result) in (i..end).zip(processed) {
            let n = k + 1;
            let item = &req.items[k];
            let report = match result.and_then(|p| w.add(req, settings, item, n, p, progress)) {
                Ok(r) => r,
                Err(Outcome::Skip(reason)) => {
                    FileReport::new(item.source.display(), Status::Skipped, reason)
                }
                Err(Outcome::Fail(reason)) => {
                    FileReport::new(item.source.display(), Status::Failed, reason)
                }
                Err(Outcome::Fatal(e)) => return Err(e),
            };
            tracing::info!(file = n, status = ?report.status, "file done");
            progress(Event::FileDone {
                n,
                report: Box::new(report.clone()),
            });
            reports.push(report);
        }
        i = end;
    }
    progress(Event::Writing);
    let Writer {
        mut zip, mapping, ..
    } = w;
    manifest::write(&mut zip, &reports)?;
    let buf = zip
        .finish()
        .map_err(|e| CoreError::Io(std::io::Error::other(e.to_string())))?;
    let file = buf
        .into_inner()
        .map_err(|e| CoreError::Io(e.into_error()))?;
    file.sync_all()?;
    if req.write_mapping {
        let path = PathBuf::from(format!("{}.mapping.json", req.out.display()));
        let json =
            serde_json::to_vec_pretty(&mapping).map_err(|e| CoreError::Invalid(e.to_string()))?;
        crate::core::fsutil::write_atomic(&path, &json)?;
    }
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    let summary = Summary {
        total,
        exported: count(Status::Exported),
        skipped: count(Status::Skipped),
        failed: count(Status::Failed),
        frames: reports
            .iter()
            .filter(|r| r.status == Status::Exported)
            .map(|r| r.frames.unwrap_or(0) as u64)
            .sum(),
        archive: req.out.display().to_string(),
        seconds: 0.0,
    };
    Ok(ExportReport {
        files: reports,
        summary,
    })
}

enum Outcome {
    Skip(String),
    Fail(String),
    Fatal(CoreError),
}

/// A file processed up to the archive: everything but its name and place.
struct Processed {
    uid: String,
    crop_source: CropSource,
    written: file::Written,
    outcome: crate::core::deid::DeidOutcome,
    body: Body,
}

enum Body {
    /// The whole DICOM file, already serialised.
    Bytes(Vec<u8>),
    /// Still to be written (large files stream their frames into the archive).
    Stream(Box<file::Prepared>),
}

/// Load, validate, gate, crop, encode and de-identify one file (parallel-safe).
fn process(
    req: &ExportRequest,
    settings: &Settings,
    item: &ExportItem,
    n: usize,
    progress: &(dyn Fn(Event) + Sync),
    in_memory: bool,
) -> std::result::Result<Processed, Outcome> {
    let loaded = load::load(&item.source, &settings.load).map_err(Outcome::Skip)?;
    let uid = loaded.info.sop_instance_uid.clone();
    let (crop, crop_source) = resolve_crop(&item.crop, &loaded, settings).map_err(Outcome::Fail)?;
    crop.validate(loaded.info.columns, loaded.info.rows)
        .map_err(Outcome::Fail)?;
    let uncropped = crop.is_full(loaded.info.columns, loaded.info.rows);
    let allow = req.allow_uncropped || settings.output.allow_burned_in_without_crop;
    if uncropped && loaded.info.may_have_burned_in_text() && !allow {
        return Err(Outcome::Skip(
            "may contain burned-in text and has no crop (set a crop, or allow uncropped export explicitly)".into(),
        ));
    }
    if uncropped && !settings.tags.is_empty() && !allow {
        return Err(Outcome::Skip(
            "no crop: with a tag vocabulary every file needs a crop".into(),
        ));
    }
    let tag_values = settings
        .tags
        .resolve_map(&item.tags)
        .map_err(|e| Outcome::Skip(e.to_string()))?;
    settings
        .tags
        .check_required(&tag_values)
        .map_err(Outcome::Skip)?;
    let frame_progress = |done: u32, total: u32| progress(Event::Frames { n, done, total });
    let mut prepared =
        file::prepare(loaded, crop, settings, &frame_progress).map_err(Outcome::Fail)?;
    let approved = crop_source.approved() && !uncropped;
    let outcome = crate::core::deid::run_for_export(
        &mut prepared.obj,
        settings,
        &req.key,
        &req.pseudonym,
        !uncropped,
        approved,
        &tag_values,
    )
    .map_err(|e| Outcome::Fail(format!("de-identification failed: {e}")))?;
    let written = prepared.written.clone();
    let body = if in_memory {
        let mut bytes = Vec::new();
        file::write(prepared, &mut bytes, &frame_progress).map_err(Outcome::Fail)?;
        Body::Bytes(bytes)
    } else {
        Body::Stream(Box::new(prepared))
    };
    Ok(Processed {
        uid,
        crop_source,
        written,
        outcome,
        body,
    })
}

/// The archive side: names, duplicates, entries, the private mapping (sequential, in order).
struct Writer<W: Write + std::io::Seek> {
    zip: zip::ZipWriter<W>,
    seen: HashMap<String, usize>,
    used_names: HashSet<String>,
    mapping: Vec<serde_json::Value>,
    exported_index: usize,
}

impl<W: Write + std::io::Seek> Writer<W> {
    fn add(
        &mut self,
        req: &ExportRequest,
        settings: &Settings,
        item: &ExportItem,
        n: usize,
        p: Processed,
        progress: &(dyn Fn(Event) + Sync),
    ) -> std::result::Result<FileReport, Outcome> {
        if let Some(first) = self.seen.get(&p.uid) {
            return Err(Outcome::Skip(format!(
                "duplicate of input #{first} (same SOP Instance UID), exported once"
            )));
        }
        let index = self.exported_index + 1;
        let mut fields = item.tags.clone();
        fields.insert("pseudonym".into(), req.pseudonym.clone());
        fields.insert("frames".into(), p.written.frames.to_string());
        let name = names::unique(
            names::render(&settings.output.entry_template, &fields, index),
            &mut self.used_names,
        );
        let native = p.written.transfer_syntax == "1.2.840.10008.1.2.1";
        let method = if native && settings.output.deflate_native {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let fatal = |e: zip::result::ZipError| {
            Outcome::Fatal(CoreError::Io(std::io::Error::other(e.to_string())))
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        self.zip.start_file(name.as_str(), opts).map_err(fatal)?;
        let entry_bytes = match p.body {
            Body::Bytes(bytes) => {
                self.zip
                    .write_all(&bytes)
                    .map_err(|e| Outcome::Fatal(e.into()))?;
                bytes.len() as u64
            }
            Body::Stream(prepared) => {
                let frame_progress =
                    |done: u32, total: u32| progress(Event::Frames { n, done, total });
                let mut counter = CountingWriter {
                    inner: &mut self.zip,
                    count: 0,
                };
                if let Err(reason) = file::write(*prepared, &mut counter, &frame_progress) {
                    self.zip.abort_file().map_err(fatal)?;
                    self.used_names.remove(&name);
                    return Err(Outcome::Fail(reason));
                }
                counter.count
            }
        };
        self.exported_index = index;
        if !p.uid.is_empty() {
            self.seen.insert(p.uid, n);
        }
        self.mapping.push(serde_json::json!({
            "input": item.source.display(),
            "entry": name,
            "pseudonym": req.pseudonym,
            "uids": p.outcome.uid_map,
        }));
        let w = &p.written;
        Ok(FileReport {
            input: item.source.display(),
            status: Status::Exported,
            reason: None,
            output: Some(name),
            crop: Some(w.crop.as_array()),
            crop_source: Some(p.crop_source.as_str()),
            frames: Some(w.frames),
            pixel_encoding: Some(if w.lossy { "lossy" } else { "lossless" }),
            transfer_syntax: Some(w.transfer_syntax.clone()),
            photometric: Some(w.photometric.clone()),
            tags: item.tags.clone(),
            entry_bytes,
            rows_cols: Some((w.crop.height(), w.crop.width())),
        })
    }
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
