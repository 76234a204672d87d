//! Proposed changes: a reply's edits turned into per-file results against the disk (checked,
//! matched, diffed), and applying them as one undoable checkpoint.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

use super::checkpoint::{Checkpoint, CheckpointError, CheckpointStore, Touched};
use super::extract::{BlockProblem, Edit, apply_search_replace};
use super::safety;

/// Lines of context around each change in the diff view.
const CONTEXT: usize = 3;

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTag {
    Context,
    Added,
    Removed,
    /// Unchanged lines left out between hunks.
    Gap,
}

/// One line of a file's diff, with its numbers in the old and the new file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: DiffTag,
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub text: String,
}

/// How long a diff may take: past it, the change shows as a plain replacement. A line diff of
/// two large, very different files costs O(N·D) and once took a core for over a minute.
pub const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// The note above a change shown as a plain replacement.
pub const PLAIN_NOTE: &str = "⋯ no line diff within 2 s: the whole file, old then new";

/// The diff of `before` to `after` as hunks with [`CONTEXT`] lines around each change, or a
/// plain replacement if that takes longer than [`DIFF_DEADLINE`].
pub fn diff_lines(before: &str, after: &str) -> Vec<DiffLine> {
    diff_lines_by(before, after, Instant::now() + DIFF_DEADLINE)
}

/// [`diff_lines`] with the deadline given.
pub fn diff_lines_by(before: &str, after: &str, deadline: Instant) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .deadline(deadline)
        .diff_lines(before, after);
    if Instant::now() >= deadline {
        return replacement(before, after);
    }
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push(DiffLine {
                tag: DiffTag::Gap,
                old: None,
                new: None,
                text: "⋯".into(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let tag = match change.tag() {
                    ChangeTag::Equal => DiffTag::Context,
                    ChangeTag::Insert => DiffTag::Added,
                    ChangeTag::Delete => DiffTag::Removed,
                };
                out.push(DiffLine {
                    tag,
                    old: change.old_index().map(|n| n + 1),
                    new: change.new_index().map(|n| n + 1),
                    text: change
                        .value()
                        .trim_end_matches(['\n', '\r'])
                        .replace('\t', "    "),
                });
            }
        }
    }
    out
}

/// Every line of `before` removed, then every line of `after` added, under [`PLAIN_NOTE`].
fn replacement(before: &str, after: &str) -> Vec<DiffLine> {
    let line = |tag, old, new, text: &str| DiffLine {
        tag,
        old,
        new,
        text: text.trim_end_matches('\r').replace('\t', "    "),
    };
    let mut out = vec![line(DiffTag::Gap, None, None, PLAIN_NOTE)];
    out.extend(
        before
            .lines()
            .enumerate()
            .map(|(i, text)| line(DiffTag::Removed, Some(i + 1), None, text)),
    );
    out.extend(
        after
            .lines()
            .enumerate()
            .map(|(i, text)| line(DiffTag::Added, None, Some(i + 1), text)),
    );
    out
}

/// Where a proposed file change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeState {
    Pending,
    Applied,
    Discarded,
}

/// One file the reply changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub rel: PathBuf,
    /// The file on disk when the reply was read; `None`: the reply creates it.
    pub before: Option<String>,
    pub after: String,
    pub diff: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
    pub state: ChangeState,
}

/// An edit that cannot be applied, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: String,
    /// The reply's line where the edit starts.
    pub line: usize,
    pub why: String,
}

impl std::fmt::Display for Refused {
    /// `a.py refused (reply line 3): why`, or `reply line 3: why` for a block without a path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "reply line {}: {}", self.line, self.why)
        } else {
            write!(
                f,
                "{} refused (reply line {}): {}",
                self.path, self.line, self.why
            )
        }
    }
}

/// A reply's edits, ready for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The turn whose reply proposed them.
    pub turn: u64,
    pub files: Vec<FileChange>,
    pub refused: Vec<Refused>,
}

impl ChangeSet {
    /// Whether anything is left to decide.
    pub fn pending(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.state == ChangeState::Pending)
            .count()
    }
}

