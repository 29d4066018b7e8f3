//! Export: every planned file through the pipeline into one ZIP, written under a temporary
//! name in the destination folder (exclusive, unpredictable) and renamed when complete, with
//! the destination locked meanwhile. Files are streamed one after the
//! other (frames in parallel), so memory does not grow with the number of files.

pub mod batch_items;
mod burned_in;
mod crop_choice;
pub mod digest_set;
pub mod file;
pub mod header;
mod items;
pub mod manifest;
pub mod merge;
pub mod names;
mod outside_sector;
mod pipeline;
pub mod plan;
mod targets;
mod writer;

pub use crop_choice::{auto_crop, auto_crop_explained, resolve_crop, resolve_crop_explained};
pub use items::Items;
pub use targets::{
    check_destination, check_not_input, check_not_input_of, check_outputs, check_outputs_with,
    check_target, mapping_path,
};

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::core::crop::{CropRect, CropSource};
use crate::core::error::{CoreError, Result};
use crate::core::load::{self, InputSource, LoadedFile};
use crate::core::patients::{PatientKey, PseudonymRule};
use crate::core::settings::Settings;

use burned_in::burned_in_text;
use pipeline::run_into;

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
    /// The `{index}` of its entry name, fixed by the caller (the UI uses the file's number in
    /// the list, so a partial export and a later full one never give two files one name);
    /// `None`: the running count of exported files.
    pub index: Option<usize>,
    /// A person's decision on this file's burned-in text (the TUI's mask / keep keys);
    /// `None`: `[pixels] burned_in_text` decides.
    pub text: Option<crate::core::text::policy::TextChoice>,
    /// Annotations (status, grades, polygons) in original-image coordinates, exported next to
    /// the entry (translated by the crop, clipped, no identity). Batch fills it from the files
    /// found next to the inputs, the UI from the session.
    pub annotations: Option<crate::core::annotation::Annotations>,
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub items: Vec<ExportItem>,
    pub out: PathBuf,
    pub force: bool,
    /// How each file's pseudonym is chosen (a literal, keyed per patient, or a list).
    pub pseudonym: PseudonymRule,
    pub key: Vec<u8>,
    pub allow_uncropped: bool,
    pub write_mapping: bool,
    /// The `{index}` of each item, when fixed in advance (batch: the place of the file in the
    /// whole input set, so shards never collide). `None`: 1, 2, ... over exported files.
    pub indices: Option<Vec<usize>>,
    /// Written into manifest.json (`{"k", "n"}`) when this archive is one shard of a run.
    pub shard: Option<(usize, usize)>,
    /// Files the caller left out of the export, with why (the manifest lists them; no paths).
    pub excluded: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// Which rule chose an automatic crop (regions, preset, or the content rule and shape).
    pub crop_rule: Option<String>,
    /// What was repaired to read an input that is not a proper Part 10 file.
    pub repairs: Vec<String>,
    pub frames: Option<u32>,
    pub pixel_encoding: Option<&'static str>,
    pub transfer_syntax: Option<String>,
    pub photometric: Option<String>,
    /// Burned-in text in the pixels: `none found`, `masked: N boxes`, `kept: N boxes`, ...
    pub burned_in_text: Option<String>,
    /// Rectangles blanked (burned-in text), in output coordinates: x0, y0, x1, y1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<[u32; 4]>,
    /// `[pixels] mask_outside_sector`: the scan shape kept and the pixels blanked outside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_sector: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The pseudonym written as Patient Name and ID.
    pub pseudonym: Option<String>,
    /// The new (remapped) UIDs of the exported file.
    pub study_instance_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    /// De-identification decisions worth a look (a laterality conflict resolved for the tag).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Annotations: the files read next to the input, the files written next to the entry,
    /// and how many polygons/grades were exported, clipped by the crop or dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<crate::core::annotation::export::AnnotationReport>,
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
            crop_rule: None,
            repairs: Vec::new(),
            frames: None,
            pixel_encoding: None,
            transfer_syntax: None,
            photometric: None,
            burned_in_text: None,
            masked: Vec::new(),
            outside_sector: None,
            tags: BTreeMap::new(),
            pseudonym: None,
            study_instance_uid: None,
            sop_instance_uid: None,
            notes: Vec::new(),
            annotations: None,
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
    /// Temporary files of earlier, interrupted exports removed from the destination folder.
    pub removed_temporaries: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub files: Vec<FileReport>,
    pub summary: Summary,
    /// The private mapping file's content until it is written (never in the report).
    #[serde(skip)]
    pub mapping: Option<Vec<u8>>,
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

