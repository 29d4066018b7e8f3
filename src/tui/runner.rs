//! The UI thread: terminal setup and restore, the event loop, and performing effects.

use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::Event as CtEvent;
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::core::export::ExportRequest;
use crate::core::settings::Settings;

use super::effect::Effect;
use super::keymap::{self, Key};
use super::msg::{ExportMsg, Msg};
use super::state::AppState;
use super::terminal::{
    install_panic_hook, make_picker, protocol_name, protocol_type, restore_terminal,
    uninstall_panic_hook, ScreenGuard, PROTOCOLS,
};
use super::worker::{self, AppEvent, ExportHandle, LoadJob, SessionWriter};
use super::{preview, prompt, session, ui, update, TuiOptions};

type Term = Terminal<CrosstermBackend<Stdout>>;

/// The runner's handles to the workers.
struct Ctx {
    tx: Sender<AppEvent>,
    loader: Sender<LoadJob>,
    text: Sender<(super::state::FileId, crate::core::load::InputSource)>,
    preview: preview::PreviewHandle,
    session: Option<SessionWriter>,
    export: Option<ExportHandle>,
    settings: Settings,
    config_dir: PathBuf,
    key: Vec<u8>,
    clear: bool,
    /// Ctrl-Z or SIGTSTP: leave the screen and stop until continued.
    suspend: bool,
}

impl Ctx {
    fn perform(&mut self, state: &mut AppState, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut more = Vec::new();
            for e in queue {
                more.extend(self.perform_one(state, e));
            }
            queue = more;
        }
    }

    fn perform_one(&mut self, state: &mut AppState, e: Effect) -> Vec<Effect> {
        match e {
            Effect::Gather { paths } => {
                let _ = self.loader.send(LoadJob::Gather(paths));
            }
            Effect::Load { items } => {
                let _ = self.loader.send(LoadJob::Load(items));
            }
            Effect::ScanText { file, source } => {
                let _ = self.text.send((file, source));
            }
            Effect::ImportAnnotations { items } => {
                let _ = self.loader.send(LoadJob::Annotations(items));
            }
            Effect::Preview(r) => self.preview.request(r),
            Effect::Metadata { file, source } => self.preview.metadata(file, source),
            Effect::AutoCrop { file, source } => self.preview.auto_crop(file, source),
            Effect::StartExport {
                items,
                out,
                force,
                pseudonym,
                excluded,
            } => {
                if self
                    .export
                    .as_ref()
                    .map(|h| !h.thread.is_finished())
                    .unwrap_or(false)
                {
                    return update::on_msg(
                        state,
                        Msg::Export(ExportMsg::Finished(Err(
                            "an export is already running".into()
                        ))),
                    );
                }
                let req = ExportRequest {
                    items,
                    out,
                    force,
                    pseudonym: self.settings.pseudonym.rule(&pseudonym),
                    key: self.key.clone(),
                    allow_uncropped: false,
                    write_mapping: self.settings.output.write_mapping,
                    indices: None,
                    shard: None,
                    excluded,
                };
                match worker::spawn_export(req, self.settings.clone(), self.tx.clone()) {
                    Ok(h) => self.export = Some(h),
                    Err(e) => {
                        return update::on_msg(
                            state,
                            Msg::Export(ExportMsg::Finished(Err(e.to_string()))),
                        )
                    }
                }
            }
            Effect::CancelExport => {
                if let Some(h) = &self.export {
                    h.cancel.store(true, Ordering::Relaxed);
                }
            }
            Effect::SaveSession(s) => {
                if let Some(w) = &self.session {
                    w.save(*s);
                }
            }
            Effect::SavePreset(p) => {
                let r = crate::core::settings::save_preset(&self.config_dir, &p)
                    .map(|path| path.display().to_string())
                    .map_err(|e| e.to_string());
                return update::on_msg(state, Msg::PresetSaved(r));
            }
            Effect::Clipboard(text) => {
                let _ = super::osc52::copy(&mut io::stdout(), &text);
            }
            Effect::CompletePath(text) => {
                let (text, candidates) = prompt::complete_path(&text);
                return update::on_msg(state, Msg::Completion { text, candidates });
            }
            Effect::Redraw => self.clear = true,
            Effect::SetProtocol(name) => {
                self.preview.set_protocol(protocol_type(&name));
                state.protocol_name = name;
                state.preview.requested_key = None;
                self.clear = true;
                let mut fx = Vec::new();
                update::finish(state, &mut fx);
                return fx;
            }
        }
        Vec::new()
    }
}

