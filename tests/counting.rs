//! Exact counts and the window from each kind of server, against real HTTP servers on
//! 127.0.0.1 serving captured bodies (llama.cpp's from the real `llama-server`; vLLM's, LM
//! Studio's, Ollama's, OpenRouter's and Anthropic's written from their documentation: see
//! `tests/fixtures/COUNTING.md`), and what happens when a server cannot count or says
//! nonsense. One opt-in test runs against the real server of `../shared/tools/real-model/`.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::sse_server::{End, Reply, Server};
use secrecy::SecretString;
use specbench::config::{ModelConfig, ProviderKind as Kind};
use specbench::llm::client::{Patience, Wire};
use specbench::llm::count::{CountError, Counter, Estimator, Plan};
use specbench::llm::provider::Provider;
use specbench::llm::tokens::Encoding;
use specbench::llm::window::{self, Server as ServerKind};
use specbench::llm::{ChatMessage, ChatRequest, Role};

const KEY: &str = "sk-test-c0unt-k3y";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(Path::new("tests/fixtures").join(path)).expect("fixture")
}

fn json(path: &str) -> Reply {
    Reply::json(200, &fixture(path))
}

/// The request the llama.cpp captures were made with.
fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        system: "You are terse.".into(),
        messages: vec![ChatMessage::new(
            Role::User,
            "Say hi to the spec: R1 holds, café → ok 🦀",
        )],
        max_tokens: 512,
        tools: Vec::new(),
    }
}

fn provider(kind: Kind, base_url: String, model: &str, key: Option<&str>) -> Provider {
    patient(kind, base_url, model, key, Duration::from_millis(400))
}

/// [`provider`] waiting up to `idle` between reads.
fn patient(
    kind: Kind,
    base_url: String,
    model: &str,
    key: Option<&str>,
    idle: Duration,
) -> Provider {
    let config = ModelConfig {
        provider: kind,
        model: model.into(),
        base_url,
        api_key_env: "SPECBENCH_TEST_KEY".into(),
        ..ModelConfig::default()
    };
    let patience = Patience {
        connect: Duration::from_secs(2),
        idle,
        retries: 0,
        ..Patience::default()
    };
    Provider::with_key(Path::new("/nowhere"), &config, key.map(SecretString::from))
        .and_then(|p| p.with_patience(patience))
        .expect("provider")
}

fn body(server: &Server, path: &str) -> serde_json::Value {
    let recorded = server
        .requests()
        .into_iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("no request to {path}"));
    serde_json::from_str(&recorded.body).expect("a JSON body")
}

/// Log lines written while `f` runs on this thread.
async fn logged<T>(f: impl std::future::Future<Output = T>) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let out = f.await;
    drop(guard);
    let text = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    (out, text)
}

#[tokio::test]
async fn llama_cpp_counts_exactly_with_its_template_and_tokenizer() {
    let server = Server::routes(vec![
        ("GET", "/props", json("llama/props.json")),
        ("POST", "/apply-template", json("llama/apply_template.json")),
        ("POST", "/tokenize", json("llama/tokenize.json")),
    ])
    .await;
    let p = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "smollm2",
        Some(KEY),
    );
    let probe = p.probe().await;
    assert_eq!(probe.server, ServerKind::LlamaCpp);
    assert_eq!(probe.window, Some(4096));
    let plan = Plan::new(probe.server, Wire::Openai, "smollm2");
    assert_eq!(plan.exact, Some(Counter::LlamaCpp));
    assert_eq!(
        plan.estimate,
        Estimator::Bytes,
        "no tokenizer when the server counts"
    );
    // The real server counted 35, and reported `prompt_tokens: 35` for this request.
    assert_eq!(
        p.count(Counter::LlamaCpp, &request("smollm2")).await,
        Ok(35)
    );
    let template = body(&server, "/apply-template");
    assert_eq!(template["messages"][0]["content"], "You are terse.");
    assert_eq!(template["messages"][1]["role"], "user");
    assert!(template.get("stream").is_none() && template.get("max_tokens").is_none());
    let tokenize = body(&server, "/tokenize");
    let prompt = serde_json::from_str::<serde_json::Value>(&fixture("llama/apply_template.json"))
        .unwrap()["prompt"]
        .clone();
    assert_eq!(tokenize["content"], prompt);
    assert_eq!(tokenize["add_special"], true);
    // Every request carries the key: a llama-server started with one refuses them without.
    for r in server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str()),
            "{}",
            r.path
        );
    }
}

