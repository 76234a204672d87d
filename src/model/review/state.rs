//! A reply's proposed changes under review in the Code pane, what an apply or an undo wrote,
//! and which files specbench wrote (to tell a human's later edits).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::code::changes::ChangeSet;

/// A reply's change set under review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeView {
    pub set: ChangeSet,
    /// The file shown.
    pub selected: usize,
    /// The whole new file instead of the diff.
    pub full: bool,
    /// Why this change deserves a second look (it edits tests in the Implement step).
    pub warning: Option<String>,
}

/// A file specbench wrote, and what it left there: the SHA-256 of the content, `None` where it
/// removed the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrote {
    pub rel: PathBuf,
    pub hash: Option<String>,
}

/// An apply that was written: its checkpoint's label and the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyDone {
    pub label: String,
    pub files: Vec<Wrote>,
}

impl ApplyDone {
    /// The files, relative to the workspace.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|w| w.rel.clone()).collect()
    }
}

/// How an undo or redo ended, in the terms the user acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    /// Done: the checkpoint's label and the files put back.
    Done { label: String, files: Vec<Wrote> },
    /// These files changed by hand since; nothing was touched. `steps` undos (or redos) were
    /// asked for from here, this one included.
    ChangedSince { paths: Vec<PathBuf>, steps: usize },
    /// Nothing to undo (or redo), or it failed; why in words.
    Failed(String),
}

/// What specbench wrote, to tell its own writes from a human's: one entry per file, updated by
/// every apply, undo, redo and checkpoint restore (the checkpoint store keeps the same across
/// restarts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorship {
    /// SHA-256 of the bytes specbench last wrote to each file; `None`: it removed the file.
    pub written: HashMap<PathBuf, Option<String>>,
    /// Files changed by hand after specbench wrote them (each noticed once).
    pub human: Vec<PathBuf>,
}

impl Authorship {
    /// Notes what specbench just wrote: those files are its own again.
    pub(crate) fn wrote(&mut self, files: &[Wrote]) {
        for w in files {
            self.written.insert(w.rel.clone(), w.hash.clone());
            self.human.retain(|p| *p != w.rel);
        }
    }
}
