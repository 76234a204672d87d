//! The Spec pane through `update`: pins, scans, the evaluation.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::config::Config;
use crate::model::{AppEvent, Cmd, Model, Msg, NoticeKind, update};
use crate::spec::eval::Status;
use crate::spec::pin::{Pin, Pinned, PinsFound, content_hash};
use crate::spec::scan::ScanIndex;
use crate::theme::ThemeSource;

const SPEC: &str = "# T\n\n- [R1] No prints. `forbid: print\\(`\n- [R2] Adds. `test: *add*`\n";

fn model() -> Model {
    let theme = ThemeSource::default().load("default").unwrap();
    let mut m = Model::new("/ws".into(), "ws".into(), Config::default(), theme);
    update(&mut m, Msg::Resize(120, 40));
    m
}

fn pin(version: u32, text: &str) -> Pin {
    Pin {
        version,
        hash: content_hash(text),
        text: text.into(),
        spec_path: "SPEC.md".into(),
        pinned_at: 0,
    }
}

fn loaded(m: &mut Model, disk: &str, latest: Option<Pin>) -> Vec<Cmd> {
    let pins = PinsFound {
        latest,
        corrupted: Vec::new(),
    };
    update(
        m,
        Msg::Event(AppEvent::SpecLoaded {
            disk: Ok(disk.into()),
            pins: Ok(pins),
        }),
    )
}

fn scan_plan(cmds: &[Cmd]) -> Option<(SharedPlan, Option<Vec<PathBuf>>)> {
    cmds.iter().find_map(|c| match c {
        Cmd::Scan { plan, paths } => Some((plan.clone(), paths.clone())),
        _ => None,
    })
}

#[test]
fn the_first_open_pins_the_spec_once() {
    let mut m = model();
    let cmds = loaded(&mut m, SPEC, None);
    assert!(cmds.contains(&Cmd::Pin { text: SPEC.into() }));
    assert!(m.spec.pinning);
    // A reload while the pin is being written does not pin twice.
    let again = loaded(&mut m, SPEC, None);
    assert!(!again.iter().any(|c| matches!(c, Cmd::Pin { .. })));
    let created = Pinned {
        pin: pin(1, SPEC),
        created: true,
    };
    let cmds = update(&mut m, Msg::Event(AppEvent::Pinned(Ok(created))));
    assert!(!m.spec.pinning);
    let (_, paths) = scan_plan(&cmds).expect("the new pin's checks are scanned");
    assert_eq!(paths, None, "a full scan");
    assert_eq!(
        m.notice.as_ref().unwrap().text,
        "Pinned SPEC.md as v1 (".to_string() + &content_hash(SPEC)[..8] + ")"
    );
}

#[test]
fn an_empty_or_missing_spec_is_not_pinned() {
    let mut m = model();
    assert!(loaded(&mut m, "  \n", None).is_empty());
    let cmds = update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
    );
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Pin { .. })));
    assert!(m.notice.as_ref().unwrap().text.contains("Nothing to pin"));
}

#[test]
fn p_pins_the_text_on_disk_and_the_pin_rules_until_then() {
    let mut m = model();
    loaded(&mut m, SPEC, Some(pin(1, SPEC)));
    let edited = SPEC.replace("Adds.", "Adds two numbers.");
    loaded(&mut m, &edited, Some(pin(1, SPEC)));
    let diff = m.spec.diff.as_ref().expect("the edit is seen");
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(diff.changes[0].id, "R2");
    assert_eq!(
        m.spec.pinned.as_ref().unwrap().spec.clauses[1].text,
        "Adds."
    );
    let cmds = update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
    );
    assert_eq!(
        cmds,
        [Cmd::Pin {
            text: edited.clone()
        }]
    );
    let created = Pinned {
        pin: pin(2, &edited),
        created: true,
    };
    update(&mut m, Msg::Event(AppEvent::Pinned(Ok(created))));
    assert!(m.spec.diff.is_none());
    assert_eq!(m.spec.pinned.as_ref().unwrap().pin.version, 2);
}

#[test]
fn corrupted_pins_are_reported() {
    let mut m = model();
    let pins = PinsFound {
        latest: Some(pin(1, SPEC)),
        corrupted: vec![".specbench/pins/v2.json is corrupted (hash mismatch); not trusted".into()],
    };
    update(
        &mut m,
        Msg::Event(AppEvent::SpecLoaded {
            disk: Ok(SPEC.into()),
            pins: Ok(pins),
        }),
    );
    let notice = m.notice.as_ref().unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(
        notice.text.contains("v2.json is corrupted"),
        "{}",
        notice.text
    );
    assert_eq!(m.spec.pinned.as_ref().unwrap().pin.version, 1);
}

#[test]
fn scans_of_an_older_plan_are_dropped_and_changes_rescan_only_their_files() {
    let mut m = model();
    let cmds = loaded(&mut m, SPEC, Some(pin(1, SPEC)));
    let (old, _) = scan_plan(&cmds).unwrap();
    let edited = SPEC.replace("print", "println");
    let cmds = update(
        &mut m,
        Msg::Event(AppEvent::Pinned(Ok(Pinned {
            pin: pin(2, &edited),
            created: true,
        }))),
    );
    let (new, _) = scan_plan(&cmds).unwrap();
    assert_ne!(old, new);
    update(
        &mut m,
        Msg::Event(AppEvent::Scanned {
            plan_id: old.id,
            outcome: ScanOutcome::Full(ScanIndex::default()),
        }),
    );
    assert!(m.spec.scan.is_none(), "the old plan's scan is dropped");
    update(
        &mut m,
        Msg::Event(AppEvent::Scanned {
            plan_id: new.id,
            outcome: ScanOutcome::Full(ScanIndex::default()),
        }),
    );
    assert!(m.spec.scan.is_some());
    assert_eq!(
        m.spec.eval.clauses[0].status,
        Status::Holds,
        "no file prints"
    );
    let cmd = m
        .rescan_changed(&["src/a.py".into(), "notes.txt".into()])
        .expect("a code file changed");
    assert_eq!(
        cmd,
        Cmd::Scan {
            plan: new,
            paths: Some(vec!["src/a.py".into()])
        }
    );
}
