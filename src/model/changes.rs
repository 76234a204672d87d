//! The proposed changes of a reply in the Code pane: review, apply (one file or all), discard,
//! undo and redo, and which files were edited by hand after specbench wrote them.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Cmd, Model, NoticeKind, Overlay, Pane};
use crate::code::changes::{ChangeSet, ChangeState};
use crate::code::recovery::Recovery;

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
    fn wrote(&mut self, files: &[Wrote]) {
        for w in files {
            self.written.insert(w.rel.clone(), w.hash.clone());
            self.human.retain(|p| *p != w.rel);
        }
    }
}

impl Model {
    /// A reply ended with text: ask for its edits to be read and checked.
    pub fn propose_changes(&mut self, turn: u64, reply: &str) -> Option<Cmd> {
        (reply.contains("path=") || reply.contains("<<<<<<<")).then(|| Cmd::PrepareChanges {
            turn,
            reply: reply.to_string(),
        })
    }

    /// The reply's edits are checked and diffed.
    pub fn on_changes_ready(&mut self, set: ChangeSet) -> Vec<Cmd> {
        if set.files.is_empty() && set.refused.is_empty() {
            return Vec::new();
        }
        let files = set.files.len();
        let refused = set.refused.len();
        let warning = self.damage_warning(&set).or_else(|| self.weakening(&set));
        self.code.changes = Some(ChangeView {
            set,
            selected: 0,
            full: false,
            warning: warning.clone(),
        });
        self.code.scroll = 0;
        if let Some(warning) = warning {
            // Never applied without a look, whatever `auto_apply` says; a fix loop cannot go
            // on without the apply, so it ends here (`run` would wait for it forever).
            self.set_focus(Pane::Code);
            let mut text = format!("{warning}: review before a/A");
            if self.session.fix.take().is_some() {
                text.push_str("; the fix loop stops");
            }
            return vec![self.notify(NoticeKind::Error, text)];
        }
        if self.config.loop_.auto_apply && files > 0 {
            return self.apply_changes(true);
        }
        self.set_focus(Pane::Code);
        let mut text = format!(
            "The reply proposes changes to {files} file{}: a applies, A all, d discards",
            if files == 1 { "" } else { "s" }
        );
        if refused > 0 {
            text = format!(
                "{text} ({refused} edit{} refused)",
                if refused == 1 { "" } else { "s" }
            );
        }
        vec![self.notify(NoticeKind::Info, text)]
    }

    /// A reply asked to implement that edits test files may be weakening them: say which.
    fn damage_warning(&self, set: &ChangeSet) -> Option<String> {
        (self.conversation.damaged.contains(&set.turn))
            .then(|| "⚠ The reply is damaged (a piece may be missing)".to_string())
    }

