//! Background threads, all reporting on one channel to the UI thread: terminal input, loading
//! (gather + validate), the export, and the session writer. (The preview worker is in
//! `preview.rs`.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui_image::protocol::Protocol;

use crate::core::export::{self, Event, ExportRequest};
use crate::core::load::{self, InputSource};
use crate::core::settings::Settings;

use super::msg::{ExportMsg, Msg};
use super::session::{store, Snapshot};
use super::state::FileId;

/// Everything the UI thread waits for.
pub enum AppEvent {
    Input(crossterm::event::Event),
    Msg(Msg),
    /// An encoded frame (or an error in `msg`).
    Preview {
        protocol: Option<Protocol>,
        /// The frame as grey-level characters (NO_COLOR) instead of an image.
        text: Option<Vec<String>>,
        msg: Msg,
    },
    /// A signal that ends (SIGTERM, SIGHUP, SIGINT, SIGQUIT) or suspends (SIGTSTP) the program.
    Signal(i32),
}

/// Forwards the signals that would end or stop the program to the UI thread, which saves the
/// session and restores the terminal first.
pub fn spawn_signals(tx: Sender<AppEvent>) -> Option<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    let mut signals =
        match signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP]) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "signal handlers not installed");
                return None;
            }
        };
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("usd-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if tx.send(AppEvent::Signal(sig)).is_err() {
                    return;
                }
            }
        })
        .ok()?;
    Some(handle)
}

pub fn channel() -> (Sender<AppEvent>, Receiver<AppEvent>) {
    mpsc::channel()
}

/// Reads terminal events until `stop` is set. Waits on the terminal itself (see `tty.rs`):
/// when it hangs up, reports SIGHUP and ends, so the UI saves the session and quits.
pub fn spawn_input(tx: Sender<AppEvent>, stop: Arc<AtomicBool>) -> Option<JoinHandle<()>> {
    use super::tty::{self, TtyState};
    std::thread::Builder::new()
        .stack_size(crate::core::guard::WORKER_STACK)
        .name("usd-input".into())
        .spawn(move || {
            let fd = tty::input_fd();
            while !stop.load(Ordering::Relaxed) {
                if let Some(fd) = fd {
                    if tty::wait(fd, 50) == TtyState::Gone {
                        tracing::info!("the terminal hung up");
                        let _ = tx.send(AppEvent::Signal(signal_hook::consts::SIGHUP));
                        return;
                    }
                }
                // Never block inside crossterm: a resize arrives through its own signal pipe,
                // typed bytes were just seen on the descriptor.
                let wait = if fd.is_some() {
                    Duration::ZERO
                } else {
                    Duration::from_millis(50)
                };
                loop {
                    match crossterm::event::poll(wait) {
                        Ok(true) => match crossterm::event::read() {
                            Ok(ev) => {
                                if tx.send(AppEvent::Input(ev)).is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "terminal input failed");
                                return;
                            }
                        },
                        Ok(false) => break,
                        Err(e) => {
                            tracing::error!(error = %e, "terminal poll failed");
                            return;
                        }
                    }
                }
            }
        })
        .ok()
}

pub enum LoadJob {
    Gather(Vec<PathBuf>),
    Load(Vec<(FileId, InputSource)>),
    /// Annotation files next to inputs (after their `Load`: saved work comes back first).
    Annotations(Vec<(FileId, Vec<InputSource>)>),
}