pub fn run(opts: TuiOptions) -> io::Result<i32> {
    let keymap = match keymap::load_keymap(&opts.config_dir) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{}", crate::core::display::escape(&e.to_string()));
            return Ok(2);
        }
    };
    let protocol = opts
        .protocol
        .clone()
        .unwrap_or_else(|| opts.settings.preview.protocol.clone());
    if !PROTOCOLS.contains(&protocol.as_str()) {
        eprintln!(
            "--protocol: `{}` is not one of {}",
            crate::core::display::escape(&protocol),
            PROTOCOLS.join(", ")
        );
        return Ok(2);
    }
    let session_paths = session::store::paths(&opts.data_dir, &opts.paths);
    // One window per set of inputs: a second one would overwrite the first one's work.
    let _instance = match session::store::lock_inputs(&session_paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("us-dicomizer: {e}");
            return Ok(1);
        }
    };
    let mut start_note = None;
    if opts.fresh {
        match session::store::set_aside(&session_paths) {
            Ok(kept) if kept.is_empty() => {}
            Ok(kept) => {
                let names: Vec<String> = kept
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect();
                let note = format!(
                    "--fresh: nothing restored; the saved session is kept as {} in {}",
                    names.join(" and "),
                    session_paths.dir.display()
                );
                // Also on the terminal after the window closes.
                eprintln!("us-dicomizer: {note}");
                start_note = Some(note);
            }
            Err(e) => {
                eprintln!(
                    "us-dicomizer: --fresh: cannot keep the saved session aside ({e}); \
                     nothing was changed"
                );
                return Ok(1);
            }
        }
    }
    let (restore, records) = if opts.fresh {
        (None, Default::default())
    } else {
        (
            session::store::load_session(&session_paths.session),
            session::store::load_records(&session_paths.files),
        )
    };

    let mut state = AppState::new(opts.settings.clone(), keymap);
    state.no_color = std::env::var_os("NO_COLOR")
        .map(|v| !v.is_empty())
        .unwrap_or(false);
    state.inputs = opts.paths.clone();
    state.session.had_saved = restore.is_some() || !records.is_empty();
    state.session.records = records.into_iter().collect();
    state.session.start_note = start_note;
    if let Some(r) = &restore {
        state.extra_inputs = r.extra_inputs.clone();
        state.pseudonym = r.pseudonym.clone();
        state.destination = r.destination.clone();
        tracing::info!(files = r.order.len(), "session restored");
    }
    state.restore = restore;

    let guard = ScreenGuard::enter()?;
    let hook = install_panic_hook();
    let result = (|| -> io::Result<()> {
        let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        term.clear()?;
        // Draw first, then ask the terminal (its answer can take a while inside tmux).
        state.protocol_name = "detecting".into();
        state.notify(super::state::Level::Info, "loading…");
        term.draw(|f| ui::draw(f, &state, &ui::PreviewImage::default()))?;
        let picker = make_picker(&protocol);
        state.protocol_name = protocol_name(picker.protocol_type()).to_string();
        tracing::info!(protocol = %state.protocol_name, "preview protocol");
        let (tx, rx) = worker::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let input = worker::spawn_input(tx.clone(), stop.clone());
        let mut ctx = Ctx {
            loader: worker::spawn_loader(opts.settings.clone(), tx.clone()),
            text: super::text_worker::spawn(opts.settings.clone(), tx.clone()),
            preview: preview::spawn(picker, opts.settings.clone(), state.no_color, tx.clone()),
            session: Some(SessionWriter::spawn(session_paths.clone(), tx.clone())),
            export: None,
            tx: tx.clone(),
            settings: opts.settings.clone(),
            config_dir: opts.config_dir.clone(),
            key: opts.key.clone(),
            clear: false,
            suspend: false,
        };
        let signals = worker::spawn_signals(tx);
        let mut paths = opts.paths.clone();
        paths.extend(state.extra_inputs.iter().cloned());
        if !paths.is_empty() {
            ctx.perform(&mut state, vec![Effect::Gather { paths }]);
        }
        let r = event_loop(&mut term, &mut state, &mut ctx, &rx);
        stop.store(true, Ordering::Relaxed);
        ctx.preview.close();
        if let Some(h) = ctx.export.take() {
            h.cancel.store(true, Ordering::Relaxed);
            // The core removes its temporary file when it sees the flag; give it a moment.
            let until = Instant::now() + Duration::from_secs(10);
            while !h.thread.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Some(s) = ctx.session.take() {
            s.finish();
        }
        if let Some(h) = signals {
            h.close();
        }
        if let Some(i) = input {
            // It stops within one poll; should it ever hang in the terminal library, the
            // process ends without it.
            let until = Instant::now() + Duration::from_secs(1);
            while !i.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
            if i.is_finished() {
                let _ = i.join();
            }
        }
        // ratatui shows the cursor again when the terminal is dropped and, should that fail
        // (the terminal is gone), prints with eprintln!, which panics on a dead terminal.
        if term.show_cursor().is_err() {
            std::mem::forget(term);
        }
        r
    })();
    drop(guard);
    uninstall_panic_hook(hook);
    if let Err(e) = result {
        // Ended by a signal (a hang-up above all), the terminal may be gone: drawing or
        // restoring it fails, which is not worth more than a log line.
        let gone = super::tty::input_fd()
            .is_none_or(|fd| super::tty::wait(fd, 0) == super::tty::TtyState::Gone);
        if gone && state.quit.is_none() {
            state.quit = Some(128 + signal_hook::consts::SIGHUP);
        }
        if state.quit.is_some_and(|q| q > 128) {
            tracing::info!(error = %e, "terminal unusable while ending on a signal");
        } else {
            return Err(e);
        }
    }
    if let Some(line) = signal_note(state.quit) {
        // The terminal may be gone (SIGHUP): a failed write must not panic.
        let _ = writeln!(io::stderr(), "{line}");
    }
    Ok(state.quit.unwrap_or(0))
}

