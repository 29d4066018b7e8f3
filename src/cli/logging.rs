//! Logging to a daily file in the data folder. Never to the terminal, never patient values or
//! input names (callers log indices).

use std::path::Path;

pub fn init(data_dir: &Path, level: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::daily(dir, "us-dicomizer.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let level = level
        .parse::<tracing::Level>()
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .try_init()
        .ok()?;
    Some(guard)
}
