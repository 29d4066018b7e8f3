//! The text worker: searches each loaded file's pixels for burned-in text once, in the order
//! the files load, and reports the boxes on the UI channel (never in `update` or drawing).

use std::sync::mpsc::{self, Sender};

use crate::core::load::{self, InputSource};
use crate::core::settings::Settings;

use super::msg::Msg;
use super::state::FileId;
use super::worker::AppEvent;

/// Starts the worker; send it `(file, source)` pairs.
pub fn spawn(settings: Settings, tx: Sender<AppEvent>) -> Sender<(FileId, InputSource)> {
    let (jtx, jrx) = mpsc::channel::<(FileId, InputSource)>();
    let _ = std::thread::Builder::new()
        .stack_size(crate::core::guard::WORKER_STACK)
        .name("usd-text".into())
        .spawn(move || {
            for (file, source) in jrx {
                let result = crate::core::guard::catch(|| scan(&source, &settings))
                    .unwrap_or_else(|why| Err(format!("the text search crashed ({why})")));
                if let Err(e) = &result {
                    tracing::info!(file, error = %e, "text search failed");
                }
                if tx
                    .send(AppEvent::Msg(Msg::TextFound { file, result }))
                    .is_err()
                {
                    return;
                }
            }
        });
    jtx
}

/// The boxes of one file: the same search the export runs.
pub fn scan(
    source: &InputSource,
    settings: &Settings,
) -> Result<Vec<crate::core::text::TextBox>, String> {
    let f = load::load(source, &settings.load)?;
    crate::core::text::scan(&f.obj, &f.info)
}