/// The line printed when a signal ended the UI (exit status 128 + the signal's number); none
/// for a plain `q` (status 0).
fn signal_note(quit: Option<i32>) -> Option<String> {
    let sig = quit.filter(|q| *q > 128)? - 128;
    let name = signal_hook::low_level::signal_name(sig).unwrap_or("a signal");
    Some(format!(
        "us-dicomizer: ended by {name}; the session was saved"
    ))
}

/// Ctrl-Z: gives the terminal back as it was, stops (the shell's `fg` or a SIGCONT resumes),
/// then takes the screen again and redraws everything.
fn suspend(term: &mut Term) -> io::Result<()> {
    restore_terminal();
    let _ = io::stdout().flush();
    tracing::info!("suspended");
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
    terminal::enable_raw_mode()?;
    crossterm::execute!(io::stdout(), EnterAlternateScreen, crossterm::cursor::Hide)?;
    term.clear()
}

fn play_interval(state: &AppState) -> Duration {
    let fps_cap = state.settings.preview.max_fps.max(1) as f64;
    let min_ms = 1000.0 / fps_cap;
    let ft = state
        .current()
        .and_then(|f| f.info())
        .and_then(|i| i.frame_time_ms)
        .unwrap_or(min_ms);
    Duration::from_micros((ft.max(min_ms) * 1000.0) as u64)
}

