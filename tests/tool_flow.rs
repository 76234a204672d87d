//! Tool rounds through the real event loop (`app::run`), real effects, a real workspace and a
//! real HTTP server on 127.0.0.1 replaying OpenAI-format streams cut in odd pieces: the model
//! reads a file the request did not carry, then proposes an edit that is applied and tested;
//! the exact requests that went back (tool results, ids, order); the journal; a tool round
//! recorded with `--record` and played back offline with `--replay`; and a server that refuses
//! tools, which turns them off for the session and gets the message again without them.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::sse_server::{Chunking, Reply, Server};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::unbounded;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::Model;
use specbench::theme::ThemeSource;

const MESSAGE: &str = "Set LIMIT in limit.py to the agreed limit";
const NOTE: &str = "The agreed limit is 7 requests.\n";
const CALL_ID: &str = "call_Rl8aSx0yZJ2dN7b3";
const EDIT: &str = "The note says 7.\n\n```python path=limit.py\nLIMIT = 7\n```\n";

/// One OpenAI chunk event carrying `delta` (and `finish`, when given).
fn chunk(delta: Value, finish: Option<&str>) -> String {
    let event = json!({
        "id": "chatcmpl-tools",
        "object": "chat.completion.chunk",
        "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {event}\n\n")
}

/// A reply that says `text`, then calls `read_file` on `notes/limit.txt`, its arguments cut
/// across three events.
fn reading_reply(text: &str) -> String {
    let mut out = chunk(json!({"role": "assistant", "content": text}), None);
    out += &chunk(
        json!({"tool_calls": [{"index": 0, "id": CALL_ID, "type": "function",
            "function": {"name": "read_file", "arguments": ""}}]}),
        None,
    );
    for piece in ["{\"pa", "th\": \"notes/li", "mit.txt\"}"] {
        out += &chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
            None,
        );
    }
    out += &chunk(json!({}), Some("tool_calls"));
    out += "data: [DONE]\n\n";
    out
}

/// A plain reply of `text`.
fn text_reply(text: &str) -> String {
    let mut out = chunk(json!({"role": "assistant", "content": ""}), None);
    for piece in text.as_bytes().chunks(9) {
        out += &chunk(json!({"content": String::from_utf8_lossy(piece)}), None);
    }
    out += &chunk(json!({}), Some("stop"));
    out += "data: [DONE]\n\n";
    out
}

/// A workspace whose request carries the Python files only: the note the model needs is not
/// in it. `limit.py` does not exist yet; its test fails until it does.
fn workspace(model: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("notes")).unwrap();
    std::fs::write(root.join("notes/limit.txt"), NOTE).unwrap();
    std::fs::write(
        root.join("test_limit.py"),
        "import unittest\n\n\nclass LimitTest(unittest.TestCase):\n    def test_limit_is_seven(self):\n        from limit import LIMIT\n        self.assertEqual(LIMIT, 7)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n",
    )
    .unwrap();
    std::fs::write(
        root.join("SPEC.md"),
        "# Limit\n\n- R1: LIMIT is the agreed limit.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("specbench.toml"),
        format!(
            "[tests]\ncommand = \"python3 -m unittest -v\"\nformat = \"unittest\"\ntimeout_secs = 60\n\n\
             [code]\ninclude = [\"**/*.py\"]\n\n{model}\n\n\
             [loop]\nauto_test = true\nfix_rounds = 0\nauto_apply = true\n"
        ),
    )
    .unwrap();
    dir
}

/// The `[model]` section for the loopback server.
fn live_model(server: &Server) -> String {
    format!(
        "[model]\nprovider = \"openai\"\nmodel = \"gpt-4.1-mini\"\nbase_url = \"{}/v1\"\napi_key_env = \"SPECBENCH_TOOL_FLOW_NO_KEY\"\ncontext_window = 128000\nmax_output_tokens = 4096",
        server.url()
    )
}

struct Ended {
    model: Model,
    screen: String,
}

/// Opens the workspace in the real loop, sends `MESSAGE`, waits until `done` holds for the
/// workspace on disk (at most 20 s), runs `then` on the keys, and quits.
async fn session(
    root: &Path,
    overrides: Overrides,
    done: impl Fn(&Path) -> bool,
    then: &[KeyCode],
) -> Ended {
    session_then(root, overrides, done, then, None, || true).await
}

