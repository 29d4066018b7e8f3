//! The export's loop over its items, in windows: a window of small files is processed in
//! parallel (their output held in memory), a large file alone (streamed into the archive).
//! The archive is written on the calling thread, in order. A window that takes a while to
//! write (a large file's frames, or at least [`OVERLAP_BYTES`] of entries) is written while
//! the next window is processed on the worker pool, as is any window followed by a large file,
//! so that neither waits for the other; at most two windows' output is held then. A window of
//! a few small files is written first (under a millisecond), one window in memory as before.

use super::*;
use writer::Writer;

/// Files up to this size are processed several at a time, their output held in memory;
/// larger ones one at a time, streamed into the archive frame chunk by frame chunk.
const IN_MEMORY_LIMIT: u64 = 24 << 20;

/// One window of items, processed (or being processed), not yet written.
struct Window<'a> {
    /// The number of its first item (0-based).
    first: usize,
    items: Vec<std::borrow::Cow<'a, ExportItem>>,
    processed: Vec<std::result::Result<Processed, Outcome>>,
    /// One large file, its frames still to be streamed into the archive.
    streamed: bool,
}

/// A window with at least this much to write is written while the next one is processed;
/// a smaller one (a few small files: well under a millisecond of writing) first, so that
/// only one window's output is held then.
const OVERLAP_BYTES: u64 = 1 << 20;

impl Window<'_> {
    /// Whether writing it takes long enough to do it alongside the next window's processing.
    fn long_to_write(&self) -> bool {
        let bytes: u64 = self
            .processed
            .iter()
            .map(|p| match p {
                Ok(Processed {
                    body: Body::Ready(r),
                    ..
                }) => r.size(),
                _ => 0,
            })
            .sum();
        self.streamed || bytes >= OVERLAP_BYTES
    }
}

/// The archive's side of the loop: the writer, the manifest rows, counts and reports.
struct Sink<'r> {
    w: Writer<writer::Sink>,
    rows: manifest::Collector,
    exported: usize,
    skipped: usize,
    failed: usize,
    frames: u64,
    reports: Vec<FileReport>,
    req: &'r ExportRequest,
    settings: &'r Settings,
    keep: Keep,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run_into(
    req: &ExportRequest,
    items: &dyn Items,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
    file: writer::Sink,
    folder: &Path,
    keep: Keep,
) -> Result<ExportReport> {
    let total = items.len();
    progress(Event::Started { total });
    let mut sink = Sink {
        w: Writer {
            zip: crate::core::zipwrite::ZipOut::new(file, tempfile::tempfile_in(folder)?),
            seen: digest_set::DigestSet::new_in(folder),
            used_names: names::UsedNames::new_in(folder),
            mapping: Vec::new(),
            patients: BTreeMap::new(),
            exported_index: 0,
        },
        rows: manifest::Collector::new(folder)?,
        exported: 0,
        skipped: 0,
        failed: 0,
        frames: 0,
        reports: Vec::new(),
        req,
        settings,
        keep,
    };
    let window = (rayon::current_num_threads() * 4).max(4);
    // processed, waiting to be written
    let mut pending: Option<Window> = None;
    let mut i = 0;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        // the next window: small files in parallel, or one large file alone
        let next = if i < total {
            let mut end = i;
            while end < total && end - i < window {
                if items.source(end)?.size > IN_MEMORY_LIMIT {
                    if end == i {
                        end += 1;
                    }
                    break;
                }
                end += 1;
            }
            let streamed = end == i + 1 && items.source(i)?.size > IN_MEMORY_LIMIT;
            // only these windows' items are held (batch builds them here)
            let window_items = (i..end)
                .map(|k| items.item(k))
                .collect::<std::io::Result<Vec<_>>>()?;
            i = end;
            Some((window_items, streamed))
        } else {
            None
        };
        if next.is_none() && pending.is_none() {
            break;
        }
        let first = i - next.as_ref().map_or(0, |(w, _)| w.len());
        // a quick write (nothing large pending, no large file next) is done first
        let next_streamed = next.as_ref().is_some_and(|(_, streamed)| *streamed);
        if !next_streamed && !pending.as_ref().is_some_and(Window::long_to_write) {
            if let Some(p) = pending.take() {
                sink.write(p, progress)?;
            }
        }
        // the next window processed on the pool while this thread writes the pending one
        let (written, processed) = std::thread::scope(|s| {
            let worker = next.map(|(window_items, streamed)| {
                s.spawn(move || {
                    let processed = process_window(
                        req,
                        settings,
                        progress,
                        first,
                        total,
                        &window_items,
                        streamed,
                    );
                    Window {
                        first,
                        items: window_items,
                        processed,
                        streamed,
                    }
                })
            });
            let written = pending.take().map_or(Ok(()), |p| sink.write(p, progress));
            let processed =
                worker.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            (written, processed)
        });
        written?;
        pending = processed;
    }
    progress(Event::Writing);
    let Sink {
        w,
        rows,
        exported,
        skipped,
        failed,
        frames,
        reports,
        ..
    } = sink;
    let Writer {
        mut zip,
        mapping,
        patients,
        ..
    } = w;
    manifest::write(&mut zip, rows, req)?;
    let file = zip.finish()?;
    file.sync_all()?;
    let mapping = if req.write_mapping {
        let doc = writer::mapping_json(patients, mapping);
        Some(serde_json::to_vec_pretty(&doc).map_err(|e| CoreError::Invalid(e.to_string()))?)
    } else {
        None
    };
    let summary = Summary {
        total,
        exported,
        skipped,
        failed,
        frames,
        archive: req.out.display().to_string(),
        seconds: 0.0,
        removed_temporaries: Vec::new(),
    };
    Ok(ExportReport {
        files: reports,
        summary,
        mapping,
    })
}

