//! Undoable checkpoints: every apply is recorded with each file's content before and after, so
//! it can be undone and redone without git.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::safety;
use crate::state::{STATE_DIR, StateDir, StateError};

/// One file an apply touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touched {
    /// Relative to the workspace.
    pub rel: PathBuf,
    /// The content before the apply; `None`: the apply created it.
    pub before: Option<String>,
    /// The content the apply wrote; `None`: the apply deleted it.
    pub after: Option<String>,
}

/// One recorded apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Unique in the workspace, increasing; never reused.
    pub id: u64,
    /// When it was recorded, in seconds since the Unix epoch.
    pub created_unix: u64,
    /// What the apply was, for the user.
    pub label: String,
    /// The files it touched.
    pub files: Vec<Touched>,
}

/// Why a checkpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// No applied checkpoint.
    #[error("nothing to undo")]
    NothingToUndo,
    /// No undone checkpoint.
    #[error("nothing to redo")]
    NothingToRedo,
    /// Files changed by hand since the apply (or undo); nothing was touched.
    #[error("changed since the checkpoint: {}", list(paths))]
    ChangedSince {
        /// The changed files, relative to the workspace.
        paths: Vec<PathBuf>,
    },
    /// A checkpoint or state file that cannot be trusted.
    #[error("{}: corrupt checkpoint data: {message}", file.display())]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A path in a checkpoint that is not a safe place to write (a tampered checkpoint).
    #[error("{}: refused: {reason}", path.display())]
    Refused {
        /// The path as recorded.
        path: PathBuf,
        /// Why.
        #[source]
        reason: safety::Refusal,
    },
    /// The checkpoints folder or one of its files is not one specbench may use (a symlink).
    #[error(transparent)]
    State(#[from] StateError),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// Paths joined for a message.
fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What specbench last wrote to each file it touched (relative to the workspace): the SHA-256
/// of the content, `None` where it removed the file.
pub type Written = BTreeMap<PathBuf, Option<String>>;

/// The cursor: which checkpoints exist, in order, and how many are applied; what specbench last
/// wrote to each file; the apply under way.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Checkpoint ids, oldest first.
    ids: Vec<u64>,
    /// How many of `ids` (from the start) are applied.
    applied: usize,
    /// The id the next checkpoint gets.
    next_id: u64,
    /// Updated with every apply, undo and redo, so a later change is known to be by hand.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    written: Written,
    /// An apply recorded before its first file was replaced, until its last one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<Pending>,
}

/// An apply under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    /// Its checkpoint, already listed as applied.
    id: u64,
    /// The undone checkpoints it replaces, kept until it is done so a failed apply loses no redo.
    dropped: Vec<u64>,
}

/// An apply that was stopped (specbench killed mid-apply), found and settled on the next open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// Its checkpoint: the files it was replacing, with their contents before and after.
    pub checkpoint: Checkpoint,
    /// The files it had replaced when it stopped; the checkpoint stays to undo them. None: it
    /// stopped before replacing any, and the checkpoint was dropped.
    pub written: Vec<PathBuf>,
}

/// Which way a checkpoint is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Undo,
    Redo,
}

/// What is on disk where a checkpoint expects something.
enum Current {
    Missing,
    Bytes(Vec<u8>),
    /// A directory, special file, or a size matching neither side.
    Other,
}

impl Current {
    fn is(&self, want: Option<&str>) -> bool {
        match (self, want) {
            (Current::Missing, None) => true,
            (Current::Bytes(bytes), Some(text)) => bytes == text.as_bytes(),
            _ => false,
        }
    }
}

/// The checkpoints of a workspace: an ordered stack with a cursor (how many are applied), so undo
/// walks back and redo forward; recording after an undo drops the undone ones. Stored under
/// `<root>/.specbench/checkpoints/` as `<id>.json` per checkpoint plus `state.json` (the order,
/// the cursor, what specbench last wrote to each file, and the apply under way: the single
/// commit point), all written atomically and synced, never through a symlink. A corrupt file is
/// reported.
///
/// An apply is crash-safe: [`begin`](Self::begin) records its checkpoint, with every file's
/// previous content, before the first file is replaced; [`commit`](Self::commit) marks it done
/// after the last. An apply stopped in between is found by [`recover`](Self::recover): its
/// checkpoint undoes whatever it had written.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    root: PathBuf,
}

