//! The HTTP side of providers: one reqwest client (rustls with the `ring` provider), connect
//! and per-read idle timeouts (never a whole-response timeout), redirects followed only within
//! the origin, retries with backoff that honour `Retry-After` (up to a bound) but only before
//! the first content arrives, and the streamed reply decoded into [`ReplyEvent`]s, an event
//! that cannot be read kept as damage rather than dropped.
//!
//! Long file: the client, its error type and its retry policy are one contract (what is
//! retried, when, and how each failure reads); apart they would hide that contract.

use std::time::Duration;

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::sse::{self, Item};
use super::tools::{self, Assembler, ToolCall};
use super::{ApiError, ChatRequest, Decoded, ErrorKind, Usage, anthropic, openai};

/// The most bytes of an error body kept (it is shown to the user in one line).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The most redirects followed for one request (each within the origin).
const MAX_REDIRECTS: usize = 5;

/// The most damage reports one attempt hands on; later ones are only logged.
pub const MAX_DAMAGE_REPORTS: usize = 10;

/// The longest excerpt of an unexpected body put in an error, in characters.
const MAX_EXCERPT: usize = 120;

/// Installs rustls' `ring` crypto provider as the process default, once. reqwest is built
/// without a provider of its own (the default aws-lc takes twice as long to build).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only when another provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client with a connect timeout and a per-read idle timeout: a read that waits longer
/// than `idle` fails, any bytes (keep-alive comments, pings) reset it. Redirects: see
/// [`redirect_policy`].
pub fn http(connect: Duration, idle: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto();
    reqwest::Client::builder()
        .connect_timeout(connect)
        .read_timeout(idle)
        .redirect(redirect_policy())
        .user_agent(concat!("specbench/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Follows a redirect only when it is a 307 or 308 (the request is sent again as it was) to
/// the same origin (scheme, host and port): that server already has the request and the key.
/// Anything else stops, and the caller reports it: another origin would get the prompt, the
/// code and the key; a 301, 302 or 303 would turn a POST into a GET without its body.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .last()
            .is_some_and(|from| same_origin(from, attempt.url()));
        let resends = matches!(attempt.status().as_u16(), 307 | 308);
        if same && resends && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// Whether two URLs share scheme, host and port.
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Which wire format an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wire {
    /// `/chat/completions`, OpenAI-compatible.
    Openai,
    /// `/messages`, Anthropic.
    Anthropic,
}

/// How patient the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    pub connect: Duration,
    /// The longest silence between two reads of a streaming reply.
    pub idle: Duration,
    /// Attempts after the first, for retryable failures before any content.
    pub retries: u32,
    /// The first backoff; each retry doubles it (with jitter), up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The longest wait a server's `Retry-After` may ask for; a longer one ends the retries.
    pub max_wait: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// A model API endpoint: where, which format, and the key (held as a secret).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub wire: Wire,
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    pub key: Option<SecretString>,
    /// The environment variable the key comes from, for messages.
    pub key_env: String,
    pub patience: Patience,
}

/// What a streaming reply reports to the app, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyEvent {
    /// A retryable failure before any content: waiting `wait_ms`, then attempt `attempt`.
    Retrying {
        attempt: u32,
        of: u32,
        wait_ms: u64,
        reason: String,
    },
    /// More reply text.
    Delta(String),
    /// Usage as reported so far.
    Usage(Usage),
    /// Why the model stopped.
    Stop(String),
    /// An event of the stream could not be read: its start. The text around it is kept, and
    /// the reply is marked damaged (a piece of it may be missing).
    Damaged(String),
    /// A complete tool call (its arguments may still be malformed JSON: the call's result
    /// says so).
    ToolCall(ToolCall),
    /// A tool call the stream broke off before it was complete: what arrived. It is not run.
    ToolCallCut(ToolCall),
}

/// Why a reply did not complete, in words a user acts on. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("no API key: set the environment variable {env}")]
    MissingKey { env: String },
    #[error("server unreachable at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the API key in ${env} was refused by {url} (HTTP 401)")]
    BadKey { env: String, url: String },
    #[error("{url} refused the request (HTTP 403): {message}")]
    Forbidden { url: String, message: String },
    #[error("model `{model}` not found at {url}: {message}")]
    ModelNotFound {
        model: String,
        url: String,
        message: String,
    },
    #[error("the request is too long for the model's context window: {message}")]
    ContextTooLong { message: String },
    #[error("{url} does not take tools: {message}")]
    ToolsUnsupported { url: String, message: String },
    #[error("{}", api_words(.0))]
    Api(ApiError),
    #[error("no data from the server for {secs}s: the reply was cut off")]
    IdleTimeout { secs: u64 },
    #[error("the connection broke mid-reply: {detail}")]
    Broken { detail: String },
    #[error("the stream ended before the reply was complete (no end event)")]
    Ended,
    #[error("{from} redirected (HTTP {status}) to {to}: {why}")]
    Redirected {
        from: String,
        to: String,
        status: u16,
        why: String,
    },
    #[error(
        "{reason}; the server asks to wait {} before trying again, longer than specbench waits ({}): try again later",
        fmt_wait(*.wait),
        fmt_wait(*.most)
    )]
    WaitTooLong {
        reason: String,
        wait: Duration,
        most: Duration,
    },
    #[error("{url} answered with {what} instead of an event stream")]
    NotAStream { url: String, what: String },
    #[error("{cassette}: no recorded reply for the message \"{message}\"")]
    NoRecordedReply { cassette: String, message: String },
    #[error("{cassette}: no recorded reply for round {round} of the message \"{message}\"")]
    NoRecordedRound {
        cassette: String,
        round: u32,
        message: String,
    },
    #[error("no model provider: {0}")]
    Unavailable(String),
    #[error("{path}: cannot read the cassette: {message}")]
    CassetteUnreadable { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Cassette {
        path: String,
        line: usize,
        message: String,
    },
}

