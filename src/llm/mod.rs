//! Talking to models: the provider-neutral request and stream types, the OpenAI-compatible and
//! Anthropic wire formats, server-sent events, the HTTP client with retries and timeouts,
//! cassettes (record and replay), request assembly, token counting (exact by the server where it
//! can, calibrated estimates between), the window and the context arithmetic behind the gauge.

pub mod anthropic;
pub mod calibration;
pub mod cassette;
pub mod client;
pub mod context;
pub mod count;
pub mod openai;
pub mod provider;
pub mod request;
pub mod sse;
pub mod tokens;
pub mod tools;
pub mod window;

use serde::{Deserialize, Serialize};

pub use tools::{ToolCall, ToolDef, ToolResult};
/// Why a user turn was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PromptKind {
    /// Typed (or accepted) by the user.
    #[default]
    Message,
    /// A fix round of the auto-test loop: the parsed failures, sent by specbench.
    Fix { round: u32, of: u32 },
}

impl PromptKind {
    /// Whether specbench wrote the message (a fix round).
    pub fn is_fix(self) -> bool {
        matches!(self, PromptKind::Fix { .. })
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One turn of the conversation as the API sees it. An assistant turn that called tools holds
/// its calls and their results (each wire format places the results after it: `tool`
/// messages, or a user turn of `tool_result` blocks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    /// The tool calls that ended this (assistant) turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The results of `tool_calls`, by call id; a call without one is sent back as not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_results: Vec<ToolResult>,
}

impl ChatMessage {
    /// A plain message, without tool calls.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_results: Vec::new(),
        }
    }

    /// A plain user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// A plain assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// A request to a provider. The system prompt is apart because Anthropic takes it apart;
/// `messages` alternate user and assistant and end with the user's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    pub model: String,
    pub system: String,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    /// The tools the model may call; empty: none offered (and any tool exchange in the
    /// history is sent as plain text).
    pub tools: Vec<ToolDef>,
}

/// Token usage as a provider reports it; a field is `None` until reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the request, cached or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<u32>,
    /// Tokens of the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<u32>,
}

impl Usage {
    /// `self` updated with whatever `later` reports.
    pub fn merge(self, later: Usage) -> Usage {
        Usage {
            prompt: later.prompt.or(self.prompt),
            completion: later.completion.or(self.completion),
        }
    }
}

/// What went wrong, in the classes a user acts on differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 401: the key is missing, wrong or revoked.
    BadKey,
    /// 403: the key may not use this model or endpoint.
    Forbidden,
    /// 404 or a model error: no such model (or endpoint) at this server.
    ModelNotFound,
    /// The request does not fit the model's context window.
    ContextTooLong,
    /// 429: rate limited.
    RateLimited,
    /// 529 or `overloaded_error`: the provider is overloaded.
    Overloaded,
    /// 408, 409 or another 5xx: the server failed or timed out.
    Server,
    /// Another 400: the request was refused as malformed.
    BadRequest,
    /// The server refused the request's tools (a 400 or 500 naming them: llama.cpp without
    /// `--jinja`, an Ollama model without tool support, vLLM without a tool parser).
    ToolsUnsupported,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Whether the same request may succeed when sent again after a pause.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Overloaded | ErrorKind::Server
        )
    }
}

/// An error the API reported, as an HTTP status and body or as an in-band stream event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The HTTP status, when the error came as one.
    pub status: Option<u16>,
    /// The server's own message, trimmed to one line.
    pub message: String,
}

/// One decoded piece of a streamed reply, whatever the wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// More reply text.
    Delta(String),
    /// Usage, possibly partial (Anthropic reports the prompt first, the completion last).
    Usage(Usage),
    /// Why the model stopped (`stop`, `length`, `end_turn`, `max_tokens`...).
    StopReason(String),
    /// The terminal event: `data: [DONE]` or `message_stop`.
    Done,
    /// A piece of a tool call: its first piece names it (`id`, `name`), later pieces carry
    /// more of its arguments' JSON text, cut anywhere. `index` tells parallel calls apart.
    ToolDelta {
        index: Option<u32>,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// A content block ended (Anthropic): a tool call at this index is complete.
    BlockStop(u32),
    /// An error reported inside the stream.
    Error(ApiError),
    /// An event that is not what the API sends (not JSON, or not the expected shape): its
    /// start, to show the user.
    Malformed(String),
}
