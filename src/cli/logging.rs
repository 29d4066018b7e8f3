//! Logging to a daily file in the data folder. Never to the terminal, never patient values or
//! input names (callers log indices).

use std::path::Path;

/// Log lines queued for the writer thread at most (beyond, lines are dropped, as before).
const LOG_QUEUE_LINES: usize = 4096;

pub fn init(data_dir: &Path, level: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::daily(dir, "us-dicomizer.log");
    // a queue of a few thousand lines, not the default 128 000: that one is allocated and
    // written through at start-up (4 MB, over a millisecond before anything else can start);
    // a batch logs a few lines per file, written out as they come
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(appender);
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
