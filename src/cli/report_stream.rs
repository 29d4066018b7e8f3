//! `batch`'s report, written as the export goes: each file's row is added to a private
//! temporary beside `--report` when the file is done (with what was imported next to it), and
//! the file gets its name only when the export succeeded. Memory does not grow with the number
//! of files: only the sums for the closing annotation line are kept.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use us_dicomizer::core::annotation::export::AnnotationReport;
use us_dicomizer::core::export::{FileReport, Summary};

pub struct ReportStream {
    /// The temporary and its writer, when a report was asked for.
    out: Option<(tempfile::NamedTempFile, std::io::BufWriter<std::fs::File>)>,
    rows: usize,
    /// The first write error, reported at the end.
    error: Option<std::io::Error>,
    /// What was imported next to each input (by input label), put into its row.
    notes: HashMap<String, AnnotationReport>,
    /// Sums over the rows' annotations: polygons, clipped, dropped, grades, files, problems.
    totals: Option<[usize; 6]>,
}

impl ReportStream {
    /// Starts the report (if `path`) with the rows of the inputs skipped before the export.
    pub fn start(
        path: Option<&Path>,
        first: &[FileReport],
        notes: HashMap<String, AnnotationReport>,
    ) -> std::io::Result<Self> {
        use us_dicomizer::core::fsutil;
        let out = match path {
            Some(p) => {
                fsutil::refuse_symlink(p)?;
                let tmp = fsutil::temp_beside(p)?;
                let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file().try_clone()?);
                w.write_all(b"{\n\"files\": [")?;
                Some((tmp, w))
            }
            None => None,
        };
        let mut s = ReportStream {
            out,
            rows: 0,
            error: None,
            notes,
            totals: None,
        };
        for r in first {
            s.add(r);
        }
        Ok(s)
    }

    /// One file's row.
    pub fn add(&mut self, r: &FileReport) {
        let owned;
        let r = match self.notes.remove(&r.input) {
            Some(imported) => {
                let mut c = r.clone();
                attach(&mut c, imported);
                owned = c;
                &owned
            }
            None => r,
        };
        if let Some(a) = &r.annotations {
            let t = self.totals.get_or_insert([0; 6]);
            for (t, v) in t.iter_mut().zip([
                a.polygons,
                a.clipped,
                a.dropped,
                a.grades,
                a.files.len(),
                a.problems.len(),
            ]) {
                *t += v;
            }
        }
        let Some((_, w)) = self.out.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let sep: &[u8] = if self.rows == 0 { b"\n" } else { b",\n" };
        self.rows += 1;
        let res = w
            .write_all(sep)
            .and_then(|_| serde_json::to_writer_pretty(&mut *w, r).map_err(Into::into));
        if let Err(e) = res {
            self.error = Some(e);
        }
    }

    /// `annotations: N polygons (C clipped, D dropped), G grades in F files`, when any.
    pub fn annotation_line(&self) -> Option<String> {
        let [polygons, clipped, dropped, grades, files, problems] = self.totals?;
        Some(format!(
            "annotations: {polygons} polygon(s) exported ({clipped} clipped by the crop, {dropped} dropped outside it), {grades} graded frame(s), {files} annotation file(s) written, {problems} problem(s) (see the report)"
        ))
    }

    /// Closes the report with the summary and the run, and gives it its name.
    pub fn finish(
        mut self,
        path: &Path,
        summary: &Summary,
        run: &serde_json::Value,
        force: bool,
    ) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some((tmp, mut w)) = self.out.take() else {
            return Ok(());
        };
        w.write_all(b"\n],\n\"summary\": ")?;
        serde_json::to_writer_pretty(&mut w, summary)?;
        w.write_all(b",\n\"run\": ")?;
        serde_json::to_writer_pretty(&mut w, run)?;
        w.write_all(b"\n}\n")?;
        w.flush()?;
        drop(w);
        tmp.as_file().sync_all()?;
        us_dicomizer::core::fsutil::persist(tmp, path, force)
    }
}

/// Puts what was imported (and its problems) into the report line of its input.
fn attach(f: &mut FileReport, imported: AnnotationReport) {
    let a = f.annotations.get_or_insert_with(Default::default);
    a.imported_from = imported.imported_from;
    let mut problems = imported.problems;
    problems.append(&mut a.problems);
    a.problems = problems;
}
