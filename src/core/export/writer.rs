//! The archive side of an export: entry names, duplicates, entries and the private mapping.

use super::digest_set::{key_of, DigestSet};
use super::*;
use crate::core::zipwrite::{self, Method, ZipOut};

/// The archive side: names, duplicates, entries, the private mapping (sequential, in order).
pub(super) struct Writer<W: zipwrite::Output> {
    pub(super) zip: ZipOut<W>,
    /// SOP Instance UIDs exported so far, as 128-bit digests with the input's number (a few
    /// hundred in memory, then in an unnamed temporary file: no memory per file).
    pub(super) seen: DigestSet,
    pub(super) used_names: names::UsedNames,
    pub(super) mapping: Vec<serde_json::Value>,
    /// The mapping's patient table (only with `write_mapping`).
    pub(super) patients: BTreeMap<PatientKey, PatientRow>,
    pub(super) exported_index: usize,
}

/// One row of the mapping's patient table: an original patient, its pseudonym, and how many
/// files and studies of it were exported.
#[derive(Default)]
pub(super) struct PatientRow {
    pseudonym: String,
    files: usize,
    studies: HashSet<String>,
}

/// The private mapping file: one row per original patient, then one per exported file.
pub(super) fn mapping_json(
    patients: BTreeMap<PatientKey, PatientRow>,
    files: Vec<serde_json::Value>,
) -> serde_json::Value {
    let patients: Vec<serde_json::Value> = patients
        .into_iter()
        .map(|(k, r)| {
            serde_json::json!({
                "patient": k.to_json(),
                "pseudonym": r.pseudonym,
                "files": r.files,
                "studies": r.studies.len(),
            })
        })
        .collect();
    serde_json::json!({ "patients": patients, "files": files })
}

impl<W: zipwrite::Output> Writer<W> {
    pub(super) fn add(
        &mut self,
        req: &ExportRequest,
        settings: &Settings,
        item: &ExportItem,
        n: usize,
        p: Processed,
        progress: &(dyn Fn(Event) + Sync),
    ) -> std::result::Result<FileReport, Outcome> {
        let spill_failed = |e: std::io::Error| Outcome::Fatal(CoreError::Io(e));
        let uid_key = key_of(&p.uid);
        if let Some(first) = self.seen.get(&uid_key).map_err(spill_failed)? {
            return Err(Outcome::Skip(format!(
                "duplicate of input #{first} (same SOP Instance UID), exported once"
            )));
        }
        let index = item
            .index
            .or_else(|| req.indices.as_ref().and_then(|v| v.get(n - 1).copied()))
            .unwrap_or(self.exported_index + 1);
        let mut fields = item.tags.clone();
        fields.insert("pseudonym".into(), p.pseudonym.clone());
        fields.insert("frames".into(), p.written.frames.to_string());
        let name = names::unique(
            names::render(&settings.output.entry_template, &fields, index),
            &mut self.used_names,
        )
        .map_err(spill_failed)?;
        let fatal = |e: std::io::Error| Outcome::Fatal(e.into());
        let entry_bytes = match p.body {
            Body::Ready(ready) => {
                self.zip.add(&name, &ready).map_err(fatal)?;
                ready.size()
            }
            Body::Stream(prepared) => {
                let frame_progress =
                    |done: u32, total: u32| progress(Event::Frames { n, done, total });
                let method = entry_method(settings, &prepared.written);
                let mut entry = self.zip.start(&name, method).map_err(fatal)?;
                if let Err(reason) = file::write(*prepared, &mut entry, &frame_progress) {
                    entry.abort().map_err(fatal)?;
                    self.used_names.remove(&name).map_err(spill_failed)?;
                    return Err(Outcome::Fail(reason));
                }
                entry.finish().map_err(fatal)?
            }
        };
        let annotations = match &item.annotations {
            Some(a) => Some(self.add_annotations(
                a,
                &name,
                &p.written,
                &p.pseudonym,
                &p.new_sop_uid,
                settings,
            )?),
            None => None,
        };
        self.exported_index = index;
        if !p.uid.is_empty() {
            let n = u32::try_from(n).expect("fewer than 2^32 inputs");
            self.seen.insert(uid_key, n).map_err(spill_failed)?;
        }
        // only when asked: this is identity, and memory per file
        if req.write_mapping {
            let row = self.patients.entry(p.patient.clone()).or_default();
            row.pseudonym.clone_from(&p.pseudonym);
            row.files += 1;
            row.studies.insert(p.study_uid.clone());
            self.mapping.push(serde_json::json!({
                "input": item.source.display(),
                "entry": name,
                "pseudonym": p.pseudonym,
                "patient": p.patient.to_json(),
                "uids": p.outcome.uid_map,
            }));
        }
        let w = &p.written;
        Ok(FileReport {
            input: item.source.display(),
            status: Status::Exported,
            reason: None,
            output: Some(name),
            crop: Some(w.crop.as_array()),
            crop_source: Some(p.crop_source.as_str()),
            crop_rule: p.crop_rule.clone(),
            repairs: p.repairs.clone(),
            frames: Some(w.frames),
            pixel_encoding: Some(if w.lossy { "lossy" } else { "lossless" }),
            transfer_syntax: Some(w.transfer_syntax.clone()),
            photometric: Some(w.photometric.clone()),
            burned_in_text: Some(p.text_note),
            masked: w.masked.iter().map(|r| r.as_array()).collect(),
            outside_sector: p.sector_note.clone(),
            tags: item.tags.clone(),
            pseudonym: Some(p.pseudonym),
            study_instance_uid: Some(p.new_study_uid).filter(|s| !s.is_empty()),
            sop_instance_uid: Some(p.new_sop_uid).filter(|s| !s.is_empty()),
            notes: p.outcome.notes.clone(),
            annotations,
            entry_bytes,
            rows_cols: Some((w.crop.height(), w.crop.width())),
        })
    }
}

