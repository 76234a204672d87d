//! What opening a workspace finds after specbench was stopped mid-write (a crash, `kill -9`):
//! an apply that never finished, settled so undo puts back what it wrote, and the temp files of
//! atomic writes that were cut short, removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::checkpoint::{CheckpointStore, Written};
use super::safety;
use crate::files::Sweep;
use crate::state::StateDir;

/// The state folders whose files are written atomically (temp file, then rename).
const STATE_FOLDERS: [&[&str]; 3] = [&[], &["checkpoints"], &["pins"]];

/// An apply that began and was not seen to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub label: String,
    /// The files it was writing.
    pub files: Vec<PathBuf>,
    /// The files it had written when it stopped: its checkpoint undoes them.
    pub written: Vec<PathBuf>,
    /// It had finished; only the journal's record of it was lost.
    pub finished: bool,
}

/// What the open found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// What specbench last wrote to each file, as the checkpoint store remembers it.
    pub written: Written,
    /// An apply stopped midway, if one was.
    pub stopped: Option<Stopped>,
    /// Leftover temp files.
    pub sweep: Sweep,
    /// Why the checkpoints could not be read, if they could not.
    pub error: Option<String>,
}

/// Settles an apply left under way in the checkpoint store and sweeps the temp files writes
/// left behind: in the state folders, and beside every file specbench has written (the only
/// places its atomic writes go). `unfinished` is the apply the session journal saw begin and
/// never end, if any.
pub fn recover(root: &Path, unfinished: Option<(String, Vec<String>)>) -> Recovery {
    let store = CheckpointStore::new(root);
    let mut out = Recovery::default();
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    match store.recover() {
        Ok(Some(interrupted)) => {
            let files: Vec<PathBuf> = interrupted
                .checkpoint
                .files
                .into_iter()
                .map(|t| t.rel)
                .collect();
            dirs.extend(
                files
                    .iter()
                    .filter_map(|f| f.parent().map(Path::to_path_buf)),
            );
            out.stopped = Some(Stopped {
                label: interrupted.checkpoint.label,
                files,
                written: interrupted.written,
                finished: false,
            });
        }
        Ok(None) => {
            if let Some((label, files)) = unfinished {
                // Nothing under way in the store: the apply either finished (only the journal's
                // record was lost) or stopped before its checkpoint was recorded, writing nothing.
                let files: Vec<PathBuf> = files.into_iter().map(PathBuf::from).collect();
                let finished = store.list().is_ok_and(|(checkpoints, applied)| {
                    applied
                        .checked_sub(1)
                        .and_then(|i| checkpoints.get(i))
                        .is_some_and(|cp| {
                            cp.label == label && cp.files.iter().map(|t| &t.rel).eq(files.iter())
                        })
                });
                out.stopped = Some(Stopped {
                    label,
                    written: if finished { files.clone() } else { Vec::new() },
                    files,
                    finished,
                });
            }
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    match store.written() {
        Ok(written) => out.written = written,
        Err(e) => out.error = out.error.or(Some(e.to_string())),
    }
    dirs.extend(
        out.written
            .keys()
            .filter_map(|f| f.parent().map(Path::to_path_buf)),
    );
    for dir in dirs {
        let Ok(abs) = root.join(&dir).canonicalize() else {
            continue;
        };
        let inside = abs
            .strip_prefix(root)
            .is_ok_and(|rel| safety::locate(root, &rel.join("x").to_string_lossy()).is_ok());
        if inside {
            crate::files::sweep_temp_files(&abs, &mut out.sweep);
        }
    }
    for sub in STATE_FOLDERS {
        if let Ok(Some(folder)) = StateDir::existing(root, sub) {
            folder.sweep_temp_files(&mut out.sweep);
        }
    }
    if !out.sweep.removed.is_empty() {
        tracing::warn!(removed = ?out.sweep.removed, "leftover temp files removed");
    }
    out
}
