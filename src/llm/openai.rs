//! The OpenAI-compatible `/v1/chat/completions` wire format, as spoken by OpenAI, llama.cpp's
//! `llama-server`, Ollama, vLLM and LM Studio: the streaming request body, the decoding of one
//! SSE event, and the classification of error bodies.

use serde::Deserialize;
use serde_json::{Value, json};

use super::tools::{self, ToolDef};
use super::{ApiError, ChatMessage, ChatRequest, Decoded, ErrorKind, Role, Usage};

/// Longest message kept from an error body, in characters.
const MAX_MESSAGE: usize = 300;

/// Phrases (lowercase) by which servers say the request does not fit the context window.
const CONTEXT_PHRASES: [&str; 5] = [
    "maximum context length",
    "exceeds the available context size",
    "context length",
    "too many tokens",
    "prompt is too long",
];

/// The streaming request body for `req`, asking for usage in the last chunk. With tools, an
/// assistant turn that called them carries `tool_calls` and its results follow as `tool`
/// messages; without, any tool exchange in the history goes as plain text.
pub fn body(req: &ChatRequest) -> Value {
    let system = (!req.system.is_empty())
        .then(|| json!({"role": "system", "content": req.system}))
        .into_iter();
    let flat;
    let history = if req.tools.is_empty() && tools::has_exchanges(&req.messages) {
        flat = tools::flatten(&req.messages);
        &flat
    } else {
        &req.messages
    };
    let messages: Vec<Value> = system.chain(history.iter().flat_map(message)).collect();
    let mut body = json!({
        "model": req.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": req.max_tokens,
    });
    if !req.tools.is_empty() {
        body["tools"] = req.tools.iter().map(tool).collect();
    }
    body
}

/// One message on the wire: itself, then a `tool` message per call it made.
fn message(m: &ChatMessage) -> Vec<Value> {
    if m.tool_calls.is_empty() {
        return vec![json!({"role": m.role, "content": m.content})];
    }
    let calls: Vec<Value> = m
        .tool_calls
        .iter()
        .map(|call| {
            let arguments = tools::arguments_text(&call.arguments);
            json!({
                "id": tools::wire_id(&call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            })
        })
        .collect();
    let mut out = vec![json!({"role": Role::Assistant, "content": m.content, "tool_calls": calls})];
    for (call, result) in tools::paired(m) {
        out.push(json!({
            "role": "tool",
            "tool_call_id": tools::wire_id(&call.id),
            "content": result.content,
        }));
    }
    out
}

/// A tool definition in OpenAI's `tools` format.
fn tool(def: &ToolDef) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": def.name,
            "description": def.description,
            "parameters": def.parameters,
        },
    })
}

/// One streamed chunk; every field is optional on the wire.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Chunk {
    choices: Option<Vec<Choice>>,
    usage: Option<WireUsage>,
    error: Option<ErrorField>,
}

/// One entry of `choices`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Choice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

/// The new part of the message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Delta {
    content: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A piece of a tool call: the first names it, the rest carry its arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ToolCallDelta {
    index: Option<u32>,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

/// The function part of a tool call piece.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

/// The `usage` object of the last chunk.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireUsage {
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
}

/// The `error` member: an object (OpenAI, llama.cpp, Anthropic) or a bare string (Ollama).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorField {
    /// `{"message", "type", "code"}`.
    Object(ErrorParts),
    /// `"model not found"`.
    Text(String),
}

impl ErrorField {
    /// The fields, a bare string being the message.
    pub(crate) fn into_parts(self) -> ErrorParts {
        match self {
            ErrorField::Object(parts) => parts,
            ErrorField::Text(text) => ErrorParts {
                message: Some(text),
                ..ErrorParts::default()
            },
        }
    }
}

/// What an error object says; `code` is a string for OpenAI, a number for llama.cpp and vLLM.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ErrorParts {
    /// The human-readable message.
    pub(crate) message: Option<String>,
    /// The error class (`invalid_request_error`, `overloaded_error`...).
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// A machine-readable code (`context_length_exceeded`) or the HTTP status.
    pub(crate) code: Option<Value>,
}

