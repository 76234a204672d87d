//! Native tool calls against a real HTTP server on 127.0.0.1: streamed tool-call replies in
//! both wire formats, served whole, byte by byte and in odd pieces (fragments split mid-JSON,
//! two parallel calls, text between them, a stream cut mid-arguments), the tools run on a
//! real workspace, and the exact request specbench sends back with the results; a server that
//! refuses tools told apart; and a cassette that records and replays a tool round.

mod common;

use std::path::Path;
use std::time::Duration;

use common::sse_server::{Chunking, Reply, Server};
use secrecy::SecretString;
use serde_json::{Value, json};
use specbench::config::{ModelConfig, ProviderKind as Kind};
use specbench::llm::client::{LlmError, Patience, ReplyEvent};
use specbench::llm::provider::Provider;
use specbench::llm::{ChatMessage, ChatRequest, ToolCall};
use specbench::secrets::Secrets;
use specbench::session::PromptKind;

const PROMPT: &str = "Why does allow let a sixth call through?";

const LIMITER: &str = "class RateLimiter:\n    \"\"\"At most five calls a minute.\"\"\"\n    def allow(self):\n        return True\n";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures/sse").join(name)).expect("fixture")
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("utf-8 fixture")
}

/// A workspace with the file the calls read and search.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rate_limiter.py"), LIMITER).unwrap();
    dir
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        system: "You are terse.".into(),
        messages: vec![ChatMessage::user(PROMPT)],
        max_tokens: 256,
        tools: specbench::tools::definitions(),
    }
}

fn patience() -> Patience {
    Patience {
        connect: Duration::from_secs(2),
        idle: Duration::from_millis(400),
        retries: 2,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        max_wait: Duration::from_secs(60),
    }
}

fn config(kind: Kind, server: &Server) -> ModelConfig {
    ModelConfig {
        provider: kind,
        model: "test-model".into(),
        base_url: format!("{}/v1", server.url()),
        api_key_env: "SPECBENCH_TEST_KEY".into(),
        ..ModelConfig::default()
    }
}

fn provider(config: &ModelConfig, root: &Path) -> Provider {
    Provider::with_key(root, config, Some(SecretString::from("sk-tools-test-key")))
        .and_then(|p| p.with_patience(patience()))
        .expect("provider")
}

