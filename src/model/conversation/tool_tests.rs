//! Tool rounds through `update`: the round limit, a model that only repeats itself, `Esc`
//! while the calls run, tools off by config and by the server's word.

use crate::config::{Config, Tools};
use crate::llm::client::ReplyEvent;
use crate::llm::tools::NOT_RUN;
use crate::llm::{ChatRequest, Role, ToolCall, ToolResult};
use crate::model::{AppEvent, Cmd, Model, Msg, update};
use crate::session::journal::Record;
use crate::tools::ToolOutcome;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use tokio::time::Instant;

fn model(config: Config) -> Model {
    let theme = crate::theme::ThemeSource::default()
        .load("default")
        .unwrap();
    let mut m = Model::new(PathBuf::from("/w"), "w".into(), config, theme);
    update(&mut m, Msg::Resize(120, 40));
    m
}

fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn sent(cmds: &[Cmd]) -> Option<(u64, ChatRequest)> {
    cmds.iter().find_map(|c| match c {
        Cmd::Send { turn, request, .. } => Some((*turn, (**request).clone())),
        _ => None,
    })
}

fn send(m: &mut Model, text: &str) -> (u64, ChatRequest) {
    key(m, KeyCode::Char('i'));
    for c in text.chars() {
        key(m, KeyCode::Char(c));
    }
    let cmds = key(m, KeyCode::Enter);
    key(m, KeyCode::Esc);
    sent(&cmds).expect("a send")
}

fn call(id: &str, path: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: "read_file".into(),
        arguments: format!("{{\"path\": \"{path}\"}}"),
    }
}

/// The reply to `turn` calls `calls` and ends; the commands that follow.
fn calls(m: &mut Model, turn: u64, calls: &[ToolCall]) -> Vec<Cmd> {
    let at = Instant::now();
    for c in calls {
        let event = ReplyEvent::ToolCall(c.clone());
        update(m, Msg::Event(AppEvent::Reply { turn, event, at }));
    }
    update(
        m,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    )
}

fn ran(cmds: &[Cmd]) -> Option<(u64, Vec<ToolCall>)> {
    cmds.iter().find_map(|c| match c {
        Cmd::RunTools { turn, calls } => Some((*turn, calls.clone())),
        _ => None,
    })
}

fn outcome(id: &str, text: &str, read: Option<&str>) -> ToolOutcome {
    ToolOutcome {
        result: ToolResult {
            call_id: id.into(),
            content: text.into(),
            is_error: false,
        },
        read: read.map(PathBuf::from),
    }
}

fn results(m: &mut Model, turn: u64, outcomes: Vec<ToolOutcome>) -> Vec<Cmd> {
    update(m, Msg::Event(AppEvent::ToolsRan { turn, outcomes }))
}

