//! The UI thread: terminal setup and restore, the event loop, and performing effects.

use std::io::{self, Stdout, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::Event as CtEvent;
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use ratatui_image::picker::{cap_parser::QueryStdioOptions, Picker, ProtocolType};

use crate::core::export::ExportRequest;
use crate::core::settings::Settings;

use super::effect::Effect;
use super::keymap::{self, Key};
use super::msg::{ExportMsg, Msg};
use super::state::AppState;
use super::worker::{self, AppEvent, ExportHandle, LoadJob, SessionWriter};
use super::{preview, prompt, session, ui, update, TuiOptions};

type Term = Terminal<CrosstermBackend<Stdout>>;

const PROTOCOLS: [&str; 5] = ["auto", "sixel", "kitty", "iterm2", "halfblocks"];

/// Leaves raw mode and the alternate screen however we exit.
struct ScreenGuard;

impl ScreenGuard {
    fn enter() -> io::Result<ScreenGuard> {
        terminal::enable_raw_mode()?;
        let guard = ScreenGuard;
        crossterm::execute!(io::stdout(), EnterAlternateScreen, crossterm::cursor::Hide)?;
        Ok(guard)
    }
}

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Restores the terminal before a panic message is printed. Panics in our worker threads are
/// caught there and only logged (the UI keeps running).
fn install_panic_hook() -> Arc<Hook> {
    let prev: Arc<Hook> = Arc::new(std::panic::take_hook());
    let p2 = prev.clone();
    std::panic::set_hook(Box::new(move |info| {
        let name = std::thread::current()
            .name()
            .map(str::to_string)
            .unwrap_or_default();
        let loc = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if name.starts_with("usd-") {
            tracing::error!(thread = %name, location = %loc, "worker panic");
            return;
        }
        tracing::error!(location = %loc, bt = %std::backtrace::Backtrace::force_capture(), "panic");
        restore_terminal();
        p2(info);
    }));
    prev
}

fn uninstall_panic_hook(prev: Arc<Hook>) {
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| prev(info)));
}

/// Picks the image protocol. `auto` asks the terminal with a short timeout and keeps only a
/// protocol known to show here ([`super::detect::decide`]), else halfblocks; the others force
/// the protocol (font size still asked, except for halfblocks).
fn make_picker(protocol: &str) -> Picker {
    if protocol == "halfblocks" {
        return Picker::halfblocks();
    }
    let mut facts = super::detect::env_facts();
    if protocol == "auto" {
        #[cfg(unix)]
        if let Err(e) = super::detect::query_replies(&mut facts, Duration::from_millis(400)) {
            tracing::warn!(error = %e, "terminal version query failed");
        }
    }
    let timeout = Duration::from_millis(800);
    let started = Instant::now();
    let opts = QueryStdioOptions {
        timeout,
        ..Default::default()
    };
    let mut picker = Picker::from_query_stdio_with_options(opts).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "terminal graphics query failed; halfblocks");
        Picker::halfblocks()
    });
    if started.elapsed() >= timeout {
        // The query timed out and its reader thread still waits on stdin: a status request
        // sent outside any passthrough makes the terminal (or tmux) answer and releases it,
        // so it does not swallow the user's first keys.
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[5n");
        let _ = out.flush();
        std::thread::sleep(Duration::from_millis(150));
        tracing::info!("terminal graphics query timed out");
    }
    let _ = terminal::enable_raw_mode();
    let chosen = if protocol == "auto" {
        facts.kitty_graphics = picker
            .capabilities()
            .contains(&ratatui_image::picker::Capability::Kitty);
        let d = super::detect::decide(&facts);
        tracing::info!(protocol = d.protocol, reason = %d.reason, "preview protocol detected");
        d.protocol
    } else {
        protocol
    };
    picker.set_protocol_type(protocol_type(chosen));
    picker
}