impl LlmError {
    /// The error with `clean` applied to every text that came from outside (a server's words,
    /// a cassette's, a URL's): how keys are redacted from errors.
    pub fn map_text(self, clean: impl Fn(String) -> String) -> LlmError {
        match self {
            LlmError::Unreachable { url, detail } => LlmError::Unreachable {
                url: clean(url),
                detail: clean(detail),
            },
            LlmError::BadKey { env, url } => LlmError::BadKey {
                env,
                url: clean(url),
            },
            LlmError::Forbidden { url, message } => LlmError::Forbidden {
                url: clean(url),
                message: clean(message),
            },
            LlmError::ModelNotFound {
                model,
                url,
                message,
            } => LlmError::ModelNotFound {
                model: clean(model),
                url: clean(url),
                message: clean(message),
            },
            LlmError::ContextTooLong { message } => LlmError::ContextTooLong {
                message: clean(message),
            },
            LlmError::ToolsUnsupported { url, message } => LlmError::ToolsUnsupported {
                url: clean(url),
                message: clean(message),
            },
            LlmError::Api(mut api) => {
                api.message = clean(api.message);
                LlmError::Api(api)
            }
            LlmError::Broken { detail } => LlmError::Broken {
                detail: clean(detail),
            },
            LlmError::NoRecordedReply { cassette, message } => LlmError::NoRecordedReply {
                cassette,
                message: clean(message),
            },
            LlmError::NoRecordedRound {
                cassette,
                round,
                message,
            } => LlmError::NoRecordedRound {
                cassette,
                round,
                message: clean(message),
            },
            LlmError::Unavailable(why) => LlmError::Unavailable(clean(why)),
            LlmError::CassetteUnreadable { path, message } => LlmError::CassetteUnreadable {
                path,
                message: clean(message),
            },
            LlmError::Cassette {
                path,
                line,
                message,
            } => LlmError::Cassette {
                path,
                line,
                message: clean(message),
            },
            LlmError::Redirected {
                from,
                to,
                status,
                why,
            } => LlmError::Redirected {
                from: clean(from),
                to: clean(to),
                status,
                why,
            },
            LlmError::WaitTooLong { reason, wait, most } => LlmError::WaitTooLong {
                reason: clean(reason),
                wait,
                most,
            },
            LlmError::NotAStream { url, what } => LlmError::NotAStream {
                url: clean(url),
                what: clean(what),
            },
            other @ (LlmError::MissingKey { .. }
            | LlmError::IdleTimeout { .. }
            | LlmError::Ended) => other,
        }
    }
}

