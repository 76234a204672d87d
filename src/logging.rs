//! Logs: `tracing` to `.specbench/specbench.log` in the workspace (mode 0600), never to the
//! terminal, every known key redacted. `SPECBENCH_LOG` sets the level (error, warn, info, debug, trace; default info).

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::LevelFilter;

use crate::secrets::{RedactingWriter, Secrets};

/// The workspace's state directory.
pub const STATE_DIR: &str = ".specbench";

/// Creates `.specbench/` with a `.gitignore` that keeps it out of version control.
pub fn ensure_state_dir(root: &Path) -> io::Result<PathBuf> {
    let dir = root.join(STATE_DIR);
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# specbench's state: pins, sessions, checkpoints, log\n*\n",
        )?;
    }
    Ok(dir)
}

/// Starts logging to the workspace's log file, `secrets` redacted from every line. Keep the
/// guard alive until exit: dropping it flushes the log.
pub fn init(root: &Path, secrets: &Secrets) -> io::Result<WorkerGuard> {
    let dir = ensure_state_dir(root)?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join("specbench.log"))?;
    let level = std::env::var("SPECBENCH_LOG")
        .ok()
        .and_then(|v| v.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    // One event is one write, so a key is never cut across two.
    let (writer, guard) =
        tracing_appender::non_blocking(RedactingWriter::new(file, secrets.clone()));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .finish();
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(guard)
}