async fn stream(p: &Provider, req: &ChatRequest) -> (Vec<ReplyEvent>, Result<(), LlmError>) {
    let mut events = Vec::new();
    let result = p
        .stream(req, PROMPT, PromptKind::Message, &mut |e| events.push(e))
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

fn calls(events: &[ReplyEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplyEvent::ToolCall(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn cut(events: &[ReplyEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplyEvent::ToolCallCut(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The request that carries the results: the reply's text and calls, each call run on the
/// workspace at `root`.
fn continuation(req: &ChatRequest, events: &[ReplyEvent], root: &Path) -> ChatRequest {
    let mut asked = ChatMessage::assistant(text(events));
    asked.tool_calls = calls(events);
    asked.tool_results = asked
        .tool_calls
        .iter()
        .map(|c| specbench::tools::run(root, c, &Secrets::default()).result)
        .collect();
    let mut next = req.clone();
    next.messages.push(asked);
    next
}

fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

const READ_ARGS: &str = r#"{"path": "rate_limiter.py", "start_line": 1, "end_line": 2}"#;
const SEARCH_ARGS: &str = r#"{"pattern": "def allow\\(", "glob": "*.py"}"#;
const READ_RESULT: &str = "rate_limiter.py: lines 1-2 of 4\n1  class RateLimiter:\n2      \"\"\"At most five calls a minute.\"\"\"\n";
const SEARCH_RESULT: &str = "1 hit for `def allow\\(` in 1 file in files matching `*.py`\nrate_limiter.py:3: def allow(self):\n";

fn body(server: &Server, i: usize) -> Value {
    serde_json::from_str(&server.requests()[i].body).expect("a JSON body")
}

const CHUNKINGS: [Chunking; 3] = [Chunking::Whole, Chunking::Fixed(1), Chunking::Odd];

#[tokio::test]
async fn openai_parallel_calls_come_whole_and_their_results_go_back_in_order() {
    for chunking in CHUNKINGS {
        let server = Server::start_chat(vec![
            Reply::sse(fixture("openai_tool_calls.sse")).chunking(chunking),
            Reply::sse(fixture("openai_stream.sse")).chunking(chunking),
        ])
        .await;
        let dir = workspace();
        let p = provider(&config(Kind::Openai, &server), dir.path());
        let req = request();
        let (events, result) = stream(&p, &req).await;
        result.expect("complete");
        assert_eq!(
            text(&events),
            "Let me read the limiter. And where allow is defined:",
            "{chunking:?}"
        );
        assert_eq!(
            calls(&events),
            [
                call("call_Rl8aSx0yZJ2dN7b3Kq1fT4", "read_file", READ_ARGS),
                call("call_Zq4cV9mB1xT6wE2rY8uP0", "search", SEARCH_ARGS),
            ],
            "{chunking:?}"
        );
        // The calls come once the model says why it stopped, before that reason.
        let stop = events
            .iter()
            .position(|e| *e == ReplyEvent::Stop("tool_calls".into()))
            .expect("a stop reason");
        assert!(matches!(events[stop - 1], ReplyEvent::ToolCall(_)));
        assert!(cut(&events).is_empty());

        let next = continuation(&req, &events, dir.path());
        let (events, result) = stream(&p, &next).await;
        result.expect("complete");
        assert_eq!(text(&events), "Café → crab 🦀\n\"ok\"");

        let first = body(&server, 0);
        let names: Vec<&str> = first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["read_file", "list_files", "search"]);
        assert_eq!(first["tools"][0]["type"], "function");
        let second = body(&server, 1);
        assert_eq!(second["tools"], first["tools"]);
        assert_eq!(
            second["messages"],
            json!([
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": PROMPT},
                {"role": "assistant",
                 "content": "Let me read the limiter. And where allow is defined:",
                 "tool_calls": [
                    {"id": "call_Rl8aSx0yZJ2dN7b3Kq1fT4", "type": "function",
                     "function": {"name": "read_file", "arguments": READ_ARGS}},
                    {"id": "call_Zq4cV9mB1xT6wE2rY8uP0", "type": "function",
                     "function": {"name": "search", "arguments": SEARCH_ARGS}},
                 ]},
                {"role": "tool", "tool_call_id": "call_Rl8aSx0yZJ2dN7b3Kq1fT4", "content": READ_RESULT},
                {"role": "tool", "tool_call_id": "call_Zq4cV9mB1xT6wE2rY8uP0", "content": SEARCH_RESULT},
            ]),
            "{chunking:?}"
        );
    }
}

#[tokio::test]
async fn anthropic_tool_use_blocks_come_whole_and_their_results_go_back_in_order() {
    for chunking in CHUNKINGS {
        let server = Server::start_chat(vec![
            Reply::sse(fixture("anthropic_tool_use.sse")).chunking(chunking),
            Reply::sse(fixture("anthropic_stream.sse")).chunking(chunking),
        ])
        .await;
        let dir = workspace();
        let p = provider(&config(Kind::Anthropic, &server), dir.path());
        let req = request();
        let (events, result) = stream(&p, &req).await;
        result.expect("complete");
        assert_eq!(
            text(&events),
            "I'll read the limiter and find `allow` → 🦀.",
            "{chunking:?}"
        );
        assert_eq!(
            calls(&events),
            [
                call("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "read_file", READ_ARGS),
                call("toolu_01A09q90qw90lq917835lq9", "search", SEARCH_ARGS),
            ],
            "{chunking:?}"
        );
        assert!(events.contains(&ReplyEvent::Stop("tool_use".into())));

        let next = continuation(&req, &events, dir.path());
        let (_, result) = stream(&p, &next).await;
        result.expect("complete");

        let first = body(&server, 0);
        assert_eq!(first["tools"][0]["name"], "read_file");
        assert_eq!(
            first["tools"][0]["input_schema"]["required"],
            json!(["path"])
        );
        let second = body(&server, 1);
        assert_eq!(second["system"], "You are terse.");
        assert_eq!(
            second["messages"],
            json!([
                {"role": "user", "content": PROMPT},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "I'll read the limiter and find `allow` → 🦀."},
                    {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "read_file",
                     "input": {"path": "rate_limiter.py", "start_line": 1, "end_line": 2}},
                    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "search",
                     "input": {"pattern": "def allow\\(", "glob": "*.py"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "content": READ_RESULT},
                    {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": SEARCH_RESULT},
                ]},
            ]),
            "{chunking:?}"
        );
    }
}

#[tokio::test]
async fn the_real_llama_server_captures_give_their_calls() {
    for (kind, name, id) in [
        (
            Kind::Openai,
            "llama_tool_calls_stream.sse",
            "RPymezS8aU05vmltodFpBcW6LpV4htuV",
        ),
        (
            Kind::Anthropic,
            "llama_anthropic_tool_use.sse",
            "EYqAzdJi01kTqU1sWHuWqmw0z1pjijx0",
        ),
    ] {
        let server =
            Server::start_chat(vec![Reply::sse(fixture(name)).chunking(Chunking::Fixed(1))]).await;
        let dir = workspace();
        let p = provider(&config(kind, &server), dir.path());
        let (events, result) = stream(&p, &request()).await;
        result.expect("complete");
        assert_eq!(
            calls(&events),
            [call(id, "read_file", r#"{"path": "c.py"}"#)],
            "{name}"
        );
        assert_eq!(text(&events), "", "{name}");
        // The file is not there: the result says so, and it goes back as an error.
        let out = specbench::tools::run(dir.path(), &calls(&events)[0], &Secrets::default());
        assert!(out.result.is_error);
        assert_eq!(
            out.result.content,
            "error: c.py: no such file (list_files shows what there is)"
        );
    }
}

/// The byte offset just after the event holding `needle` in `body`.
fn after(body: &[u8], needle: &str) -> usize {
    let find = |from: usize, what: &[u8]| {
        body[from..]
            .windows(what.len())
            .position(|w| w == what)
            .map(|i| from + i + what.len())
            .expect("in the fixture")
    };
    find(find(0, needle.as_bytes()), b"\n\n")
}

#[tokio::test]
async fn a_stream_cut_mid_arguments_keeps_what_arrived_and_runs_nothing() {
    let openai = fixture("openai_tool_calls.sse");
    let anthropic = fixture("anthropic_tool_use.sse");
    let cases = [
        (
            Kind::Openai,
            openai.clone(),
            after(&openai, "def allo"),
            r#"{"pattern": "def allo"#,
        ),
        (
            Kind::Anthropic,
            anthropic.clone(),
            after(
                &anthropic,
                r#""index":2,"delta":{"type":"input_json_delta","partial_json":"{"#,
            ),
            r#"{"pattern": "#,
        ),
    ];
    for (kind, body, at, arrived) in cases {
        let server =
            Server::start_chat(vec![Reply::sse(body).chunking(Chunking::Odd).cut_after(at)]).await;
        let dir = workspace();
        let p = provider(&config(kind, &server), dir.path());
        let (events, result) = stream(&p, &request()).await;
        let error = result.expect_err("the stream was cut");
        assert!(
            matches!(error, LlmError::Broken { .. } | LlmError::Ended),
            "{kind:?}: {error}"
        );
        assert_eq!(server.requests().len(), 1, "content arrived: no retry");
        let broken = cut(&events);
        let last = broken.last().expect("the call that was cut");
        assert_eq!(last.name, "search", "{kind:?}");
        assert_eq!(last.arguments, arrived, "{kind:?}");
        match kind {
            // OpenAI calls end only with the reply: both were cut.
            Kind::Openai => {
                assert!(calls(&events).is_empty());
                assert_eq!(broken.len(), 2);
                assert_eq!(broken[0].arguments, READ_ARGS);
            }
            // Anthropic's first block had ended: that call is whole.
            _ => {
                assert_eq!(
                    calls(&events),
                    [call(
                        "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                        "read_file",
                        READ_ARGS
                    )]
                );
                assert_eq!(broken.len(), 1);
            }
        }
        // A cut call goes back as not run, its arguments as an empty object.
        let mut asked = ChatMessage::assistant(text(&events));
        asked.tool_calls = broken.clone();
        let mut next = request();
        next.messages.push(asked);
        let wire = specbench::llm::openai::body(&next);
        let sent = &wire["messages"].as_array().unwrap()[2]["tool_calls"];
        assert_eq!(sent[broken.len() - 1]["function"]["arguments"], "{}");
        let results = &wire["messages"].as_array().unwrap()[3];
        assert_eq!(results["content"], specbench::llm::tools::NOT_RUN);
    }
}

#[tokio::test]
async fn repeated_and_missing_call_ids_are_made_unique() {
    let chunk = |tool_calls: Value| {
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"tool_calls": tool_calls}, "finish_reason": null}]})
        )
    };
    let mut sse = String::new();
    sse += &chunk(
        json!([{"index": 0, "id": "same", "type": "function", "function": {"name": "list_files", "arguments": "{}"}}]),
    );
    sse += &chunk(
        json!([{"index": 1, "id": "same", "type": "function", "function": {"name": "search", "arguments": "{\"pattern\":\"x\"}"}}]),
    );
    sse += &chunk(
        json!([{"index": 2, "id": "", "type": "function", "function": {"name": "list_files", "arguments": "{\"glob\":\"*.py\"}"}}]),
    );
    sse += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";
    let server = Server::start_chat(vec![
        Reply::sse(sse).chunking(Chunking::Odd),
        Reply::sse(fixture("openai_stream.sse")),
    ])
    .await;
    let dir = workspace();
    let p = provider(&config(Kind::Openai, &server), dir.path());
    let req = request();
    let (events, result) = stream(&p, &req).await;
    result.expect("complete");
    let ids: Vec<String> = calls(&events).into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["same", "same_2", "call_3"]);
    let next = continuation(&req, &events, dir.path());
    stream(&p, &next).await.1.expect("complete");
    let sent = body(&server, 1);
    let tool_ids: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["tool_call_id"].as_str())
        .collect();
    assert_eq!(tool_ids, ["same", "same_2", "call_3"]);
}