/// A wait in the largest unit that reads well: `45 s`, `12 min`, `30 h`, `11 days`.
pub fn fmt_wait(wait: Duration) -> String {
    let secs = wait.as_secs();
    match secs {
        0..120 => format!("{} s", wait.as_secs_f64().round()),
        120..7_200 => format!("{} min", secs / 60),
        7_200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

fn api_words(e: &ApiError) -> String {
    let what = match e.kind {
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Overloaded => "the provider is overloaded",
        ErrorKind::Server => "the server failed",
        ErrorKind::BadRequest => "the request was refused",
        ErrorKind::ToolsUnsupported => "the server does not take tools",
        _ => "the API reported an error",
    };
    match e.status {
        Some(status) => format!("{what} (HTTP {status}): {}", e.message),
        None => format!("{what}: {}", e.message),
    }
}

impl Endpoint {
    /// The URL requests go to.
    pub fn url(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match self.wire {
            Wire::Openai => format!("{base}/chat/completions"),
            Wire::Anthropic => format!("{base}/messages"),
        }
    }

    /// Streams the reply to `request`, reporting through `emit`. Returns the stop reason
    /// when the stream ended with its terminal event; otherwise the error, after whatever
    /// content already arrived was emitted.
    pub async fn stream(
        &self,
        client: &reqwest::Client,
        request: &ChatRequest,
        emit: &mut (dyn FnMut(ReplyEvent) + Send),
    ) -> Result<(), LlmError> {
        let url = self.url();
        if self.key.is_none() && is_cloud(&self.base_url) {
            return Err(LlmError::MissingKey {
                env: self.key_env.clone(),
            });
        }
        let mut body = match self.wire {
            Wire::Openai => openai::body(request),
            Wire::Anthropic => anthropic::body(request),
        };
        // OpenAI's own API refuses `max_tokens` for its reasoning models; the compatible
        // servers (llama.cpp, Ollama, vLLM) know `max_tokens`.
        if self.wire == Wire::Openai
            && self.base_url.contains("api.openai.com")
            && let Some(map) = body.as_object_mut()
            && let Some(n) = map.remove("max_tokens")
        {
            map.insert("max_completion_tokens".into(), n);
        }
        let mut attempt = 0;
        loop {
            let outcome = self.attempt(client, &url, &body, request, emit).await;
            let retry = match &outcome {
                Attempt::Retry { error, after } if attempt < self.patience.retries => {
                    Some((error.clone(), *after))
                }
                _ => None,
            };
            match (outcome, retry) {
                (_, Some((error, Some(after)))) if after > self.patience.max_wait => {
                    return Err(LlmError::WaitTooLong {
                        reason: self.redact(&error.to_string()),
                        wait: after,
                        most: self.patience.max_wait,
                    });
                }
                (_, Some((error, after))) => {
                    attempt += 1;
                    let wait = after.unwrap_or_else(|| backoff(&self.patience, attempt));
                    emit(ReplyEvent::Retrying {
                        attempt: attempt + 1,
                        of: self.patience.retries + 1,
                        wait_ms: wait.as_millis() as u64,
                        reason: self.redact(&error.to_string()),
                    });
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                (Attempt::Done, None) => return Ok(()),
                (Attempt::Retry { error, .. } | Attempt::Fail(error), None) => {
                    return Err(error.map_text(|text| self.redact(&text)));
                }
            }
        }
    }

    /// The header that carries the key (sensitive: never logged), if there is a key. The
    /// client's redirect rule keeps it within the endpoint's origin.
    pub fn auth(&self) -> Result<Option<(&'static str, reqwest::header::HeaderValue)>, LlmError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let (name, header) = match self.wire {
            Wire::Openai => ("authorization", format!("Bearer {}", key.expose_secret())),
            Wire::Anthropic => ("x-api-key", key.expose_secret().to_string()),
        };
        let Ok(mut value) = reqwest::header::HeaderValue::from_str(&header) else {
            return Err(LlmError::MissingKey {
                env: format!("{} (its value is not a valid header)", self.key_env),
            });
        };
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }

    /// One request and its stream.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &serde_json::Value,
        request: &ChatRequest,
        emit: &mut (dyn FnMut(ReplyEvent) + Send),
    ) -> Attempt {
        let mut builder = client
            .post(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(body);
        match self.auth() {
            Ok(Some((name, value))) => builder = builder.header(name, value),
            Ok(None) => {}
            Err(e) => return Attempt::Fail(e),
        }
        if self.wire == Wire::Anthropic {
            builder = builder.header("anthropic-version", anthropic::VERSION);
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(self.transport_error(&e, false)),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Attempt::Fail(redirected(&response));
        }
        if status != 200 {
            let after = retry_after(response.headers());
            let text = read_capped(response).await;
            let api = refuses_tools(self.classify(status, &text), request);
            let retryable = (matches!(status, 408 | 409 | 429 | 529 | 500..=599)
                || api.kind == ErrorKind::Overloaded)
                && api.kind != ErrorKind::ToolsUnsupported;
            let error = self.api_error(api, &request.model);
            return if retryable {
                Attempt::Retry { error, after }
            } else {
                Attempt::Fail(error)
            };
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if content_type.as_deref().is_some_and(never_a_stream) {
            let text = read_capped(response).await;
            return Attempt::Fail(self.not_a_stream(
                content_type.as_deref(),
                &text,
                &request.model,
            ));
        }
        let mut stream = Stream::default();
        let outcome = self
            .read_stream(
                response,
                content_type.as_deref(),
                request,
                &mut stream,
                emit,
            )
            .await;
        // A call the stream broke off is handed on as it stands; a complete reply has none.
        for call in stream.calls.finish() {
            emit(ReplyEvent::ToolCallCut(call));
        }
        outcome
    }

    /// Reads the event stream of a `200` response through `stream`.
    async fn read_stream(
        &self,
        response: reqwest::Response,
        content_type: Option<&str>,
        request: &ChatRequest,
        stream: &mut Stream,
        emit: &mut (dyn FnMut(ReplyEvent) + Send),
    ) -> Attempt {
        let mut body = response.bytes_stream();
        let mut parser = sse::SseParser::default();
        let mut items = Vec::new();
        // The start of the body, to say what came back when it was no event stream at all.
        let mut start = Vec::new();
        while let Some(piece) = body.next().await {
            let bytes = match piece {
                Ok(bytes) => bytes,
                Err(e) => return Attempt::Fail(self.transport_error(&e, true)),
            };
            if start.len() < MAX_ERROR_BODY {
                start.extend_from_slice(&bytes[..bytes.len().min(MAX_ERROR_BODY - start.len())]);
            }
            parser.feed(&bytes, &mut items);
            for item in items.drain(..) {
                let decoded = match item {
                    Item::Event { data: None, .. } => continue,
                    Item::Event {
                        event,
                        data: Some(data),
                    } => match self.wire {
                        Wire::Openai => openai::decode(event.as_deref(), &data),
                        Wire::Anthropic => anthropic::decode(event.as_deref(), &data),
                    },
                    Item::Unknown(line) => error_line(&line)
                        .unwrap_or_else(|| vec![Decoded::Malformed(openai::clip(&line))]),
                };
                if let Some(outcome) =
                    stream.take(decoded, emit, |api| self.api_error(api, &request.model))
                {
                    return outcome;
                }
            }
        }
        if !stream.readable && !stream.unreadable.is_empty() {
            return Attempt::Fail(self.not_a_stream(
                content_type,
                &String::from_utf8_lossy(&start),
                &request.model,
            ));
        }
        Attempt::Fail(LlmError::Ended)
    }

    /// An error body classified in the endpoint's wire format.
    fn classify(&self, status: u16, text: &str) -> ApiError {
        match self.wire {
            Wire::Openai => openai::classify(status, text),
            Wire::Anthropic => anthropic::classify(status, text),
        }
    }

    /// A `200` whose body is no event stream: the API error it holds, or what it was.
    fn not_a_stream(&self, content_type: Option<&str>, text: &str, model: &str) -> LlmError {
        let has_error =
            serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("error").is_some());
        if has_error {
            return self.api_error(self.classify(200, text), model);
        }
        LlmError::NotAStream {
            url: self.url(),
            what: describe_body(content_type, text),
        }
    }

    fn api_error(&self, api: ApiError, model: &str) -> LlmError {
        let url = self.base_url.clone();
        match api.kind {
            ErrorKind::BadKey => LlmError::BadKey {
                env: self.key_env.clone(),
                url,
            },
            ErrorKind::Forbidden => LlmError::Forbidden {
                url,
                message: api.message,
            },
            ErrorKind::ModelNotFound => LlmError::ModelNotFound {
                model: model.to_string(),
                url,
                message: api.message,
            },
            ErrorKind::ContextTooLong => LlmError::ContextTooLong {
                message: api.message,
            },
            ErrorKind::ToolsUnsupported => LlmError::ToolsUnsupported {
                url,
                message: api.message,
            },
            _ => LlmError::Api(api),
        }
    }

    fn transport_error(&self, e: &reqwest::Error, streaming: bool) -> LlmError {
        if e.is_timeout() && streaming {
            return LlmError::IdleTimeout {
                secs: self.patience.idle.as_secs().max(1),
            };
        }
        if e.is_connect() || (e.is_timeout() && !streaming) {
            return LlmError::Unreachable {
                url: self.base_url.clone(),
                detail: root_cause(e),
            };
        }
        if streaming {
            LlmError::Broken {
                detail: root_cause(e),
            }
        } else {
            LlmError::Unreachable {
                url: self.base_url.clone(),
                detail: root_cause(e),
            }
        }
    }

    /// `text` with the key's bytes replaced, should a server echo it back.
    fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(key) if !key.expose_secret().is_empty() => {
                text.replace(key.expose_secret(), crate::secrets::REDACTED)
            }
            _ => text.to_string(),
        }
    }
}