impl ErrorParts {
    /// The code when it is a string.
    fn code(&self) -> Option<&str> {
        self.code.as_ref().and_then(Value::as_str)
    }

    /// The message, empty when absent.
    pub(crate) fn message(&self) -> &str {
        self.message.as_deref().unwrap_or("")
    }
}

/// An error body: `{"error": {..}}`, `{"error": "text"}`, or the fields at the top (vLLM).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody {
    error: Option<ErrorField>,
    #[serde(flatten)]
    top: ErrorParts,
}

/// Decodes one SSE event (its `event:` name, unused here, and its data) into pieces.
pub fn decode(_event: Option<&str>, data: &str) -> Vec<Decoded> {
    let data = data.trim();
    if data == "[DONE]" {
        return vec![Decoded::Done];
    }
    if data.is_empty() {
        return Vec::new();
    }
    let chunk: Chunk = match serde_json::from_str(data) {
        Ok(chunk) => chunk,
        Err(error) => {
            tracing::warn!(%error, data = %clip(data), "malformed chat completion chunk");
            return vec![Decoded::Malformed(clip(data))];
        }
    };
    let mut out = Vec::new();
    if let Some(error) = chunk.error {
        out.push(Decoded::Error(api_error(None, error.into_parts())));
    }
    if let Some(choice) = chunk.choices.and_then(|c| c.into_iter().next()) {
        let delta = choice.delta.unwrap_or_default();
        if let Some(text) = delta.content
            && !text.is_empty()
        {
            out.push(Decoded::Delta(text));
        }
        for call in delta.tool_calls.into_iter().flatten() {
            let function = call.function.unwrap_or_default();
            out.push(Decoded::ToolDelta {
                index: call.index,
                id: call.id,
                name: function.name.filter(|n| !n.is_empty()),
                arguments: function.arguments.unwrap_or_default(),
            });
        }
        if let Some(reason) = choice.finish_reason {
            out.push(Decoded::StopReason(reason));
        }
    }
    if let Some(usage) = chunk.usage
        && (usage.prompt_tokens.is_some() || usage.completion_tokens.is_some())
    {
        out.push(Decoded::Usage(Usage {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
        }));
    }
    out
}

/// Classifies an HTTP error response from its status and body.
pub fn classify(status: u16, body: &str) -> ApiError {
    let parts = match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: Some(error), ..
        }) => error.into_parts(),
        Ok(ErrorBody { error: None, top }) if top.message.is_some() => top,
        _ => ErrorParts {
            message: Some(body.to_string()),
            ..ErrorParts::default()
        },
    };
    api_error(Some(status), parts)
}

/// The error `parts` describe, with the HTTP status when there was one.
pub(crate) fn api_error(status: Option<u16>, parts: ErrorParts) -> ApiError {
    let kind = if too_long(status, &parts) {
        ErrorKind::ContextTooLong
    } else {
        match status {
            Some(status) => status_kind(status, &parts),
            None => stream_kind(&parts),
        }
    };
    ApiError {
        kind,
        status,
        message: one_line(parts.message()),
    }
}

/// Whether the error says the request does not fit the context window. A 429's message is
/// not read: "too many tokens" per minute is rate limiting.
fn too_long(status: Option<u16>, parts: &ErrorParts) -> bool {
    parts.kind.as_deref() == Some("exceed_context_size_error")
        || parts.code() == Some("context_length_exceeded")
        || (status != Some(429) && mentions_context(parts.message()))
}

/// Whether a message says the prompt is over the context window.
pub(crate) fn mentions_context(message: &str) -> bool {
    let message = message.to_lowercase();
    CONTEXT_PHRASES.iter().any(|p| message.contains(p))
}

/// Whether the error says the model does not exist.
fn model_missing(parts: &ErrorParts) -> bool {
    let message = parts.message().to_lowercase();
    parts.code() == Some("model_not_found")
        || message.contains("model")
            && (message.contains("does not exist") || message.contains("not found"))
}

