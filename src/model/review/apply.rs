//! Applying a reply's changes (`a` the file shown, `A` all), undoing and redoing them (`u`,
//! `U`), telling a human's later edits from specbench's own writes, and what an earlier
//! specbench left behind when the workspace opens.

use std::path::PathBuf;

use super::state::{ApplyDone, UndoOutcome};
use crate::code::changes::ChangeState;
use crate::code::recovery::Recovery;
use crate::model::results::Trigger;
use crate::model::workflow::Judging;
use crate::model::{Cmd, Loaded, Model, NoticeKind, Overlay};

impl Model {
    /// `a` / `A`: writes the selected (or every) pending file.
    pub fn apply_changes(&mut self, all: bool) -> Vec<Cmd> {
        let Some(view) = &self.code.changes else {
            return vec![self.notify(NoticeKind::Info, "No proposed changes to apply")];
        };
        let files: Vec<(PathBuf, Option<String>, String)> = view
            .set
            .files
            .iter()
            .enumerate()
            .filter(|(i, f)| f.state == ChangeState::Pending && (all || *i == view.selected))
            .map(|(_, f)| (f.rel.clone(), f.before.clone(), f.after.clone()))
            .collect();
        if files.is_empty() {
            return vec![self.notify(NoticeKind::Info, "Nothing pending to apply")];
        }
        let names: Vec<String> = files
            .iter()
            .map(|(rel, ..)| rel.display().to_string())
            .collect();
        let label = format!("reply {}: {}", view.set.turn, names.join(", "));
        // The run that judges this apply is any run started from now on: the watcher may see
        // the write before the apply reports back.
        let turn = view.set.turn;
        let step = self
            .session
            .turn_steps
            .get(&turn)
            .copied()
            .unwrap_or(self.session.step);
        self.session.judging = Some(Judging {
            turn,
            step,
            floor: self.peek_id(),
        });
        vec![Cmd::Apply { label, files }]
    }

    /// The apply finished (its journal records are written by the apply itself): mark the
    /// files, remember what was written, and set up the run that judges it (started here when
    /// no watcher will see the write).
    pub fn on_applied(&mut self, result: Result<ApplyDone, String>) -> Vec<Cmd> {
        let done = match result {
            Ok(done) => done,
            Err(e) => {
                self.session.judging = None;
                return vec![self.notify(NoticeKind::Error, format!("Not applied: {e}"))];
            }
        };
        self.authorship.wrote(&done.files);
        let applied = done.paths();
        self.note_edited(&applied);
        let mut cmds = Vec::new();
        if !self.watching {
            cmds.extend(self.reload_changed(&applied));
            if self.config.loop_.auto_test {
                cmds.extend(self.rerun(Trigger::Applied(applied.len())));
            }
        }
        if let Some(view) = &mut self.code.changes {
            for f in &mut view.set.files {
                if applied.contains(&f.rel) {
                    f.state = ChangeState::Applied;
                }
            }
            if view.set.pending() == 0 {
                self.code.changes = None;
            }
        }
        tracing::info!(label = %done.label, files = applied.len(), "changes applied");
        cmds.push(self.notify(
            NoticeKind::Info,
            format!("Applied {} · u undoes", names(&applied)),
        ));
        cmds
    }

    /// `u` / `U`: ask for the last apply to be undone (or the last undo redone).
    pub fn undo(&mut self, redo: bool) -> Vec<Cmd> {
        vec![Cmd::Undo { redo, force: false }]
    }

    /// An undo or redo finished (a restore reports each of its steps).
    pub fn on_undone(&mut self, redo: bool, outcome: UndoOutcome) -> Vec<Cmd> {
        let verb = if redo { "Redid" } else { "Undid" };
        match outcome {
            UndoOutcome::Done { label, files } => {
                self.authorship.wrote(&files);
                let paths: Vec<PathBuf> = files.into_iter().map(|w| w.rel).collect();
                let mut cmds = vec![Self::journal(crate::session::journal::Record::Undone {
                    label: label.clone(),
                    files: paths.iter().map(|p| p.display().to_string()).collect(),
                    redo,
                })];
                if !self.watching {
                    cmds.extend(self.reload_changed(&paths));
                    cmds.extend(self.rerun(Trigger::Applied(paths.len())));
                }
                cmds.push(self.notify(NoticeKind::Info, format!("{verb} {label}")));
                cmds
            }
            UndoOutcome::ChangedSince { paths, steps } => {
                self.overlay = Some(Overlay::ConfirmUndo { redo, paths, steps });
                Vec::new()
            }
            UndoOutcome::Failed(why) => vec![self.notify(NoticeKind::Info, why)],
        }
    }