#[tokio::test]
async fn a_llama_router_that_says_zero_is_asked_its_model_listing() {
    let server = Server::routes(vec![
        (
            "GET",
            "/props",
            Reply::json(200, r#"{"default_generation_settings":{"n_ctx":0}}"#),
        ),
        ("GET", "/v1/models", json("llama/models.json")),
    ])
    .await;
    let p = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "smollm2",
        None,
    );
    let (probe, log) = logged(p.probe()).await;
    assert_eq!(probe.server, ServerKind::LlamaCpp);
    assert_eq!(probe.window, Some(8192), "meta.n_ctx of the real capture");
    assert!(log.contains("not plausible"), "{log}");
}

#[tokio::test]
async fn vllm_counts_the_messages_and_tells_its_window() {
    let server = Server::routes(vec![
        ("GET", "/v1/models", json("vllm/models.json")),
        ("POST", "/tokenize", json("vllm/tokenize.json")),
    ])
    .await;
    let model = "Qwen/Qwen2.5-Coder-7B-Instruct";
    let p = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        model,
        Some(KEY),
    );
    let probe = p.probe().await;
    assert_eq!(probe.server, ServerKind::Vllm);
    assert_eq!(probe.window, Some(32768));
    assert_eq!(
        Plan::new(probe.server, Wire::Openai, model).exact,
        Some(Counter::Vllm)
    );
    assert_eq!(p.count(Counter::Vllm, &request(model)).await, Ok(35));
    let sent = body(&server, "/tokenize");
    assert_eq!(sent["model"], model);
    assert_eq!(sent["add_generation_prompt"], true);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["messages"][1]["role"], "user");
    for field in ["stream", "stream_options", "max_tokens"] {
        assert!(sent.get(field).is_none(), "{field}");
    }
}

#[tokio::test]
async fn anthropic_counts_with_count_tokens_and_its_headers() {
    let server = Server::routes(vec![(
        "POST",
        "/v1/messages/count_tokens",
        json("anthropic/count_tokens.json"),
    )])
    .await;
    let model = "claude-sonnet-4-5";
    let p = provider(
        Kind::Anthropic,
        format!("{}/v1", server.url()),
        model,
        Some(KEY),
    );
    let plan = Plan::new(ServerKind::Unknown, Wire::Anthropic, model);
    assert_eq!(plan.exact, Some(Counter::Anthropic));
    assert_eq!(p.count(Counter::Anthropic, &request(model)).await, Ok(2095));
    let r = &server.requests()[0];
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    let sent = body(&server, "/v1/messages/count_tokens");
    assert_eq!(sent["system"], "You are terse.");
    assert_eq!(sent["messages"][0]["role"], "user");
    assert!(sent.get("max_tokens").is_none() && sent.get("stream").is_none());
}

#[tokio::test]
async fn llama_cpps_anthropic_api_counts_too() {
    // Captured from the real server: the same request counts 35 on both of its APIs.
    let server = Server::routes(vec![(
        "POST",
        "/v1/messages/count_tokens",
        json("llama/anthropic_count_tokens.json"),
    )])
    .await;
    let p = provider(
        Kind::Anthropic,
        format!("{}/v1", server.url()),
        "smollm2",
        None,
    );
    assert_eq!(
        p.count(Counter::Anthropic, &request("smollm2")).await,
        Ok(35)
    );
}