/// How the events of one attempt's stream stand.
#[derive(Debug, Default)]
struct Stream {
    /// Text arrived: an error now keeps it and is not retried.
    content: bool,
    /// An event was read as the API sends it: the body is an event stream.
    readable: bool,
    /// Unreadable events met before the first readable one (reported with it: until then
    /// the body may be no event stream at all).
    unreadable: Vec<String>,
    /// Damage reports handed on.
    reported: usize,
    /// The tool calls being assembled.
    calls: Assembler,
}

impl Stream {
    /// Hands on the pieces one event decoded to; the attempt's outcome when it ends here.
    fn take(
        &mut self,
        decoded: Vec<Decoded>,
        emit: &mut (dyn FnMut(ReplyEvent) + Send),
        error: impl FnOnce(ApiError) -> LlmError,
    ) -> Option<Attempt> {
        if !self.readable && !decoded.iter().any(|d| matches!(d, Decoded::Malformed(_))) {
            self.readable = true;
            for what in std::mem::take(&mut self.unreadable) {
                self.damage(what, emit);
            }
        }
        for piece in decoded {
            match piece {
                Decoded::Delta(text) => {
                    self.content = true;
                    emit(ReplyEvent::Delta(text));
                }
                Decoded::Usage(usage) => emit(ReplyEvent::Usage(usage)),
                Decoded::ToolDelta {
                    index,
                    id,
                    name,
                    arguments,
                } => {
                    self.content = true;
                    self.calls.delta(index, id, name, &arguments);
                }
                Decoded::BlockStop(index) => {
                    if let Some(call) = self.calls.block_stop(index) {
                        emit(ReplyEvent::ToolCall(call));
                    }
                }
                Decoded::StopReason(reason) => {
                    for call in self.calls.finish() {
                        emit(ReplyEvent::ToolCall(call));
                    }
                    emit(ReplyEvent::Stop(reason));
                }
                Decoded::Done => {
                    for call in self.calls.finish() {
                        emit(ReplyEvent::ToolCall(call));
                    }
                    return Some(Attempt::Done);
                }
                Decoded::Error(api) => {
                    let retryable = api.kind.retryable() && !self.content;
                    let error = error(api);
                    return Some(if retryable {
                        Attempt::Retry { error, after: None }
                    } else {
                        Attempt::Fail(error)
                    });
                }
                Decoded::Malformed(what) if !self.readable => {
                    if self.unreadable.len() < MAX_DAMAGE_REPORTS {
                        self.unreadable.push(what);
                    }
                }
                Decoded::Malformed(what) => self.damage(what, emit),
            }
        }
        None
    }