    /// A file was (re)loaded with content of SHA-256 `hash`: if specbench wrote it and this is
    /// not what it wrote, a human edited it since (said once per edit).
    pub fn check_authorship(&mut self, path: &PathBuf, hash: Option<&str>) -> Option<Cmd> {
        let written = self.authorship.written.get(path)?;
        if written.as_deref() == hash {
            self.authorship.human.retain(|p| p != path);
            return None;
        }
        if hash.is_none() || self.authorship.human.contains(path) {
            return None;
        }
        self.authorship.human.push(path.clone());
        tracing::info!(path = %path.display(), "human edit after specbench wrote the file");
        Some(self.notify(
            NoticeKind::Info,
            format!(
                "{} was edited by hand since specbench wrote it",
                path.display()
            ),
        ))
    }

    /// Opening the workspace found what an earlier specbench left: what it wrote (to tell
    /// later hand edits), an apply it was stopped in the middle of, leftover temp files.
    pub fn on_recovered(&mut self, recovery: Recovery) -> Vec<Cmd> {
        for (rel, hash) in recovery.written {
            self.authorship.written.entry(rel).or_insert(hash);
        }
        let mut cmds = Vec::new();
        // The file on screen may have loaded first.
        let shown = match (&self.code.files, &self.code.content) {
            (Loaded::Ready(files), Loaded::Ready(text)) => files
                .get(self.code.selected)
                .map(|p| (p.clone(), text.hash.clone())),
            _ => None,
        };
        if let Some((path, hash)) = shown {
            cmds.extend(self.check_authorship(&path, hash.as_deref()));
        }
        let (kind, sentences) = recovery_report(&recovery.stopped, &recovery.sweep, recovery.error);
        if !sentences.is_empty() {
            for s in &sentences {
                tracing::warn!("{s}");
            }
            cmds.push(self.notify(kind, sentences.join(" · ")));
        }
        cmds
    }
}

/// What the open found, in sentences, and how loudly to say it.
pub fn recovery_report(
    stopped: &Option<crate::code::recovery::Stopped>,
    sweep: &crate::files::Sweep,
    error: Option<String>,
) -> (NoticeKind, Vec<String>) {
    let mut kind = NoticeKind::Info;
    let mut out = Vec::new();
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    if let Some(s) = stopped {
        if s.finished {
            out.push(format!(
                "An apply finished as specbench stopped; u undoes it ({})",
                s.label
            ));
        } else if s.written.is_empty() {
            out.push(format!(
                "An apply was cut short before it changed any file ({})",
                s.label
            ));
        } else {
            kind = NoticeKind::Error;
            let them = if s.written.len() == 1 { "it" } else { "them" };
            out.push(format!(
                "An apply was cut short: {} of {} written, u puts {them} back ({})",
                s.written.len(),
                files(s.files.len()),
                s.label
            ));
        }
    }
    if !sweep.removed.is_empty() {
        out.push(format!(
            "Removed {} left by a cut write",
            if sweep.removed.len() == 1 {
                "a temp file".to_string()
            } else {
                format!("{} temp files", sweep.removed.len())
            }
        ));
    }
    for (path, why) in &sweep.kept {
        kind = NoticeKind::Error;
        out.push(format!("Left {}: {why}", path.display()));
    }
    if let Some(e) = error {
        kind = NoticeKind::Error;
        out.push(format!("Checkpoints: {e}"));
    }
    (kind, out)
}

/// File names for a notice.
fn names(files: &[PathBuf]) -> String {
    match files {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    }
}