#[tokio::test]
async fn lm_studio_tells_the_window_it_loaded_the_model_with() {
    let server = Server::routes(vec![
        (
            "GET",
            "/v1/models",
            Reply::json(
                200,
                r#"{"data":[{"id":"qwen2.5-coder-7b-instruct","object":"model","owned_by":"organization_owner"}],"object":"list"}"#,
            ),
        ),
        ("GET", "/api/v1/models", json("lmstudio/api_v1_models.json")),
    ])
    .await;
    let model = "qwen2.5-coder-7b-instruct";
    let p = provider(Kind::Openai, format!("{}/v1", server.url()), model, None);
    let probe = p.probe().await;
    assert_eq!(probe.server, ServerKind::LmStudio);
    assert_eq!(probe.window, Some(16384), "loaded with 16k of its 32k");
    let plan = Plan::new(probe.server, Wire::Openai, model);
    assert_eq!(plan.exact, None, "LM Studio cannot count");
    assert_eq!(plan.estimate, Estimator::Tokenizer(Encoding::O200k));
}

#[tokio::test]
async fn an_older_lm_studio_answers_its_v0_listing() {
    let server = Server::routes(vec![(
        "GET",
        "/api/v0/models/qwen2.5-coder-7b-instruct",
        json("lmstudio/api_v0_model.json"),
    )])
    .await;
    let p = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "qwen2.5-coder-7b-instruct",
        None,
    );
    let probe = p.probe().await;
    assert_eq!(probe.server, ServerKind::LmStudio);
    assert_eq!(probe.window, Some(16384));
}

#[tokio::test]
async fn ollama_tells_the_context_it_allocated_else_what_the_model_sets() {
    let server = Server::routes(vec![
        ("GET", "/api/ps", json("ollama/api_ps.json")),
        (
            "POST",
            "/api/show",
            Reply::json(200, r#"{"model_info":{"qwen2.context_length":32768}}"#),
        ),
    ])
    .await;
    let loaded = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "qwen2.5-coder:7b",
        None,
    );
    let probe = loaded.probe().await;
    assert_eq!(probe.server, ServerKind::Ollama);
    assert_eq!(
        probe.window,
        Some(4096),
        "what /api/ps allocated, not the 32k maximum"
    );
    let not_loaded = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "qwen2.5-coder:14b",
        None,
    );
    let probe = not_loaded.probe().await;
    assert_eq!(probe.server, ServerKind::Ollama);
    assert_eq!(probe.window, Some(32768));
}

#[tokio::test]
async fn openrouter_tells_each_models_window() {
    let server = Server::routes(vec![(
        "GET",
        "/api/v1/models",
        json("openrouter/models.json"),
    )])
    .await;
    let client = specbench::llm::client::http(Duration::from_secs(2), Duration::from_secs(2))
        .expect("client");
    let base = format!("{}/api/v1", server.url());
    assert_eq!(
        window::openrouter(&client, &base, "anthropic/claude-sonnet-4.5", None).await,
        Some(1_000_000)
    );
    assert_eq!(
        window::openrouter(&client, &base, "nobody/nothing", None).await,
        None
    );
    assert_eq!(
        window::hosted("https://openrouter.ai/api/v1"),
        Some(ServerKind::OpenRouter)
    );
}

