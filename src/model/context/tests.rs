use std::path::PathBuf;

use super::*;
use crate::config::Config;
use crate::context::map::RepoMap;
use crate::context::set::Reason;
use crate::context::set::{ContextSet, Member};
use crate::model::{Msg, update};

fn model() -> Model {
    let theme = crate::theme::ThemeSource::default()
        .load("default")
        .unwrap();
    let mut m = Model::new(PathBuf::from("/w"), "w".into(), Config::default(), theme);
    update(&mut m, Msg::Resize(120, 40));
    m
}

fn member(path: &str, reason: Reason, tokens: u32) -> Member {
    Member {
        path: PathBuf::from(path),
        reasons: vec![reason],
        tokens,
    }
}

fn chosen(members: Vec<Member>, budget: u32, map: &[&str]) -> ChosenContext {
    ChosenContext {
        set: ContextSet {
            all: false,
            members,
            unavailable: Vec::new(),
            dropped: Vec::new(),
            budget,
        },
        map: RepoMap {
            text: "map".into(),
            files: map.iter().map(PathBuf::from).collect(),
            tokens: 3,
        },
    }
}

fn outcome(id: u64, context: ChosenContext) -> Outcome {
    Outcome {
        id,
        context,
        text: "# The context set\n".into(),
        tokens: 5,
    }
}

#[test]
fn the_inputs_go_to_the_worker_once_the_scope_is_known_and_again_when_they_change() {
    let mut m = model();
    assert_eq!(m.refresh_context(), None, "no scope yet");
    let files = vec![PathBuf::from("a.py"), PathBuf::from("b.py")];
    let cmds = update(
        &mut m,
        Msg::Event(crate::model::AppEvent::CodeFilesFound(Ok(files.clone()))),
    );
    assert!(cmds.contains(&Cmd::Context(Job::Scope(files))));
    let choose: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::Context(Job::Choose { .. })))
        .collect();
    assert_eq!(choose.len(), 1, "{cmds:?}");
    assert!(!m.context_settled());
    // Nothing changed: nothing is asked again.
    assert_eq!(m.refresh_context(), None);
    // An add changes the inputs: the worker chooses again, with the file added.
    m.code.selected = 1;
    let cmds = m.add_shown_file();
    assert!(cmds.contains(&Cmd::Journal(Record::ContextAdded {
        path: "b.py".into()
    })));
    match m.refresh_context() {
        Some(Cmd::Context(Job::Choose { inputs, .. })) => {
            assert_eq!(inputs.sources.added, [PathBuf::from("b.py")]);
        }
        other => panic!("{other:?}"),
    }
    let cmds = m.drop_shown_file();
    assert!(cmds.contains(&Cmd::Journal(Record::ContextDropped {
        path: "b.py".into()
    })));
    assert_eq!(m.context.choices.added, Vec::<PathBuf>::new());
    assert_eq!(m.context.choices.dropped, [PathBuf::from("b.py")]);
}

#[test]
fn a_choice_becomes_the_code_part_and_marks_the_files() {
    let mut m = model();
    m.code.files = Loaded::Ready(vec![
        PathBuf::from("a.py"),
        PathBuf::from("b.py"),
        PathBuf::from("c.py"),
    ]);
    let Some(Cmd::Context(Job::Choose { id, .. })) = m.refresh_context() else {
        panic!("no choice asked");
    };
    let c = chosen(vec![member("a.py", Reason::Spec, 10)], 100, &["b.py"]);
    assert!(m.on_context_chosen(outcome(id, c)).is_empty());
    assert!(m.context_settled());
    assert_eq!(m.conversation.code.text, "# The context set\n");
    assert_eq!(
        m.file_mark(Path::new("a.py")),
        FileMark::InSet(Reason::Spec)
    );
    assert_eq!(m.file_mark(Path::new("b.py")), FileMark::Map);
    assert_eq!(m.file_mark(Path::new("c.py")), FileMark::Out);
    assert_eq!(
        m.gauge_code(),
        Some(GaugeCode {
            files: 1,
            map: 1,
            over: 0
        })
    );
    assert_eq!(
        m.seed_code_words(),
        "the context set (a.py), a map of 1 other file"
    );
    // An older choice arriving late changes nothing.
    let stale = chosen(Vec::new(), 100, &[]);
    m.on_context_chosen(outcome(id - 1, stale));
    assert_eq!(
        m.file_mark(Path::new("a.py")),
        FileMark::InSet(Reason::Spec)
    );
}

#[test]
fn all_the_code_is_not_marked_and_the_gauge_reads_as_before() {
    let mut m = model();
    let mut c = chosen(vec![member("a.py", Reason::All, 10)], 100, &[]);
    c.set.all = true;
    m.on_context_chosen(outcome(1, c));
    assert_eq!(m.file_mark(Path::new("a.py")), FileMark::Unmarked);
    assert_eq!(m.gauge_code(), None);
    assert_eq!(m.seed_code_words(), "the code in scope");
}

#[test]
fn an_overflow_is_named_and_a_send_waits_for_the_users_say() {
    let mut m = model();
    let c = chosen(
        vec![
            member("a.py", Reason::Spec, 60),
            member("b.py", Reason::Failing, 60),
        ],
        100,
        &[],
    );
    let cmds = m.on_context_chosen(outcome(1, c.clone()));
    assert_eq!(cmds.len(), 1, "the overflow is announced");
    let notice = m.notice.clone().unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(
        notice
            .text
            .starts_with("b.py over the code budget (+20 of 100) · - drops the file shown"),
        "{}",
        notice.text
    );
    assert_eq!(m.gauge_code().map(|g| g.over), Some(1));
    // The same overflow again is not announced twice.
    assert!(m.on_context_chosen(outcome(2, c)).is_empty());
    // The first send is held, the second goes.
    m.session.opened = true;
    m.set_draft("go");
    let held = m.send();
    assert!(!held.iter().any(|c| matches!(c, Cmd::Send { .. })));
    let notice = m.notice.clone().unwrap();
    assert!(
        notice
            .text
            .starts_with("Not sent: b.py over the code budget"),
        "{}",
        notice.text
    );
    assert_eq!(m.draft(), "go", "the draft is kept");
    let sent = m.send();
    assert!(
        sent.iter().any(|c| matches!(c, Cmd::Send { .. })),
        "{sent:?}"
    );
}
