//! The providers against a real HTTP server on 127.0.0.1: the request each one sends, the
//! streamed reply, retries with `Retry-After`, errors in words, timeouts, interruptions, the
//! window asked from the server, and cassettes recorded and replayed.

mod common;

use std::path::Path;
use std::time::Duration;

use common::sse_server::{Chunking, End, Reply, Server};
use secrecy::SecretString;
use specbench::config::{ModelConfig, ProviderKind as Kind};
use specbench::llm::client::{LlmError, Patience, ReplyEvent};
use specbench::llm::provider::Provider;
use specbench::llm::{ChatMessage, ChatRequest, Usage};
use specbench::session::PromptKind;

const KEY: &str = "sk-test-5ecret-k3y-never-logged";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures/sse").join(name)).expect("fixture")
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("utf-8 fixture")
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        system: "You are terse.".into(),
        messages: vec![ChatMessage::user("Say hi")],
        max_tokens: 256,
        tools: Vec::new(),
    }
}

fn patience() -> Patience {
    Patience {
        connect: Duration::from_secs(2),
        idle: Duration::from_millis(400),
        retries: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        max_wait: Duration::from_secs(60),
    }
}

fn provider(kind: Kind, server: &Server, root: &Path, record: Option<&str>) -> Provider {
    let config = ModelConfig {
        provider: kind,
        model: "test-model".into(),
        base_url: format!("{}/v1", server.url()),
        api_key_env: "SPECBENCH_TEST_KEY".into(),
        record: record.map(Into::into),
        ..ModelConfig::default()
    };
    Provider::with_key(root, &config, Some(SecretString::from(KEY)))
        .and_then(|p| p.with_patience(patience()))
        .expect("provider")
}

/// Streams the test request and returns what was emitted and how it ended.
async fn stream(p: &Provider) -> (Vec<ReplyEvent>, Result<(), LlmError>) {
    let mut events = Vec::new();
    let result = p
        .stream(&request(), "Say hi", PromptKind::Message, &mut |e| {
            events.push(e)
        })
        .await;
    (events, result)
}