fn protocol_type(name: &str) -> ProtocolType {
    match name {
        "sixel" => ProtocolType::Sixel,
        "kitty" => ProtocolType::Kitty,
        "iterm2" => ProtocolType::Iterm2,
        _ => ProtocolType::Halfblocks,
    }
}

fn protocol_name(p: ProtocolType) -> &'static str {
    match p {
        ProtocolType::Halfblocks => "halfblocks",
        ProtocolType::Sixel => "sixel",
        ProtocolType::Kitty => "kitty",
        ProtocolType::Iterm2 => "iterm2",
    }
}

/// The runner's handles to the workers.
struct Ctx {
    tx: Sender<AppEvent>,
    loader: Sender<LoadJob>,
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
    if let Some(sig) = state.quit.and_then(|q| q.checked_sub(128)) {
        let name = signal_hook::low_level::signal_name(sig).unwrap_or("a signal");
        // The terminal may be gone (SIGHUP): a failed write must not panic.
        let _ = writeln!(
            io::stderr(),
            "us-dicomizer: ended by {name}; the session was saved"
        );
    }
    Ok(state.quit.unwrap_or(0))
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

/// Key-to-frame latency of the preview path, measured without a terminal: key → keymap →
/// reducer → decode → crop outline → halfblocks encoding → drawing into a buffer.
#[derive(Debug, Clone)]
pub struct FrameLatency {
    pub frames: u32,
    pub samples_ms: Vec<f64>,
}

/// Steps through `steps` frames of the file at `path` with `]` and times each step (the frames
/// are new each time: the decoded-frame cache does not help). `area` is the terminal size.
pub fn measure_key_to_frame(
    path: &Path,
    settings: &Settings,
    area: (u16, u16),
    steps: usize,
) -> Result<FrameLatency, String> {
    use ratatui::backend::TestBackend;
    let g = crate::core::load::gather(&[path.to_path_buf()], &settings.load);
    let source = g.sources.into_iter().next().ok_or("no input found")?;
    let loaded = crate::core::load::load(&source, &settings.load)?;
    let frames = loaded.info.frames;
    let mut state = AppState::new(settings.clone(), super::keymap::Keymap::defaults());
    let fx = update::on_msg(
        &mut state,
        Msg::Gathered {
            sources: vec![source],
            skipped: vec![],
        },
    );
    drop(fx);
    let id = state.files[0].id;
    update::on_msg(
        &mut state,
        Msg::Loaded {
            file: id,
            result: Ok(Box::new(loaded.info)),
        },
    );
    let mut term = Terminal::new(TestBackend::new(area.0, area.1)).map_err(|e| e.to_string())?;
    let panes = ui::layout(ratatui::layout::Rect::new(0, 0, area.0, area.1), &state);
    let mut previewer = preview::Previewer::new(Picker::halfblocks(), settings.clone());
    let mut image = ui::PreviewImage::default();
    let mut samples = Vec::new();
    let mut fx = update::set_preview_area(&mut state, panes.image.map(|r| (r.width, r.height)));
    for step in 0..=steps.min(frames.saturating_sub(1) as usize) {
        let t0 = Instant::now();
        if step > 0 {
            fx = update::handle_key(&mut state, Key::char(']'));
        }
        for e in fx.drain(..) {
            if let Effect::Preview(r) = e {
                let p = previewer.frame_protocol(&r)?;
                image = ui::PreviewImage {
                    protocol: Some(p),
                    text: None,
                    id: r.id,
                    file: r.file,
                    frame: r.frame,
                };
                update::on_msg(
                    &mut state,
                    Msg::PreviewDone {
                        id: r.id,
                        file: r.file,
                        frame: r.frame,
                        result: Ok(()),
                        ms: 0,
                    },
                );
            }
        }
        term.draw(|f| ui::draw(f, &state, &image))
            .map_err(|e| e.to_string())?;
        if step > 0 {
            samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(FrameLatency {
        frames,
        samples_ms: samples,
    })
}