#[tokio::test]
async fn a_server_that_refuses_tools_is_told_apart_and_never_retried() {
    let ollama = r#"{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error","param":null,"code":null}}"#;
    let vllm = r#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400}"#;
    let jinja = fixture_text("llama_tools_need_jinja.json");
    let cases = [
        (
            Kind::Openai,
            500,
            jinja.as_str(),
            "tools param requires --jinja flag",
        ),
        (
            Kind::Anthropic,
            500,
            jinja.as_str(),
            "tools param requires --jinja flag",
        ),
        (Kind::Openai, 400, ollama, "does not support tools"),
        (Kind::Openai, 400, vllm, "tool choice requires"),
    ];
    for (kind, status, body, words) in cases {
        let server = Server::start_chat(vec![Reply::json(status, body)]).await;
        let dir = workspace();
        let p = provider(&config(kind, &server), dir.path());
        let (_, result) = stream(&p, &request()).await;
        let error = result.expect_err("refused");
        let LlmError::ToolsUnsupported { message, .. } = &error else {
            panic!("{kind:?} {status}: {error:?}");
        };
        assert!(message.contains(words), "{message}");
        assert!(error.to_string().contains("does not take tools"), "{error}");
        assert_eq!(server.requests().len(), 1, "{kind:?} {status}: not retried");
    }
    // Without tools in the request, the same 500 is a server failure, retried.
    let server = Server::start_chat(vec![Reply::json(500, &jinja)]).await;
    let dir = workspace();
    let p = provider(&config(Kind::Openai, &server), dir.path());
    let plain = ChatRequest {
        tools: Vec::new(),
        ..request()
    };
    let (_, result) = stream(&p, &plain).await;
    assert!(matches!(result, Err(LlmError::Api(_))), "{result:?}");
    assert_eq!(server.requests().len(), 3, "retried twice");
    // A 400 that names no tool stays a bad request.
    let server = Server::start_chat(vec![Reply::json(
        400,
        r#"{"error":{"message":"messages: roles must alternate","type":"invalid_request_error"}}"#,
    )])
    .await;
    let p = provider(&config(Kind::Openai, &server), dir.path());
    let (_, result) = stream(&p, &request()).await;
    assert!(matches!(result, Err(LlmError::Api(_))), "{result:?}");
}