fn notice(m: &Model) -> String {
    m.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn results_go_back_after_the_call_and_the_model_continues() {
    let mut m = model(Config::default());
    let (turn, first) = send(&mut m, "why?");
    assert_eq!(first.tools.len(), 3, "the tools are offered");
    let cmds = calls(&mut m, turn, &[call("a", "x.py")]);
    let (run_turn, run) = ran(&cmds).expect("the call runs");
    assert_eq!((run_turn, run.len()), (turn, 1));
    assert!(m.conversation.streaming(), "the turn is not over");
    let cmds = results(&mut m, turn, vec![outcome("a", "1  x = 1", Some("x.py"))]);
    let (next, request) = sent(&cmds).expect("the results go back");
    assert_ne!(next, turn);
    assert!(cmds.contains(&Cmd::Journal(Record::Continue {
        turn: next,
        after: turn,
        round: 1
    })));
    // The same request, extended by the reply with its call and result.
    assert_eq!(request.messages[..first.messages.len()], first.messages[..]);
    let asked = request.messages.last().unwrap();
    assert_eq!(asked.role, Role::Assistant);
    assert_eq!(asked.tool_calls, [call("a", "x.py")]);
    assert_eq!(asked.tool_results[0].content, "1  x = 1");
    assert_eq!(m.context.read, [PathBuf::from("x.py")]);
    // Results that arrive for a turn no longer running are dropped.
    assert!(results(&mut m, turn, vec![outcome("a", "late", None)]).is_empty());
}

#[test]
fn past_max_tool_rounds_the_turn_stops_with_a_notice() {
    let mut config = Config::default();
    config.model.max_tool_rounds = 1;
    let mut m = model(config);
    let (turn, _) = send(&mut m, "why?");
    calls(&mut m, turn, &[call("a", "x.py")]);
    let (next, _) = sent(&results(&mut m, turn, vec![outcome("a", "x", None)])).unwrap();
    let cmds = calls(&mut m, next, &[call("b", "y.py")]);
    assert!(ran(&cmds).is_none(), "no second round");
    assert!(sent(&cmds).is_none());
    assert!(!m.conversation.streaming());
    assert!(notice(&m).contains("max_tool_rounds"), "{}", notice(&m));
    assert!(m.conversation.tools.stopped.is_some());
    // The next message carries the unrun call back as not run.
    let (_, request) = send(&mut m, "go on");
    let unrun = &request.messages[request.messages.len() - 2];
    assert_eq!(unrun.tool_calls, [call("b", "y.py")]);
    assert!(unrun.tool_results.is_empty());
    assert_eq!(crate::llm::tools::paired(unrun)[0].1.content, NOT_RUN);
    assert!(
        m.conversation.tools.stopped.is_none(),
        "a new message, a new count"
    );
}

#[test]
fn a_model_that_only_repeats_its_calls_is_stopped() {
    let mut m = model(Config::default());
    let (turn, _) = send(&mut m, "why?");
    calls(&mut m, turn, &[call("a", "x.py")]);
    let (second, _) = sent(&results(&mut m, turn, vec![outcome("a", "x", None)])).unwrap();
    // The same call again: answered without running, and the model goes on.
    let cmds = calls(&mut m, second, &[call("b", "x.py")]);
    assert!(ran(&cmds).is_none());
    let (third, request) = sent(&cmds).expect("goes on");
    let repeat = &request.messages.last().unwrap().tool_results[0];
    assert!(
        repeat.is_error && repeat.content.contains("round 1"),
        "{repeat:?}"
    );
    // And again: two rounds of nothing but repeats end the turn.
    let cmds = calls(&mut m, third, &[call("c", "x.py")]);
    assert!(sent(&cmds).is_none() && ran(&cmds).is_none());
    assert!(
        notice(&m).contains("only for what it already has"),
        "{}",
        notice(&m)
    );
    assert!(!m.conversation.streaming());
}

#[test]
fn esc_cancels_the_calls_running() {
    let mut m = model(Config::default());
    let (turn, _) = send(&mut m, "why?");
    calls(&mut m, turn, &[call("a", "x.py")]);
    assert!(m.conversation.messages[1].tools[0].running);
    let cmds = key(&mut m, KeyCode::Esc);
    assert!(cmds.contains(&Cmd::CancelReply { turn }));
    assert!(!m.conversation.streaming());
    let t = &m.conversation.messages[1].tools[0];
    assert!(!t.running && t.result.is_none());
    assert!(
        notice(&m).contains("Tool calls cancelled"),
        "{}",
        notice(&m)
    );
    assert!(results(&mut m, turn, vec![outcome("a", "x", None)]).is_empty());
}

#[test]
fn tools_off_by_config_or_by_the_server_offer_none() {
    let mut config = Config::default();
    config.model.tools = Tools::Off;
    let mut m = model(config);
    assert!(send(&mut m, "q").1.tools.is_empty());

    let mut m = model(Config::default());
    update(&mut m, Msg::Event(AppEvent::ToolSupport(None)));
    assert!(
        m.conversation.tools.off.is_none(),
        "a server that does not say"
    );
    update(&mut m, Msg::Event(AppEvent::ToolSupport(Some(false))));
    assert!(notice(&m).contains("Tools are off"), "{}", notice(&m));
    assert!(send(&mut m, "q").1.tools.is_empty());
}

#[test]
fn t_shows_and_hides_the_results() {
    let mut m = model(Config::default());
    key(&mut m, KeyCode::Char('2'));
    key(&mut m, KeyCode::Char('t'));
    assert!(notice(&m).contains("No tool calls"));
    let (turn, _) = send(&mut m, "why?");
    calls(&mut m, turn, &[call("a", "x.py")]);
    results(&mut m, turn, vec![outcome("a", "x", None)]);
    key(&mut m, KeyCode::Char('t'));
    assert!(m.conversation.tools.expanded);
    key(&mut m, KeyCode::Char('t'));
    assert!(!m.conversation.tools.expanded);
}

#[test]
fn a_resumed_session_shows_its_calls_and_sends_them_back() {
    use crate::session::restore::{RestoredCall, RestoredMessage, RestoredStatus};
    let mut m = model(Config::default());
    let (turn, _) = send(&mut m, "why?");
    calls(&mut m, turn, &[call("a", "x.py")]);
    results(&mut m, turn, vec![outcome("a", "1  x = 1", Some("x.py"))]);
    // What the journal would give back: the message, the reply with its call, the rest.
    let journaled: Vec<RestoredMessage> = m
        .conversation
        .messages
        .iter()
        .map(|msg| RestoredMessage {
            turn,
            role: msg.role,
            text: msg.text.clone(),
            status: RestoredStatus::Complete,
            kind: msg.kind,
            corrects: Vec::new(),
            usage: Default::default(),
            tools: msg
                .tools
                .iter()
                .map(|t| RestoredCall {
                    call: t.call.clone(),
                    cut: false,
                    result: t.result.clone(),
                })
                .collect(),
            continues: None,
        })
        .collect();
    let restored = crate::session::restore::Restored {
        messages: journaled,
        read: vec!["x.py".into()],
        max_turn: 99,
        ..Default::default()
    };
    let mut again = model(Config::default());
    update(
        &mut again,
        Msg::Event(AppEvent::SessionOpened {
            id: "s".into(),
            restored: Some(Box::new(restored)),
            counts: Vec::new(),
        }),
    );
    let t = &again.conversation.messages[1].tools[0];
    assert_eq!(t.label, "read x.py");
    assert!(t.tokens > 0 && t.result.is_some());
    assert_eq!(again.context.read, [PathBuf::from("x.py")]);
    let (_, request) = send(&mut again, "next");
    let asked = &request.messages[1];
    assert_eq!(asked.tool_calls, [call("a", "x.py")]);
    assert_eq!(asked.tool_results[0].content, "1  x = 1");
}

#[test]
fn without_tools_a_reply_naming_files_offers_them_and_plus_adds_them() {
    let mut config = Config::default();
    config.model.tools = Tools::Off;
    let mut m = model(config);
    let (turn, _) = send(&mut m, "q");
    let at = Instant::now();
    let event = ReplyEvent::Delta("See notes/a.txt.".into());
    update(&mut m, Msg::Event(AppEvent::Reply { turn, event, at }));
    let cmds = update(
        &mut m,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    );
    assert!(cmds.contains(&Cmd::FindMentions {
        turn,
        reply: "See notes/a.txt.".into(),
        carried: Vec::new(),
    }));
    let files = vec![PathBuf::from("notes/a.txt")];
    let mentioned = AppEvent::Mentioned {
        turn,
        files: files.clone(),
    };
    update(&mut m, Msg::Event(mentioned.clone()));
    assert!(
        notice(&m).contains("mentions notes/a.txt"),
        "{}",
        notice(&m)
    );
    key(&mut m, KeyCode::Char('2'));
    let cmds = key(&mut m, KeyCode::Char('+'));
    assert!(cmds.contains(&Cmd::Journal(Record::ContextAdded {
        path: "notes/a.txt".into()
    })));
    assert_eq!(m.context.choices.added, files);
    // A late answer for a reply already followed by another message offers nothing.
    let (next, _) = send(&mut m, "r");
    update(
        &mut m,
        Msg::Event(AppEvent::ReplyEnded {
            turn: next,
            result: Err(crate::llm::client::LlmError::Ended),
        }),
    );
    m.notice = None;
    update(&mut m, Msg::Event(mentioned));
    assert!(m.conversation.tools.offered.is_empty());
    assert!(m.notice.is_none());
}