/// Gathers inputs and validates files one after the other (FIFO).
pub fn spawn_loader(settings: Settings, tx: Sender<AppEvent>) -> Sender<LoadJob> {
    let (jtx, jrx) = mpsc::channel::<LoadJob>();
    let _ = std::thread::Builder::new()
        .stack_size(crate::core::guard::WORKER_STACK)
        .name("usd-loader".into())
        .spawn(move || {
            for job in jrx {
                match job {
                    LoadJob::Gather(paths) => {
                        let g = load::gather(&paths, &settings.load);
                        tracing::info!(
                            inputs = g.sources.len(),
                            skipped = g.skipped.len(),
                            "gathered"
                        );
                        if tx
                            .send(AppEvent::Msg(Msg::Gathered {
                                sources: g.sources,
                                skipped: g.skipped,
                            }))
                            .is_err()
                        {
                            return;
                        }
                    }
                    LoadJob::Annotations(items) => {
                        for (file, sidecars) in items {
                            let refs: Vec<&InputSource> = sidecars.iter().collect();
                            let imported = crate::core::guard::catch(|| {
                                crate::core::annotation::import::import(
                                    &refs,
                                    &settings.load,
                                    &settings.annotation,
                                )
                            })
                            .unwrap_or_default();
                            let msg = Msg::AnnotationsImported {
                                file,
                                annotations: imported.annotations,
                                from: imported.report.imported_from,
                                problems: imported.report.problems,
                            };
                            if tx.send(AppEvent::Msg(msg)).is_err() {
                                return;
                            }
                        }
                    }
                    LoadJob::Load(items) => {
                        for (file, source) in items {
                            let r =
                                crate::core::guard::catch(|| load::load(&source, &settings.load))
                                    .unwrap_or_else(|why| {
                                        Err(format!("the reader crashed on this file ({why})"))
                                    });
                            if let Err(reason) = &r {
                                tracing::info!(file, reason = %reason, "input invalid");
                            }
                            let mcu = r.as_ref().ok().and_then(jpeg_mcu);
                            if let Ok(f) = &r {
                                // The content identity (before `Loaded`: saved work comes back
                                // as the file appears).
                                match crate::core::identity::content_identity(
                                    &source,
                                    &f.info.sop_instance_uid,
                                    &settings.load,
                                ) {
                                    Ok(identity) => {
                                        let _ = tx.send(AppEvent::Msg(Msg::Identified {
                                            file,
                                            identity,
                                        }));
                                    }
                                    Err(e) => tracing::warn!(file, error = %e, "no identity"),
                                }
                            }
                            let result = r.map(|f| Box::new(f.info));
                            if tx
                                .send(AppEvent::Msg(Msg::Loaded { file, result }))
                                .is_err()
                            {
                                return;
                            }
                            if let Some(mcu) = mcu {
                                let _ = tx.send(AppEvent::Msg(Msg::Mcu { file, mcu }));
                            }
                        }
                    }
                }
            }
        });
    jtx
}

/// The iMCU size of a JPEG baseline file kept in its encoding (the crop origin snaps to it).
pub fn jpeg_mcu(f: &load::LoadedFile) -> Option<(u32, u32)> {
    use crate::core::pixels::{encapsulated, jpeg};
    if f.info.ts_kind != crate::core::dcm::TransferSyntaxKind::JpegBaseline
        || f.info.bits_allocated != 8
    {
        return None;
    }
    let b = encapsulated::frame_bytes(&f.obj, f.info.frames, 0).ok()?;
    jpeg::mcu_size(&b).ok()
}

/// A running export.
pub struct ExportHandle {
    pub cancel: Arc<AtomicBool>,
    pub thread: JoinHandle<()>,
}

/// Runs the core export in a thread; progress is throttled (frames at most every 50 ms).
pub fn spawn_export(
    req: ExportRequest,
    settings: Settings,
    tx: Sender<AppEvent>,
) -> std::io::Result<ExportHandle> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let thread = std::thread::Builder::new()
        .stack_size(crate::core::guard::WORKER_STACK)
        .name("usd-export".into())
        .spawn(move || {
            let last = Mutex::new(Instant::now() - Duration::from_secs(1));
            let send = |m: ExportMsg| {
                let _ = tx.send(AppEvent::Msg(Msg::Export(m)));
            };
            let progress = |e: Event| match e {
                Event::Started { total } => send(ExportMsg::Started { total }),
                Event::FileStarted { n, .. } => send(ExportMsg::FileStarted { n }),
                Event::Frames { n, done, total } => {
                    let now = Instant::now();
                    let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
                    if done == total || now.duration_since(*l) >= Duration::from_millis(50) {
                        *l = now;
                        send(ExportMsg::Frames { n, done, total });
                    }
                }
                Event::FileDone { n, report } => send(ExportMsg::FileDone {
                    n,
                    status: report.status,
                    reason: report.reason.clone(),
                    output: report.output.clone(),
                }),
                Event::Writing => send(ExportMsg::Writing),
            };
            tracing::info!(files = req.items.len(), "export started");
            // the silent guard: a panic becomes the message, nothing is printed over the screen
            let r = crate::core::guard::catch(|| export::run(&req, &settings, &progress, &flag));
            send(ExportMsg::Finished(finish_message(r)));
        })?;
    Ok(ExportHandle { cancel, thread })
}