/// Checks every edit's path, applies the edits of each file in order (in memory), and diffs
/// the result against the disk. Nothing is written.
pub fn prepare(
    root: &Path,
    turn: u64,
    edits: &[Edit],
    problems: &[BlockProblem],
    allowed: Option<&globset::GlobSet>,
) -> ChangeSet {
    let mut refused: Vec<Refused> = problems
        .iter()
        .map(|p| Refused {
            path: String::new(),
            line: p.line,
            why: p.message.clone(),
        })
        .collect();
    // Per file: (rel, before, current text), in the order the reply first names them.
    let mut files: Vec<(PathBuf, Option<String>, Option<String>)> = Vec::new();
    for edit in edits {
        let target = match safety::check(root, edit.path(), allowed) {
            Ok(t) => t,
            Err(why) => {
                refused.push(Refused {
                    path: edit.path().to_string(),
                    line: edit.line(),
                    why: why.to_string(),
                });
                continue;
            }
        };
        let index = match files.iter().position(|(rel, ..)| *rel == target.rel) {
            Some(i) => i,
            None => {
                files.push((target.rel.clone(), target.existing.clone(), target.existing));
                files.len() - 1
            }
        };
        let current = files[index].2.clone();
        let next = match edit {
            Edit::WholeFile { content, .. } => Ok(content.clone()),
            Edit::SearchReplace {
                search, replace, ..
            } => apply_search_replace(current.as_deref(), search, replace),
        };
        match next {
            Ok(text) => files[index].2 = Some(text),
            Err(e) => refused.push(Refused {
                path: edit.path().to_string(),
                line: edit.line(),
                why: e.to_string(),
            }),
        }
    }
    let files = files
        .into_iter()
        .filter_map(|(rel, before, after)| {
            let after = after?;
            if before.as_deref() == Some(after.as_str()) {
                return None;
            }
            let diff = diff_lines(before.as_deref().unwrap_or(""), &after);
            let count = |tag| diff.iter().filter(|l| l.tag == tag).count();
            Some(FileChange {
                added: count(DiffTag::Added),
                removed: count(DiffTag::Removed),
                rel,
                before,
                after,
                diff,
                state: ChangeState::Pending,
            })
        })
        .collect();
    ChangeSet {
        turn,
        files,
        refused,
    }
}

/// Why an apply did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: refused: {why}")]
    Refused { path: PathBuf, why: String },
    #[error("{path} changed on disk since the reply was read; nothing was applied")]
    Stale { path: PathBuf },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Checkpoint(#[from] CheckpointError),
}

/// An apply checked and ready to write: each file's place, the content the change was made
/// against, and the new content.
#[derive(Debug, Clone)]
pub struct ChangePlan {
    targets: Vec<(safety::Target, Option<String>, String)>,
}

impl ChangePlan {
    /// The files it writes, relative to the workspace.
    pub fn files(&self) -> Vec<PathBuf> {
        self.targets.iter().map(|(t, ..)| t.rel.clone()).collect()
    }
}

/// Checks every file of an apply (relative path, the content the change was made against, the
/// new content) without writing anything: a path refused now, or a file changed since the
/// reply was read, stops the whole apply.
pub fn plan(
    root: &Path,
    files: &[(PathBuf, Option<String>, String)],
    allowed: Option<&globset::GlobSet>,
) -> Result<ChangePlan, ApplyError> {
    let mut targets = Vec::new();
    for (rel, before, after) in files {
        let path = rel.to_string_lossy();
        let target = safety::check(root, &path, allowed).map_err(|e| ApplyError::Refused {
            path: rel.clone(),
            why: e.to_string(),
        })?;
        if target.existing != *before {
            return Err(ApplyError::Stale { path: rel.clone() });
        }
        targets.push((target, before.clone(), after.clone()));
    }
    Ok(ChangePlan { targets })
}

/// Writes a planned apply as one checkpoint, crash-safe: the checkpoint, with every file's
/// previous content, is recorded and synced before the first file is replaced, each file is
/// replaced atomically, and the checkpoint is marked done after the last. Killed in between,
/// the next open finds it ([`CheckpointStore::recover`]) and undo puts everything back. Should
/// a write fail midway, the files already written are put back and the checkpoint dropped.
pub fn execute(root: &Path, label: &str, plan: &ChangePlan) -> Result<Checkpoint, ApplyError> {
    execute_with(root, label, plan, safety::write_atomic)
}