fn text(events: &[ReplyEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ReplyEvent::Delta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn usage(events: &[ReplyEvent]) -> Usage {
    events.iter().fold(Usage::default(), |u, e| match e {
        ReplyEvent::Usage(n) => u.merge(*n),
        _ => u,
    })
}

fn retries(events: &[ReplyEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplyEvent::Retrying { wait_ms, .. } => Some(*wait_ms),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn openai_sends_the_documented_request_and_streams_the_reply() {
    let server = Server::start(vec![
        Reply::sse(fixture("openai_stream.sse")).chunking(Chunking::Odd),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    result.expect("complete");
    assert_eq!(text(&events), "Café → crab 🦀\n\"ok\"");
    assert!(events.contains(&ReplyEvent::Stop("stop".into())));
    assert!(usage(&events).prompt.is_some());
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Say hi");
}

#[tokio::test]
async fn anthropic_sends_its_headers_and_streams_the_reply() {
    let server = Server::start(vec![
        Reply::sse(fixture("anthropic_stream.sse")).chunking(Chunking::Fixed(1)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Anthropic, &server, dir.path(), None)).await;
    result.expect("complete");
    assert!(!text(&events).is_empty());
    assert_eq!(
        usage(&events),
        Usage {
            prompt: Some(1325),
            completion: Some(15)
        }
    );
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.header("authorization"), None);
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["system"], "You are terse.");
}

#[tokio::test]
async fn a_real_llama_server_stream_replays_byte_by_byte() {
    let body = fixture("llama_chat_stream_usage.sse");
    let server = Server::start(vec![Reply::sse(body).chunking(Chunking::Fixed(1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    result.expect("complete");
    assert!(text(&events).starts_with(" nituminum creating"));
    assert_eq!(usage(&events).completion, Some(24));
    assert!(events.contains(&ReplyEvent::Stop("length".into())));
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = Server::start(vec![
        Reply::json(429, &fixture_text("anthropic_error_429.json")).header("retry-after-ms", "30"),
        Reply::sse(fixture("openai_stream.sse")),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    result.expect("complete after the retry");
    assert_eq!(retries(&events), vec![30], "the server's pause is honoured");
    assert!(
        matches!(&events[0], ReplyEvent::Retrying { attempt: 2, reason, .. } if reason.contains("rate limited"))
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_529_and_an_in_band_overload_before_content_are_retried() {
    let server = Server::start(vec![
        Reply::json(529, r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
        Reply::sse(
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        ),
        Reply::sse(fixture("anthropic_stream.sse")),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Anthropic, &server, dir.path(), None)).await;
    result.expect("complete after two retries");
    assert_eq!(retries(&events).len(), 2);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn an_overload_after_content_is_not_retried_and_keeps_the_partial_reply() {
    let server = Server::start(vec![
        Reply::sse(fixture("anthropic_overloaded.sse")),
        Reply::sse(fixture("anthropic_stream.sse")),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Anthropic, &server, dir.path(), None)).await;
    assert_eq!(text(&events), "Déjà vu");
    let err = result.unwrap_err();
    assert!(err.to_string().contains("overloaded"), "{err}");
    assert_eq!(server.requests().len(), 1, "no second generation is billed");
}

#[tokio::test]
async fn retries_give_up_after_the_configured_attempts() {
    let server = Server::start(vec![Reply::json(
        503,
        r#"{"error":{"message":"down for maintenance"}}"#,
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    assert_eq!(retries(&events).len(), 3);
    assert_eq!(server.requests().len(), 4);
    assert_eq!(
        result.unwrap_err().to_string(),
        "the server failed (HTTP 503): down for maintenance"
    );
}

#[tokio::test]
async fn client_errors_are_never_retried_and_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(u16, &str, &str); 3] = [
        (
            401,
            "llama_bad_key.json",
            "the API key in $SPECBENCH_TEST_KEY was refused by",
        ),
        (
            404,
            "openai_error_404.json",
            "model `test-model` not found at",
        ),
        (
            400,
            "llama_ctx_exceeded.json",
            "the request is too long for the model's context window",
        ),
    ];
    for (status, body, words) in cases {
        let server = Server::start(vec![Reply::json(status, &fixture_text(body))]).await;
        let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
        let err = result.unwrap_err().to_string();
        assert!(err.contains(words), "{status}: {err}");
        assert!(!err.contains(KEY), "{status}: the key leaked: {err}");
        assert!(retries(&events).is_empty(), "{status}");
        assert_eq!(server.requests().len(), 1, "{status}");
    }
}

#[tokio::test]
async fn a_disconnect_mid_stream_keeps_what_arrived() {
    let body = fixture("openai_stream.sse");
    let cut = body.len() / 2;
    let server = Server::start(vec![
        Reply::sse(body).chunking(Chunking::Odd).cut_after(cut),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    assert!(!text(&events).is_empty());
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::Broken { .. } | LlmError::Ended),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_without_its_end_event_is_interrupted() {
    let text_only: String = fixture_text("openai_stream.sse").replace("data: [DONE]", "");
    let server = Server::start(vec![Reply::sse(text_only)]).await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server, dir.path(), None)).await;
    assert_eq!(text(&events), "Café → crab 🦀\n\"ok\"");
    assert_eq!(result.unwrap_err(), LlmError::Ended);
}

#[tokio::test]
async fn a_stall_past_the_idle_timeout_ends_the_reply_but_keep_alives_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let body = fixture("openai_stream.sse");
    let first_event = body.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let stalled = Server::start(vec![
        Reply::sse(body[..first_event + 200].to_vec()).end(End::Hang),
    ])
    .await;
    let (_, result) = stream(&provider(Kind::Openai, &stalled, dir.path(), None)).await;
    assert!(
        matches!(result, Err(LlmError::IdleTimeout { .. })),
        "{result:?}"
    );

    // Only comments for 0.8 s, twice the 400 ms idle timeout, then the reply: the
    // keep-alives reset the timeout.
    let piece = b": keep-alive\n\n".len();
    let mut patient = b": keep-alive\n\n".repeat(8);
    let reply = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n";
    patient.extend_from_slice(reply.as_bytes());
    let alive = Server::start(vec![
        Reply::sse(patient)
            .chunking(Chunking::Fixed(piece))
            .gap(Duration::from_millis(100)),
    ])
    .await;
    let (events, result) = stream(&provider(Kind::Openai, &alive, dir.path(), None)).await;
    result.expect("keep-alives reset the idle timeout");
    assert_eq!(text(&events), "hi");
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = ModelConfig {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        ..ModelConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let p = Provider::with_key(dir.path(), &config, None)
        .and_then(|p| p.with_patience(patience()))
        .unwrap();
    let (_, result) = stream(&p).await;
    let err = result.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("server unreachable at http://127.0.0.1:{port}/v1")),
        "{err}"
    );
}

#[tokio::test]
async fn the_window_is_asked_from_a_llama_server() {
    let props = fixture_text("../llama/props.json");
    let server = Server::start(vec![Reply::json(200, &props)]).await;
    let dir = tempfile::tempdir().unwrap();
    let p = provider(Kind::Openai, &server, dir.path(), None);
    assert_eq!(p.window().await, Some(4096));
    assert_eq!(server.requests()[0].path, "/props");
    // A llama-server started with a key refuses `/props` without it.
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn a_recorded_cassette_replays_offline_identically_and_never_holds_the_key() {
    let server = Server::start(vec![
        Reply::sse(fixture("openai_stream.sse")).chunking(Chunking::Odd),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let live = provider(Kind::Openai, &server, dir.path(), Some("rec.jsonl"));
    let (recorded, result) = stream(&live).await;
    result.unwrap();
    let cassette = dir.path().join("rec.jsonl");
    let bytes = std::fs::read(&cassette).unwrap();
    assert!(!bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()));
    drop(server);

    let config = ModelConfig {
        provider: Kind::Replay,
        cassette: Some(cassette.clone()),
        replay_speed: 0.0,
        ..ModelConfig::default()
    };
    let replay = Provider::with_key(dir.path(), &config, None).unwrap();
    assert_eq!(replay.prompts(), vec!["Say hi".to_string()]);
    let (replayed, result) = stream(&replay).await;
    result.unwrap();
    assert_eq!(replayed, recorded);
    assert_eq!(
        pane_after(&replayed),
        pane_after(&recorded),
        "identical pane output"
    );

    let mut events = Vec::new();
    let err = replay
        .stream(
            &request(),
            "something never recorded",
            PromptKind::Message,
            &mut |e| events.push(e),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no recorded reply for the message \"something never recorded\"",
            cassette.display()
        )
    );
}

/// The Conversation pane after `events` answered "Say hi", as text.
fn pane_after(events: &[ReplyEvent]) -> String {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use specbench::model::{AppEvent, Msg, update};
    let mut model = common::demo_model("default", 120, 40);
    update(
        &mut model,
        Msg::Key(KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE)),
    );
    model.set_draft("Say hi");
    let turn = common::send_draft(&mut model);
    common::deliver(&mut model, turn, events);
    update(
        &mut model,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    );
    let terminal = common::render(&model);
    let buffer = terminal.backend().buffer();
    buffer.content().iter().map(|c| c.symbol()).collect()
}

#[test]
fn a_broken_cassette_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let good = specbench::llm::cassette::Tape::new().finish(
        "hi",
        false,
        0,
        "m",
        specbench::llm::cassette::End::Complete,
    );
    let line = serde_json::to_string(&good).unwrap();
    std::fs::write(&path, format!("{line}\n{{\"v\":1,\"prompt\":\n")).unwrap();
    let config = ModelConfig {
        provider: Kind::Replay,
        cassette: Some(path.clone()),
        ..ModelConfig::default()
    };
    let err = Provider::with_key(dir.path(), &config, None).unwrap_err();
    assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
    let missing = ModelConfig {
        cassette: Some(dir.path().join("none.jsonl")),
        ..config
    };
    let err = Provider::with_key(dir.path(), &missing, None).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "{}: cannot read the cassette: ",
            dir.path().join("none.jsonl").display()
        )),
        "{err}"
    );
}