/// [`session`], then after `then` (and a pause) `second` is sent, and the loop quits once
/// `finished` holds (at most 20 s).
async fn session_then(
    root: &Path,
    overrides: Overrides,
    done: impl Fn(&Path) -> bool,
    then: &[KeyCode],
    second: Option<&str>,
    finished: impl Fn() -> bool,
) -> Ended {
    let config = config::load(root, &overrides).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let model = Model::new(root.to_path_buf(), "ws".into(), config.clone(), theme);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(root.to_path_buf(), config, tx);
    let (keys, keys_rx) = unbounded::<io::Result<Event>>();
    let mut terminal = Terminal::new(TestBackend::new(100, 40)).unwrap();
    let mut host = NoHost::default();
    let press = |code| {
        keys.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
            .unwrap();
    };
    let script = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        press(KeyCode::Char('i'));
        for c in MESSAGE.chars() {
            press(KeyCode::Char(c));
        }
        press(KeyCode::Enter);
        press(KeyCode::Esc);
        for _ in 0..400 {
            if done(root) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The focus on the Conversation pane, for its keys.
        press(KeyCode::Char('2'));
        for &key in then {
            press(key);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(text) = second {
            press(KeyCode::Char('i'));
            for c in text.chars() {
                press(KeyCode::Char(c));
            }
            press(KeyCode::Enter);
            press(KeyCode::Esc);
        }
        for _ in 0..400 {
            if finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        press(KeyCode::Char('q'));
    };
    let run = app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx);
    let (model, ()) = tokio::join!(run, script);
    let buffer = terminal.backend().buffer();
    let screen = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ended {
        model: model.unwrap(),
        screen,
    }
}

/// The journal's records, in order.
fn journal(root: &Path) -> Vec<Value> {
    let dir = root.join(".specbench/sessions");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a journal");
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Whether a test run ended after `limit.py` appeared.
fn tested(root: &Path) -> bool {
    root.join("limit.py").exists()
        && root
            .join(".specbench/sessions")
            .read_dir()
            .ok()
            .and_then(|mut d| d.next())
            .is_some()
        && journal(root)
            .iter()
            .any(|r| r["type"] == "run" && r["passed"] == 1)
}

fn chats(server: &Server) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn the_model_reads_a_file_then_its_edit_is_applied_and_tested() {
    let server = Server::start_chat(vec![
        Reply::sse(reading_reply("Let me read the note.")).chunking(Chunking::Odd),
        Reply::sse(text_reply(EDIT)).chunking(Chunking::Odd),
        Reply::sse(text_reply("Done.")),
    ])
    .await;
    let dir = workspace(&live_model(&server));
    let root = dir.path();
    let keys = [KeyCode::Char('z'), KeyCode::Char('t')];
    let count = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/chat/completions")
            .count()
    };
    let ended = session_then(
        root,
        Overrides::default(),
        tested,
        &keys,
        Some("Thanks"),
        || count() >= 3,
    )
    .await;

    // Applied and tested: the test that needed the note's number passes.
    assert_eq!(
        std::fs::read_to_string(root.join("limit.py")).unwrap(),
        "LIMIT = 7\n"
    );
    let runs: Vec<Value> = journal(root)
        .into_iter()
        .filter(|r| r["type"] == "run")
        .collect();
    assert_eq!(runs.last().unwrap()["passed"], 1, "{runs:?}");

    // Two requests: the message with the tools offered, then the same request with the call and
    // its result after it, in that order, under the call's id.
    let sent = chats(&server);
    assert_eq!(sent.len(), 3, "{sent:#?}");
    // The file the model read joined the context set: the next message's request carries it
    // in full, as read by the model, and the history still has the call and its result.
    let system = |i: usize| {
        sent[i]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(!system(0).contains("The agreed limit is 7 requests."));
    assert!(
        system(2).contains("notes/limit.txt")
            && system(2).contains("The agreed limit is 7 requests."),
        "{}",
        system(2)
    );
    let names: Vec<&str> = sent[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["read_file", "list_files", "search"]);
    let first = sent[0]["messages"].as_array().unwrap();
    assert!(
        !first
            .iter()
            .any(|m| m.to_string().contains("agreed limit is 7")),
        "the note is not in the first request"
    );
    assert!(
        first.last().unwrap()["content"]
            .as_str()
            .unwrap()
            .contains(MESSAGE)
    );
    let second = sent[1]["messages"].as_array().unwrap();
    assert_eq!(second.len(), first.len() + 2);
    assert_eq!(
        second[..first.len()],
        first[..],
        "the request is extended, not rebuilt"
    );
    assert_eq!(
        second[first.len()],
        json!({
            "role": "assistant",
            "content": "Let me read the note.",
            "tool_calls": [{"id": CALL_ID, "type": "function",
                "function": {"name": "read_file", "arguments": "{\"path\": \"notes/limit.txt\"}"}}],
        })
    );
    let result = &second[first.len() + 1];
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], CALL_ID);
    let content = result["content"].as_str().unwrap();
    assert!(
        content.starts_with("notes/limit.txt: lines 1-1 of 1\n1  The agreed limit is 7 requests."),
        "{content}"
    );
    assert_eq!(
        sent[1]["tools"], sent[0]["tools"],
        "the tools are offered again"
    );

    // The journal holds the call, its result (naming the file read), the continuation, and
    // both replies' ends, in the order they happened.
    let records = journal(root);
    let kinds: Vec<&str> = records
        .iter()
        .filter_map(|r| r["type"].as_str())
        .filter(|t| ["user", "tool_call", "tool_result", "continue", "end"].contains(t))
        .collect();
    assert_eq!(
        kinds,
        [
            "user",
            "tool_call",
            "end",
            "tool_result",
            "continue",
            "end",
            "user",
            "end"
        ]
    );
    let result = records.iter().find(|r| r["type"] == "tool_result").unwrap();
    assert_eq!(result["id"], CALL_ID);
    assert_eq!(result["read"], "notes/limit.txt");
    assert_eq!(result["content"].as_str().unwrap(), content);

    // The conversation: the call is one line under the first reply, its result shown (`t`);
    // the file read is known.
    assert!(
        ended.screen.contains("▾ read notes/limit.txt · "),
        "{}",
        ended.screen
    );
    assert!(
        ended.screen.contains("agreed limit is 7"),
        "{}",
        ended.screen
    );
    let conv = &ended.model.conversation;
    assert_eq!(ended.model.context.read, [PathBuf::from("notes/limit.txt")]);
    let tools = &conv.messages[1].tools;
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].label, "read notes/limit.txt");
    assert!(tools[0].result_tokens > 0);
    // The gauge counts it in the history: the call and its result are part of it.
    let history: u32 = conv.messages.iter().map(|m| m.tokens).sum();
    assert!(conv.history_tokens() >= history + tools[0].tokens);

    // The export tells it from the journal: the call, its result, the continuation.
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_specbench"))
        .args(["export", "--format", "md"])
        .current_dir(root)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&export.stdout);
    assert!(
        md.contains("> tool call `read_file` {\"path\": \"notes/limit.txt\"}")
            && md.contains("1  The agreed limit is 7 requests.")
            && md.contains("#### model, after the tools"),
        "{md}"
    );
}