/// [`execute`] with the file writer given (tests stop it midway).
fn execute_with(
    root: &Path,
    label: &str,
    plan: &ChangePlan,
    mut write: impl FnMut(&Path, &str) -> std::io::Result<()>,
) -> Result<Checkpoint, ApplyError> {
    let store = CheckpointStore::new(root);
    let touched = plan
        .targets
        .iter()
        .map(|(target, before, after)| Touched {
            rel: target.rel.clone(),
            before: before.clone(),
            after: Some(after.clone()),
        })
        .collect();
    let checkpoint = store.begin(label, touched)?;
    let mut written: Vec<&(safety::Target, Option<String>, String)> = Vec::new();
    for entry in &plan.targets {
        let (target, _, after) = entry;
        if let Err(source) = write(&target.abs, after) {
            let mut all_back = true;
            for (done, before, _) in written {
                let restored = match before {
                    Some(text) => safety::write_atomic(&done.abs, text),
                    None => std::fs::remove_file(&done.abs),
                };
                if let Err(e) = restored {
                    all_back = false;
                    tracing::error!(path = %done.abs.display(), error = %e, "cannot put a file back");
                }
            }
            // What could not be put back stays undoable.
            let settled = if all_back {
                store.abort(checkpoint.id)
            } else {
                store.recover().map(|_| ())
            };
            if let Err(e) = settled {
                tracing::error!(error = %e, "cannot settle the checkpoint of a failed apply");
            }
            return Err(ApplyError::Write {
                path: target.rel.clone(),
                source,
            });
        }
        written.push(entry);
    }
    store.commit(checkpoint.id)?;
    Ok(checkpoint)
}

