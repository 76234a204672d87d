//! Anthropic's `/v1/messages` streaming wire format (also served by llama.cpp's
//! `llama-server`): the request body, the decoding of one SSE event, and error bodies.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use super::openai::{self, ErrorField, ErrorParts};
use super::tools::{self, ToolDef};
use super::{ApiError, ChatMessage, ChatRequest, Decoded, ErrorKind, Role, Usage};

/// The `anthropic-version` header value.
pub const VERSION: &str = "2023-06-01";

/// The streaming request body for `req`. With tools, an assistant turn that called them holds
/// `tool_use` blocks and its results follow as a user turn of `tool_result` blocks (joined
/// with the next user turn, results first); without, any tool exchange goes as plain text.
pub fn body(req: &ChatRequest) -> Value {
    let flat;
    let history = if req.tools.is_empty() && tools::has_exchanges(&req.messages) {
        flat = tools::flatten(&req.messages);
        &flat
    } else {
        &req.messages
    };
    let mut messages: Vec<Value> = Vec::new();
    // Tool results waiting for the user turn they open.
    let mut results: Vec<Value> = Vec::new();
    for m in history {
        if !results.is_empty() {
            let mut blocks = std::mem::take(&mut results);
            if m.role == Role::User {
                if !m.content.is_empty() {
                    blocks.push(json!({"type": "text", "text": m.content}));
                }
                messages.push(json!({"role": "user", "content": blocks}));
                continue;
            }
            messages.push(json!({"role": "user", "content": blocks}));
        }
        if m.tool_calls.is_empty() {
            messages.push(json!({"role": m.role, "content": m.content}));
            continue;
        }
        messages.push(assistant_with_calls(m));
        for (call, result) in tools::paired(m) {
            let mut block = json!({
                "type": "tool_result",
                "tool_use_id": tools::wire_id(&call.id),
                "content": result.content,
            });
            if result.is_error {
                block["is_error"] = json!(true);
            }
            results.push(block);
        }
    }
    if !results.is_empty() {
        messages.push(json!({"role": "user", "content": results}));
    }
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "messages": messages,
        "stream": true,
    });
    if !req.system.is_empty() {
        body["system"] = json!(req.system);
    }
    if !req.tools.is_empty() {
        body["tools"] = req.tools.iter().map(tool).collect();
    }
    body
}

/// An assistant turn that called tools: its text (when any), then a `tool_use` block a call.
fn assistant_with_calls(m: &ChatMessage) -> Value {
    let mut blocks = Vec::new();
    if !m.content.trim().is_empty() {
        blocks.push(json!({"type": "text", "text": m.content}));
    }
    for call in &m.tool_calls {
        blocks.push(json!({
            "type": "tool_use",
            "id": tools::wire_id(&call.id),
            "name": call.name,
            "input": Value::Object(tools::arguments_object(&call.arguments)),
        }));
    }
    json!({"role": "assistant", "content": blocks})
}

/// A tool definition in Anthropic's `tools` format.
fn tool(def: &ToolDef) -> Value {
    json!({
        "name": def.name,
        "description": def.description,
        "input_schema": def.parameters,
    })
}

/// What an event is, read before the rest: its `type`, and whether it carries an `error`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Head {
    #[serde(rename = "type")]
    kind: Option<String>,
    error: Option<IgnoredAny>,
}

/// `message_start`: the prompt's usage is in the message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageStart {
    message: StartedMessage,
}

/// The message `message_start` opens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StartedMessage {
    usage: WireUsage,
}

/// `content_block_delta` and `message_delta`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeltaEvent {
    delta: EventDelta,
    usage: WireUsage,
}

/// The `delta` member of either delta event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventDelta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    partial_json: Option<String>,
    stop_reason: Option<String>,
}

/// `content_block_start` and `content_block_stop`: which block, and (at the start) what it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BlockEvent {
    index: Option<u32>,
    content_block: Option<Block>,
}