    /// Reports an unreadable event, up to [`MAX_DAMAGE_REPORTS`] of them.
    fn damage(&mut self, what: String, emit: &mut (dyn FnMut(ReplyEvent) + Send)) {
        tracing::warn!(event = %what, "an unreadable event in the stream");
        if self.reported < MAX_DAMAGE_REPORTS {
            self.reported += 1;
            emit(ReplyEvent::Damaged(what));
        }
    }
}

/// `api` as a refusal of the request's tools when the request had tools and the server's
/// words name them (llama.cpp without `--jinja` answers 500, Ollama and vLLM 400).
fn refuses_tools(api: ApiError, request: &ChatRequest) -> ApiError {
    let refusable = matches!(
        api.kind,
        ErrorKind::BadRequest | ErrorKind::Server | ErrorKind::Other
    );
    if refusable && !request.tools.is_empty() && tools::mentions_tools(&api.message) {
        ApiError {
            kind: ErrorKind::ToolsUnsupported,
            ..api
        }
    } else {
        api
    }
}

/// A content type no event stream comes as: a web page, JSON, XML.
fn never_a_stream(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "text/html"
        || mime == "application/xhtml+xml"
        || mime == "application/json"
        || mime.ends_with("+json")
        || mime.ends_with("/xml")
}

