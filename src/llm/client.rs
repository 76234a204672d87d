//! The HTTP side of providers: one reqwest client (rustls with the `ring` provider), connect
//! and per-read idle timeouts (never a whole-response timeout), retries with backoff that
//! honour `Retry-After` but only before the first content arrives, and the streamed reply
//! decoded into [`ReplyEvent`]s.

use std::time::Duration;

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ApiError, ChatRequest, Decoded, ErrorKind, Usage, anthropic, openai};

/// The most bytes of an error body kept (it is shown to the user in one line).
const MAX_ERROR_BODY: usize = 64 * 1024;

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
/// than `idle` fails, any bytes (keep-alive comments, pings) reset it.
pub fn http(connect: Duration, idle: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto();
    reqwest::Client::builder()
        .connect_timeout(connect)
        .read_timeout(idle)
        .user_agent(concat!("specbench/", env!("CARGO_PKG_VERSION")))
        .build()
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
}

impl Default for Patience {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
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
    #[error("{}", api_words(.0))]
    Api(ApiError),
    #[error("no data from the server for {secs}s: the reply was cut off")]
    IdleTimeout { secs: u64 },
    #[error("the connection broke mid-reply: {detail}")]
    Broken { detail: String },
    #[error("the stream ended before the reply was complete (no end event)")]
    Ended,
    #[error("{cassette}: no recorded reply for the message \"{message}\"")]
    NoRecordedReply { cassette: String, message: String },
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

fn api_words(e: &ApiError) -> String {
    let what = match e.kind {
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Overloaded => "the provider is overloaded",
        ErrorKind::Server => "the server failed",
        ErrorKind::BadRequest => "the request was refused",
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
                    return Err(self.redact_error(error));
                }
            }
        }
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
        if let Some(key) = &self.key {
            let header = match self.wire {
                Wire::Openai => format!("Bearer {}", key.expose_secret()),
                Wire::Anthropic => key.expose_secret().to_string(),
            };
            let Ok(mut value) = reqwest::header::HeaderValue::from_str(&header) else {
                return Attempt::Fail(LlmError::MissingKey {
                    env: format!("{} (its value is not a valid header)", self.key_env),
                });
            };
            value.set_sensitive(true);
            let name = match self.wire {
                Wire::Openai => "authorization",
                Wire::Anthropic => "x-api-key",
            };
            builder = builder.header(name, value);
        }
        if self.wire == Wire::Anthropic {
            builder = builder.header("anthropic-version", anthropic::VERSION);
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(self.transport_error(&e, false)),
        };
        let status = response.status().as_u16();
        if status != 200 {
            let after = retry_after(response.headers());
            let text = read_capped(response).await;
            let api = match self.wire {
                Wire::Openai => openai::classify(status, &text),
                Wire::Anthropic => anthropic::classify(status, &text),
            };
            let retryable = matches!(status, 408 | 409 | 429 | 529 | 500..=599)
                || api.kind == ErrorKind::Overloaded;
            let error = self.api_error(api, &request.model);
            return if retryable {
                Attempt::Retry { error, after }
            } else {
                Attempt::Fail(error)
            };
        }
        let mut events = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
        let mut content = false;
        while let Some(item) = events.next().await {
            let sse = match item {
                Ok(sse) => sse,
                Err(sse_stream::Error::Body(e)) => {
                    let error = match e.downcast_ref::<reqwest::Error>() {
                        Some(e) => self.transport_error(e, true),
                        None => LlmError::Broken {
                            detail: e.to_string(),
                        },
                    };
                    return Attempt::Fail(error);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a malformed SSE line");
                    continue;
                }
            };
            let Some(data) = sse.data.as_deref() else {
                continue;
            };
            let decoded = match self.wire {
                Wire::Openai => openai::decode(sse.event.as_deref(), data),
                Wire::Anthropic => anthropic::decode(sse.event.as_deref(), data),
            };
            for piece in decoded {
                match piece {
                    Decoded::Delta(text) => {
                        content = true;
                        emit(ReplyEvent::Delta(text));
                    }
                    Decoded::Usage(usage) => emit(ReplyEvent::Usage(usage)),
                    Decoded::StopReason(reason) => emit(ReplyEvent::Stop(reason)),
                    Decoded::Done => return Attempt::Done,
                    Decoded::Error(api) => {
                        let retryable = api.kind.retryable();
                        let error = self.api_error(api, &request.model);
                        return if retryable && !content {
                            Attempt::Retry { error, after: None }
                        } else {
                            Attempt::Fail(error)
                        };
                    }
                }
            }
        }
        Attempt::Fail(LlmError::Ended)
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
                text.replace(key.expose_secret(), "[redacted]")
            }
            _ => text.to_string(),
        }
    }

    fn redact_error(&self, error: LlmError) -> LlmError {
        let clean = |s: String| self.redact(&s);
        match error {
            LlmError::Forbidden { url, message } => LlmError::Forbidden {
                url,
                message: clean(message),
            },
            LlmError::ModelNotFound {
                model,
                url,
                message,
            } => LlmError::ModelNotFound {
                model,
                url,
                message: clean(message),
            },
            LlmError::ContextTooLong { message } => LlmError::ContextTooLong {
                message: clean(message),
            },
            LlmError::Api(mut api) => {
                api.message = clean(api.message);
                LlmError::Api(api)
            }
            LlmError::Broken { detail } => LlmError::Broken {
                detail: clean(detail),
            },
            LlmError::Unreachable { url, detail } => LlmError::Unreachable {
                url,
                detail: clean(detail),
            },
            other => other,
        }
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

/// The server's requested pause: `retry-after-ms` (OpenAI) or `retry-after` in seconds.
/// An HTTP date is left to the backoff.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Some(Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 300.0)));
    }
    let secs = get("retry-after")?.trim().parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(secs.clamp(0.0, 300.0)))
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
        let e = endpoint.redact_error(LlmError::Api(ApiError {
            kind: ErrorKind::BadRequest,
            status: Some(400),
            message: "bad key sk-secret-123 given".into(),
        }));
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