#[tokio::test]
async fn nonsense_windows_are_ignored_with_a_log_line() {
    for nonsense in ["0", "-1", "-8192", "1000000000000", "\"big\""] {
        let props = format!(r#"{{"default_generation_settings":{{"n_ctx":{nonsense}}}}}"#);
        let server = Server::routes(vec![("GET", "/props", Reply::json(200, &props))]).await;
        let p = provider(Kind::Openai, format!("{}/v1", server.url()), "m", None);
        let (probe, log) = logged(p.probe()).await;
        assert_eq!(probe.window, None, "{nonsense}");
        if nonsense != "\"big\"" {
            assert!(log.contains("not plausible"), "{nonsense}: {log}");
            assert_eq!(probe.server, ServerKind::LlamaCpp, "{nonsense}");
        }
        let (window, source) = window::resolve(probe.window, Some(8192), "m");
        assert_eq!(
            (window, source),
            (8192, window::Source::Config),
            "{nonsense}"
        );
    }
}

#[tokio::test]
async fn a_counting_endpoint_that_is_missing_slow_or_garbled_is_an_error_not_a_count() {
    let server = Server::routes(vec![
        ("GET", "/props", json("llama/props.json")),
        (
            "POST",
            "/apply-template",
            Reply::json(200, r#"{"prompt":"x"}"#),
        ),
        (
            "POST",
            "/tokenize",
            Reply::json(200, "<html>proxy error</html>"),
        ),
    ])
    .await;
    let p = provider(Kind::Openai, format!("{}/v1", server.url()), "m", None);
    let err = p
        .count(Counter::LlamaCpp, &request("m"))
        .await
        .expect_err("garbage is no count");
    assert!(
        matches!(&err, CountError::Garbage { excerpt, .. } if excerpt.contains("proxy error")),
        "{err:?}"
    );
    assert!(!err.permanent());
    // vLLM's endpoint missing (an older server): for good.
    let bare = Server::routes(Vec::new()).await;
    let old = provider(Kind::Openai, format!("{}/v1", bare.url()), "m", None);
    let err = old
        .count(Counter::Vllm, &request("m"))
        .await
        .expect_err("404");
    assert!(
        matches!(err, CountError::Status { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.permanent());
    assert!(
        err.to_string().ends_with("/tokenize answered HTTP 404"),
        "{err}"
    );
    // A server that never answers: the client's read timeout ends the wait.
    let hang = Server::routes(vec![(
        "POST",
        "/v1/messages/count_tokens",
        Reply::json(200, r#"{"input_tokens":1}"#)
            .end(End::Hang)
            .cut_after(3),
    )])
    .await;
    let slow = provider(Kind::Anthropic, format!("{}/v1", hang.url()), "m", None);
    let err = slow
        .count(Counter::Anthropic, &request("m"))
        .await
        .expect_err("no answer");
    assert!(
        matches!(
            err,
            CountError::Timeout { .. } | CountError::Unreachable { .. }
        ),
        "{err:?}"
    );
    // Nobody listening.
    let gone = provider(Kind::Openai, "http://127.0.0.1:9/v1".into(), "m", None);
    let err = gone
        .count(Counter::LlamaCpp, &request("m"))
        .await
        .expect_err("unreachable");
    assert!(matches!(err, CountError::Unreachable { .. }), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn openais_models_are_counted_here_with_the_chat_framing() {
    let p = provider(Kind::Openai, "http://127.0.0.1:9/v1".into(), "gpt-4o", None);
    let n = p
        .count(Counter::Tables(Encoding::O200k), &request("gpt-4o"))
        .await
        .expect("counted locally, no server needed");
    let content = specbench::llm::tokens::count(Encoding::O200k, "You are terse.")
        + specbench::llm::tokens::count(
            Encoding::O200k,
            "Say hi to the spec: R1 holds, café → ok 🦀",
        );
    assert_eq!(n, content + 2 * 4 + 3);
}

/// Opt-in: against the real `llama-server` of `../shared/tools/real-model/` (started with
/// `PORT=... [KEY=...] start.sh`), set `SPECBENCH_REAL_MODEL=http://127.0.0.1:PORT/v1` (and
/// `SPECBENCH_REAL_MODEL_KEY` when it has a key). The probe names llama.cpp and its window,
/// the exact count equals the `prompt_tokens` the server reports for the same request, on its
/// OpenAI and its Anthropic API.
#[tokio::test]
async fn real_server_count_equals_its_prompt_tokens() {
    let Ok(base_url) = std::env::var("SPECBENCH_REAL_MODEL") else {
        eprintln!(
            "skipped: set SPECBENCH_REAL_MODEL=http://127.0.0.1:PORT/v1 to run against the \
             real llama-server of ../shared/tools/real-model/"
        );
        return;
    };
    let key = std::env::var("SPECBENCH_REAL_MODEL_KEY").ok();
    // A request of some size: the demo's spec as the system prompt, a turn of history, code.
    let request = ChatRequest {
        model: "smollm2".into(),
        system: common::demo_file("SPEC.md").into(),
        messages: vec![
            ChatMessage::new(Role::User, "Write the tests first."),
            ChatMessage::new(
                Role::Assistant,
                "Tests first, one per clause: R1 (the limit), R2 (the return value).",
            ),
            ChatMessage::new(
                Role::User,
                format!(
                    "Now this code, café → ok 🦀:\n{}",
                    common::demo_file("rate_limiter.py")
                ),
            ),
        ],
        max_tokens: 4,
        tools: Vec::new(),
    };
    for kind in [Kind::Openai, Kind::Anthropic] {
        // A 135M model on one thread reads a prompt at ~200 tokens a second.
        let p = patient(
            kind,
            base_url.clone(),
            "smollm2",
            key.as_deref(),
            Duration::from_secs(120),
        );
        let probe = p.probe().await;
        assert_eq!(probe.server, ServerKind::LlamaCpp, "{kind:?}");
        let window = probe.window.expect("the window from the server");
        let wire = if kind == Kind::Anthropic {
            Wire::Anthropic
        } else {
            Wire::Openai
        };
        let counter = Plan::new(probe.server, wire, "smollm2")
            .exact
            .expect("the server counts");
        let counted = p.count(counter, &request).await.expect("a count");
        // llama.cpp's Anthropic stream leaves out `message_start` (and the prompt's usage)
        // when the reply opens with a character split across tokens (an emoji): ask again.
        let mut usage = specbench::llm::Usage::default();
        for _ in 0..5 {
            usage = specbench::llm::Usage::default();
            p.stream(
                &request,
                "Say hi",
                specbench::session::PromptKind::Message,
                &mut |e| {
                    if let specbench::llm::client::ReplyEvent::Usage(u) = e {
                        usage = usage.merge(u);
                    }
                },
            )
            .await
            .expect("a reply");
            if usage.prompt.is_some() {
                break;
            }
        }
        eprintln!(
            "{kind:?}: window {window}, counted {counted} by {}, server reported {:?}",
            counter.label(),
            usage.prompt
        );
        assert_eq!(usage.prompt, Some(counted), "{kind:?}");
    }
}

#[tokio::test]
async fn a_context_size_error_gives_the_window_again() {
    // The real llama-server's refusal of a prompt over `--ctx-size 256`; its `/props` was read
    // before it was restarted with less.
    let server = Server::routes(vec![
        ("GET", "/props", json("llama/props.json")),
        (
            "POST",
            "/v1/chat/completions",
            Reply::json(400, &fixture("sse/llama_ctx_exceeded.json")),
        ),
    ])
    .await;
    let p = provider(
        Kind::Openai,
        format!("{}/v1", server.url()),
        "smollm2",
        None,
    );
    assert_eq!(p.probe().await.window, Some(4096));
    let err = p
        .stream(
            &request("smollm2"),
            "Say hi",
            specbench::session::PromptKind::Message,
            &mut |_| {},
        )
        .await
        .expect_err("too long");
    let probe = p.reprobe(&err).await;
    assert_eq!(probe.server, ServerKind::LlamaCpp);
    assert_eq!(probe.window, Some(256), "the window the error names: {err}");
    // An error that names no window: the server is asked again.
    let other = specbench::llm::client::LlmError::ContextTooLong {
        message: "Too many tokens in the prompt".into(),
    };
    assert_eq!(p.reprobe(&other).await.window, Some(4096));
    let probes = server
        .requests()
        .iter()
        .filter(|r| r.path == "/props")
        .count();
    assert_eq!(probes, 3);
}