/// The block `content_block_start` opens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Block {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    name: Option<String>,
    /// `{}` as Anthropic sends it (the arguments follow as `input_json_delta`s); a server that
    /// sends the whole input here is read too.
    input: Option<Value>,
}

/// `content_block_delta`: the block's index and the delta.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BlockIndexDelta {
    index: Option<u32>,
    delta: EventDelta,
}

/// Token counts; the input side is split by caching.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireUsage {
    input_tokens: Option<u32>,
    cache_read_input_tokens: Option<u32>,
    cache_creation_input_tokens: Option<u32>,
    output_tokens: Option<u32>,
}

impl WireUsage {
    /// The whole prompt, cached or not, when any part of it is reported.
    fn prompt(&self) -> Option<u32> {
        let parts = [
            self.input_tokens,
            self.cache_read_input_tokens,
            self.cache_creation_input_tokens,
        ];
        parts
            .into_iter()
            .flatten()
            .reduce(|sum, n| sum.saturating_add(n))
    }
}

/// `error`, in the stream or as an HTTP body: `{"type": "error", "error": {..}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    error: Option<ErrorField>,
}

/// Decodes one SSE event (its `event:` name and its data) into pieces; the JSON `type`
/// decides, the event name standing in when it is missing.
pub fn decode(event: Option<&str>, data: &str) -> Vec<Decoded> {
    let data = data.trim();
    let json = if data.is_empty() { "{}" } else { data };
    let head: Head = match serde_json::from_str(json) {
        Ok(head) => head,
        Err(error) => {
            warn(&error, data);
            return vec![Decoded::Malformed(openai::clip(data))];
        }
    };
    let kind = head
        .kind
        .as_deref()
        .or(event)
        .or(head.error.is_some().then_some("error"));
    let decoded = match kind {
        Some("message_start") => serde_json::from_str(json).map(message_start),
        Some("content_block_start") => serde_json::from_str(json).map(block_start),
        Some("content_block_delta") => serde_json::from_str(json).map(block_delta),
        Some("content_block_stop") => serde_json::from_str(json).map(block_stop),
        Some("message_delta") => serde_json::from_str(json).map(message_delta),
        Some("message_stop") => Ok(vec![Decoded::Done]),
        Some("error") => serde_json::from_str(json).map(error_event),
        _ => Ok(Vec::new()),
    };
    decoded.unwrap_or_else(|error| {
        warn(&error, data);
        vec![Decoded::Malformed(openai::clip(data))]
    })
}

/// Logs an event that is not the JSON it should be.
fn warn(error: &serde_json::Error, data: &str) {
    tracing::warn!(%error, data = %openai::clip(data), "malformed messages stream event");
}

/// `message_start`: the prompt's usage.
fn message_start(event: MessageStart) -> Vec<Decoded> {
    let prompt = event.message.usage.prompt();
    prompt
        .map(|prompt| {
            Decoded::Usage(Usage {
                prompt: Some(prompt),
                completion: None,
            })
        })
        .into_iter()
        .collect()
}

/// `content_block_start`: a tool call begins when the block is a `tool_use`.
fn block_start(event: BlockEvent) -> Vec<Decoded> {
    let Some(block) = event.content_block else {
        return Vec::new();
    };
    if block.kind.as_deref() != Some("tool_use") {
        return Vec::new();
    }
    let arguments = match block.input {
        Some(Value::Object(map)) if !map.is_empty() => Value::Object(map).to_string(),
        _ => String::new(),
    };
    vec![Decoded::ToolDelta {
        index: event.index,
        id: block.id,
        name: block.name,
        arguments,
    }]
}

/// `content_block_delta`: text, or more of a tool call's input.
fn block_delta(event: BlockIndexDelta) -> Vec<Decoded> {
    match (
        event.delta.kind.as_deref(),
        event.delta.text,
        event.delta.partial_json,
    ) {
        (Some("text_delta"), Some(text), _) if !text.is_empty() => vec![Decoded::Delta(text)],
        (Some("input_json_delta"), _, Some(json)) if !json.is_empty() => {
            vec![Decoded::ToolDelta {
                index: event.index,
                id: None,
                name: None,
                arguments: json,
            }]
        }
        _ => Vec::new(),
    }
}