/// The files of one window, in parallel (a large file alone is prepared, not written).
fn process_window(
    req: &ExportRequest,
    settings: &Settings,
    progress: &(dyn Fn(Event) + Sync),
    first: usize,
    total: usize,
    window_items: &[std::borrow::Cow<'_, ExportItem>],
    streamed: bool,
) -> Vec<std::result::Result<Processed, Outcome>> {
    use rayon::prelude::*;
    (first..first + window_items.len())
        .into_par_iter()
        .map(|k| {
            progress(Event::FileStarted { n: k + 1, total });
            // a bug on one odd file must not take the whole export down
            crate::core::guard::catch(|| {
                process(
                    req,
                    settings,
                    &window_items[k - first],
                    k + 1,
                    progress,
                    !streamed,
                )
            })
            .unwrap_or_else(|why| {
                Err(Outcome::Fail(format!(
                    "internal error while processing this file (please report it): {why}"
                )))
            })
        })
        .collect()
}

impl Sink<'_> {
    /// A processed window into the archive, in order: entries, manifest rows, reports and
    /// progress.
    fn write(&mut self, window: Window, progress: &(dyn Fn(Event) + Sync)) -> Result<()> {
        let Window {
            first,
            items,
            processed,
            ..
        } = window;
        for (k, result) in (first..).zip(processed) {
            let n = k + 1;
            let item = &*items[k - first];
            let added =
                result.and_then(|p| self.w.add(self.req, self.settings, item, n, p, progress));
            let report = match added {
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
            self.rows.add(&report)?;
            match report.status {
                Status::Exported => {
                    self.exported += 1;
                    self.frames += report.frames.unwrap_or(0) as u64;
                }
                Status::Skipped => self.skipped += 1,
                Status::Failed => self.failed += 1,
            }
            let report = Box::new(report);
            if self.keep == Keep::Reports {
                progress(Event::FileDone {
                    n,
                    report: report.clone(),
                });
                self.reports.push(*report);
            } else {
                progress(Event::FileDone { n, report });
            }
        }
        // the device writes this window while the next one is processed
        self.w.zip.write_back_all()?;
        Ok(())
    }
}
