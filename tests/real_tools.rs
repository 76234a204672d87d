//! Opt-in: the tool requests specbench sends, against a real `llama-server`
//! (`/work/shared/tools/real-model/start.sh` with `TOOLS=1`). Set `SPECBENCH_REAL_MODEL_URL`
//! to its API root (`http://127.0.0.1:18080/v1`) to run; without it the test only says so.
//! The server must take both a request offering the tools and one whose history holds a call
//! and its result, on both wire formats, and say that its template takes tools.

use std::time::Duration;

use specbench::config::{ModelConfig, ProviderKind as Kind};
use specbench::llm::client::{Patience, ReplyEvent};
use specbench::llm::provider::Provider;
use specbench::llm::{ChatMessage, ChatRequest, ToolCall, ToolResult};
use specbench::session::PromptKind;

#[tokio::test]
async fn a_real_llama_server_takes_the_tool_requests() {
    let Ok(url) = std::env::var("SPECBENCH_REAL_MODEL_URL") else {
        eprintln!("SPECBENCH_REAL_MODEL_URL is not set: nothing to check");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "x = 1\n").unwrap();
    let mut asked = ChatMessage::assistant("");
    asked.tool_calls = vec![ToolCall {
        id: "call_1".into(),
        name: "read_file".into(),
        arguments: r#"{"path": "a.py"}"#.into(),
    }];
    asked.tool_results = vec![ToolResult {
        call_id: "call_1".into(),
        content: "a.py: lines 1-1 of 1\n1  x = 1\n".into(),
        is_error: false,
    }];
    let first = ChatRequest {
        model: "smollm2".into(),
        system: "You are a coding assistant. Read files with the tools.".into(),
        messages: vec![ChatMessage::user("What is x in a.py?")],
        max_tokens: 24,
        tools: specbench::tools::definitions(),
    };
    let mut second = first.clone();
    second.messages.push(asked);
    for kind in [Kind::Openai, Kind::Anthropic] {
        let config = ModelConfig {
            provider: kind,
            model: "smollm2".into(),
            base_url: url.clone(),
            api_key_env: "SPECBENCH_REAL_MODEL_KEY".into(),
            ..ModelConfig::default()
        };
        let p = Provider::from_config(dir.path(), &config)
            .and_then(|p| {
                p.with_patience(Patience {
                    idle: Duration::from_secs(120),
                    ..Patience::default()
                })
            })
            .expect("provider");
        assert_eq!(p.tool_support().await, Some(true), "{kind:?}");
        for req in [&first, &second] {
            let mut events = Vec::new();
            let result = p
                .stream(req, "What is x in a.py?", PromptKind::Message, &mut |e| {
                    events.push(e)
                })
                .await;
            let text: String = events
                .iter()
                .filter_map(|e| match e {
                    ReplyEvent::Delta(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            let calls: Vec<&ToolCall> = events
                .iter()
                .filter_map(|e| match e {
                    ReplyEvent::ToolCall(c) => Some(c),
                    _ => None,
                })
                .collect();
            eprintln!(
                "{kind:?}, {} messages: {result:?}; text {text:?}; calls {calls:?}",
                req.messages.len()
            );
            result.expect("the server took the request");
        }
    }
}