impl<W: zipwrite::Output> Writer<W> {
    /// The annotation files of the entry `name`, next to it in the archive (translated by the
    /// crop actually applied, clipped, no identity but the pseudonym).
    fn add_annotations(
        &mut self,
        a: &crate::core::annotation::Annotations,
        name: &str,
        w: &file::Written,
        pseudonym: &str,
        sop_uid: &str,
        settings: &Settings,
    ) -> std::result::Result<crate::core::annotation::export::AnnotationReport, Outcome> {
        let (files, mut report) = crate::core::annotation::export::files_for_entry(
            a,
            name,
            &w.crop,
            w.frames,
            pseudonym,
            sop_uid,
            &settings.annotation,
        );
        report.files.clear();
        for (file, bytes) in files {
            let fresh = self
                .used_names
                .insert(&file)
                .map_err(|e| Outcome::Fatal(CoreError::Io(e)))?;
            if !fresh {
                report.problems.push(format!(
                    "annotation file `{file}` not written: another entry has that name"
                ));
                continue;
            }
            self.zip
                .add_bytes(&file, &bytes, Method::Deflated)
                .map_err(|e| Outcome::Fatal(e.into()))?;
            report.files.push(file);
        }
        Ok(report)
    }
}

/// How an entry is stored: native (uncompressed) pixels deflated when the settings ask for it,
/// anything else (already compressed) stored.
pub(super) fn entry_method(settings: &Settings, written: &file::Written) -> Method {
    let native = written.transfer_syntax == "1.2.840.10008.1.2.1";
    if native && settings.output.deflate_native {
        Method::Deflated
    } else {
        Method::Stored
    }
}

/// The archive file under its temporary name. The first write error is kept for the message;
/// later writes are dropped (nothing is put in place after a failure, so what is dropped
/// never matters).
pub(super) struct Sink {
    pub(super) file: std::fs::File,
    pub(super) failed: std::sync::Arc<std::sync::Mutex<Option<std::io::Error>>>,
}

impl Sink {
    fn fail(&self, e: std::io::Error) -> std::io::Error {
        let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        let copy = std::io::Error::new(e.kind(), e.to_string());
        f.get_or_insert(e);
        copy
    }
    fn has_failed(&self) -> bool {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
    pub(super) fn sync_all(&self) -> std::io::Result<()> {
        self.file.sync_all().map_err(|e| self.fail(e))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.has_failed() {
            return Ok(buf.len());
        }
        self.file.write(buf).map_err(|e| self.fail(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.has_failed() {
            return Ok(());
        }
        self.file.flush().map_err(|e| self.fail(e))
    }
}

impl std::io::Seek for Sink {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos).map_err(|e| self.fail(e))
    }
}

impl zipwrite::Output for Sink {
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        if self.has_failed() {
            return Ok(());
        }
        self.file.set_len(len).map_err(|e| self.fail(e))
    }
    fn write_back(&mut self, offset: u64, len: u64) {
        zipwrite::write_back(&self.file, offset, len);
    }
}

/// The message for an export stopped by a write error on the archive: what happened, where,
/// and that nothing is left under the final name.
pub(super) fn write_failure(e: &std::io::Error, out: &Path) -> CoreError {
    let folder = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let what = match e.raw_os_error() {
        Some(libc::ENOSPC) => "no space left on the device".to_string(),
        Some(libc::EDQUOT) => "disk quota exceeded".to_string(),
        Some(libc::EFBIG) => "file size limit reached".to_string(),
        _ => match e.kind() {
            std::io::ErrorKind::StorageFull => "no space left on the device".to_string(),
            std::io::ErrorKind::FileTooLarge => "file size limit reached".to_string(),
            std::io::ErrorKind::QuotaExceeded => "disk quota exceeded".to_string(),
            _ => e.to_string(),
        },
    };
    CoreError::Invalid(format!(
        "{what} in {} while writing {}",
        crate::core::display::escape(&folder.display().to_string()),
        crate::core::display::escape(
            &out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
    ))
}
