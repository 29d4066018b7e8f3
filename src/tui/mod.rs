//! The terminal UI: keyboard-only exam preparation (works over SSH and in tmux).
//!
//! Architecture: keys go through the keymap to an [`action::Action`]; the pure reducer
//! ([`update`]) changes the [`state::AppState`] and returns [`effect::Effect`]s; the runner here
//! performs them on worker threads that report on one channel; [`ui`] draws the state.

pub mod action;
pub mod annot;
pub mod checks;
pub mod detect;
pub mod effect;
pub mod greytext;
pub mod keymap;
mod latency;
pub mod metatree;
pub mod msg;
pub mod osc52;
pub mod preview;
pub mod prompt;
pub mod session;
pub mod state;
pub mod text;
pub mod text_worker;
pub mod tty;
pub mod ui;
pub mod update;
pub mod worker;

mod runner;
mod terminal;

use std::path::PathBuf;

pub use keymap::{load_keymap, Keymap, KeymapError};
pub use latency::{measure_key_to_frame, FrameLatency};

/// What the binary passes in.
pub struct TuiOptions {
    pub paths: Vec<PathBuf>,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub settings: crate::core::settings::Settings,
    /// `--protocol` (overrides `[preview] protocol`).
    pub protocol: Option<String>,
    /// `--fresh`: ignore a saved session.
    pub fresh: bool,
    /// The de-identification key, already loaded.
    pub key: Vec<u8>,
}

/// Runs the UI until the user quits. Returns the exit status (0 on a normal quit; 2 for a
/// configuration error found here, printed before the screen is taken).
pub fn run(opts: TuiOptions) -> std::io::Result<i32> {
    runner::run(opts)
}