/// The kind an HTTP status means (`parts` tell a missing model among 400s).
fn status_kind(status: u16, parts: &ErrorParts) -> ErrorKind {
    match status {
        401 => ErrorKind::BadKey,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::ModelNotFound,
        400 if model_missing(parts) => ErrorKind::ModelNotFound,
        429 => ErrorKind::RateLimited,
        529 => ErrorKind::Overloaded,
        408 | 409 | 500..=599 => ErrorKind::Server,
        400..=499 => ErrorKind::BadRequest,
        _ => ErrorKind::Other,
    }
}

/// The kind of an in-stream error, which has no status: from its type or code.
fn stream_kind(parts: &ErrorParts) -> ErrorKind {
    if model_missing(parts) {
        return ErrorKind::ModelNotFound;
    }
    let names = [parts.kind.as_deref(), parts.code()];
    let mut kinds = names.into_iter().flatten().filter_map(|name| match name {
        "server_error" | "api_error" | "timeout_error" | "unavailable_error" => {
            Some(ErrorKind::Server)
        }
        "rate_limit_error" | "rate_limit_exceeded" => Some(ErrorKind::RateLimited),
        "overloaded_error" => Some(ErrorKind::Overloaded),
        "authentication_error" | "invalid_api_key" => Some(ErrorKind::BadKey),
        "permission_error" => Some(ErrorKind::Forbidden),
        "not_found_error" => Some(ErrorKind::ModelNotFound),
        "invalid_request_error" => Some(ErrorKind::BadRequest),
        _ => None,
    });
    kinds.next().unwrap_or(ErrorKind::Other)
}

/// The first non-empty line of `text`, trimmed, at most [`MAX_MESSAGE`] characters, without
/// control characters (a server's words reach the screen and stderr).
pub(crate) fn one_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let line = line.unwrap_or("").chars().filter(|c| !c.is_control());
    line.take(MAX_MESSAGE).collect()
}