fn event_loop(
    term: &mut Term,
    state: &mut AppState,
    ctx: &mut Ctx,
    rx: &std::sync::mpsc::Receiver<AppEvent>,
) -> io::Result<()> {
    let mut image = ui::PreviewImage::default();
    let mut dirty = true;
    let mut had_image = false;
    let mut next_play = Instant::now();
    loop {
        if dirty {
            let size = term.size()?;
            let panes = ui::layout(
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
                state,
            );
            state.list_height = panes
                .files
                .map(|r| r.height.saturating_sub(2))
                .unwrap_or(10);
            let fx = update::set_preview_area(state, panes.image.map(|r| (r.width, r.height)));
            ctx.perform(state, fx);
            let has_image = panes.image.is_some();
            if ctx.clear || (had_image && !has_image && state.protocol_name != "halfblocks") {
                term.clear()?;
                ctx.clear = false;
            }
            had_image = has_image;
            crossterm::queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
            term.draw(|f| ui::draw(f, state, &image))?;
            crossterm::execute!(term.backend_mut(), EndSynchronizedUpdate)?;
            dirty = false;
        }
        if state.quit.is_some() {
            return Ok(());
        }
        let timeout = if state.playing {
            next_play
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        } else {
            Duration::from_millis(500)
        };
        match rx.recv_timeout(timeout) {
            Ok(ev) => {
                dirty |= handle(ev, state, ctx, &mut image);
                while let Ok(ev) = rx.try_recv() {
                    dirty |= handle(ev, state, ctx, &mut image);
                    if state.quit.is_some() {
                        break;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        if ctx.suspend {
            ctx.suspend = false;
            suspend(term)?;
            dirty = true;
        }
        if state.playing && Instant::now() >= next_play {
            // Advance only when the previous frame is on screen: playback never queues work.
            let caught_up = state
                .preview
                .shown
                .map(|(id, _, _)| id >= state.preview.requested)
                .unwrap_or(true);
            if caught_up {
                let fx = update::on_msg(state, Msg::PlayTick);
                ctx.perform(state, fx);
                dirty = true;
            }
            next_play = Instant::now() + play_interval(state);
        } else if !state.playing {
            next_play = Instant::now();
        }
    }
}

/// Applies one event; true when the screen should be redrawn.
fn handle(ev: AppEvent, state: &mut AppState, ctx: &mut Ctx, image: &mut ui::PreviewImage) -> bool {
    match ev {
        AppEvent::Input(CtEvent::Key(k))
            if k.code == crossterm::event::KeyCode::Char('z')
                && k.modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            ctx.suspend = true;
            false
        }
        AppEvent::Signal(sig) if sig == signal_hook::consts::SIGTSTP => {
            ctx.suspend = true;
            false
        }
        AppEvent::Signal(sig) => {
            tracing::info!(signal = sig, "ending on a signal");
            if state.export_running() {
                ctx.perform(state, vec![Effect::CancelExport]);
            }
            state.quit = Some(128 + sig);
            true
        }
        AppEvent::Input(CtEvent::Key(k)) => {
            let Some(key) = Key::from_event(&k) else {
                return false;
            };
            let fx = update::handle_key(state, key);
            ctx.perform(state, fx);
            true
        }
        AppEvent::Input(CtEvent::Resize(..)) => {
            ctx.clear = true;
            true
        }
        AppEvent::Input(_) => false,
        AppEvent::Msg(m) => {
            let fx = update::on_msg(state, m);
            ctx.perform(state, fx);
            true
        }
        AppEvent::Preview {
            protocol,
            text,
            msg,
        } => {
            if let Msg::PreviewDone {
                id, file, frame, ..
            } = &msg
            {
                let kind = image.accept(&state.protocol_name, protocol, text, *id, *file, *frame);
                if kind == Some(true) {
                    ctx.clear = true;
                }
            }
            let fx = update::on_msg(state, msg);
            ctx.perform(state, fx);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::signal_note;

    #[test]
    fn only_a_signal_gets_the_signal_line() {
        assert_eq!(signal_note(None), None);
        assert_eq!(signal_note(Some(0)), None, "q quits without a signal");
        let hup = signal_note(Some(128 + signal_hook::consts::SIGHUP)).unwrap();
        assert!(hup.contains("SIGHUP"), "{hup}");
        let term = signal_note(Some(128 + signal_hook::consts::SIGTERM)).unwrap();
        assert!(term.contains("SIGTERM"), "{term}");
    }
}
