//! What every command shares before it starts: the error that ends it with one sentence on
//! stderr (exit code 2), and the workspace directory found from the command line.

use std::path::{Path, PathBuf};

use crate::config;

/// A failure before the cockpit could open: one sentence for stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{path}: {message}")]
    Workspace { path: PathBuf, message: String },
    #[error("cannot start: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// The workspace directory, canonical, or a clear error.
pub fn workspace_root(dir: &Path) -> Result<PathBuf, StartError> {
    let root = dir.canonicalize().map_err(|e| StartError::Workspace {
        path: dir.to_path_buf(),
        message: format!("not a workspace directory: {e}"),
    })?;
    if !root.is_dir() {
        return Err(StartError::Workspace {
            path: dir.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    Ok(root)
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Path) -> Result<PathBuf, StartError> {
    Ok(std::path::absolute(path)?)
}