/// `content_block_stop`: the block at its index ended.
fn block_stop(event: BlockEvent) -> Vec<Decoded> {
    event.index.map(Decoded::BlockStop).into_iter().collect()
}

/// `message_delta`: why the model stopped and the reply's usage.
fn message_delta(event: DeltaEvent) -> Vec<Decoded> {
    let mut out = Vec::new();
    if let Some(reason) = event.delta.stop_reason {
        out.push(Decoded::StopReason(reason));
    }
    let usage = Usage {
        prompt: event.usage.prompt(),
        completion: event.usage.output_tokens,
    };
    if usage != Usage::default() {
        out.push(Decoded::Usage(usage));
    }
    out
}

/// `error`: the in-band error.
fn error_event(event: ErrorEvent) -> Vec<Decoded> {
    let parts = event.error.map(ErrorField::into_parts).unwrap_or_default();
    vec![Decoded::Error(api_error(None, parts))]
}

/// The error `parts` describe: by Anthropic's error type, else as an OpenAI-shaped error.
fn api_error(status: Option<u16>, parts: ErrorParts) -> ApiError {
    match parts
        .kind
        .as_deref()
        .and_then(|t| kind_of(t, parts.message()))
    {
        Some(kind) => ApiError {
            kind,
            status,
            message: openai::one_line(parts.message()),
        },
        None => openai::api_error(status, parts),
    }
}

/// The kind an Anthropic error type means.
fn kind_of(error_type: &str, message: &str) -> Option<ErrorKind> {
    Some(match error_type {
        "overloaded_error" => ErrorKind::Overloaded,
        "rate_limit_error" => ErrorKind::RateLimited,
        "api_error" | "timeout_error" => ErrorKind::Server,
        "authentication_error" => ErrorKind::BadKey,
        "permission_error" => ErrorKind::Forbidden,
        "not_found_error" => ErrorKind::ModelNotFound,
        "request_too_large" => ErrorKind::ContextTooLong,
        "invalid_request_error" if openai::mentions_context(message) => ErrorKind::ContextTooLong,
        "invalid_request_error" => ErrorKind::BadRequest,
        _ => return None,
    })
}