/// A line llama.cpp's server sends for an error once the stream has begun, `error: {..}`, as
/// the in-stream error it is.
fn error_line(line: &str) -> Option<Vec<Decoded>> {
    let body = line.strip_prefix("error:")?.trim();
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let wrapped = serde_json::json!({ "error": value }).to_string();
    Some(openai::decode(None, &wrapped))
}

/// A body that is no event stream, in a few words: its content type, an HTML page's title, and
/// its start on one line.
fn describe_body(content_type: Option<&str>, text: &str) -> String {
    let kind = content_type.map_or("no content type".to_string(), |ct| {
        ct.split(';').next().unwrap_or(ct).trim().to_string()
    });
    let title = text
        .to_ascii_lowercase()
        .find("<title>")
        .and_then(|at| {
            let rest = &text[at + "<title>".len()..];
            rest.to_ascii_lowercase()
                .find("</title>")
                .map(|end| &rest[..end])
        })
        .map(|title| one_line_of(title, MAX_EXCERPT))
        .filter(|title| !title.is_empty());
    let start = one_line_of(text, MAX_EXCERPT);
    match (title, start.is_empty()) {
        (Some(title), _) => format!("{kind} (a page titled \"{title}\"): \"{start}\""),
        (None, true) => format!("{kind} and an empty body"),
        (None, false) => format!("{kind}: \"{start}\""),
    }
}

