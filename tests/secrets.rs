//! The API key never leaves the process except in the request header: a whole session through
//! the real event loop, logging at `trace` and recording a cassette, then every file the
//! workspace holds (log, cassette, pins, drafts) and the screen are searched for the key.

mod common;

use std::io;
use std::path::Path;
use std::time::Duration;

use common::sse_server::{Chunking, Reply, Server};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::unbounded;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::Model;
use specbench::theme::ThemeSource;

const KEY: &str = "sk-proj-UNIQUE-5ecret-9f3a7c1e";
const KEY_ENV: &str = "SPECBENCH_SECRETS_TEST_KEY";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn the_key_reaches_the_server_and_nothing_else() {
    // SAFETY: the only test of this binary, on a current-thread runtime, before anything else
    // runs: no other thread reads the environment concurrently.
    unsafe {
        std::env::set_var(KEY_ENV, KEY);
        std::env::set_var("SPECBENCH_LOG", "trace");
    }
    let body = std::fs::read("tests/fixtures/sse/openai_stream.sse").unwrap();
    let server = Server::start(vec![
        // The window probe (llama.cpp /props, then Ollama /api/show) finds nothing.
        Reply::json(404, r#"{"error":"not found"}"#),
        Reply::json(404, r#"{"error":"not found"}"#),
        // A 401 echoing the key back, as some servers do, then the real reply.
        Reply::json(
            401,
            &format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#),
        ),
        Reply::sse(body).chunking(Chunking::Odd),
    ])
    .await;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    specbench::demo::write_into(root).unwrap();
    let toml = std::fs::read_to_string(root.join("specbench.toml")).unwrap();
    let model_section = format!(
        "[model]\nprovider = \"openai\"\nmodel = \"gpt-4.1-mini\"\nbase_url = \"{}/v1\"\napi_key_env = \"{KEY_ENV}\"\n",
        server.url()
    );
    let start = toml.find("[model]").unwrap();
    let end = toml.find("[loop]").unwrap();
    let toml = format!("{}{model_section}\n{}", &toml[..start], &toml[end..]);
    std::fs::write(root.join("specbench.toml"), toml).unwrap();

    let secrets = specbench::secrets::Secrets::from_env(KEY_ENV);
    let guard = specbench::logging::init(root, &secrets).unwrap();
    let overrides = Overrides {
        record: Some(root.join("session.cassette.jsonl")),
        ..Overrides::default()
    };
    let config = config::load(root, &overrides).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let model = Model::new(root.to_path_buf(), "ws".into(), config.clone(), theme);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(root.to_path_buf(), config, tx);
    let (keys, keys_rx) = unbounded::<io::Result<Event>>();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut host = NoHost::default();
    let press = |code| {
        keys.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
            .unwrap();
    };
    let script = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for message in ["first try", "second try"] {
            press(KeyCode::Char('i'));
            for c in message.chars() {
                press(KeyCode::Char(c));
            }
            press(KeyCode::Enter);
            press(KeyCode::Esc);
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        keys.unbounded_send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('o'),
            KeyModifiers::CONTROL,
        ))))
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        press(KeyCode::Esc);
        press(KeyCode::Char('q'));
    };
    let run = app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx);
    let (model, ()) = tokio::join!(run, script);
    let model = model.unwrap();
    drop(guard);

    // The key was used: the server saw it in the header of both chat requests.
    let chats: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .collect();
    assert_eq!(chats.len(), 2, "{:?}", server.requests());
    for r in &chats {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
    // The first turn failed in words, the second completed.
    let messages = &model.conversation.messages;
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[3].text, "Café → crab 🦀\n\"ok\"");

    // And it is nowhere else: not on screen, not in any file the session left.
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(!screen.contains(KEY));
    let mut files = Vec::new();
    files_under(root, &mut files);
    let log = root.join(".specbench/specbench.log");
    assert!(files.contains(&log));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("sending a turn")
    );
    assert!(files.contains(&root.join("session.cassette.jsonl")));
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let leaked = bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes());
        assert!(!leaked, "the key is in {}", file.display());
    }
}
