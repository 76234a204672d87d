//! The provider in force: an HTTP endpoint (OpenAI-compatible or Anthropic) or a cassette
//! played back offline, optionally recording what streams into a cassette.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::PromptKind;
use super::cassette::{self, Cassette, End, Pace, Recorder, Tape};
use super::client::{self, Endpoint, LlmError, Patience, ReplyEvent, Wire};
use super::count::{self, CountError, Counter};
use super::{ChatRequest, window};
use crate::config::{ModelConfig, ProviderKind as Kind};
use crate::secrets::{Secrets, StreamRedactor};

/// Where replies come from.
#[derive(Debug)]
enum Backend {
    Http {
        endpoint: Endpoint,
        client: reqwest::Client,
    },
    Replay {
        cassette: Cassette,
        pace: Pace,
        /// Steps granted by `Ctrl-N` in step mode.
        steps: tokio::sync::Semaphore,
        /// How many times each prompt was sent, to play its nth recording.
        sent: Mutex<HashMap<String, usize>>,
        /// How many fix rounds were sent, to play the fix entries in order.
        fixes: std::sync::atomic::AtomicUsize,
    },
}

/// A ready-to-use provider.
#[derive(Debug)]
pub struct Provider {
    backend: Backend,
    recorder: Option<Recorder>,
    model: String,
    /// Redacted from every reply before anyone sees it, and from errors.
    secrets: Secrets,
}

/// `path` resolved against the workspace; refused when it would leave it, lexically or
/// through a symlinked folder on the way (`rec -> /tmp`, a symlinked `.specbench`).
pub fn in_workspace(root: &Path, path: &Path) -> Result<PathBuf, String> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    // The deepest folder that exists on the way is where the file really lands.
    let lands_inside = clean.parent().is_some_and(|parent| {
        let existing = parent
            .ancestors()
            .take_while(|a| a.starts_with(root))
            .find(|a| a.symlink_metadata().is_ok());
        existing.is_none_or(|a| a.canonicalize().is_ok_and(|real| real.starts_with(root)))
    });
    if clean.starts_with(root) && lands_inside {
        Ok(clean)
    } else {
        Err(format!(
            "{} is outside the workspace {}; specbench writes only inside it",
            path.display(),
            root.display()
        ))
    }
}

impl Provider {
    /// The provider `config` names, for the workspace at `root`. The key is read from the
    /// environment variable config names, and only from there.
    pub fn from_config(root: &Path, config: &ModelConfig) -> Result<Provider, String> {
        let key = std::env::var(&config.api_key_env)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .map(|k| SecretString::from(k.trim().to_string()));
        Self::with_key(root, config, key)
    }