#[tokio::test]
async fn whether_a_template_takes_tools_is_asked_from_llama_props() {
    let dir = workspace();
    for (props, says) in [
        ("llama_props_template_without_tools.json", Some(false)),
        ("llama_props_tools.json", Some(true)),
    ] {
        let text = std::fs::read_to_string(Path::new("tests/fixtures/tools").join(props)).unwrap();
        let server = Server::start(vec![Reply::json(200, &text)]).await;
        let p = provider(&config(Kind::Openai, &server), dir.path());
        assert_eq!(p.tool_support().await, says, "{props}");
        assert_eq!(server.requests()[0].path, "/props");
    }
    // Ollama's /api/show lists capabilities; a server that tells nothing says nothing.
    let server = Server::start(vec![
        Reply::json(404, "{}"),
        Reply::json(200, r#"{"capabilities":["completion"]}"#),
    ])
    .await;
    let p = provider(&config(Kind::Openai, &server), dir.path());
    assert_eq!(p.tool_support().await, Some(false));
    let server = Server::start(vec![Reply::json(404, "{}")]).await;
    let p = provider(&config(Kind::Openai, &server), dir.path());
    assert_eq!(p.tool_support().await, None);
}

#[tokio::test]
async fn a_tool_round_is_recorded_and_replayed_offline() {
    let server = Server::start_chat(vec![
        Reply::sse(fixture("openai_tool_calls.sse")).chunking(Chunking::Odd),
        Reply::sse(fixture("openai_stream.sse")),
    ])
    .await;
    let dir = workspace();
    let mut recording = config(Kind::Openai, &server);
    recording.record = Some("rec/tools.jsonl".into());
    let p = provider(&recording, dir.path());
    let req = request();
    let (asked, result) = stream(&p, &req).await;
    result.expect("complete");
    let next = continuation(&req, &asked, dir.path());
    let (answered, result) = stream(&p, &next).await;
    result.expect("complete");
    let cassette = dir.path().join("rec/tools.jsonl");
    let text_of = std::fs::read_to_string(&cassette).unwrap();
    assert_eq!(text_of.lines().count(), 2);
    assert!(
        text_of.contains(r#""tool_call":{"id":"call_Rl8aSx0yZJ2dN7b3Kq1fT4""#),
        "{text_of}"
    );
    assert!(text_of.lines().nth(1).unwrap().contains(r#""round":1"#));
    drop(server);

    let replay = ModelConfig {
        provider: Kind::Replay,
        cassette: Some(cassette.clone()),
        replay_speed: 0.0,
        ..ModelConfig::default()
    };
    let p = Provider::with_key(dir.path(), &replay, None).expect("replay provider");
    let (events, result) = stream(&p, &req).await;
    result.expect("replayed");
    assert_eq!(calls(&events), calls(&asked));
    assert_eq!(text(&events), text(&asked));
    let (events, result) = stream(&p, &next).await;
    result.expect("replayed");
    assert_eq!(text(&events), text(&answered));
    // A round that was never recorded says so.
    let mut further = next.clone();
    let mut again = ChatMessage::assistant("");
    again.tool_calls = vec![call("x", "list_files", "{}")];
    further.messages.push(again);
    let (_, result) = stream(&p, &further).await;
    let error = result.expect_err("no third request was recorded");
    assert!(
        error.to_string().ends_with(&format!(
            "no recorded reply for round 2 of the message \"{PROMPT}\""
        )),
        "{error}"
    );
}
