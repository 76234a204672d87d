//! The effects that write workspace files: apply (journaled, checkpointed first), undo, redo
//! and checkpoint travel, serialised by one lock.

use std::path::PathBuf;
use std::sync::Mutex;
use tokio::sync::mpsc::UnboundedSender;

use crate::code::changes;
use crate::model::review::{ApplyDone, UndoOutcome, Wrote};
use crate::model::{AppEvent, Msg};
use crate::session::journal::{Journal, Record};

/// An undo's (or redo's) result in the terms the model shows; `steps` were asked for from
/// this one on.
pub(super) fn undo_outcome(
    result: Result<crate::code::checkpoint::Checkpoint, crate::code::checkpoint::CheckpointError>,
    redo: bool,
    steps: usize,
) -> UndoOutcome {
    use crate::code::checkpoint::CheckpointError as E;
    match result {
        Ok(cp) => UndoOutcome::Done {
            label: cp.label,
            files: cp
                .files
                .into_iter()
                .map(|f| {
                    let left = if redo { f.after } else { f.before };
                    Wrote {
                        rel: f.rel,
                        hash: left.as_deref().map(crate::files::hash),
                    }
                })
                .collect(),
        },
        Err(E::ChangedSince { paths }) => UndoOutcome::ChangedSince { paths, steps },
        Err(E::NothingToUndo) if !redo => UndoOutcome::Failed("Nothing to undo".into()),
        Err(E::NothingToRedo) if redo => UndoOutcome::Failed("Nothing to redo".into()),
        Err(e) => UndoOutcome::Failed(e.to_string()),
    }
}

/// Takes the write lock; a panic elsewhere while it was held does not keep it.
pub(super) fn hold(lock: &Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Appends `record` to `journal` and syncs it; a failure is logged and reported.
pub(super) fn append_synced(journal: Option<&Journal>, record: Record, tx: &UnboundedSender<Msg>) {
    let Some(journal) = journal else { return };
    if let Err(e) = journal.append(record).and_then(|()| journal.sync()) {
        tracing::error!(error = %e, "journal write failed");
        let _ = tx.send(Msg::Event(AppEvent::JournalFailed(e.to_string())));
    }
}

/// An apply in the order that survives a crash at any point: the intent journaled and synced,
/// the checkpoint (previous contents) recorded and synced, the files replaced one by one, then
/// `applied` journaled and synced.
pub(super) fn apply_journaled(
    root: &std::path::Path,
    label: &str,
    files: &[(PathBuf, Option<String>, String)],
    allowed: Option<&globset::GlobSet>,
    journal: Option<&Journal>,
    tx: &UnboundedSender<Msg>,
) -> Result<ApplyDone, String> {
    let plan = changes::plan(root, files, allowed).map_err(|e| e.to_string())?;
    let names: Vec<String> = plan
        .files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let label = label.to_string();
    append_synced(
        journal,
        Record::Applying {
            label: label.clone(),
            files: names.clone(),
        },
        tx,
    );
    match changes::execute(root, &label, &plan) {
        Ok(checkpoint) => {
            append_synced(
                journal,
                Record::Applied {
                    label: label.clone(),
                    files: names,
                },
                tx,
            );
            let files = checkpoint
                .files
                .into_iter()
                .map(|f| Wrote {
                    rel: f.rel,
                    hash: f.after.as_deref().map(crate::files::hash),
                })
                .collect();
            Ok(ApplyDone { label, files })
        }
        Err(e) => {
            let error = e.to_string();
            append_synced(
                journal,
                Record::ApplyFailed {
                    label,
                    error: error.clone(),
                },
                tx,
            );
            Err(error)
        }
    }
}

/// Undoes (`steps` < 0) or redoes (> 0) that many checkpoints, reporting each one, and stops
/// at the first that cannot be (files changed by hand: the user is asked). `force` goes over
/// hand edits in the first.
pub(super) fn travel(root: &std::path::Path, steps: isize, force: bool, tx: &UnboundedSender<Msg>) {
    let store = crate::code::checkpoint::CheckpointStore::new(root);
    let redo = steps > 0;
    let total = steps.unsigned_abs();
    for done in 0..total {
        let force = force && done == 0;
        let result = if redo {
            store.redo(force)
        } else {
            store.undo(force)
        };
        let outcome = undo_outcome(result, redo, total - done);
        let stop = !matches!(outcome, UndoOutcome::Done { .. });
        let _ = tx.send(Msg::Event(AppEvent::Undone { redo, outcome }));
        if stop {
            break;
        }
    }
}