/// Classifies an HTTP error response: Anthropic's `{"type": "error", "error": {..}}` by its
/// error type, anything else (llama.cpp answers in OpenAI's shape) as [`openai::classify`].
pub fn classify(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorEvent>(body) {
        Ok(ErrorEvent {
            kind: Some(kind),
            error: Some(error),
        }) if kind == "error" => api_error(Some(status), error.into_parts()),
        _ => openai::classify(status, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ToolCall, ToolResult};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sse/");

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}{name}")).unwrap()
    }

    /// Every event of a fixture, decoded in order.
    fn decode_fixture(name: &str) -> Vec<Decoded> {
        let mut out = Vec::new();
        for block in fixture(name).split("\n\n") {
            let mut event = None;
            let mut data = "";
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name);
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = d;
                }
            }
            out.extend(decode(event, data));
        }
        out
    }

    fn usage(prompt: Option<u32>, completion: Option<u32>) -> Decoded {
        Decoded::Usage(Usage { prompt, completion })
    }

    #[test]
    fn body_has_the_system_prompt_apart() {
        let req = ChatRequest {
            model: "claude-sonnet-4-5".into(),
            system: "Be terse.".into(),
            messages: vec![ChatMessage::user("Hi")],
            max_tokens: 1024,
            tools: Vec::new(),
        };
        assert_eq!(
            body(&req),
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 1024,
                "system": "Be terse.",
                "messages": [{"role": "user", "content": "Hi"}],
                "stream": true,
            })
        );
        let bare = body(&ChatRequest {
            system: String::new(),
            ..req
        });
        assert!(bare.get("system").is_none());
    }

    fn read_file_def() -> ToolDef {
        ToolDef {
            name: "read_file".into(),
            description: "Read a file.".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }
    }

    #[test]
    fn tools_and_tool_exchanges_go_in_anthropic_form() {
        let mut asked = ChatMessage::assistant("");
        asked.tool_calls = vec![
            ToolCall {
                id: "toolu_1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"a.py\"}".into(),
            },
            ToolCall {
                id: "toolu_2".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"/etc/passwd\"}".into(),
            },
        ];
        asked.tool_results = vec![
            ToolResult {
                call_id: "toolu_2".into(),
                content: "error: /etc/passwd: an absolute path".into(),
                is_error: true,
            },
            ToolResult {
                call_id: "toolu_1".into(),
                content: "1: x = 1".into(),
                is_error: false,
            },
        ];
        let req = ChatRequest {
            model: "claude".into(),
            system: String::new(),
            messages: vec![
                ChatMessage::user("Why?"),
                asked,
                ChatMessage::user("And now?"),
            ],
            max_tokens: 100,
            tools: vec![read_file_def()],
        };
        let body = body(&req);
        assert_eq!(
            body["tools"],
            json!([{"name": "read_file", "description": "Read a file.", "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}])
        );
        assert_eq!(
            body["messages"],
            json!([
                {"role": "user", "content": "Why?"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.py"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "read_file", "input": {"path": "/etc/passwd"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "1: x = 1"},
                    {"type": "tool_result", "tool_use_id": "toolu_2", "content": "error: /etc/passwd: an absolute path", "is_error": true},
                    {"type": "text", "text": "And now?"},
                ]},
            ])
        );
        // The request ends with the results when the model is to continue.
        let mut cont = req.clone();
        cont.messages.pop();
        let body = super::body(&cont);
        let last = body["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["role"], "user");
        assert_eq!(last["content"].as_array().unwrap().len(), 2);
        // Without tools, the exchange is text.
        let plain = super::body(&ChatRequest {
            tools: Vec::new(),
            ..req
        });
        assert!(plain.get("tools").is_none());
        assert!(!plain.to_string().contains("tool_use"), "{plain}");
    }

    #[test]
    fn decodes_the_llama_server_tool_use_capture() {
        let pieces = decode_fixture("llama_anthropic_tool_use.sse");
        let mut a = crate::llm::tools::Assembler::default();
        let mut calls = Vec::new();
        for piece in &pieces {
            match piece {
                Decoded::ToolDelta {
                    index,
                    id,
                    name,
                    arguments,
                } => a.delta(*index, id.clone(), name.clone(), arguments),
                Decoded::BlockStop(i) => calls.extend(a.block_stop(*i)),
                _ => {}
            }
        }
        assert_eq!(
            calls,
            [ToolCall {
                id: "EYqAzdJi01kTqU1sWHuWqmw0z1pjijx0".into(),
                name: "read_file".into(),
                arguments: "{\"path\": \"c.py\"}".into(),
            }]
        );
        assert!(pieces.contains(&Decoded::StopReason("tool_use".into())));
    }

    #[test]
    fn a_tool_use_block_start_names_the_call() {
        let start = r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"search","input":{}}}"#;
        assert_eq!(
            decode(Some("content_block_start"), start),
            [Decoded::ToolDelta {
                index: Some(1),
                id: Some("toolu_01".into()),
                name: Some("search".into()),
                arguments: String::new(),
            }]
        );
        let whole = r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"search","input":{"pattern":"x"}}}"#;
        let [Decoded::ToolDelta { arguments, .. }] = &decode(None, whole)[..] else {
            panic!("one piece");
        };
        assert_eq!(arguments, r#"{"pattern":"x"}"#);
        let stop = r#"{"type":"content_block_stop","index":1}"#;
        assert_eq!(decode(None, stop), [Decoded::BlockStop(1)]);
    }

    #[test]
    fn decodes_the_documented_stream() {
        let pieces = decode_fixture("anthropic_stream.sse");
        assert_eq!(
            pieces,
            [
                usage(Some(1325), None),
                Decoded::Delta("Hello".into()),
                Decoded::Delta(", café → ".into()),
                Decoded::Delta("Ferris 🦀!".into()),
                Decoded::BlockStop(0),
                Decoded::StopReason("end_turn".into()),
                usage(None, Some(15)),
                Decoded::Done,
            ]
        );
    }

    #[test]
    fn decodes_the_llama_server_capture() {
        let pieces = decode_fixture("llama_anthropic_stream.sse");
        assert_eq!(pieces[0], usage(Some(29), None));
        assert_eq!(pieces[1], Decoded::Delta(" band".into()));
        let n = pieces.len();
        assert_eq!(
            pieces[n - 3..],
            [
                Decoded::StopReason("max_tokens".into()),
                usage(None, Some(6)),
                Decoded::Done,
            ]
        );
    }

    #[test]
    fn message_start_sums_the_input_side() {
        let plain =
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#;
        assert_eq!(decode(None, plain), [usage(Some(25), None)]);
        let none = r#"{"type":"message_start","message":{"id":"msg_1","content":[]}}"#;
        assert_eq!(decode(None, none), []);
    }

    #[test]
    fn only_text_deltas_are_text() {
        let text =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"é"}}"#;
        assert_eq!(decode(None, text), [Decoded::Delta("é".into())]);
        let input = r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#;
        assert_eq!(
            decode(None, input),
            [Decoded::ToolDelta {
                index: Some(1),
                id: None,
                name: None,
                arguments: "{\"a\":".into(),
            }]
        );
        for other in [
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
        ] {
            assert_eq!(decode(Some("content_block_delta"), other), [], "{other}");
        }
    }

    #[test]
    fn message_delta_gives_the_stop_reason_and_usage() {
        let data = r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":6}}"#;
        assert_eq!(
            decode(Some("message_delta"), data),
            [
                Decoded::StopReason("max_tokens".into()),
                usage(None, Some(6))
            ]
        );
        let full = r#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7}}"#;
        assert_eq!(decode(None, full), [usage(Some(15), Some(7))]);
    }

    #[test]
    fn quiet_and_unknown_events_yield_nothing() {
        for (event, data) in [
            ("ping", r#"{"type": "ping"}"#),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "future_thing",
                r#"{"type":"future_thing","message":"a string, unlike message_start's"}"#,
            ),
            ("ping", ""),
        ] {
            assert_eq!(decode(Some(event), data), [], "{event}");
        }
    }

    #[test]
    fn the_type_decides_and_the_event_name_stands_in() {
        let stop = r#"{"type":"message_stop"}"#;
        assert_eq!(decode(Some("ping"), stop), [Decoded::Done]);
        assert_eq!(decode(Some("message_stop"), "{}"), [Decoded::Done]);
        assert_eq!(decode(Some("message_stop"), ""), [Decoded::Done]);
    }

    #[test]
    fn in_stream_errors_by_type() {
        let cases = [
            ("overloaded_error", "Overloaded", ErrorKind::Overloaded),
            ("rate_limit_error", "slow down", ErrorKind::RateLimited),
            ("api_error", "Internal server error", ErrorKind::Server),
            (
                "authentication_error",
                "invalid x-api-key",
                ErrorKind::BadKey,
            ),
            ("permission_error", "no", ErrorKind::Forbidden),
            (
                "not_found_error",
                "model: claude-9",
                ErrorKind::ModelNotFound,
            ),
            ("request_too_large", "too big", ErrorKind::ContextTooLong),
            (
                "invalid_request_error",
                "prompt is too long: 210000 tokens > 200000 maximum",
                ErrorKind::ContextTooLong,
            ),
            (
                "invalid_request_error",
                "messages: roles must alternate",
                ErrorKind::BadRequest,
            ),
            ("brand_new_error", "?", ErrorKind::Other),
        ];
        for (error_type, message, kind) in cases {
            let data = json!({"type": "error", "error": {"type": error_type, "message": message}});
            let expected = ApiError {
                kind,
                status: None,
                message: message.into(),
            };
            assert_eq!(
                decode(Some("error"), &data.to_string()),
                [Decoded::Error(expected)],
                "{error_type}"
            );
        }
    }

    #[test]
    fn the_overloaded_fixture_ends_in_an_error() {
        let pieces = decode_fixture("anthropic_overloaded.sse");
        let Some(Decoded::Error(error)) = pieces.last() else {
            panic!("ends in an error: {pieces:?}");
        };
        assert_eq!(
            (error.kind, error.status, error.message.as_str()),
            (ErrorKind::Overloaded, None, "Overloaded")
        );
    }

    #[test]
    fn an_openai_shaped_error_in_the_stream() {
        let data = r#"{"error":{"code":500,"message":"boom","type":"server_error"}}"#;
        let [Decoded::Error(error)] = &decode(None, data)[..] else {
            panic!("one error");
        };
        assert_eq!(error.kind, ErrorKind::Server);
        let [Decoded::Error(error)] = &decode(Some("error"), "{}")[..] else {
            panic!("one error");
        };
        assert_eq!(error.kind, ErrorKind::Other);
    }

    #[test]
    fn malformed_json_is_reported_with_its_start() {
        for data in [
            "{",
            "event: ping",
            r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":5}}"#,
            r#"{"type":"message_start","message":{"usage":{"input_tokens":-1}}}"#,
        ] {
            assert_eq!(
                decode(None, data),
                [Decoded::Malformed(data.into())],
                "{data}"
            );
        }
    }

    #[test]
    fn classifies_real_error_bodies() {
        let cases = [
            (
                "anthropic_error_429.json",
                429,
                ErrorKind::RateLimited,
                "This request would exceed the rate limit for your organization of 50,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
            ),
            (
                "anthropic_error_401.json",
                401,
                ErrorKind::BadKey,
                "invalid x-api-key",
            ),
            (
                "llama_ctx_exceeded.json",
                400,
                ErrorKind::ContextTooLong,
                "request (827 tokens) exceeds the available context size (256 tokens), try increasing it",
            ),
            (
                "llama_bad_key.json",
                401,
                ErrorKind::BadKey,
                "Invalid API Key",
            ),
        ];
        for (name, status, kind, message) in cases {
            let expected = ApiError {
                kind,
                status: Some(status),
                message: message.into(),
            };
            assert_eq!(classify(status, &fixture(name)), expected, "{name}");
        }
    }

    #[test]
    fn classifies_by_type_then_status() {
        let body = |t: &str, m: &str| {
            json!({"type": "error", "error": {"type": t, "message": m}, "request_id": "req_1"})
                .to_string()
        };
        let cases = [
            (
                529,
                body("overloaded_error", "Overloaded"),
                ErrorKind::Overloaded,
            ),
            (500, body("api_error", "Internal"), ErrorKind::Server),
            (403, body("permission_error", "no"), ErrorKind::Forbidden),
            (
                404,
                body("not_found_error", "model: x"),
                ErrorKind::ModelNotFound,
            ),
            (
                413,
                body("request_too_large", "big"),
                ErrorKind::ContextTooLong,
            ),
            (
                400,
                body("invalid_request_error", "prompt is too long: 5 tokens > 4"),
                ErrorKind::ContextTooLong,
            ),
            (
                400,
                body("invalid_request_error", "bad"),
                ErrorKind::BadRequest,
            ),
            (402, body("billing_error", "pay"), ErrorKind::BadRequest),
            (529, "overloaded".to_string(), ErrorKind::Overloaded),
            (504, "<html>gateway</html>".to_string(), ErrorKind::Server),
        ];
        for (status, body, kind) in cases {
            let error = classify(status, &body);
            assert_eq!((error.kind, error.status), (kind, Some(status)), "{body}");
        }
    }
}