/// The status line of a finished export: the summary, the error, or the cause of a panic.
fn finish_message(
    r: Result<crate::core::error::Result<export::ExportReport>, String>,
) -> Result<String, String> {
    match r {
        Ok(Ok(rep)) => {
            let s = &rep.summary;
            tracing::info!(
                exported = s.exported,
                skipped = s.skipped,
                failed = s.failed,
                "export finished"
            );
            let mut text = format!(
                "exported {}/{} file(s), {} frame(s) to {} in {:.1} s; {} skipped, {} failed",
                s.exported, s.total, s.frames, s.archive, s.seconds, s.skipped, s.failed
            );
            if !s.removed_temporaries.is_empty() {
                text.push_str(&format!(
                    "; removed {} stale temporary file(s) of an interrupted export",
                    s.removed_temporaries.len()
                ));
            }
            Ok(text)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "export stopped");
            Err(e.to_string())
        }
        Err(why) => {
            tracing::error!(cause = %why, "export panicked");
            Err(format!("internal error during the export: {why} (nothing was written under the final name)"))
        }
    }
}

/// The pending snapshot and the "stop" flag, with its condition variable.
type SessionSlot = Arc<(Mutex<(Option<Snapshot>, bool)>, Condvar)>;

/// Writes session snapshots in the background; only the newest pending one is written.
pub struct SessionWriter {
    slot: SessionSlot,
    thread: Option<JoinHandle<()>>,
}

impl SessionWriter {
    pub fn spawn(paths: store::Paths, tx: Sender<AppEvent>) -> SessionWriter {
        let slot: SessionSlot = Arc::new((Mutex::new((None, false)), Condvar::new()));
        let s2 = slot.clone();
        let thread = std::thread::Builder::new()
            .stack_size(crate::core::guard::WORKER_STACK)
            .name("usd-session".into())
            .spawn(move || {
                let mut reported = false;
                loop {
                    let next = {
                        let (m, cv) = &*s2;
                        let Ok(mut g) = m.lock() else { return };
                        while g.0.is_none() && !g.1 {
                            g = match cv.wait(g) {
                                Ok(g) => g,
                                Err(_) => return,
                            };
                        }
                        match g.0.take() {
                            Some(s) => s,
                            None => return,
                        }
                    };
                    if let Err(e) = store::save(&paths, &next) {
                        tracing::warn!(error = %e, "session not saved");
                        if !reported {
                            reported = true;
                            let _ = tx.send(AppEvent::Msg(Msg::SessionError(e.kind().to_string())));
                        }
                    }
                }
            })
            .ok();
        SessionWriter { slot, thread }
    }

    pub fn save(&self, mut s: Snapshot) {
        let (m, cv) = &*self.slot;
        if let Ok(mut g) = m.lock() {
            if let Some(older) = g.0.take() {
                s.absorb(older);
            }
            g.0 = Some(s);
            cv.notify_one();
        }
    }

    /// Writes what is pending and stops.
    pub fn finish(mut self) {
        {
            let (m, cv) = &*self.slot;
            if let Ok(mut g) = m.lock() {
                g.1 = true;
                cv.notify_one();
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    /// A panic inside the export thread ends as a message naming its cause (and the guard
    /// keeps it off the screen), not a bare "see the log".
    #[test]
    fn a_panicking_export_ends_with_its_cause() {
        let r = crate::core::guard::catch(|| -> crate::core::error::Result<_> {
            panic!("writer state lost")
        });
        let msg = super::finish_message(r).unwrap_err();
        assert!(msg.contains("writer state lost"), "{msg}");
    }
}