#[tokio::test]
async fn a_tool_round_recorded_through_the_app_replays_offline() {
    let server = Server::start_chat(vec![
        Reply::sse(reading_reply("Let me read the note.")).chunking(Chunking::Odd),
        Reply::sse(text_reply(EDIT)),
    ])
    .await;
    let live = workspace(&live_model(&server));
    let cassette = live.path().join("tools.cassette.jsonl");
    let overrides = Overrides {
        record: Some(cassette.clone()),
        ..Overrides::default()
    };
    session(live.path(), overrides, tested, &[]).await;
    let recorded = std::fs::read_to_string(&cassette).unwrap();
    assert_eq!(
        recorded.lines().count(),
        2,
        "the message and its continuation"
    );
    drop(server);

    // Offline: no server at all; the cassette plays the call, the tool runs on this
    // workspace, the continuation plays, the edit is applied and tested.
    let offline = workspace(
        "[model]\nprovider = \"replay\"\ncassette = \"tools.cassette.jsonl\"\nmodel = \"gpt-4.1-mini\"\nreplay_speed = 0.0",
    );
    let root = offline.path();
    std::fs::write(root.join("tools.cassette.jsonl"), recorded).unwrap();
    let ended = session(root, Overrides::default(), tested, &[]).await;
    assert_eq!(
        std::fs::read_to_string(root.join("limit.py")).unwrap(),
        "LIMIT = 7\n"
    );
    let records = journal(root);
    let result = records.iter().find(|r| r["type"] == "tool_result").unwrap();
    assert_eq!(result["id"], CALL_ID);
    assert!(
        result["content"]
            .as_str()
            .unwrap()
            .contains("The agreed limit is 7 requests."),
        "{result}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "continue" && r["round"] == 1)
    );
    let conv = &ended.model.conversation;
    assert_eq!(
        conv.messages.len(),
        3,
        "the message, the call, the continuation"
    );
    assert_eq!(conv.messages[1].tools[0].label, "read notes/limit.txt");
    assert!(conv.messages[2].text.contains("LIMIT = 7"));
}