/// Checks and writes `files` as one checkpoint: [`plan`], then [`execute`].
pub fn apply(
    root: &Path,
    label: &str,
    files: &[(PathBuf, Option<String>, String)],
    allowed: Option<&globset::GlobSet>,
) -> Result<Checkpoint, ApplyError> {
    execute(root, label, &plan(root, files, allowed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_have_numbers_context_and_gaps() {
        let before: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let after = before
            .replace("line 2\n", "line two\n")
            .replace("line 18\n", "");
        let diff = diff_lines(&before, &after);
        let tags: Vec<DiffTag> = diff.iter().map(|l| l.tag).collect();
        assert!(tags.contains(&DiffTag::Gap));
        let removed = diff.iter().find(|l| l.tag == DiffTag::Removed).unwrap();
        assert_eq!(
            (removed.old, removed.new, removed.text.as_str()),
            (Some(2), None, "line 2")
        );
        let added = diff.iter().find(|l| l.tag == DiffTag::Added).unwrap();
        assert_eq!(
            (added.old, added.new, added.text.as_str()),
            (None, Some(2), "line two")
        );
        assert_eq!(diff.first().map(|l| l.text.as_str()), Some("line 1"));
    }

    /// Files of an apply: path, the text it was made against, the new text.
    type Files = Vec<(PathBuf, Option<String>, String)>;

    /// A workspace with `n` files `f<i>.py` holding `old <i>`, and the apply that rewrites
    /// them all (and creates `new.py`).
    fn workspace(n: usize) -> (tempfile::TempDir, PathBuf, Files) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let mut files = Vec::new();
        for i in 0..n {
            let rel = PathBuf::from(format!("f{i}.py"));
            std::fs::write(root.join(&rel), format!("old {i}\n")).unwrap();
            files.push((rel, Some(format!("old {i}\n")), format!("new {i}\n")));
        }
        files.push(("new.py".into(), None, "created\n".into()));
        (dir, root, files)
    }

    /// The workspace's files (not its state), with their text.
    fn code(root: &Path) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_checkpoint_with_the_previous_contents_is_on_disk_before_the_first_file_is_replaced() {
        let (_dir, root, files) = workspace(3);
        let before = code(&root);
        let plan = plan(&root, &files, None).unwrap();
        let store = CheckpointStore::new(&root);
        let mut calls = 0;
        let checkpoint = execute_with(&root, "reply 1", &plan, |abs, text| {
            // Read back from the disk, as a fresh process would after a crash right here.
            let (listed, applied) = store.list().unwrap();
            let recorded = &listed[applied - 1];
            assert_eq!(recorded.label, "reply 1");
            for (rel, before, after) in &files {
                let touched = recorded.files.iter().find(|t| t.rel == *rel).unwrap();
                assert_eq!(
                    (&touched.before, touched.after.as_ref()),
                    (before, Some(after))
                );
            }
            calls += 1;
            safety::write_atomic(abs, text)
        })
        .unwrap();
        assert_eq!(calls, 4);
        assert_eq!(store.list().unwrap().1, 1);
        assert_eq!(checkpoint.files.len(), 4);
        // Done: nothing left under way, and what was written is what specbench wrote.
        assert_eq!(store.recover().unwrap(), None);
        assert_eq!(
            store.written().unwrap()[Path::new("f1.py")],
            Some(crate::files::hash("new 1\n"))
        );
        store.undo(false).unwrap();
        assert_eq!(code(&root), before);
    }

    #[test]
    fn an_apply_stopped_at_any_point_is_found_on_the_next_open_and_undone_exactly() {
        for stop_at in 0..=4 {
            let (_dir, root, files) = workspace(3);
            let before = code(&root);
            let plan = plan(&root, &files, None).unwrap();
            // The process dies once `stop_at` files are replaced: nothing after that runs.
            let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut calls = 0;
                execute_with(&root, "reply 2", &plan, |abs, text| {
                    assert!(stop_at > 0, "killed");
                    safety::write_atomic(abs, text)?;
                    calls += 1;
                    assert!(calls < stop_at, "killed");
                    Ok(())
                })
            }));
            assert!(died.is_err(), "stopped after write {stop_at}");
            // The next open.
            let store = CheckpointStore::new(&root);
            let found = store.recover().unwrap().expect("an apply under way");
            assert_eq!(found.checkpoint.label, "reply 2");
            let written: Vec<String> = found
                .written
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            let expected: Vec<String> = files[..stop_at]
                .iter()
                .map(|(rel, ..)| rel.display().to_string())
                .collect();
            assert_eq!(written, expected, "stopped after write {stop_at}");
            assert_eq!(store.recover().unwrap(), None, "settled once");
            if stop_at == 0 {
                assert_eq!(
                    store.list().unwrap(),
                    (Vec::new(), 0),
                    "nothing written, no checkpoint"
                );
            } else {
                store.undo(false).unwrap();
            }
            assert_eq!(code(&root), before, "stopped after write {stop_at}");
        }
    }

    #[test]
    fn a_failed_write_puts_everything_back_and_keeps_the_redo_history() {
        let (_dir, root, files) = workspace(3);
        let store = CheckpointStore::new(&root);
        // An earlier apply, undone: it stays redoable if the next apply fails.
        let earlier = vec![(
            PathBuf::from("f0.py"),
            Some("old 0\n".into()),
            "earlier\n".into(),
        )];
        apply(&root, "reply 1", &earlier, None).unwrap();
        store.undo(false).unwrap();
        let before = code(&root);
        let plan = plan(&root, &files, None).unwrap();
        let mut calls = 0;
        let err = execute_with(&root, "reply 2", &plan, |abs, text| {
            calls += 1;
            if calls == 3 {
                return Err(std::io::Error::other("disk full"));
            }
            safety::write_atomic(abs, text)
        })
        .unwrap_err();
        assert!(matches!(err, ApplyError::Write { .. }), "{err}");
        assert_eq!(code(&root), before);
        let (listed, applied) = store.list().unwrap();
        assert_eq!((listed.len(), applied), (1, 0));
        assert_eq!(listed[0].label, "reply 1");
        assert_eq!(store.recover().unwrap(), None);
        store.redo(false).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("f0.py")).unwrap(),
            "earlier\n"
        );
    }

    #[test]
    fn a_diff_past_its_deadline_is_a_plain_replacement() {
        let before = "keep\nold 1\nold 2\n";
        let after = "keep\nnew 1\n";
        // A deadline already past: whatever the diff found by then, a plain replacement shows.
        let diff = diff_lines_by(before, after, Instant::now());
        let rows: Vec<(DiffTag, Option<usize>, Option<usize>, &str)> = diff
            .iter()
            .map(|l| (l.tag, l.old, l.new, l.text.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (DiffTag::Gap, None, None, PLAIN_NOTE),
                (DiffTag::Removed, Some(1), None, "keep"),
                (DiffTag::Removed, Some(2), None, "old 1"),
                (DiffTag::Removed, Some(3), None, "old 2"),
                (DiffTag::Added, None, Some(1), "keep"),
                (DiffTag::Added, None, Some(2), "new 1"),
            ]
        );
        // In time, the line diff as usual.
        let far = Instant::now() + Duration::from_secs(3600);
        assert_eq!(diff_lines_by(before, after, far), diff_lines(before, after));
    }
}