/// Runs the export. Per-file problems become report lines; only problems with the archive
/// itself (or cancellation) are errors, and then nothing is left under the final name.
pub fn run(
    req: &ExportRequest,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
) -> Result<ExportReport> {
    run_with(req, settings, progress, cancel, Keep::Reports)
}

/// Whether the per-file reports are kept in [`ExportReport::files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Kept (an exam in the UI, tests).
    Reports,
    /// Only given to the progress callback (`Event::FileDone`), so that memory does not grow
    /// with the number of files (`batch` streams them into its report); `files` stays empty
    /// and the summary counts all.
    Summary,
}

/// As [`run`], keeping the per-file reports or only the summary.
pub fn run_with(
    req: &ExportRequest,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
    keep: Keep,
) -> Result<ExportReport> {
    run_items(req, &req.items, settings, progress, cancel, keep)
}

/// As [`run_with`], over `items` instead of `req.items` (batch builds each item when it is
/// processed, so that memory does not grow with the number of files).
pub fn run_items(
    req: &ExportRequest,
    items: &dyn Items,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
    keep: Keep,
) -> Result<ExportReport> {
    use crate::core::fsutil;
    let started = std::time::Instant::now();
    check_outputs_with(req, items)?;
    // one export per destination at a time; checked again under the lock, since another export
    // may have finished in between
    let _lock =
        fsutil::DestLock::acquire(&req.out).map_err(|e| CoreError::Invalid(e.to_string()))?;
    check_outputs_with(req, items)?;
    let folder = req
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let removed = fsutil::remove_stale_temps(folder);
    if !removed.is_empty() {
        tracing::info!(count = removed.len(), "removed stale temporary files");
    }
    let tmp = fsutil::temp_beside(&req.out)?;
    let failed = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = writer::Sink {
        file: tmp.as_file().try_clone()?,
        failed: failed.clone(),
    };
    let result = run_into(req, items, settings, progress, cancel, sink, folder, keep);
    // a write error on the archive (a full disk...) is said plainly, whatever step met it
    let write_error = failed.lock().unwrap_or_else(|p| p.into_inner()).take();
    let mut report = match (result, write_error) {
        (Err(_), Some(e)) => return Err(writer::write_failure(&e, &req.out)),
        // the archive's directory spill (beside it, on the same device) full as well
        (Err(CoreError::Io(e)), None) if e.raw_os_error().is_some() => {
            return Err(writer::write_failure(&e, &req.out))
        }
        (r, _) => r?,
    };
    // the mapping first, removed again if the archive cannot be put in place
    let mapping = report.mapping.take();
    if let Some(json) = &mapping {
        fsutil::write_private(&mapping_path(&req.out), json, req.force)?;
    }
    if let Err(e) = fsutil::persist(tmp, &req.out, req.force) {
        if mapping.is_some() {
            let _ = std::fs::remove_file(mapping_path(&req.out));
        }
        return Err(e.into());
    }
    report.summary.removed_temporaries = removed;
    report.summary.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

enum Outcome {
    Skip(String),
    Fail(String),
    Fatal(CoreError),
}

/// A file processed up to the archive: everything but its name and place.
struct Processed {
    uid: String,
    patient: PatientKey,
    /// The original Study Instance UID (for the mapping's patient table).
    study_uid: String,
    pseudonym: String,
    new_study_uid: String,
    new_sop_uid: String,
    crop_source: CropSource,
    crop_rule: Option<String>,
    repairs: Vec<String>,
    written: file::Written,
    outcome: crate::core::deid::DeidOutcome,
    text_note: String,
    sector_note: Option<String>,
    body: Body,
}

enum Body {
    /// The whole DICOM file, already serialised (and its CRC taken, or deflated).
    Ready(crate::core::zipwrite::Ready),
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
    let patient = PatientKey::from_obj(&loaded.obj);
    let study_uid =
        crate::core::dcm::get_str(&loaded.obj, dicom_dictionary_std::tags::STUDY_INSTANCE_UID)
            .unwrap_or_default();
    let pseudonym = req
        .pseudonym
        .resolve(&req.key, &patient)
        .map_err(Outcome::Skip)?;
    let repairs: Vec<String> = loaded
        .info
        .flags
        .iter()
        .filter_map(|f| f.strip_prefix(load::REPAIRED).map(str::to_string))
        .collect();
    let (crop, crop_source, crop_rule) =
        resolve_crop_explained(&item.crop, &loaded, settings).map_err(Outcome::Fail)?;
    crop.validate(loaded.info.columns, loaded.info.rows)
        .map_err(Outcome::Fail)?;
    let uncropped = crop.is_full(loaded.info.columns, loaded.info.rows);
    let allow = req.allow_uncropped || settings.output.allow_burned_in_without_crop;
    if uncropped && loaded.info.may_have_burned_in_text() && !allow {
        if crop_source == CropSource::AutoContent {
            return Err(Outcome::Skip(format!(
                "automatic crop: the scan area fills the whole frame ({}), nothing around it to crop away, and the file may contain burned-in text (set a crop, or allow uncropped export explicitly)",
                crop_rule.as_deref().unwrap_or("content")
            )));
        }
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
    let frames =
        crate::core::text::read_frames(&loaded.obj, &loaded.info).map_err(Outcome::Fail)?;
    let (outside, sector_note) = if settings.pixels.mask_outside_sector {
        let (fp, note) = outside_sector::footprint(&loaded, &frames, settings);
        (fp, Some(note))
    } else {
        (None, None)
    };
    let text = burned_in_text(
        &loaded,
        &frames,
        &crop,
        settings,
        allow,
        outside.as_ref(),
        item.text,
    )?;
    let exact = outside.map(|f| f.outside_rects()).unwrap_or_default();
    // the sampled frames, already read: JPEG frames encoded from the stored rows take them
    // from here (nothing to blank); otherwise they go now
    let stored = if settings.output.encoding == crate::core::settings::Encoding::Jpeg
        && text.mask.is_empty()
        && exact.is_empty()
    {
        file::StoredFrames::from_sampled(&loaded.info, frames)
    } else {
        drop(frames);
        file::StoredFrames::default()
    };
    let frame_progress = |done: u32, total: u32| progress(Event::Frames { n, done, total });
    let mut prepared = file::prepare_reusing(
        loaded,
        crop,
        &text.mask,
        &exact,
        stored,
        settings,
        &frame_progress,
    )
    .map_err(Outcome::Fail)?;
    let approved = crop_source.approved() && !uncropped && text.clean;
    let cleaned = !uncropped || !text.mask.is_empty() || !exact.is_empty();
    let outcome = crate::core::deid::run_for_export(
        &mut prepared.obj,
        settings,
        &req.key,
        &pseudonym,
        cleaned,
        approved,
        &tag_values,
    )
    .map_err(|e| Outcome::Fail(format!("de-identification failed: {e}")))?;
    if !text.clean {
        prepared.obj.put(dicom_object::mem::InMemElement::new(
            dicom_dictionary_std::tags::BURNED_IN_ANNOTATION,
            dicom_core::VR::CS,
            dicom_core::PrimitiveValue::from("YES"),
        ));
    }
    let written = prepared.written.clone();
    let new_uid = |t| crate::core::dcm::get_str(&prepared.obj, t).unwrap_or_default();
    let new_study_uid = new_uid(dicom_dictionary_std::tags::STUDY_INSTANCE_UID);
    let new_sop_uid = new_uid(dicom_dictionary_std::tags::SOP_INSTANCE_UID);
    let body = if in_memory {
        let method = writer::entry_method(settings, &prepared.written);
        let mut bytes = Vec::with_capacity(prepared.size_hint());
        file::write(prepared, &mut bytes, &frame_progress).map_err(Outcome::Fail)?;
        let ready = crate::core::zipwrite::Ready::new(bytes, method)
            .map_err(|e| Outcome::Fail(format!("cannot compress the entry: {e}")))?;
        Body::Ready(ready)
    } else {
        Body::Stream(Box::new(prepared))
    };
    Ok(Processed {
        uid,
        patient,
        study_uid,
        pseudonym,
        new_study_uid,
        new_sop_uid,
        crop_source,
        crop_rule,
        repairs,
        written,
        outcome,
        text_note: text.note,
        sector_note,
        body,
    })
}