    /// The provider `config` names, with the key given (read from the environment by
    /// [`Provider::from_config`]).
    pub fn with_key(
        root: &Path,
        config: &ModelConfig,
        key: Option<SecretString>,
    ) -> Result<Provider, String> {
        let mut secrets = Secrets::from_env(&config.api_key_env);
        if let Some(key) = &key {
            secrets = secrets.with(key.expose_secret());
        }
        let backend = match config.provider {
            Kind::Replay => {
                let Some(path) = &config.cassette else {
                    return Err(
                        "provider \"replay\" needs a cassette: --replay FILE or [model].cassette"
                            .into(),
                    );
                };
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    root.join(path)
                };
                let cassette = Cassette::load(&path).map_err(|e| e.to_string())?;
                Backend::Replay {
                    cassette,
                    pace: if config.replay_step {
                        Pace::Step(config.replay_speed)
                    } else {
                        Pace::Speed(config.replay_speed)
                    },
                    steps: tokio::sync::Semaphore::new(0),
                    sent: Mutex::default(),
                    fixes: std::sync::atomic::AtomicUsize::new(0),
                }
            }
            Kind::Openai | Kind::Anthropic => {
                let patience = Patience {
                    connect: Duration::from_secs(config.connect_timeout_secs),
                    idle: Duration::from_secs(config.idle_timeout_secs),
                    retries: config.max_retries,
                    ..Patience::default()
                };
                let client = client::http(patience.connect, patience.idle)
                    .map_err(|e| format!("cannot set up HTTP: {e}"))?;
                let wire = match config.provider {
                    Kind::Anthropic => Wire::Anthropic,
                    _ => Wire::Openai,
                };
                Backend::Http {
                    endpoint: Endpoint {
                        wire,
                        base_url: config.base_url.clone(),
                        key,
                        key_env: config.api_key_env.clone(),
                        patience,
                    },
                    client,
                }
            }
        };
        let recorder = match &config.record {
            Some(path) => Some(Recorder::new(in_workspace(root, path)?, secrets.clone())),
            None => None,
        };
        Ok(Provider {
            backend,
            recorder,
            model: config.model.clone(),
            secrets,
        })
    }

    /// The keys this provider knows, to redact wherever its replies are written.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Tunes an HTTP provider's patience (tests use short timeouts and backoffs).
    pub fn with_patience(mut self, patience: Patience) -> Result<Self, String> {
        if let Backend::Http { endpoint, client } = &mut self.backend {
            endpoint.patience = patience;
            *client = client::http(patience.connect, patience.idle)
                .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        }
        Ok(self)
    }

    /// The context window the server reports, if it can tell.
    pub async fn window(&self) -> Option<u32> {
        self.probe().await.window
    }

    /// What kind of server answers, and the window it reports ([`window::probe`], with the
    /// endpoint's key); a cassette is no server.
    pub async fn probe(&self) -> window::Probe {
        match &self.backend {
            Backend::Http { endpoint, client } => {
                let auth = endpoint.auth().ok().flatten();
                window::probe(client, endpoint.wire, &endpoint.base_url, &self.model, auth).await
            }
            Backend::Replay { .. } => window::Probe {
                server: window::Server::Unknown,
                window: None,
            },
        }
    }

    /// Who counts this provider's requests, once `probe` told what its server is: a
    /// cassette is counted like OpenAI's API would ([`count::Plan::offline`]).
    pub fn plan(&self, probe: window::Probe) -> count::Plan {
        match &self.backend {
            Backend::Http { endpoint, .. } => {
                count::Plan::new(probe.server, endpoint.wire, &self.model)
            }
            Backend::Replay { .. } => count::Plan::offline(&self.model),
        }
    }

    /// The window after a request was refused as too long for it: the figure the error
    /// names when it names a plausible one (llama.cpp, OpenAI, vLLM and Anthropic do), else
    /// the server asked again (it may have been restarted with another context size, or
    /// loaded the model with less).
    pub async fn reprobe(&self, error: &LlmError) -> window::Probe {
        let named = match error {
            LlmError::ContextTooLong { message } => {
                window::from_error(message).and_then(window::plausible)
            }
            _ => None,
        };
        let mut probe = self.probe().await;
        if named.is_some() {
            probe.window = named;
        }
        probe
    }

    /// The exact token count of `request` by `counter` ([`count::count`]): asked from the
    /// server, or counted with OpenAI's tables on a blocking thread. A cassette has no server
    /// to ask.
    pub async fn count(&self, counter: Counter, request: &ChatRequest) -> Result<u32, CountError> {
        if let Counter::Tables(enc) = counter {
            let request = request.clone();
            return tokio::task::spawn_blocking(move || count::openai_chat(enc, &request))
                .await
                .map_err(|e| CountError::Unreachable {
                    url: "the local tokenizer".into(),
                    detail: e.to_string(),
                });
        }
        match &self.backend {
            Backend::Http { endpoint, client } => {
                count::count(client, endpoint, counter, request).await
            }
            Backend::Replay { .. } => Err(CountError::Unreachable {
                url: "the cassette".into(),
                detail: "a recording cannot count".into(),
            }),
        }
    }

    /// Whether the server's model takes tools, if it can tell (llama.cpp's `/props`, Ollama's
    /// `/api/show`); a cassette plays whatever was recorded.
    pub async fn tool_support(&self) -> Option<bool> {
        match &self.backend {
            Backend::Http { endpoint, client } => {
                let auth = endpoint.auth().ok().flatten();
                super::tools::ask(client, &endpoint.base_url, &self.model, auth).await
            }
            Backend::Replay { .. } => None,
        }
    }

    /// Releases the next line of a reply replayed in step mode.
    pub fn step(&self) {
        if let Backend::Replay { steps, .. } = &self.backend {
            steps.add_permits(1);
        }
    }

    /// The prompts a cassette holds, in order (empty for live providers).
    pub fn prompts(&self) -> Vec<String> {
        match &self.backend {
            Backend::Replay { cassette, .. } => cassette.prompts(),
            Backend::Http { .. } => Vec::new(),
        }
    }

    /// Streams the reply to `request` (whose user message, as typed, is `prompt`; a fix
    /// round's summary when `kind` says so) through `emit`, recording it when asked to. Every
    /// known key is redacted from the reply before `emit` sees it (a key cut across two
    /// pieces too: the start of one waits for the next piece) and from the error.
    pub async fn stream(
        &self,
        request: &ChatRequest,
        prompt: &str,
        kind: PromptKind,
        emit: &mut (dyn FnMut(ReplyEvent) + Send),
    ) -> Result<(), LlmError> {
        let mut outlet = Outlet {
            redactor: self.secrets.stream(),
            secrets: &self.secrets,
            tape: Tape::new(),
            emit,
        };
        let mut pass = |event: ReplyEvent| outlet.pass(event);
        let round = round(request);
        let result = match &self.backend {
            Backend::Http { endpoint, client } => endpoint.stream(client, request, &mut pass).await,
            Backend::Replay {
                cassette,
                pace,
                steps,
                sent,
                fixes,
            } => {
                // Recorded messages are redacted: look the message up as it was written.
                let prompt = self.secrets.redact(prompt);
                // A continuation plays after the reply the message last got.
                let first = round == 0;
                let nth = {
                    let mut sent = sent.lock().unwrap_or_else(|p| p.into_inner());
                    let n = sent.entry(cassette::fingerprint(&prompt)).or_default();
                    *n += usize::from(first);
                    n.saturating_sub(1)
                };
                let fix_nth = kind.is_fix().then(|| {
                    let added = usize::from(first);
                    let before = fixes.fetch_add(added, std::sync::atomic::Ordering::Relaxed);
                    (before + added).saturating_sub(1)
                });
                match cassette.find(&prompt, nth, fix_nth, round) {
                    Ok(entry) => cassette::play(entry, *pace, steps, &mut pass).await,
                    Err(e) => Err(e),
                }
            }
        };
        let result = result.map_err(|e| e.map_text(|text| self.secrets.redact(&text).into_owned()));
        let tape = outlet.finish();
        if let Some(recorder) = &self.recorder {
            let end = match &result {
                Ok(()) => Some(End::Complete),
                Err(e) if !tape.is_empty() => Some(End::Interrupted(e.to_string())),
                Err(_) => None,
            };
            if let Some(end) = end {
                let entry = tape.finish(prompt, kind.is_fix(), round, &request.model, end);
                if let Err(e) = recorder.append(&entry) {
                    tracing::error!(error = %e, path = %recorder.path().display(), "cannot record");
                }
            }
        }
        result
    }
}