/// The start of an event's data, for a log line or a damage report: at most 80 characters,
/// without control characters, `…` when cut.
pub(crate) fn clip(data: &str) -> String {
    let mut chars = data.chars().filter(|c| !c.is_control());
    let mut out: String = chars.by_ref().take(80).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ToolCall, ToolResult};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sse/");

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}{name}")).unwrap()
    }

    fn request(system: &str) -> ChatRequest {
        ChatRequest {
            model: "gpt-4o-mini".into(),
            system: system.into(),
            messages: vec![
                ChatMessage::user("Hi"),
                ChatMessage::assistant("Hello!"),
                ChatMessage::user("Write a test."),
            ],
            max_tokens: 512,
            tools: Vec::new(),
        }
    }

    #[test]
    fn body_puts_the_system_prompt_first_and_asks_for_usage() {
        let body = body(&request("Be terse."));
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "Be terse."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "Write a test."},
                ],
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_tokens": 512,
            })
        );
    }

    #[test]
    fn body_omits_an_empty_system_prompt() {
        let body = body(&request(""));
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
    }

    fn read_file_def() -> ToolDef {
        ToolDef {
            name: "read_file".into(),
            description: "Read a file.".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        }
    }

    /// A history in which the model called two tools, one result of which is missing.
    fn with_calls() -> ChatRequest {
        let mut asked = ChatMessage::assistant("Looking.");
        asked.tool_calls = vec![
            ToolCall {
                id: "call_1".into(),
                name: "read_file".into(),
                arguments: "{\"path\": \"a.py\"}".into(),
            },
            ToolCall {
                id: "call 2".into(),
                name: "read_file".into(),
                arguments: "{\"path\": ".into(),
            },
        ];
        asked.tool_results = vec![ToolResult {
            call_id: "call_1".into(),
            content: "1: x = 1".into(),
            is_error: false,
        }];
        ChatRequest {
            tools: vec![read_file_def()],
            messages: vec![ChatMessage::user("Why?"), asked],
            ..request("S")
        }
    }

    #[test]
    fn tools_and_tool_exchanges_go_in_openai_form() {
        let body = body(&with_calls());
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "function": {
                "name": "read_file",
                "description": "Read a file.",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
            }}])
        );
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "S"},
                {"role": "user", "content": "Why?"},
                {"role": "assistant", "content": "Looking.", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\": \"a.py\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "read_file", "arguments": "{}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "1: x = 1"},
                {"role": "tool", "tool_call_id": "call_2", "content": tools::NOT_RUN},
            ])
        );
    }

    #[test]
    fn without_tools_an_exchange_goes_as_text() {
        let req = ChatRequest {
            tools: Vec::new(),
            ..with_calls()
        };
        let body = body(&req);
        assert!(body.get("tools").is_none());
        let messages = body["messages"].as_array().unwrap();
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert!(messages.iter().all(|m| m.get("tool_calls").is_none()));
        let said = messages[2]["content"].as_str().unwrap();
        assert!(
            said.ends_with("[tool call: read_file {\"path\":]"),
            "{said}"
        );
    }

    #[test]
    fn decodes_the_llama_server_tool_call_capture() {
        let pieces = decode_fixture("llama_tool_calls_stream.sse");
        let mut a = tools::Assembler::default();
        let mut stop = None;
        for piece in &pieces {
            match piece {
                Decoded::ToolDelta {
                    index,
                    id,
                    name,
                    arguments,
                } => a.delta(*index, id.clone(), name.clone(), arguments),
                Decoded::StopReason(r) => stop = Some(r.clone()),
                Decoded::Usage(_) | Decoded::Done => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(stop.as_deref(), Some("tool_calls"));
        assert_eq!(
            a.finish(),
            [ToolCall {
                id: "RPymezS8aU05vmltodFpBcW6LpV4htuV".into(),
                name: "read_file".into(),
                arguments: "{\"path\": \"c.py\"}".into(),
            }]
        );
    }

    #[test]
    fn a_whole_call_in_one_chunk_and_text_beside_it() {
        let data = r#"{"choices":[{"index":0,"delta":{"content":"Let me look.","tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"search","arguments":"{\"pattern\":\"def \"}"}}]},"finish_reason":null}]}"#;
        assert_eq!(
            decode(None, data),
            [
                Decoded::Delta("Let me look.".into()),
                Decoded::ToolDelta {
                    index: Some(0),
                    id: Some("call_9".into()),
                    name: Some("search".into()),
                    arguments: "{\"pattern\":\"def \"}".into(),
                },
            ]
        );
        let bad = r#"{"choices":[{"delta":{"tool_calls":[{"index":"zero"}]}}]}"#;
        assert!(matches!(&decode(None, bad)[..], [Decoded::Malformed(_)]));
    }

    /// Every event of a fixture, decoded in order.
    fn decode_fixture(name: &str) -> Vec<Decoded> {
        fixture(name)
            .split("\n\n")
            .filter_map(|event| event.strip_prefix("data: "))
            .flat_map(|data| decode(None, data))
            .collect()
    }

    #[test]
    fn decodes_the_llama_server_capture() {
        let pieces = decode_fixture("llama_chat_stream_usage.sse");
        let deltas = pieces
            .iter()
            .filter(|p| matches!(p, Decoded::Delta(_)))
            .count();
        assert_eq!(deltas, 23);
        assert_eq!(pieces[0], Decoded::Delta(" nit".into()));
        let n = pieces.len();
        assert_eq!(
            pieces[n - 3..],
            [
                Decoded::StopReason("length".into()),
                Decoded::Usage(Usage {
                    prompt: Some(55),
                    completion: Some(24),
                }),
                Decoded::Done,
            ]
        );
    }

    #[test]
    fn content_becomes_a_delta() {
        let data = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Café → 🦀"},"logprobs":null,"finish_reason":null}],"usage":null}"#;
        assert_eq!(decode(None, data), [Decoded::Delta("Café → 🦀".into())]);
    }

    #[test]
    fn role_only_and_empty_content_yield_nothing() {
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        let null = r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]}"#;
        let no_choices = r#"{"choices":[],"usage":null}"#;
        let unknown =
            r#"{"object":"chat.completion.chunk","timings":{"prompt_n":1},"choices":null}"#;
        for data in [role, null, no_choices, unknown, "", "  "] {
            assert_eq!(decode(None, data), [], "{data}");
        }
    }

    #[test]
    fn finish_reason_becomes_a_stop_reason() {
        let data = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
        assert_eq!(decode(None, data), [Decoded::StopReason("stop".into())]);
        let both = r#"{"choices":[{"delta":{"content":"."},"finish_reason":"length"}]}"#;
        assert_eq!(
            decode(None, both),
            [
                Decoded::Delta(".".into()),
                Decoded::StopReason("length".into())
            ]
        );
    }

    #[test]
    fn usage_chunk_becomes_usage() {
        let data = r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"#;
        assert_eq!(
            decode(None, data),
            [Decoded::Usage(Usage {
                prompt: Some(9),
                completion: Some(12),
            })]
        );
        assert_eq!(decode(None, r#"{"choices":[],"usage":{}}"#), []);
    }

    #[test]
    fn done_is_trimmed() {
        assert_eq!(decode(None, "[DONE]"), [Decoded::Done]);
        assert_eq!(decode(Some("message"), " [DONE]\n"), [Decoded::Done]);
    }

    #[test]
    fn in_stream_error_is_classified_without_a_status() {
        let data = r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#;
        assert_eq!(
            decode(None, data),
            [Decoded::Error(ApiError {
                kind: ErrorKind::Server,
                status: None,
                message: "The server had an error while processing your request. Sorry about that!"
                    .into(),
            })]
        );
        let context = fixture("llama_ctx_exceeded.json");
        let [Decoded::Error(error)] = &decode(None, &context)[..] else {
            panic!("one error");
        };
        assert_eq!(error.kind, ErrorKind::ContextTooLong);
        let cases = [
            (
                r#"{"error":"model \"x\" not found"}"#,
                ErrorKind::ModelNotFound,
            ),
            (
                r#"{"error":{"type":"rate_limit_error"}}"#,
                ErrorKind::RateLimited,
            ),
            (r#"{"error":{"code":"invalid_api_key"}}"#, ErrorKind::BadKey),
            (
                r#"{"error":{"type":"overloaded_error"}}"#,
                ErrorKind::Overloaded,
            ),
            (
                r#"{"error":{"type":"permission_error"}}"#,
                ErrorKind::Forbidden,
            ),
            (
                r#"{"error":{"type":"not_found_error"}}"#,
                ErrorKind::ModelNotFound,
            ),
            (
                r#"{"error":{"type":"invalid_request_error"}}"#,
                ErrorKind::BadRequest,
            ),
            (r#"{"error":{"type":"brand_new_error"}}"#, ErrorKind::Other),
        ];
        for (data, kind) in cases {
            let [Decoded::Error(error)] = &decode(None, data)[..] else {
                panic!("one error from {data}");
            };
            assert_eq!(error.kind, kind, "{data}");
        }
    }

    #[test]
    fn malformed_json_is_reported_with_its_start() {
        for data in ["{", "not json", r#"{"choices":[{"delta":{"content":5}}]}"#] {
            assert_eq!(
                decode(None, data),
                [Decoded::Malformed(data.into())],
                "{data}"
            );
        }
        assert_eq!(decode(None, "\u{0}"), [Decoded::Malformed(String::new())]);
        let long = format!("{{\"choices\": \"{}\"", "x".repeat(200));
        let [Decoded::Malformed(start)] = &decode(None, &long)[..] else {
            panic!("one report");
        };
        assert_eq!(start.chars().count(), 81);
        assert!(start.ends_with('…'));
    }

    #[test]
    fn classifies_real_error_bodies() {
        let cases = [
            (
                "llama_bad_key.json",
                401,
                ErrorKind::BadKey,
                "Invalid API Key",
            ),
            (
                "llama_ctx_exceeded.json",
                400,
                ErrorKind::ContextTooLong,
                "request (827 tokens) exceeds the available context size (256 tokens), try increasing it",
            ),
            (
                "openai_error_404.json",
                404,
                ErrorKind::ModelNotFound,
                "The model `gpt-9-turbo` does not exist or you do not have access to it.",
            ),
            (
                "openai_error_context.json",
                400,
                ErrorKind::ContextTooLong,
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
            ),
        ];
        for (name, status, kind, message) in cases {
            let error = classify(status, &fixture(name));
            let expected = ApiError {
                kind,
                status: Some(status),
                message: message.into(),
            };
            assert_eq!(error, expected, "{name}");
        }
    }

    #[test]
    fn context_is_recognised_by_type_code_or_message_at_any_status() {
        let by_type = r#"{"error":{"type":"exceed_context_size_error","message":"x"}}"#;
        let by_code = r#"{"error":{"code":"context_length_exceeded","message":"x"}}"#;
        let by_message = [
            "This model's maximum context length is 4096 tokens.",
            "the request exceeds the available context size, try increasing it",
            "The number of tokens to keep from the initial prompt is greater than the context length",
            "Too many tokens in the prompt",
            "prompt is too long: 210000 tokens > 200000 maximum",
        ];
        for status in [400, 413, 500] {
            assert_eq!(classify(status, by_type).kind, ErrorKind::ContextTooLong);
            assert_eq!(classify(status, by_code).kind, ErrorKind::ContextTooLong);
            for message in by_message {
                let body = json!({"error": {"message": message}}).to_string();
                assert_eq!(classify(status, &body).kind, ErrorKind::ContextTooLong);
            }
        }
        let tpm = r#"{"error":{"message":"Too many tokens per minute","type":"tokens"}}"#;
        assert_eq!(classify(429, tpm).kind, ErrorKind::RateLimited);
    }

    #[test]
    fn classifies_by_status() {
        let body = r#"{"error":{"message":"nope","type":"x"}}"#;
        let cases = [
            (401, ErrorKind::BadKey),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::ModelNotFound),
            (429, ErrorKind::RateLimited),
            (529, ErrorKind::Overloaded),
            (408, ErrorKind::Server),
            (409, ErrorKind::Server),
            (500, ErrorKind::Server),
            (502, ErrorKind::Server),
            (503, ErrorKind::Server),
            (400, ErrorKind::BadRequest),
            (422, ErrorKind::BadRequest),
            (302, ErrorKind::Other),
            (200, ErrorKind::Other),
        ];
        for (status, kind) in cases {
            let error = classify(status, body);
            assert_eq!((error.kind, error.status), (kind, Some(status)), "{status}");
            assert_eq!(error.message, "nope");
        }
    }

    #[test]
    fn a_400_about_a_missing_model_is_model_not_found() {
        let ollama = r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#;
        assert_eq!(classify(400, ollama).kind, ErrorKind::ModelNotFound);
        let openai = fixture("openai_error_404.json");
        assert_eq!(classify(400, &openai).kind, ErrorKind::ModelNotFound);
        let other = fixture("llama_bad_request.json");
        assert_eq!(classify(400, &other).kind, ErrorKind::BadRequest);
    }

    #[test]
    fn other_error_shapes() {
        let text = classify(404, r#"{"error":"model 'llama9' not found"}"#);
        assert_eq!(
            (text.kind, text.message.as_str()),
            (ErrorKind::ModelNotFound, "model 'llama9' not found")
        );
        let vllm = r#"{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}"#;
        let top = classify(404, vllm);
        assert_eq!(top.message, "The model `x` does not exist.");
        let html =
            "\n  <html><head><title>502 Bad Gateway</title></head>  \r\n<body></body></html>";
        let gateway = classify(502, html);
        assert_eq!(
            (gateway.kind, gateway.message.as_str()),
            (
                ErrorKind::Server,
                "<html><head><title>502 Bad Gateway</title></head>"
            )
        );
        let long = "x".repeat(1000);
        assert_eq!(classify(500, &long).message.chars().count(), 300);
        let multi = json!({"error": {"message": "first\nsecond"}}).to_string();
        assert_eq!(classify(400, &multi).message, "first");
        let empty = classify(503, "");
        assert_eq!(
            (empty.kind, empty.message.as_str()),
            (ErrorKind::Server, "")
        );
        let no_message = classify(401, r#"{"detail":"Unauthorized"}"#);
        assert_eq!(no_message.message, r#"{"detail":"Unauthorized"}"#);
    }
}