/// The checkpoints' folder inside the state directory.
const CHECKPOINTS_DIR: &str = "checkpoints";
/// The cursor's file.
const STATE_FILE: &str = "state.json";

impl CheckpointStore {
    /// The store of the workspace at `root` (canonical); nothing is read until used.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// Where the checkpoints are kept.
    pub fn dir(&self) -> PathBuf {
        self.root.join(STATE_DIR).join(CHECKPOINTS_DIR)
    }

    /// The folder, created when missing.
    fn folder(&self) -> Result<StateDir, CheckpointError> {
        Ok(StateDir::create(&self.root, &[CHECKPOINTS_DIR])?)
    }

    /// The folder if it exists.
    fn existing(&self) -> Result<Option<StateDir>, CheckpointError> {
        Ok(StateDir::existing(&self.root, &[CHECKPOINTS_DIR])?)
    }

    /// Records an apply that already happened, dropping any undone checkpoints.
    pub fn record(&self, label: &str, files: Vec<Touched>) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = self.begin(label, files)?;
        self.commit(checkpoint.id)?;
        Ok(checkpoint)
    }

    /// Records an apply about to happen, synced to the disk, before any file is replaced: the
    /// checkpoint is listed as applied (undoing it puts back whatever was written) and marked
    /// under way until [`commit`](Self::commit) or [`abort`](Self::abort). An earlier apply
    /// still marked under way (a crash) is settled first.
    pub fn begin(&self, label: &str, files: Vec<Touched>) -> Result<Checkpoint, CheckpointError> {
        let dir = self.folder()?;
        let mut state = self.read_state(Some(&dir))?;
        if state.pending.is_some() {
            self.settle(&dir, &mut state)?;
        }
        let id = state
            .ids
            .iter()
            .map(|id| id + 1)
            .fold(state.next_id.max(1), u64::max);
        let checkpoint = Checkpoint {
            id,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            label: label.to_string(),
            files,
        };
        write_json(&dir, &file_name(id), &checkpoint)?;
        let dropped = state.ids.split_off(state.applied);
        state.ids.push(id);
        state.applied = state.ids.len();
        state.next_id = id + 1;
        state.pending = Some(Pending { id, dropped });
        write_json(&dir, STATE_FILE, &state)?;
        Ok(checkpoint)
    }

    /// The apply of checkpoint `id` wrote every file: it is done, and what it wrote is what
    /// specbench last wrote.
    pub fn commit(&self, id: u64) -> Result<(), CheckpointError> {
        let dir = self.folder()?;
        let mut state = self.read_state(Some(&dir))?;
        let checkpoint = self.load(&dir, id)?;
        let pending = self.take_pending(&mut state, id)?;
        for touched in &checkpoint.files {
            state.written.insert(
                touched.rel.clone(),
                touched.after.as_deref().map(crate::files::hash),
            );
        }
        write_json(&dir, STATE_FILE, &state)?;
        remove_checkpoints(&dir, &pending.dropped);
        Ok(())
    }

    /// The apply of checkpoint `id` failed and its files were put back: the checkpoint goes,
    /// and the undone checkpoints it would have replaced are back for redo.
    pub fn abort(&self, id: u64) -> Result<(), CheckpointError> {
        let dir = self.folder()?;
        let mut state = self.read_state(Some(&dir))?;
        let pending = self.take_pending(&mut state, id)?;
        Self::unlist(&mut state, pending);
        write_json(&dir, STATE_FILE, &state)?;
        remove_checkpoints(&dir, &[id]);
        Ok(())
    }

    /// Takes the pending apply, which must be checkpoint `id`.
    fn take_pending(&self, state: &mut State, id: u64) -> Result<Pending, CheckpointError> {
        match state.pending.take() {
            Some(pending) if pending.id == id && state.ids.last() == Some(&id) => Ok(pending),
            _ => Err(CheckpointError::Corrupt {
                file: self.dir().join(STATE_FILE),
                message: format!("checkpoint {id} is not the apply under way"),
            }),
        }
    }

    /// Takes the pending apply's checkpoint off the list, the undone ones back on.
    fn unlist(state: &mut State, pending: Pending) {
        state.ids.pop();
        state.applied = state.ids.len();
        state.ids.extend(pending.dropped);
    }

    /// Settles an apply that was stopped before it finished (specbench killed mid-apply), if
    /// any: when it had replaced files, its checkpoint stays applied (undo puts them back) and
    /// what it wrote becomes what specbench last wrote; when it had replaced none, its
    /// checkpoint is dropped.
    pub fn recover(&self) -> Result<Option<Interrupted>, CheckpointError> {
        let Some(dir) = self.existing()? else {
            return Ok(None);
        };
        let mut state = self.read_state(Some(&dir))?;
        if state.pending.is_none() {
            return Ok(None);
        }
        self.settle(&dir, &mut state)
    }

    /// Settles `state`'s pending apply (see [`recover`](Self::recover)) and saves the state.
    fn settle(
        &self,
        dir: &StateDir,
        state: &mut State,
    ) -> Result<Option<Interrupted>, CheckpointError> {
        let Some(pending) = state.pending.take() else {
            return Ok(None);
        };
        let checkpoint = match self.load(dir, pending.id) {
            Ok(checkpoint) if state.ids.last() == Some(&pending.id) => checkpoint,
            Ok(_) | Err(CheckpointError::Corrupt { .. }) => {
                return Err(CheckpointError::Corrupt {
                    file: self.dir().join(STATE_FILE),
                    message: format!("the apply under way, {}, is not listed last", pending.id),
                });
            }
            Err(e) => return Err(e),
        };
        let mut written = Vec::new();
        for touched in &checkpoint.files {
            let Some(abs) = self.place(touched)? else {
                continue;
            };
            let sides = [touched.before.as_deref(), touched.after.as_deref()];
            let current = read_current(&abs, sides)?;
            if current.is(touched.after.as_deref()) && !current.is(touched.before.as_deref()) {
                written.push(touched.rel.clone());
                let hash = touched.after.as_deref().map(crate::files::hash);
                state.written.insert(touched.rel.clone(), hash);
            }
        }
        if written.is_empty() {
            Self::unlist(state, pending);
            write_json(dir, STATE_FILE, state)?;
            remove_checkpoints(dir, &[checkpoint.id]);
        } else {
            write_json(dir, STATE_FILE, state)?;
            remove_checkpoints(dir, &pending.dropped);
        }
        tracing::warn!(
            label = %checkpoint.label,
            written = written.len(),
            of = checkpoint.files.len(),
            "an interrupted apply was settled"
        );
        Ok(Some(Interrupted {
            checkpoint,
            written,
        }))
    }

    /// Where a checkpoint's file is on disk; `None` (logged) for a path that is not a safe
    /// place to write.
    fn place(&self, touched: &Touched) -> Result<Option<PathBuf>, CheckpointError> {
        let Some(rel) = touched.rel.to_str() else {
            return Ok(None);
        };
        match safety::locate(&self.root, rel) {
            Ok(place) => Ok(Some(place.abs)),
            Err(reason) => {
                tracing::warn!(path = rel, %reason, "a checkpoint path is refused");
                Ok(None)
            }
        }
    }

    /// What specbench last wrote to each file, as the store remembers it.
    pub fn written(&self) -> Result<Written, CheckpointError> {
        let dir = self.existing()?;
        Ok(self.read_state(dir.as_ref())?.written)
    }

    /// All checkpoints, oldest first, and how many are applied.
    pub fn list(&self) -> Result<(Vec<Checkpoint>, usize), CheckpointError> {
        let Some(dir) = self.existing()? else {
            return Ok((Vec::new(), 0));
        };
        let state = self.read_state(Some(&dir))?;
        let checkpoints = state
            .ids
            .iter()
            .map(|&id| self.load(&dir, id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((checkpoints, state.applied))
    }

    /// Undoes the last applied checkpoint: every file back to `before` (created files removed).
    /// Files whose content is not what the apply wrote were changed by hand since: unless
    /// `force`, nothing is touched and [`CheckpointError::ChangedSince`] lists them.
    pub fn undo(&self, force: bool) -> Result<Checkpoint, CheckpointError> {
        let dir = self.folder()?;
        let mut state = self.read_state(Some(&dir))?;
        if state.pending.is_some() {
            self.settle(&dir, &mut state)?;
        }
        let Some(index) = state.applied.checked_sub(1) else {
            return Err(CheckpointError::NothingToUndo);
        };
        let checkpoint = self.load(&dir, state.ids[index])?;
        self.walk(&checkpoint, Direction::Undo, force, &mut state.written)?;
        state.applied = index;
        write_json(&dir, STATE_FILE, &state)?;
        Ok(checkpoint)
    }

    /// Re-applies the next undone checkpoint, with the same check against `before`.
    pub fn redo(&self, force: bool) -> Result<Checkpoint, CheckpointError> {
        let dir = self.folder()?;
        let mut state = self.read_state(Some(&dir))?;
        if state.pending.is_some() {
            self.settle(&dir, &mut state)?;
        }
        let Some(&id) = state.ids.get(state.applied) else {
            return Err(CheckpointError::NothingToRedo);
        };
        let checkpoint = self.load(&dir, id)?;
        self.walk(&checkpoint, Direction::Redo, force, &mut state.written)?;
        state.applied += 1;
        write_json(&dir, STATE_FILE, &state)?;
        Ok(checkpoint)
    }

    /// Moves every file of `checkpoint` from one side to the other, noting in `written` what
    /// each file now holds. Files already on the far side are left alone, so an interrupted
    /// walk can be repeated.
    fn walk(
        &self,
        checkpoint: &Checkpoint,
        direction: Direction,
        force: bool,
        written: &mut Written,
    ) -> Result<(), CheckpointError> {
        let mut plan = Vec::new();
        let mut changed = Vec::new();
        for touched in &checkpoint.files {
            let (expected, target) = match direction {
                Direction::Undo => (touched.after.as_deref(), touched.before.as_deref()),
                Direction::Redo => (touched.before.as_deref(), touched.after.as_deref()),
            };
            let refused = |reason| CheckpointError::Refused {
                path: touched.rel.clone(),
                reason,
            };
            let rel = touched
                .rel
                .to_str()
                .ok_or_else(|| refused(safety::Refusal::InvalidName))?;
            let place = safety::locate(&self.root, rel).map_err(refused)?;
            let current = read_current(&place.abs, [expected, target])?;
            if !current.is(target) {
                if !current.is(expected) {
                    changed.push(touched.rel.clone());
                }
                plan.push((place.abs, target));
            }
        }
        if !changed.is_empty() && !force {
            return Err(CheckpointError::ChangedSince { paths: changed });
        }
        for (abs, target) in plan {
            let result = match target {
                Some(text) => safety::write_atomic(&abs, text),
                None => match fs::remove_file(&abs) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    other => other,
                },
            };
            result.map_err(|source| CheckpointError::Io { path: abs, source })?;
        }
        for touched in &checkpoint.files {
            let target = match direction {
                Direction::Undo => touched.before.as_deref(),
                Direction::Redo => touched.after.as_deref(),
            };
            written.insert(touched.rel.clone(), target.map(crate::files::hash));
        }
        Ok(())
    }

    /// The state, empty if there is none yet.
    fn read_state(&self, dir: Option<&StateDir>) -> Result<State, CheckpointError> {
        let path = self.dir().join(STATE_FILE);
        let Some(bytes) = dir.map(|d| d.read(STATE_FILE)).transpose()?.flatten() else {
            return Ok(State::default());
        };
        let corrupt = |message: String| CheckpointError::Corrupt {
            file: path.clone(),
            message,
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if state.applied > state.ids.len() {
            return Err(corrupt(format!(
                "{} applied of {} checkpoints",
                state.applied,
                state.ids.len()
            )));
        }
        let mut sorted = state.ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != state.ids.len() {
            return Err(corrupt("a checkpoint is listed twice".into()));
        }
        Ok(state)
    }

    /// One checkpoint file; a missing or mismatched one is corrupt.
    fn load(&self, dir: &StateDir, id: u64) -> Result<Checkpoint, CheckpointError> {
        let name = file_name(id);
        let corrupt = |message: String| CheckpointError::Corrupt {
            file: dir.join(&name),
            message,
        };
        let Some(bytes) = dir.read(&name)? else {
            return Err(corrupt("listed in state.json but missing".into()));
        };
        let checkpoint: Checkpoint =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if checkpoint.id != id {
            return Err(corrupt(format!("holds checkpoint {}", checkpoint.id)));
        }
        Ok(checkpoint)
    }
}

/// `<id>.json`.
fn file_name(id: u64) -> String {
    format!("{id}.json")
}

/// Writes `value` as `name` in `dir`, atomically and synced.
fn write_json(dir: &StateDir, name: &str, value: &impl Serialize) -> Result<(), CheckpointError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| CheckpointError::Io {
        path: dir.join(name),
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })?;
    Ok(dir.write_atomic(name, &text)?)
}