/// `text` on one line: whitespace runs as one space, control characters dropped, at most `max`
/// characters, `…` when cut.
fn one_line_of(text: &str, max: usize) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars().filter(|c| !c.is_control());
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// A redirect that was not followed, with both URLs and why.
fn redirected(response: &reqwest::Response) -> LlmError {
    let from = response.url();
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|to| from.join(to));
    let status = response.status().as_u16();
    let (to, why) = match target {
        Some(Ok(to)) if !same_origin(from, &to) => (
            to.to_string(),
            "another origin, so specbench sends neither the request nor the key there \
             (set base_url to it if you trust it)"
                .to_string(),
        ),
        Some(Ok(to)) if matches!(status, 307 | 308) => (
            to.to_string(),
            format!("more than {MAX_REDIRECTS} redirects in a row"),
        ),
        Some(Ok(to)) => (
            to.to_string(),
            "it would send the request again without its body; specbench follows only a \
             307 or 308 (set base_url to where the API is)"
                .to_string(),
        ),
        Some(Err(_)) | None => (
            "nowhere".to_string(),
            "the redirect names no valid Location".to_string(),
        ),
    };
    LlmError::Redirected {
        from: from.to_string(),
        to,
        status,
        why,
    }
}

/// How one attempt ended.
enum Attempt {
    Done,
    Retry {
        error: LlmError,
        after: Option<Duration>,
    },
    Fail(LlmError),
}

/// Hosted APIs that always need a key; local servers usually do not.
fn is_cloud(base_url: &str) -> bool {
    ["api.openai.com", "api.anthropic.com", "openrouter.ai"]
        .iter()
        .any(|host| base_url.contains(host))
}

/// The innermost error's words (reqwest's own say only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's requested pause: `retry-after-ms` (OpenAI) or `retry-after` in seconds, as
/// asked (however long: the caller bounds it). An HTTP date or a number that is none is left
/// to the backoff.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secs = |v: &str| {
        let n = v.trim().parse::<f64>().ok().filter(|n| !n.is_nan())?;
        Some(Duration::try_from_secs_f64(n.max(0.0)).unwrap_or(Duration::MAX))
    };
    if let Some(ms) = get("retry-after-ms").and_then(secs) {
        return Some(ms / 1000);
    }
    get("retry-after").and_then(secs)
}

/// Exponential backoff with ±25% jitter: `backoff · 2^(attempt-1)`, capped.
pub fn backoff(patience: &Patience, attempt: u32) -> Duration {
    let base = patience
        .backoff
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(patience.max_backoff);
    let jitter = 0.75 + 0.5 * random_unit();
    base.mul_f64(jitter)
}

