//! The terminal itself: raw mode and the alternate screen (restored however the program ends,
//! panics included), and picking the preview protocol.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::terminal::{
    self, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui_image::picker::{cap_parser::QueryStdioOptions, Picker, ProtocolType};

pub(super) const PROTOCOLS: [&str; 5] = ["auto", "sixel", "kitty", "iterm2", "halfblocks"];

/// Leaves raw mode and the alternate screen however we exit.
pub(super) struct ScreenGuard;

impl ScreenGuard {
    pub(super) fn enter() -> io::Result<ScreenGuard> {
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

pub(super) fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

pub(super) type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Restores the terminal before a panic message is printed. Panics in our worker threads are
/// caught there and only logged (the UI keeps running).
pub(super) fn install_panic_hook() -> Arc<Hook> {
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

pub(super) fn uninstall_panic_hook(prev: Arc<Hook>) {
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| prev(info)));
}

/// Picks the image protocol. `auto` asks the terminal with a short timeout and keeps only a
/// protocol known to show here ([`super::detect::decide`]), else halfblocks; the others force
/// the protocol (font size still asked, except for halfblocks).
pub(super) fn make_picker(protocol: &str) -> Picker {
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

pub(super) fn protocol_type(name: &str) -> ProtocolType {
    match name {
        "sixel" => ProtocolType::Sixel,
        "kitty" => ProtocolType::Kitty,
        "iterm2" => ProtocolType::Iterm2,
        _ => ProtocolType::Halfblocks,
    }
}

pub(super) fn protocol_name(p: ProtocolType) -> &'static str {
    match p {
        ProtocolType::Halfblocks => "halfblocks",
        ProtocolType::Sixel => "sixel",
        ProtocolType::Kitty => "kitty",
        ProtocolType::Iterm2 => "iterm2",
    }
}
