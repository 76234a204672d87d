//! Who counts a request's tokens exactly, and the clients that ask the servers.
//!
//! The model's own tokenizer is the only exact count, and the server has it: llama.cpp applies
//! its chat template (`POST /apply-template`) and tokenizes the prompt (`POST /tokenize`);
//! vLLM tokenizes the messages themselves (`POST /tokenize` with `messages`); Anthropic (and
//! llama.cpp's Anthropic API) answer `POST /v1/messages/count_tokens`. OpenAI's models are
//! counted locally with OpenAI's own tables and chat framing. Everything else is an estimate
//! (o200k), calibrated by what the server reported for the last request
//! ([`super::calibration`]).
//!
//! A server count is a whole request, template and all, so it equals the `prompt_tokens` the
//! server reports for it. Each request waits at most [`COUNT_TIMEOUT`]; any failure is a
//! [`CountError`] and the caller keeps its estimate.

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::client::{Endpoint, Wire};
use super::tokens::{self, Encoding};
use super::window::{self, Server};
use super::{ChatRequest, anthropic, openai};

/// How long one counting request may take before the estimate stands.
pub const COUNT_TIMEOUT: Duration = Duration::from_secs(3);

/// The largest counting reply read (a `/tokenize` reply lists every token: ~6 bytes each).
const MAX_COUNT_BODY: usize = 32 << 20;

/// The longest excerpt of an unexpected reply kept in an error, in characters.
const MAX_EXCERPT: usize = 80;

/// Who counts a request exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// llama.cpp: `/apply-template`, then `/tokenize`.
    LlamaCpp,
    /// vLLM: `/tokenize` with the messages.
    Vllm,
    /// Anthropic's `/v1/messages/count_tokens` (llama.cpp serves it too).
    Anthropic,
    /// OpenAI's own tables, for OpenAI's models, counted here.
    Tables(Encoding),
}

/// What gives a figure between exact counts: a local tokenizer, or bytes / 4 when the server
/// counts (no tokenizer is loaded then). Either is calibrated by the server's last count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Estimator {
    Tokenizer(Encoding),
    Bytes,
}

impl Estimator {
    /// The estimate of `text`.
    pub fn count(self, text: &str) -> u32 {
        match self {
            Estimator::Tokenizer(enc) => tokens::count(enc, text),
            Estimator::Bytes => bytes_estimate(text),
        }
    }

    /// The tokenizer to load for it, if any.
    pub fn encoding(self) -> Option<Encoding> {
        match self {
            Estimator::Tokenizer(enc) => Some(enc),
            Estimator::Bytes => None,
        }
    }

    /// How the estimator reads in the inspector.
    pub fn label(self) -> String {
        match self {
            Estimator::Tokenizer(enc) => format!("{} tokenizer", enc.name()),
            Estimator::Bytes => "bytes / 4".into(),
        }
    }
}

/// A rough count of `text` when no tokenizer is at hand: a token per four bytes.
pub fn bytes_estimate(text: &str) -> u32 {
    u32::try_from(text.len().div_ceil(4)).unwrap_or(u32::MAX)
}

/// How a session counts: who counts exactly, if anyone, and what estimates in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub exact: Option<Counter>,
    pub estimate: Estimator,
}

impl Plan {
    /// The plan for `model` behind `server`, spoken to in `wire`: the server counts when it
    /// can (then no tokenizer is needed); OpenAI's models are counted with OpenAI's tables;
    /// anything else is estimated with o200k.
    pub fn new(server: Server, wire: Wire, model: &str) -> Plan {
        let server_counter = match (wire, server) {
            (Wire::Anthropic, _) => Some(Counter::Anthropic),
            (Wire::Openai, Server::LlamaCpp) => Some(Counter::LlamaCpp),
            (Wire::Openai, Server::Vllm) => Some(Counter::Vllm),
            _ => None,
        };
        if let Some(counter) = server_counter {
            return Plan {
                exact: Some(counter),
                estimate: Estimator::Bytes,
            };
        }
        // A local server may call its model `gpt-4o`: only OpenAI (and OpenRouter's routing
        // to OpenAI) run OpenAI's models.
        let openai = matches!(server, Server::OpenAi | Server::OpenRouter);
        match Encoding::exact_for(model).filter(|_| openai) {
            Some(enc) => Plan {
                exact: Some(Counter::Tables(enc)),
                estimate: Estimator::Tokenizer(enc),
            },
            None => Plan {
                exact: None,
                estimate: Estimator::Tokenizer(Encoding::for_model(model)),
            },
        }
    }

