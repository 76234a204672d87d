//! Logs: `tracing` to `.specbench/specbench.log` in the workspace (mode 0600, never through a
//! symlink), never to the terminal, every known key redacted. `SPECBENCH_LOG` sets the level
//! (error, warn, info, debug, trace; default info).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::LevelFilter;

use crate::secrets::{RedactingWriter, Secrets};
use crate::state::{StateDir, StateError};

/// The log file in the state directory.
pub const LOG_FILE: &str = "specbench.log";

/// The most log lines waiting for the writer thread.
const QUEUED_LINES: usize = 4096;

/// Starts logging to the workspace's log file, `secrets` redacted from every line. Keep the
/// guard alive until exit: dropping it flushes the log. When the file cannot be used (a symlink, say), nothing is logged and the
/// error says why; the caller tells the user and carries on.
pub fn init(root: &Path, secrets: &Secrets) -> Result<WorkerGuard, StateError> {
    let file = StateDir::create(root, &[])?.append(LOG_FILE)?;
    let level = std::env::var("SPECBENCH_LOG")
        .ok()
        .and_then(|v| v.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    // One event is one write, so a key is never cut across two. The queue holds at most
    // `QUEUED_LINES` lines (the default, 128,000, takes 4 MB of memory up front); a line
    // that finds it full is dropped, never waited for.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        .lossy(true)
        .finish(RedactingWriter::new(file, secrets.clone()));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .finish();
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(guard)
}

/// What the user is told when the log cannot be written.
pub fn off_notice(e: &StateError) -> String {
    format!("Logging is off: {e}")
}