#[tokio::test]
async fn a_server_that_refuses_tools_gets_the_message_again_without_them() {
    let refusal =
        std::fs::read_to_string("tests/fixtures/sse/llama_tools_need_jinja.json").unwrap();
    let server = Server::start_chat(vec![
        Reply::json(500, &refusal),
        Reply::sse(text_reply(EDIT)),
    ])
    .await;
    let dir = workspace(&live_model(&server));
    let root = dir.path();
    let ended = session(root, Overrides::default(), tested, &[]).await;

    // Sent twice: with the tools, then the same request without them, once.
    let sent = chats(&server);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent[0].get("tools").is_some());
    assert!(sent[1].get("tools").is_none(), "{:#}", sent[1]);
    assert_eq!(sent[0]["messages"], sent[1]["messages"]);
    // The reply is the one that came back; its edit was applied and tested.
    assert_eq!(
        std::fs::read_to_string(root.join("limit.py")).unwrap(),
        "LIMIT = 7\n"
    );
    let conv = &ended.model.conversation;
    assert_eq!(conv.messages.len(), 2);
    assert!(conv.messages[1].text.contains("LIMIT = 7"));
    // Off for the rest of the session, and why.
    let why = conv.tools.off.as_deref().unwrap_or_default();
    assert!(why.contains("tools param requires --jinja flag"), "{why}");
    // The journal has one user turn and one end: the refusal was no reply.
    let ends = journal(root)
        .into_iter()
        .filter(|r| r["type"] == "end")
        .count();
    assert_eq!(ends, 1);
}

/// Without tools, a reply that names a workspace file the request did not carry offers it;
/// `+` adds it, and the next request carries it.
#[tokio::test]
async fn without_tools_a_file_the_reply_mentions_is_offered_and_added() {
    let mention = format!("The number is in notes/limit.txt, which I cannot see.\n\n{EDIT}");
    let server = Server::start_chat(vec![
        Reply::sse(text_reply(&mention)),
        Reply::sse(text_reply("Thanks.")),
    ])
    .await;
    let dir = workspace(&format!("{}\ntools = \"off\"", live_model(&server)));
    let root = dir.path();
    let count = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/chat/completions")
            .count()
    };
    let ended = session_then(
        root,
        Overrides::default(),
        tested,
        &[KeyCode::Char('+')],
        Some("and now?"),
        || count() >= 2,
    )
    .await;
    let sent = chats(&server);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent[0].get("tools").is_none(), "tools = off offers none");
    let system = |i: usize| {
        sent[i]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(!system(0).contains("agreed limit is 7"));
    assert!(
        system(1).contains("path=notes/limit.txt\nThe agreed limit is 7 requests."),
        "{}",
        system(1)
    );
    assert_eq!(
        ended.model.context.choices.added,
        [PathBuf::from("notes/limit.txt")]
    );
}

/// `specbench run` runs the tool round too: one line per call on stderr, the edit applied and
/// tested; `--format json` lists each turn's calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_prints_one_line_per_call_and_reports_them_in_json() {
    let server = Server::start_chat(vec![
        Reply::sse(reading_reply("Let me read the note.")).chunking(Chunking::Odd),
        Reply::sse(text_reply(EDIT)),
        Reply::sse(reading_reply("Again.")),
        Reply::sse(text_reply(EDIT)),
    ])
    .await;
    let dir = workspace(&live_model(&server));
    let root = dir.path().to_path_buf();
    let run = |args: &'static [&'static str]| {
        let root = root.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_specbench"))
                .args(args)
                .current_dir(&root)
                .env_remove("OPENAI_API_KEY")
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        })
    };
    let out = run(&["run", "-m", MESSAGE, "--yes"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("specbench: ▸ read notes/limit.txt · ") && stderr.contains(" tokens"),
        "{stderr}"
    );
    assert!(stdout.contains("Let me read the note.") && stdout.contains("LIMIT = 7"));
    assert!(stderr.contains("tests: 1 passed, 0 failed"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.join("limit.py")).unwrap(),
        "LIMIT = 7\n"
    );

    let out = run(&["run", "-m", MESSAGE, "--yes", "--format", "json"])
        .await
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let turn = &report["turns"][0];
    assert_eq!(turn["reply"], format!("Again.\n\n{EDIT}"));
    assert_eq!(turn["tools"][0]["label"], "read notes/limit.txt");
    assert_eq!(turn["tools"][0]["status"], "ok");
    assert!(turn["tools"][0]["tokens"].as_u64().unwrap() > 0);
}
