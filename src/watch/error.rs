//! Why the watcher could not start.

use std::io;
use std::path::PathBuf;

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("invalid ignore glob `{glob}` in [tests].ignore: {reason}")]
    BadIgnoreGlob { glob: String, reason: String },
    #[error("cannot read the workspace root {}: {source}", root.display())]
    RootUnreadable {
        root: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the file watcher: {0}")]
    Notify(#[from] notify::Error),
}