/// A number in [0, 1) from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// An error body, at most [`MAX_ERROR_BODY`] bytes of it.
async fn read_capped(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = Patience {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..Patience::default()
        };
        for (attempt, base) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
            let d = backoff(&p, attempt).as_millis() as u64;
            assert!(d >= base * 3 / 4 && d <= base * 5 / 4, "{attempt}: {d}");
        }
    }

    #[test]
    fn retry_after_reads_ms_then_seconds_and_ignores_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut d = reqwest::header::HeaderMap::new();
        d.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&d), None);
        for (value, wait) in [
            ("999999", Duration::from_secs(999_999)),
            ("1e300", Duration::MAX),
            ("inf", Duration::MAX),
            ("-5", Duration::ZERO),
        ] {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("retry-after", value.parse().unwrap());
            assert_eq!(retry_after(&h), Some(wait), "{value}");
        }
        let mut nan = reqwest::header::HeaderMap::new();
        nan.insert("retry-after", "NaN".parse().unwrap());
        assert_eq!(retry_after(&nan), None);
    }

    #[test]
    fn waits_read_in_their_largest_unit() {
        let cases = [
            (0, "0 s"),
            (59, "59 s"),
            (119, "119 s"),
            (120, "2 min"),
            (7_199, "119 min"),
            (7_200, "2 h"),
            (172_799, "47 h"),
            (999_999, "11 days"),
        ];
        for (secs, words) in cases {
            assert_eq!(fmt_wait(Duration::from_secs(secs)), words);
        }
        assert_eq!(fmt_wait(Duration::from_millis(1500)), "2 s");
    }

    #[test]
    fn only_same_origin_urls_match() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        let base = url("http://127.0.0.1:8080/v1/chat/completions");
        assert!(same_origin(&base, &url("http://127.0.0.1:8080/v2/x?y")));
        assert!(same_origin(
            &url("https://a.b/x"),
            &url("https://a.b:443/y")
        ));
        for other in [
            "http://127.0.0.1:8081/v1/chat/completions",
            "https://127.0.0.1:8080/v1/chat/completions",
            "http://localhost:8080/v1/chat/completions",
        ] {
            assert!(!same_origin(&base, &url(other)), "{other}");
        }
    }

    #[test]
    fn an_unexpected_body_is_described_by_type_title_and_start() {
        let page =
            "<!DOCTYPE html>\n<HTML><head><TITLE> Sign in\n to Proxy </TITLE></head>\x1b[31m";
        assert_eq!(
            describe_body(Some("text/html; charset=utf-8"), page),
            "text/html (a page titled \"Sign in to Proxy\"): \"<!DOCTYPE html> <HTML><head><TITLE> Sign in to Proxy </TITLE></head>[31m\""
        );
        assert_eq!(describe_body(None, ""), "no content type and an empty body");
        let long = "x".repeat(500);
        let described = describe_body(Some("text/plain"), &long);
        assert!(described.starts_with("text/plain: \"xxx"), "{described}");
        assert!(described.ends_with("…\""), "{described}");
        for ct in [
            "text/html",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/xml",
        ] {
            assert!(never_a_stream(ct), "{ct}");
        }
        for ct in [
            "text/event-stream",
            "text/event-stream; charset=utf-8",
            "text/plain",
        ] {
            assert!(!never_a_stream(ct), "{ct}");
        }
    }

    #[test]
    fn llama_server_error_lines_are_in_stream_errors() {
        let line = r#"error: {"code":500,"message":"the context is full","type":"server_error"}"#;
        let [Decoded::Error(api)] = &error_line(line).unwrap()[..] else {
            panic!("one error");
        };
        assert_eq!(
            (api.kind, api.message.as_str()),
            (ErrorKind::Server, "the context is full")
        );
        assert_eq!(error_line("error: not json"), None);
        assert_eq!(error_line("bogus"), None);
    }

    #[test]
    fn errors_never_hold_the_key() {
        let endpoint = Endpoint {
            wire: Wire::Openai,
            base_url: "http://127.0.0.1:9/v1".into(),
            key: Some(SecretString::from("sk-secret-123")),
            key_env: "K".into(),
            patience: Patience::default(),
        };
        let e = LlmError::Api(ApiError {
            kind: ErrorKind::BadRequest,
            status: Some(400),
            message: "bad key sk-secret-123 given".into(),
        })
        .map_text(|text| endpoint.redact(&text));
        assert!(!e.to_string().contains("sk-secret-123"), "{e}");
        let bad = endpoint.api_error(
            ApiError {
                kind: ErrorKind::BadKey,
                status: Some(401),
                message: "Incorrect API key provided: sk-secret-123".into(),
            },
            "m",
        );
        assert_eq!(
            bad.to_string(),
            "the API key in $K was refused by http://127.0.0.1:9/v1 (HTTP 401)"
        );
    }
}