/// Which request after the user's message this is: 0 for the message itself, N when it carries
/// the results of N rounds of tool calls (the assistant turns after the last user turn).
pub fn round(request: &ChatRequest) -> u32 {
    let trailing = request
        .messages
        .iter()
        .rev()
        .take_while(|m| m.role == super::Role::Assistant && !m.tool_calls.is_empty())
        .count();
    u32::try_from(trailing).unwrap_or(u32::MAX)
}

/// Where a reply's events go: redacted, taped for a recording, then emitted.
struct Outlet<'a> {
    redactor: StreamRedactor,
    secrets: &'a Secrets,
    tape: Tape,
    emit: &'a mut (dyn FnMut(ReplyEvent) + Send),
}

impl Outlet<'_> {
    /// Passes `event` on, its text redacted; text that may be the start of a key waits.
    fn pass(&mut self, event: ReplyEvent) {
        let clean = |text: String| match self.secrets.redact(&text) {
            std::borrow::Cow::Owned(clean) => clean,
            std::borrow::Cow::Borrowed(_) => text,
        };
        if matches!(event, ReplyEvent::ToolCall(_) | ReplyEvent::ToolCallCut(_)) {
            // The text before a call is all there: what was held back goes first.
            let rest = self.redactor.finish();
            if !rest.is_empty() {
                let text = ReplyEvent::Delta(rest);
                self.tape.note(&text);
                (self.emit)(text);
            }
        }
        let event = match event {
            ReplyEvent::Delta(text) => {
                let ready = self.redactor.push(&text);
                if ready.is_empty() {
                    return;
                }
                ReplyEvent::Delta(ready)
            }
            ReplyEvent::Damaged(what) => ReplyEvent::Damaged(clean(what)),
            ReplyEvent::ToolCall(mut call) => {
                call.arguments = clean(call.arguments);
                ReplyEvent::ToolCall(call)
            }
            ReplyEvent::ToolCallCut(mut call) => {
                call.arguments = clean(call.arguments);
                ReplyEvent::ToolCallCut(call)
            }
            ReplyEvent::Retrying {
                attempt,
                of,
                wait_ms,
                reason,
            } => ReplyEvent::Retrying {
                attempt,
                of,
                wait_ms,
                reason: clean(reason),
            },
            other => other,
        };
        self.tape.note(&event);
        (self.emit)(event);
    }

    /// Passes on the text held back (the start of a key that never finished); the tape.
    fn finish(mut self) -> Tape {
        let rest = self.redactor.finish();
        if !rest.is_empty() {
            let event = ReplyEvent::Delta(rest);
            self.tape.note(&event);
            (self.emit)(event);
        }
        self.tape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_stay_in_the_workspace() {
        let root = Path::new("/w/ws");
        assert_eq!(
            in_workspace(root, Path::new("c.jsonl")).unwrap(),
            PathBuf::from("/w/ws/c.jsonl")
        );
        assert_eq!(
            in_workspace(root, Path::new("/w/ws/sub/../c.jsonl")).unwrap(),
            PathBuf::from("/w/ws/c.jsonl")
        );
        let err = in_workspace(root, Path::new("../out.jsonl")).unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        assert!(in_workspace(root, Path::new("/tmp/x.jsonl")).is_err());
        // A folder on the way that is a symlink out of the workspace.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("rec")).unwrap();
        let root = root.canonicalize().unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join(".specbench")).unwrap();
        assert!(in_workspace(&root, Path::new("rec/new/c.jsonl")).is_ok());
        let err = in_workspace(&root, Path::new(".specbench/c.jsonl")).unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        assert!(in_workspace(&root, Path::new(".specbench/deeper/c.jsonl")).is_err());
    }

    #[test]
    fn replay_without_a_cassette_says_how_to_give_one() {
        let config = ModelConfig {
            provider: Kind::Replay,
            ..ModelConfig::default()
        };
        let err = Provider::from_config(Path::new("/nowhere"), &config).unwrap_err();
        assert!(err.contains("--replay FILE"), "{err}");
    }
}
