//! Snapshots of the model's tool calls in the Conversation pane: one compact line a call,
//! collapsed and expanded (`t`) to the start of its result; an error and a cut call; and the
//! gauge and the inspector counting the calls and their results in the history.

mod common;

use common::{deliver, demo_file, demo_model, render, send_draft};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use specbench::llm::ToolCall;
use specbench::llm::client::ReplyEvent;
use specbench::model::{AppEvent, Cmd, Model, Msg, update};

fn keys(model: &mut Model, keys: &str) {
    for c in keys.chars() {
        update(
            model,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

fn ended(model: &mut Model, turn: u64) -> Vec<Cmd> {
    update(
        model,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    )
}

/// The demo after one message whose reply read two files (one refused) and searched, and whose
/// continuation answered; the tools run for real on the demo workspace as its story ends.
fn after_a_tool_round(cols: u16, rows: u16) -> Model {
    let dir = tempfile::tempdir().unwrap();
    for rel in ["rate_limiter.py", "test_rate_limiter.py", "SPEC.md"] {
        std::fs::write(dir.path().join(rel), demo_file(rel)).unwrap();
    }
    let mut model = demo_model("default", cols, rows);
    keys(&mut model, "2i");
    let turn = send_draft(&mut model);
    let calls = [
        call(
            "call_1",
            "read_file",
            r#"{"path": "rate_limiter.py", "start_line": 20, "end_line": 60}"#,
        ),
        call(
            "call_2",
            "search",
            r#"{"pattern": "def test_r\\d", "glob": "*.py"}"#,
        ),
        call("call_3", "read_file", r#"{"path": "../secrets.txt"}"#),
    ];
    let mut events = vec![ReplyEvent::Delta("Let me look at `allow` first.".into())];
    events.extend(calls.iter().cloned().map(ReplyEvent::ToolCall));
    events.push(ReplyEvent::ToolCallCut(call(
        "call_4",
        "list_files",
        r#"{"glob": "src/**"#,
    )));
    deliver(&mut model, turn, &events);
    let cmds = ended(&mut model, turn);
    let Some(Cmd::RunTools { turn: ran, calls }) =
        cmds.into_iter().find(|c| matches!(c, Cmd::RunTools { .. }))
    else {
        panic!("the calls run");
    };
    assert_eq!(calls.len(), 3, "the cut call is not run");
    let secrets = specbench::secrets::Secrets::from_env("SPECBENCH_NO_SUCH_KEY");
    let outcomes = calls
        .iter()
        .map(|c| specbench::tools::run(dir.path(), c, &secrets))
        .collect();
    let cmds = update(
        &mut model,
        Msg::Event(AppEvent::ToolsRan {
            turn: ran,
            outcomes,
        }),
    );
    let Some(Cmd::Send { turn: next, .. }) =
        cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. }))
    else {
        panic!("the results go back");
    };
    let answer = "`allow` drops old entries before it counts, so R2 holds.";
    deliver(&mut model, next, &[ReplyEvent::Delta(answer.into())]);
    ended(&mut model, next);
    update(
        &mut model,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    model.notice = None;
    model
}

#[test]
fn tool_calls_collapsed_one_line_each_zoomed_100x30() {
    let mut model = after_a_tool_round(100, 30);
    keys(&mut model, "z");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn tool_calls_expanded_with_t_zoomed_100x50() {
    let mut model = after_a_tool_round(100, 50);
    keys(&mut model, "zt");
    insta::assert_snapshot!(render(&model).backend());
}

/// The calls and results are part of the history the gauge counts: the bar and the
/// inspector's history heading grow by them, and the inspector shows each call and result.
#[test]
fn the_gauge_and_the_inspector_count_the_tools_in_the_history_120x40() {
    let mut model = after_a_tool_round(120, 40);
    let conv = &model.conversation;
    let text: u32 = conv.messages.iter().map(|m| m.tokens).sum();
    let tools: u32 = conv.messages.iter().map(|m| m.tool_tokens()).sum();
    assert!(tools > 0);
    assert_eq!(conv.history_tokens(), text + tools);
    keys(&mut model, "z");
    insta::assert_snapshot!("gauge_with_tools", render(&model).backend());
    update(
        &mut model,
        Msg::Key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL)),
    );
    update(
        &mut model,
        Msg::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE)),
    );
    insta::assert_snapshot!("inspector_history_with_tools", render(&model).backend());
}