    /// The plan before the server has said what it is (and for a cassette): OpenAI's tables
    /// for OpenAI's models, the o200k estimate for the rest.
    pub fn offline(model: &str) -> Plan {
        Plan::new(Server::OpenAi, Wire::Openai, model)
    }
}

impl Counter {
    /// Whether the count is asked from the server (the others are counted here).
    pub fn on_server(self) -> bool {
        !matches!(self, Counter::Tables(_))
    }

    /// How the counter reads in the inspector.
    pub fn label(self) -> String {
        match self {
            Counter::LlamaCpp => "llama.cpp /apply-template + /tokenize".into(),
            Counter::Vllm => "vLLM /tokenize".into(),
            Counter::Anthropic => "/v1/messages/count_tokens".into(),
            Counter::Tables(enc) => format!("OpenAI's {} tables", enc.name()),
        }
    }
}

/// Why a server could not count: the estimate stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    #[error("{url} did not answer within {} s", COUNT_TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("{url} is unreachable: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} answered something that is not a count: {excerpt}")]
    Garbage { url: String, excerpt: String },
}

impl CountError {
    /// Whether asking again is pointless: the endpoint is missing (404, 405, 501).
    pub fn permanent(&self) -> bool {
        matches!(
            self,
            CountError::Status {
                status: 404 | 405 | 501,
                ..
            }
        )
    }
}

/// OpenAI's chat framing, as OpenAI's cookbook counts it: three tokens per message, the
/// role, the content, and three that prime the reply.
pub fn openai_chat(enc: Encoding, request: &ChatRequest) -> u32 {
    let system = (!request.system.is_empty()).then_some(("system", request.system.as_str()));
    let messages = request.messages.iter().map(|m| {
        let role = match m.role {
            super::Role::User => "user",
            super::Role::Assistant => "assistant",
        };
        (role, m.content.as_str())
    });
    let text = system
        .into_iter()
        .chain(messages)
        .fold(3u32, |sum, (role, content)| {
            sum.saturating_add(3)
                .saturating_add(tokens::count(enc, role))
                .saturating_add(tokens::count(enc, content))
        });
    text.saturating_add(openai_tools(enc, request))
}

/// The tool definitions offered and the tool exchanges of the history, as
/// [`openai_chat`] counts them: each call's name and arguments and each result as a message of
/// its own, the definitions as their JSON text (OpenAI does not publish its framing of them).
fn openai_tools(enc: Encoding, request: &ChatRequest) -> u32 {
    let definitions = if request.tools.is_empty() {
        0
    } else {
        let json = serde_json::to_string(&request.tools).unwrap_or_default();
        tokens::count(enc, &json)
    };
    request
        .messages
        .iter()
        .flat_map(|m| super::tools::paired(m).into_iter())
        .fold(definitions, |sum, (call, result)| {
            sum.saturating_add(3 + 3)
                .saturating_add(tokens::count(enc, &call.name))
                .saturating_add(tokens::count(enc, &call.arguments))
                .saturating_add(tokens::count(enc, &result.content))
        })
}

/// The request's exact token count by `counter`: asked from the server at `endpoint` (with
/// its key), or counted here with OpenAI's tables.
pub async fn count(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    counter: Counter,
    request: &ChatRequest,
) -> Result<u32, CountError> {
    let ask = Ask { client, endpoint };
    let root = window::root(&endpoint.base_url);
    match counter {
        Counter::Tables(enc) => Ok(openai_chat(enc, request)),
        Counter::LlamaCpp => {
            #[derive(Deserialize)]
            struct Template {
                prompt: String,
            }
            let template: Template = ask
                .post(&format!("{root}/apply-template"), &chat_body(request))
                .await?;
            // As the server tokenizes a chat request: special tokens added and parsed.
            let body = serde_json::json!({
                "content": template.prompt,
                "add_special": true,
                "parse_special": true,
            });
            let tokens: TokenList = ask.post(&format!("{root}/tokenize"), &body).await?;
            Ok(len(tokens.tokens.len()))
        }
        Counter::Vllm => {
            #[derive(Deserialize)]
            struct Tokenized {
                count: u32,
            }
            let mut body = chat_body(request);
            if let Some(map) = body.as_object_mut() {
                map.insert("add_generation_prompt".into(), true.into());
            }
            let tokenized: Tokenized = ask.post(&format!("{root}/tokenize"), &body).await?;
            Ok(tokenized.count)
        }
        Counter::Anthropic => {
            #[derive(Deserialize)]
            struct Counted {
                input_tokens: u32,
            }
            let mut body = anthropic::body(request);
            if let Some(map) = body.as_object_mut() {
                map.remove("max_tokens");
                map.remove("stream");
            }
            let base = endpoint.base_url.trim_end_matches('/');
            let counted: Counted = ask
                .post(&format!("{base}/messages/count_tokens"), &body)
                .await?;
            Ok(counted.input_tokens)
        }
    }
}