/// Removes checkpoint files no longer listed; a failure is only logged.
fn remove_checkpoints(dir: &StateDir, ids: &[u64]) {
    for &id in ids {
        if let Err(e) = dir.remove(&file_name(id)) {
            tracing::warn!(error = %e, "cannot remove the dropped checkpoint {id}");
        }
    }
}

/// What is at `abs`, read only if its size matches one of `sides`.
fn read_current(abs: &Path, sides: [Option<&str>; 2]) -> Result<Current, CheckpointError> {
    let io_error = |source| CheckpointError::Io {
        path: abs.to_path_buf(),
        source,
    };
    let meta = match fs::metadata(abs) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Current::Missing),
        Err(e) => return Err(io_error(e)),
    };
    let size_matches = sides
        .iter()
        .flatten()
        .any(|text| text.len() as u64 == meta.len());
    if !meta.is_file() || !size_matches {
        return Ok(Current::Other);
    }
    fs::read(abs).map(Current::Bytes).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, PathBuf, CheckpointStore) {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let store = CheckpointStore::new(&root);
        (dir, root, store)
    }

    fn touched(rel: &str, before: Option<&str>, after: Option<&str>) -> Touched {
        Touched {
            rel: rel.into(),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        }
    }

    /// Writes the files as an apply would, then records it.
    fn apply(root: &Path, store: &CheckpointStore, label: &str, files: Vec<Touched>) -> Checkpoint {
        for t in &files {
            match &t.after {
                Some(text) => safety::write_atomic(&root.join(&t.rel), text).unwrap(),
                None => fs::remove_file(root.join(&t.rel)).unwrap(),
            }
        }
        store.record(label, files).unwrap()
    }

    fn read(root: &Path, rel: &str) -> Option<String> {
        fs::read_to_string(root.join(rel)).ok()
    }

    #[test]
    fn undo_then_redo() {
        let (_dir, root, store) = workspace();
        fs::write(root.join("a.py"), "old\n").unwrap();
        let cp = apply(
            &root,
            &store,
            "first",
            vec![
                touched("a.py", Some("old\n"), Some("new\n")),
                touched("pkg/b.py", None, Some("created\n")),
            ],
        );
        assert_eq!(cp.id, 1);
        assert_eq!(store.list().unwrap(), (vec![cp.clone()], 1));

        assert_eq!(store.undo(false).unwrap(), cp);
        assert_eq!(read(&root, "a.py").as_deref(), Some("old\n"));
        assert_eq!(read(&root, "pkg/b.py"), None);
        assert_eq!(store.list().unwrap().1, 0);
        assert!(matches!(
            store.undo(false),
            Err(CheckpointError::NothingToUndo)
        ));

        assert_eq!(store.redo(false).unwrap(), cp);
        assert_eq!(read(&root, "a.py").as_deref(), Some("new\n"));
        assert_eq!(read(&root, "pkg/b.py").as_deref(), Some("created\n"));
        assert_eq!(store.list().unwrap().1, 1);
        assert!(matches!(
            store.redo(false),
            Err(CheckpointError::NothingToRedo)
        ));
    }

    #[test]
    fn empty_store_has_nothing_to_undo_or_redo() {
        let (_dir, _root, store) = workspace();
        assert_eq!(store.list().unwrap(), (Vec::new(), 0));
        assert!(matches!(
            store.undo(false),
            Err(CheckpointError::NothingToUndo)
        ));
        assert!(matches!(
            store.redo(true),
            Err(CheckpointError::NothingToRedo)
        ));
    }

    #[test]
    fn hand_edits_block_undo_unless_forced() {
        let (_dir, root, store) = workspace();
        fs::write(root.join("a.py"), "old\n").unwrap();
        fs::write(root.join("c.py"), "c0\n").unwrap();
        apply(
            &root,
            &store,
            "edit",
            vec![
                touched("a.py", Some("old\n"), Some("new\n")),
                touched("c.py", Some("c0\n"), Some("c1\n")),
            ],
        );
        fs::write(root.join("a.py"), "hand\n").unwrap();
        match store.undo(false) {
            Err(CheckpointError::ChangedSince { paths }) => {
                assert_eq!(paths, vec![PathBuf::from("a.py")]);
            }
            other => panic!("expected ChangedSince, got {other:?}"),
        }
        assert_eq!(read(&root, "a.py").as_deref(), Some("hand\n"));
        assert_eq!(read(&root, "c.py").as_deref(), Some("c1\n"));
        assert_eq!(store.list().unwrap().1, 1);

        store.undo(true).unwrap();
        assert_eq!(read(&root, "a.py").as_deref(), Some("old\n"));
        assert_eq!(read(&root, "c.py").as_deref(), Some("c0\n"));
        assert_eq!(store.list().unwrap().1, 0);

        // Redo checks against `before` the same way.
        fs::write(root.join("c.py"), "hand again\n").unwrap();
        assert!(matches!(
            store.redo(false),
            Err(CheckpointError::ChangedSince { paths }) if paths == vec![PathBuf::from("c.py")]
        ));
        assert_eq!(read(&root, "a.py").as_deref(), Some("old\n"));
    }

    #[test]
    fn recording_after_undo_drops_the_redo_tail() {
        let (_dir, root, store) = workspace();
        let first = apply(
            &root,
            &store,
            "one",
            vec![touched("a.py", None, Some("1\n"))],
        );
        let second = apply(
            &root,
            &store,
            "two",
            vec![touched("a.py", Some("1\n"), Some("2\n"))],
        );
        store.undo(false).unwrap();
        let third = apply(
            &root,
            &store,
            "three",
            vec![touched("a.py", Some("1\n"), Some("3\n"))],
        );
        assert_eq!(third.id, 3);
        assert_eq!(store.list().unwrap(), (vec![first, third], 2));
        assert!(!store.dir().join(file_name(second.id)).exists());
        assert!(matches!(
            store.redo(false),
            Err(CheckpointError::NothingToRedo)
        ));
    }

    #[test]
    fn corrupt_files_are_reported() {
        let (_dir, root, store) = workspace();
        apply(
            &root,
            &store,
            "one",
            vec![touched("a.py", None, Some("1\n"))],
        );
        fs::write(store.dir().join(STATE_FILE), "{ not json").unwrap();
        for result in [store.list().map(|_| ()), store.undo(false).map(|_| ())] {
            match result {
                Err(CheckpointError::Corrupt { file, .. }) => {
                    assert_eq!(file, store.dir().join(STATE_FILE))
                }
                other => panic!("expected Corrupt, got {other:?}"),
            }
        }
        fs::write(
            store.dir().join(STATE_FILE),
            r#"{"ids":[1],"applied":2,"next_id":2}"#,
        )
        .unwrap();
        assert!(matches!(store.list(), Err(CheckpointError::Corrupt { .. })));
        fs::write(
            store.dir().join(STATE_FILE),
            r#"{"ids":[1],"applied":1,"next_id":2}"#,
        )
        .unwrap();
        fs::write(store.dir().join(file_name(1)), "[]").unwrap();
        assert!(matches!(
            store.undo(false),
            Err(CheckpointError::Corrupt { file, .. }) if file == store.dir().join(file_name(1))
        ));
        assert_eq!(read(&root, "a.py").as_deref(), Some("1\n"));
    }

    #[test]
    fn tampered_paths_are_refused() {
        let (_dir, root, store) = workspace();
        let outside = tempfile::tempdir().unwrap();
        let escape = format!("../{}/x", outside.path().display());
        for rel in [
            "../x.py",
            "/tmp/x.py",
            ".git/hooks/pre-commit",
            escape.as_str(),
        ] {
            store
                .record("tampered", vec![touched(rel, Some("evil\n"), None)])
                .unwrap();
            assert!(
                matches!(store.undo(true), Err(CheckpointError::Refused { .. })),
                "{rel}"
            );
        }
        assert!(!root.join(".git").exists());
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
