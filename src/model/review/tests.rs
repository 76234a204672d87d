//! Proposed changes through `update`: review, apply, discard, undo, hand edits, recovery.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::code::changes::{ChangeSet, ChangeState, FileChange, diff_lines};
use crate::code::recovery::Recovery;
use crate::config::Config;
use crate::model::{AppEvent, CheckpointItem, Cmd, Model, Msg, NoticeKind, Overlay, Pane, update};
use crate::workspace::FileText;

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
            hash: Some(crate::files::hash(text)),
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
                    hash: Some(crate::files::hash("x = 1\n")),
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
    written.insert(PathBuf::from("a.py"), Some(crate::files::hash("x = 2\n")));
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
        sweep: crate::files::Sweep {
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