/// `/tokenize`'s reply: the tokens, counted without keeping them.
#[derive(Deserialize)]
struct TokenList {
    tokens: Vec<IgnoredAny>,
}

fn len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The OpenAI-format request without what only a completion takes (`stream`, its options,
/// `max_tokens`): the messages and whatever else shapes the prompt.
fn chat_body(request: &ChatRequest) -> Value {
    let mut body = openai::body(request);
    if let Some(map) = body.as_object_mut() {
        for key in [
            "stream",
            "stream_options",
            "max_tokens",
            "max_completion_tokens",
        ] {
            map.remove(key);
        }
    }
    body
}

/// Sends counting requests: with the key, within the timeout, the reply bounded.
struct Ask<'a> {
    client: &'a reqwest::Client,
    endpoint: &'a Endpoint,
}

impl Ask<'_> {
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &Value,
    ) -> Result<T, CountError> {
        let mut builder = self.client.post(url).json(body).timeout(COUNT_TIMEOUT);
        if let Ok(Some((name, value))) = self.endpoint.auth() {
            builder = builder.header(name, value);
        }
        if self.endpoint.wire == Wire::Anthropic {
            builder = builder.header("anthropic-version", anthropic::VERSION);
        }
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                CountError::Timeout { url: url.into() }
            } else {
                CountError::Unreachable {
                    url: url.into(),
                    detail: e.without_url().to_string(),
                }
            }
        };
        let response = builder.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(CountError::Status {
                url: url.into(),
                status,
            });
        }
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            bytes.extend_from_slice(&piece.map_err(failed)?);
            if bytes.len() > MAX_COUNT_BODY {
                return Err(CountError::Garbage {
                    url: url.into(),
                    excerpt: format!("a reply over {} MB", MAX_COUNT_BODY >> 20),
                });
            }
        }
        serde_json::from_slice(&bytes).map_err(|_| CountError::Garbage {
            url: url.into(),
            excerpt: String::from_utf8_lossy(&bytes)
                .chars()
                .take(MAX_EXCERPT)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatMessage, Role};

    #[test]
    fn the_server_counts_when_it_can_and_then_no_tokenizer_loads() {
        let plan = Plan::new(Server::LlamaCpp, Wire::Openai, "smollm2");
        assert_eq!(plan.exact, Some(Counter::LlamaCpp));
        assert_eq!(plan.estimate, Estimator::Bytes);
        assert_eq!(plan.estimate.encoding(), None);
        let plan = Plan::new(Server::Vllm, Wire::Openai, "Qwen/Qwen2.5-Coder-7B-Instruct");
        assert_eq!(plan.exact, Some(Counter::Vllm));
        for server in [Server::Anthropic, Server::LlamaCpp, Server::Unknown] {
            let plan = Plan::new(server, Wire::Anthropic, "claude-sonnet-4-5");
            assert_eq!(plan.exact, Some(Counter::Anthropic), "{server:?}");
        }
    }

    #[test]
    fn openais_models_are_counted_with_openais_tables() {
        let plan = Plan::new(Server::OpenAi, Wire::Openai, "gpt-4.1-mini");
        assert_eq!(plan.exact, Some(Counter::Tables(Encoding::O200k)));
        assert_eq!(plan.estimate, Estimator::Tokenizer(Encoding::O200k));
        let plan = Plan::new(Server::OpenRouter, Wire::Openai, "openai/gpt-4");
        assert_eq!(plan.exact, Some(Counter::Tables(Encoding::Cl100k)));
        assert_eq!(
            Plan::offline("gpt-4o").exact,
            Some(Counter::Tables(Encoding::O200k))
        );
        // A local server's `gpt-4o` is some other model under that name.
        let plan = Plan::new(Server::Ollama, Wire::Openai, "gpt-4o");
        assert_eq!(plan.exact, None);
    }

    #[test]
    fn other_models_are_estimated_with_o200k() {
        for (server, model) in [
            (Server::Ollama, "qwen2.5-coder:7b"),
            (Server::LmStudio, "qwen2.5-coder-7b-instruct"),
            (Server::OpenRouter, "anthropic/claude-sonnet-4.5"),
            (Server::Unknown, "smollm2"),
        ] {
            let plan = Plan::new(server, Wire::Openai, model);
            assert_eq!(plan.exact, None, "{model}");
            assert_eq!(
                plan.estimate,
                Estimator::Tokenizer(Encoding::O200k),
                "{model}"
            );
        }
        assert_eq!(Plan::offline("smollm2").exact, None);
    }

    #[test]
    fn only_a_missing_endpoint_is_a_permanent_failure() {
        let missing = CountError::Status {
            url: "u".into(),
            status: 404,
        };
        assert!(missing.permanent());
        let busy = CountError::Status {
            url: "u".into(),
            status: 503,
        };
        assert!(!busy.permanent());
        assert!(!CountError::Timeout { url: "u".into() }.permanent());
    }

    #[test]
    fn openai_framing_adds_four_a_message_and_three() {
        let request = ChatRequest {
            model: "gpt-4o".into(),
            system: "You are terse.".into(),
            messages: vec![ChatMessage::new(Role::User, "hello world")],
            max_tokens: 10,
            tools: Vec::new(),
        };
        let enc = Encoding::O200k;
        let content = tokens::count(enc, "You are terse.") + tokens::count(enc, "hello world");
        assert_eq!(openai_chat(enc, &request), content + 2 * 4 + 3);
        let bare = ChatRequest {
            system: String::new(),
            ..request
        };
        assert_eq!(openai_chat(enc, &bare), 2 + 4 + 3);
    }

    #[test]
    fn openai_counts_the_tools_offered_and_the_tool_exchanges() {
        let mut asked = ChatMessage::new(Role::Assistant, "");
        asked.tool_calls = vec![crate::llm::ToolCall {
            id: "c".into(),
            name: "read_file".into(),
            arguments: "{\"path\": \"a.py\"}".into(),
        }];
        asked.tool_results = vec![crate::llm::ToolResult {
            call_id: "c".into(),
            content: "1  x = 1".into(),
            is_error: false,
        }];
        let plain = ChatRequest {
            model: "gpt-4o".into(),
            system: String::new(),
            messages: vec![ChatMessage::new(Role::User, "q"), asked],
            max_tokens: 10,
            tools: Vec::new(),
        };
        let enc = Encoding::O200k;
        let bare = ChatRequest {
            messages: vec![
                ChatMessage::new(Role::User, "q"),
                ChatMessage::new(Role::Assistant, ""),
            ],
            ..plain.clone()
        };
        let exchange = tokens::count(enc, "read_file")
            + tokens::count(enc, "{\"path\": \"a.py\"}")
            + tokens::count(enc, "1  x = 1")
            + 6;
        assert_eq!(openai_chat(enc, &plain), openai_chat(enc, &bare) + exchange);
        let offered = ChatRequest {
            tools: crate::tools::definitions(),
            ..plain.clone()
        };
        let json = serde_json::to_string(&offered.tools).unwrap();
        assert_eq!(
            openai_chat(enc, &offered),
            openai_chat(enc, &plain) + tokens::count(enc, &json)
        );
    }

    #[test]
    fn the_chat_body_keeps_what_shapes_the_prompt() {
        let request = ChatRequest {
            model: "m".into(),
            system: "S".into(),
            messages: vec![ChatMessage::new(Role::User, "U")],
            max_tokens: 10,
            tools: Vec::new(),
        };
        let body = chat_body(&request);
        assert_eq!(
            body,
            serde_json::json!({
                "model": "m",
                "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
            })
        );
    }

    #[test]
    fn bytes_estimate_rounds_up() {
        assert_eq!(bytes_estimate(""), 0);
        assert_eq!(bytes_estimate("abc"), 1);
        assert_eq!(bytes_estimate("abcde"), 2);
        assert_eq!(Estimator::Bytes.count("abcdefgh"), 2);
        assert_eq!(
            Estimator::Tokenizer(Encoding::O200k).count("hello world"),
            2
        );
        assert_eq!(Estimator::Bytes.label(), "bytes / 4");
        assert_eq!(Counter::Vllm.label(), "vLLM /tokenize");
        assert!(Counter::LlamaCpp.on_server());
        assert!(!Counter::Tables(Encoding::O200k).on_server());
    }
}