    fn weakening(&self, set: &ChangeSet) -> Option<String> {
        let step = self
            .session
            .turn_steps
            .get(&set.turn)
            .copied()
            .unwrap_or(self.session.step);
        if step != crate::session::Step::Implement {
            return None;
        }
        let tests = crate::workspace::glob_set(&self.config.code.tests).ok()?;
        let touched: Vec<String> = set
            .files
            .iter()
            .filter(|f| tests.is_match(&f.rel))
            .map(|f| f.rel.display().to_string())
            .collect();
        (!touched.is_empty()).then(|| {
            format!(
                "⚠ The Implement step should not edit tests, and this reply edits {}: a possible \
                 weakening",
                touched.join(", ")
            )
        })
    }

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
        self.session.judging = Some(super::workflow::Judging {
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
        let mut cmds = Vec::new();
        if !self.watching {
            cmds.extend(self.reload_changed(&applied));
            if self.config.loop_.auto_test {
                cmds.extend(super::update::rerun(
                    self,
                    super::results::Trigger::Applied(applied.len()),
                ));
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

    /// `d`: drops the selected file's change.
    pub fn discard_change(&mut self) -> Vec<Cmd> {
        let Some(view) = &mut self.code.changes else {
            return Vec::new();
        };
        if let Some(f) = view.set.files.get_mut(view.selected) {
            f.state = ChangeState::Discarded;
        }
        if view.set.pending() == 0 {
            self.code.changes = None;
            return vec![self.notify(NoticeKind::Info, "Proposed changes closed")];
        }
        Vec::new()
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
                    cmds.extend(super::update::rerun(
                        self,
                        super::results::Trigger::Applied(paths.len()),
                    ));
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
            (super::Loaded::Ready(files), super::Loaded::Ready(text)) => files
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

    /// Moves the selection among the changed files.
    pub fn select_change(&mut self, delta: isize) -> bool {
        let Some(view) = &mut self.code.changes else {
            return false;
        };
        let n = view.set.files.len();
        if n > 0 {
            view.selected = (view.selected as isize + delta).rem_euclid(n as isize) as usize;
            self.code.scroll = 0;
        }
        true
    }
}

/// What the open found, in sentences, and how loudly to say it.
pub fn recovery_report(
    stopped: &Option<crate::code::recovery::Stopped>,
    sweep: &crate::code::safety::Sweep,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::changes::{FileChange, diff_lines};
    use crate::code::safety;
    use crate::config::Config;
    use crate::model::{AppEvent, CheckpointItem, Msg, update};
    use crate::workspace::FileText;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn model(auto_apply: bool) -> Model {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut config = Config::default();
        config.loop_.auto_apply = auto_apply;
        let mut m = Model::new(PathBuf::from("/w"), "w".into(), config, theme);
        update(&mut m, Msg::Resize(120, 40));
        m
    }

    fn set() -> ChangeSet {
        let change = |name: &str, before: &str, after: &str| FileChange {
            rel: name.into(),
            before: Some(before.into()),
            after: after.into(),
            diff: diff_lines(before, after),
            added: 1,
            removed: 1,
            state: ChangeState::Pending,
        };
        ChangeSet {
            turn: 4,
            files: vec![
                change("a.py", "x = 1\n", "x = 2\n"),
                change("b.py", "y\n", "z\n"),
            ],
            refused: Vec::new(),
        }
    }

    fn key(m: &mut Model, c: char) -> Vec<Cmd> {
        update(
            m,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        )
    }

    #[test]
    fn a_applies_the_file_shown_and_capital_a_the_rest() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert_eq!(m.focus, Pane::Code);
        let cmds = key(&mut m, 'a');
        let [Cmd::Apply { files, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}");
        };
        assert_eq!(
            files,
            &vec![(
                PathBuf::from("a.py"),
                Some("x = 1\n".into()),
                "x = 2\n".into()
            )]
        );
        update(&mut m, applied("reply 4: a.py", &[("a.py", "x = 2\n")]));
        let view = m.code.changes.as_ref().unwrap();
        assert_eq!(view.set.files[0].state, ChangeState::Applied);
        key(&mut m, ']');
        let cmds = key(&mut m, 'A');
        let [Cmd::Apply { files, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}");
        };
        assert_eq!(files.len(), 1, "only what is still pending");
        update(&mut m, applied("reply 4: b.py", &[("b.py", "z\n")]));
        assert!(
            m.code.changes.is_none(),
            "nothing left to decide: the view closes"
        );
    }

    #[test]
    fn d_discards_and_the_view_closes_when_nothing_is_pending() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        key(&mut m, 'd');
        assert!(m.code.changes.is_some());
        key(&mut m, ']');
        key(&mut m, 'd');
        assert!(m.code.changes.is_none());
    }

    #[test]
    fn auto_apply_writes_without_asking() {
        let mut m = model(true);
        let cmds = update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert!(matches!(cmds.as_slice(), [Cmd::Apply { files, .. }] if files.len() == 2));
    }

    /// An apply of `files` (path, new text) reported done.
    fn applied(label: &str, files: &[(&str, &str)]) -> Msg {
        Msg::Event(AppEvent::Applied(Ok(ApplyDone {
            label: label.into(),
            files: wrote(files),
        })))
    }

    fn wrote(files: &[(&str, &str)]) -> Vec<Wrote> {
        files
            .iter()
            .map(|(rel, text)| Wrote {
                rel: rel.into(),
                hash: Some(safety::hash(text)),
            })
            .collect()
    }

    /// An undo (or redo) that left `files` (path, text) reported done.
    fn undone(redo: bool, label: &str, files: &[(&str, &str)]) -> Msg {
        Msg::Event(AppEvent::Undone {
            redo,
            outcome: UndoOutcome::Done {
                label: label.into(),
                files: wrote(files),
            },
        })
    }

    /// `path` shown with `text`, as the effects load it; whether a hand edit was noticed.
    fn reload(m: &mut Model, path: &str, text: &str) -> bool {
        m.code.files = super::super::Loaded::Ready(vec![PathBuf::from(path)]);
        m.code.selected = 0;
        m.code.load_id = 900;
        m.notice = None;
        update(
            m,
            Msg::Event(AppEvent::FileLoaded {
                id: 900,
                path: path.into(),
                content: Ok(FileText::from_text(text)),
            }),
        );
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("edited by hand"))
    }

    #[test]
    fn a_damaged_reply_is_never_applied_without_a_look() {
        let mut m = model(true);
        m.conversation.damaged.insert(set().turn);
        m.session.fix = Some(crate::model::workflow::FixLoop { round: 1, max: 3 });
        let cmds = update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert!(m.session.fix.is_none(), "the fix loop waits for no look");
        assert!(
            m.notice
                .as_ref()
                .unwrap()
                .text
                .ends_with("; the fix loop stops")
        );
        assert!(
            !cmds.iter().any(|c| matches!(c, Cmd::Apply { .. })),
            "{cmds:?}"
        );
        assert_eq!(m.focus, Pane::Code);
        let warning = m.code.changes.as_ref().and_then(|v| v.warning.clone());
        assert_eq!(
            warning.as_deref(),
            Some("⚠ The reply is damaged (a piece may be missing)")
        );
    }

    #[test]
    fn a_later_change_specbench_did_not_make_is_a_human_edit() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        update(&mut m, applied("reply 4", &[("a.py", "x = 2\n")]));
        assert!(!reload(&mut m, "a.py", "x = 2\n"));
        assert!(reload(&mut m, "a.py", "x = 3\n"));
        assert_eq!(m.authorship.human, vec![PathBuf::from("a.py")]);
        assert!(!reload(&mut m, "a.py", "x = 3\n"), "said once");
        // Put back by hand as specbench wrote it: specbench's own again.
        assert!(!reload(&mut m, "a.py", "x = 2\n"));
        assert!(m.authorship.human.is_empty());
        // Only the exact bytes count: a tab where specbench wrote four spaces is an edit.
        update(&mut m, applied("reply 5", &[("t.py", "if x:\n    y()\n")]));
        assert!(reload(&mut m, "t.py", "if x:\n\ty()\n"));
    }

    #[test]
    fn consecutive_applies_are_specbench_s_own_writes() {
        let mut m = model(false);
        for (i, text) in ["x = 2\n", "x = 3\n", "x = 4\n"].iter().enumerate() {
            update(&mut m, applied(&format!("reply {i}"), &[("a.py", text)]));
            assert!(!reload(&mut m, "a.py", text), "apply {i}");
        }
        assert!(m.authorship.human.is_empty());
    }

    #[test]
    fn a_hand_edit_after_an_undo_or_a_redo_is_noticed() {
        let mut m = model(false);
        update(
            &mut m,
            applied("reply 4", &[("a.py", "x = 2\n"), ("new.py", "n\n")]),
        );
        let undo = Msg::Event(AppEvent::Undone {
            redo: false,
            outcome: UndoOutcome::Done {
                label: "reply 4".into(),
                files: vec![
                    Wrote {
                        rel: "a.py".into(),
                        hash: Some(safety::hash("x = 1\n")),
                    },
                    Wrote {
                        rel: "new.py".into(),
                        hash: None,
                    },
                ],
            },
        });
        update(&mut m, undo);
        assert!(!reload(&mut m, "a.py", "x = 1\n"), "what the undo wrote");
        assert!(reload(&mut m, "a.py", "x = 1  # mine\n"));
        assert!(reload(&mut m, "new.py", "recreated by hand\n"));
        update(
            &mut m,
            undone(true, "reply 4", &[("a.py", "x = 2\n"), ("new.py", "n\n")]),
        );
        assert!(m.authorship.human.is_empty(), "redone: specbench's again");
        assert!(!reload(&mut m, "a.py", "x = 2\n"));
        assert!(reload(&mut m, "a.py", "x = 2  # mine\n"));
    }

    #[test]
    fn a_hand_edit_after_a_restore_is_noticed_and_a_blocked_restore_asks_then_goes_on() {
        let mut m = model(false);
        update(&mut m, applied("reply 1", &[("a.py", "1\n")]));
        update(
            &mut m,
            applied("reply 2", &[("a.py", "2\n"), ("b.py", "b2\n")]),
        );
        // A restore two steps back reports each step.
        update(
            &mut m,
            undone(false, "reply 2", &[("a.py", "1\n"), ("b.py", "b1\n")]),
        );
        update(&mut m, undone(false, "reply 1", &[("a.py", "0\n")]));
        assert!(!reload(&mut m, "a.py", "0\n"));
        assert!(!reload(&mut m, "b.py", "b1\n"));
        assert!(reload(&mut m, "b.py", "b1 by hand\n"));
        // Forward again: the first redo goes, the second meets the hand edit and asks.
        update(&mut m, undone(true, "reply 1", &[("a.py", "1\n")]));
        let blocked = UndoOutcome::ChangedSince {
            paths: vec![PathBuf::from("b.py")],
            steps: 1,
        };
        update(
            &mut m,
            Msg::Event(AppEvent::Undone {
                redo: true,
                outcome: blocked,
            }),
        );
        assert!(matches!(
            &m.overlay,
            Some(Overlay::ConfirmUndo {
                redo: true,
                steps: 1,
                ..
            })
        ));
        assert_eq!(
            key(&mut m, 'y'),
            vec![Cmd::Undo {
                redo: true,
                force: true
            }]
        );
        // A restore blocked with steps still to go carries on after the yes, forced once.
        let blocked = UndoOutcome::ChangedSince {
            paths: vec![PathBuf::from("b.py")],
            steps: 3,
        };
        update(
            &mut m,
            Msg::Event(AppEvent::Undone {
                redo: false,
                outcome: blocked,
            }),
        );
        assert_eq!(
            key(&mut m, 'y'),
            vec![Cmd::Travel {
                steps: -3,
                force: true
            }]
        );
    }

    #[test]
    fn what_specbench_wrote_before_a_restart_still_tells_hand_edits() {
        let mut m = model(false);
        // The file on screen loaded before the checkpoint store was read.
        assert!(!reload(
            &mut m,
            "a.py",
            "x = 9  # edited while specbench was closed\n"
        ));
        let mut written = crate::code::checkpoint::Written::new();
        written.insert(PathBuf::from("a.py"), Some(safety::hash("x = 2\n")));
        let recovery = Recovery {
            written,
            ..Recovery::default()
        };
        update(&mut m, Msg::Event(AppEvent::Recovered(recovery)));
        assert!(m.notice.as_ref().unwrap().text.contains("edited by hand"));
        assert!(!reload(&mut m, "a.py", "x = 2\n"));
    }

    #[test]
    fn an_interrupted_apply_found_on_open_is_reported() {
        let mut m = model(false);
        let recovery = Recovery {
            stopped: Some(crate::code::recovery::Stopped {
                label: "reply 3: a.py, b.py".into(),
                files: vec!["a.py".into(), "b.py".into()],
                written: vec!["a.py".into()],
                finished: false,
            }),
            sweep: crate::code::safety::Sweep {
                removed: vec!["/w/.a.py.4242.Ab3dE9.specbench-tmp".into()],
                kept: Vec::new(),
            },
            ..Recovery::default()
        };
        update(&mut m, Msg::Event(AppEvent::Recovered(recovery)));
        let notice = m.notice.as_ref().unwrap();
        assert_eq!(notice.kind, NoticeKind::Error);
        assert_eq!(
            notice.text,
            "An apply was cut short: 1 of 2 files written, u puts it back (reply 3: a.py, b.py) \
             · Removed a temp file left by a cut write"
        );
    }

    #[test]
    fn the_checkpoint_list_travels_back_and_forward() {
        let mut m = model(false);
        assert_eq!(key(&mut m, 'c'), vec![Cmd::ListCheckpoints]);
        let item = |id| CheckpointItem {
            id,
            label: format!("reply {id}"),
            files: 1,
        };
        let items = vec![item(1), item(2), item(3)];
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((items, 3)))),
        );
        assert!(matches!(
            m.overlay,
            Some(Overlay::Checkpoints { selected: 2, .. })
        ));
        let up = Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
        update(&mut m, up.clone());
        update(&mut m, up);
        let enter = Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(
            update(&mut m, enter.clone()),
            vec![Cmd::Travel {
                steps: -2,
                force: false
            }]
        );
        assert!(m.overlay.is_none());
        let items = vec![item(1), item(2), item(3)];
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((items, 1)))),
        );
        let end = Msg::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
        update(&mut m, end);
        assert_eq!(
            update(&mut m, enter),
            vec![Cmd::Travel {
                steps: 2,
                force: false
            }]
        );
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((Vec::new(), 0)))),
        );
        assert!(m.overlay.is_none());
        assert!(
            m.notice
                .as_ref()
                .unwrap()
                .text
                .starts_with("No checkpoints yet")
        );
    }

    #[test]
    fn an_undo_over_hand_edits_asks_and_y_forces_it() {
        let mut m = model(false);
        assert_eq!(
            key(&mut m, 'u'),
            vec![Cmd::Undo {
                redo: false,
                force: false
            }]
        );
        let outcome = UndoOutcome::ChangedSince {
            paths: vec![PathBuf::from("a.py")],
            steps: 1,
        };
        update(
            &mut m,
            Msg::Event(AppEvent::Undone {
                redo: false,
                outcome,
            }),
        );
        assert!(matches!(m.overlay, Some(Overlay::ConfirmUndo { .. })));
        assert_eq!(
            key(&mut m, 'y'),
            vec![Cmd::Undo {
                redo: false,
                force: true
            }]
        );
        assert!(m.overlay.is_none());
        assert_eq!(
            key(&mut m, 'U'),
            vec![Cmd::Undo {
                redo: true,
                force: false
            }]
        );
    }
}
