//! The model's context window and the reply's reserve.
//!
//! The window is asked from the server where it can tell, with the endpoint's key (a server
//! started with one refuses the probe without it): llama.cpp's `/props` (or its `/v1/models`
//! entry's `meta.n_ctx`), vLLM's `/v1/models` (`max_model_len`), LM Studio's model listing
//! (`loaded_context_length`, or a loaded instance's `context_length`), Ollama's `/api/ps` (the
//! context it allocated) or `/api/show`, and OpenRouter's model listing (`context_length`).
//! A figure that makes no sense (0, negative, absurd) is ignored with a log line. Otherwise
//! the window comes from config, then from a table of well-known models. The probe also tells
//! what kind of server answers, which decides who can count a request exactly
//! ([`super::count`]).
//!
//! The reserve is what the gauge keeps free for the reply: `max_output_tokens`, unless that
//! would leave less than half the window ([`reserve`]); and a request never asks for more
//! reply tokens than the window has room for ([`max_tokens`]).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::client::Wire;

/// Where the window figure came from, shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The server said so.
    Server,
    /// `[model].context_window`.
    Config,
    /// The table of well-known models.
    Table,
    /// Nothing knew; a conservative default.
    Default,
}

impl Source {
    /// How the source reads beside the number.
    pub fn label(self) -> &'static str {
        match self {
            Source::Server => "from the server",
            Source::Config => "from config",
            Source::Table => "known model",
            Source::Default => "assumed",
        }
    }
}

/// The window when nothing knows better.
pub const DEFAULT_WINDOW: u32 = 128_000;

/// The smallest window a server may report and be believed (llama.cpp runs with 256).
pub const MIN_WINDOW: u32 = 64;

/// The largest window a server may report and be believed (the largest models take 10M).
pub const MAX_WINDOW: u32 = 100_000_000;

/// How long one probe request may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Context windows of well-known models, matched by prefix (longest first wins).
const TABLE: &[(&str, u32)] = &[
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("claude", 200_000),
    ("gemini", 1_048_576),
    ("llama3", 8_192),
    ("llama-3", 8_192),
    ("llama3.1", 131_072),
    ("llama-3.1", 131_072),
    ("qwen2.5-coder", 32_768),
    ("mistral", 32_768),
    ("deepseek", 65_536),
];

/// The window of a well-known model: the longest table prefix of its name (any `vendor/`
/// prefix dropped).
pub fn known(model: &str) -> Option<u32> {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    TABLE
        .iter()
        .filter(|(prefix, _)| name.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|&(_, window)| window)
}

/// Picks the window: the server's answer, then config, then the table, then the default.
pub fn resolve(server: Option<u32>, config: Option<u32>, model: &str) -> (u32, Source) {
    if let Some(n) = server.filter(|&n| n > 0) {
        return (n, Source::Server);
    }
    if let Some(n) = config.filter(|&n| n > 0) {
        return (n, Source::Config);
    }
    match known(model) {
        Some(n) => (n, Source::Table),
        None => (DEFAULT_WINDOW, Source::Default),
    }
}

/// A window figure a server reported, if it is a plausible one: at least [`MIN_WINDOW`], at
/// most [`MAX_WINDOW`].
pub fn plausible(n: i64) -> Option<u32> {
    u32::try_from(n)
        .ok()
        .filter(|n| (MIN_WINDOW..=MAX_WINDOW).contains(n))
}

/// The kind of server behind an endpoint, as far as the probe could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    LlamaCpp,
    Vllm,
    Ollama,
    LmStudio,
    OpenRouter,
    /// OpenAI's own API.
    OpenAi,
    /// Anthropic's own API.
    Anthropic,
    /// Nothing answered the probes.
    Unknown,
}

impl Server {
    /// The server's name, for the inspector and the log.
    pub fn name(self) -> &'static str {
        match self {
            Server::LlamaCpp => "llama.cpp",
            Server::Vllm => "vLLM",
            Server::Ollama => "Ollama",
            Server::LmStudio => "LM Studio",
            Server::OpenRouter => "OpenRouter",
            Server::OpenAi => "OpenAI",
            Server::Anthropic => "Anthropic",
            Server::Unknown => "an unknown server",
        }
    }
}

/// What a probe learnt: who answers, and the window if it told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub server: Server,
    pub window: Option<u32>,
}

/// The hosted API `base_url` points at, if it is one.
pub fn hosted(base_url: &str) -> Option<Server> {
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if is("openai.com") {
        Some(Server::OpenAi)
    } else if is("anthropic.com") {
        Some(Server::Anthropic)
    } else if is("openrouter.ai") {
        Some(Server::OpenRouter)
    } else {
        None
    }
}

/// The server root of an API base URL: `http://h:8080/v1` -> `http://h:8080`.
pub fn root(base_url: &str) -> &str {
    let base = base_url.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

/// The running window from llama.cpp's `/props` body (`default_generation_settings.n_ctx`,
/// or a top-level `n_ctx` in older builds), as reported.
pub fn from_llama_props(body: &str) -> Option<i64> {
    let props: Value = serde_json::from_str(body).ok()?;
    props
        .pointer("/default_generation_settings/n_ctx")
        .or_else(|| props.get("n_ctx"))
        .and_then(Value::as_i64)
}

/// The entry for `model` in an OpenAI-style listing (`{"data": [...]}`, `{"models": [...]}`),
/// matched by `id_field`; the only entry when the listing has one (a server serving one model
/// answers to any name).
fn entry<'a>(list: &'a Value, key: &str, id_field: &str, model: &str) -> Option<&'a Value> {
    let entries = list.get(key)?.as_array()?;
    entries
        .iter()
        .find(|e| e.get(id_field).and_then(Value::as_str) == Some(model))
        .or_else(|| (entries.len() == 1).then(|| &entries[0]))
}

/// What an OpenAI-compatible `/v1/models` listing tells about `model`: vLLM's
/// `max_model_len`, or llama.cpp's `meta.n_ctx`, with who said it.
pub fn from_openai_models(body: &str, model: &str) -> Option<(Server, Option<i64>)> {
    let list: Value = serde_json::from_str(body).ok()?;
    let e = entry(&list, "data", "id", model)?;
    if let Some(n) = e.get("max_model_len") {
        return Some((Server::Vllm, n.as_i64()));
    }
    if let Some(n) = e.pointer("/meta/n_ctx") {
        return Some((Server::LlamaCpp, n.as_i64()));
    }
    match e.get("owned_by").and_then(Value::as_str) {
        Some("vllm") => Some((Server::Vllm, None)),
        Some("llamacpp") => Some((Server::LlamaCpp, None)),
        _ => None,
    }
}

/// The window of a loaded instance of `model` in LM Studio's `GET /api/v1/models`
/// (`models[].loaded_instances[].config.context_length`); `Some(None)` when the model is
/// listed but not loaded (its window is what it will be loaded with, not known yet).
pub fn from_lmstudio_models(body: &str, model: &str) -> Option<Option<i64>> {
    let list: Value = serde_json::from_str(body).ok()?;
    let e = entry(&list, "models", "key", model)?;
    Some(
        e.get("loaded_instances")?
            .as_array()?
            .iter()
            .find_map(|i| i.pointer("/config/context_length").and_then(Value::as_i64)),
    )
}

/// The window from LM Studio's `GET /api/v0/models/{model}`: `loaded_context_length` once
/// the model is loaded; `Some(None)` for a model not loaded.
pub fn from_lmstudio_v0(body: &str) -> Option<Option<i64>> {
    let model: Value = serde_json::from_str(body).ok()?;
    model.get("max_context_length")?;
    Some(model.get("loaded_context_length").and_then(Value::as_i64))
}

/// The context Ollama allocated for `model`, from `GET /api/ps` (`models[].context_length`),
/// when the model is loaded.
pub fn from_ollama_ps(body: &str, model: &str) -> Option<i64> {
    let list: Value = serde_json::from_str(body).ok()?;
    let entries = list.get("models")?.as_array()?;
    let bare = |name: &str| name.strip_suffix(":latest").unwrap_or(name).to_string();
    entries
        .iter()
        .find(|e| {
            ["name", "model"]
                .iter()
                .any(|k| e.get(k).and_then(Value::as_str).map(bare) == Some(bare(model)))
        })?
        .get("context_length")?
        .as_i64()
}

/// The window from Ollama's `/api/show` body: a `num_ctx` parameter when the model sets one,
/// else the model's `<arch>.context_length` (its maximum: what Ollama allocates may be less,
/// see [`from_ollama_ps`]).
pub fn from_ollama_show(body: &str) -> Option<i64> {
    let show: Value = serde_json::from_str(body).ok()?;
    if let Some(params) = show.get("parameters").and_then(Value::as_str) {
        for line in params.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("num_ctx")
                && let Some(n) = words.next().and_then(|n| n.parse().ok())
            {
                return Some(n);
            }
        }
    }
    let info = show.get("model_info")?.as_object()?;
    info.iter()
        .find(|(k, _)| k.ends_with(".context_length"))
        .and_then(|(_, v)| v.as_i64())
}

/// The window of `model` in OpenRouter's `GET /api/v1/models` listing (`context_length`).
pub fn from_openrouter(body: &str, model: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Listing {
        data: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        id: String,
        #[serde(default)]
        context_length: Option<i64>,
    }
    let listing: Listing = serde_json::from_str(body).ok()?;
    listing
        .data
        .into_iter()
        .find(|e| e.id == model)?
        .context_length
}

/// The window a context-size error names: llama.cpp's "exceeds the available context size
/// (N tokens)", OpenAI's and vLLM's "maximum context length is N tokens", Anthropic's
/// "N tokens > M maximum".
pub fn from_error(message: &str) -> Option<i64> {
    let lower = message.to_lowercase();
    let number_after = |phrase: &str| {
        let rest = &lower[lower.find(phrase)? + phrase.len()..];
        let digits: String = rest
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    number_after("available context size")
        .or_else(|| number_after("maximum context length is"))
        .or_else(|| {
            let before = lower.find(" maximum")?;
            let digits: String = lower[..before]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            digits.parse().ok()
        })
}

/// Asks the server at `base_url` what it is and how large `model`'s window is, with the
/// key's header `auth` when there is one (the client's redirect rule keeps it within the
/// origin). Local servers are tried in turn, each request within 2 s: llama.cpp's `/props`,
/// the OpenAI-style `/v1/models` (vLLM, llama.cpp), LM Studio's listings, Ollama's `/api/ps`
/// and `/api/show`. A figure that is not plausible is logged and ignored. Quick and quiet:
/// a failure means "the server cannot tell".
pub async fn probe(
    client: &reqwest::Client,
    wire: Wire,
    base_url: &str,
    model: &str,
    auth: Option<(&str, reqwest::header::HeaderValue)>,
) -> Probe {
    match hosted(base_url) {
        Some(Server::OpenRouter) => {
            return Probe {
                server: Server::OpenRouter,
                window: openrouter(client, base_url, model, auth).await,
            };
        }
        Some(server) => {
            return Probe {
                server,
                window: None,
            };
        }
        None => {}
    }
    let ask = Asker { client, auth };
    let base = base_url.trim_end_matches('/');
    let root = root(base_url);
    let mut found = Probe {
        server: Server::Unknown,
        window: None,
    };
    // llama.cpp; a router without the model loaded says 0, so `/v1/models` is asked too.
    if let Some(n) = ask
        .get(&format!("{root}/props"))
        .await
        .and_then(|b| from_llama_props(&b))
    {
        found.server = Server::LlamaCpp;
        found.window = sane(Server::LlamaCpp, "/props", Some(n));
        if found.window.is_some() {
            return found;
        }
    }
    // The OpenAI-style listing under the API's own path (`/v1/models`).
    let models_path = if wire == Wire::Openai {
        format!("{base}/models")
    } else {
        format!("{root}/v1/models")
    };
    if let Some((server, n)) = ask
        .get(&models_path)
        .await
        .and_then(|b| from_openai_models(&b, model))
    {
        return Probe {
            server,
            window: sane(server, "/v1/models", n),
        };
    }
    if found.server != Server::Unknown {
        return found;
    }
    // LM Studio: the v1 listing, then the older v0 one.
    if let Some(n) = ask
        .get(&format!("{root}/api/v1/models"))
        .await
        .and_then(|b| from_lmstudio_models(&b, model))
    {
        return Probe {
            server: Server::LmStudio,
            window: sane(Server::LmStudio, "/api/v1/models", n),
        };
    }
    if let Some(n) = ask
        .get(&format!("{root}/api/v0/models/{model}"))
        .await
        .and_then(|b| from_lmstudio_v0(&b))
    {
        return Probe {
            server: Server::LmStudio,
            window: sane(Server::LmStudio, "/api/v0/models", n),
        };
    }
    // Ollama: what it allocated for the loaded model, else what the model sets.
    let ps = ask.get(&format!("{root}/api/ps")).await;
    if let Some(n) = ps.as_deref().and_then(|b| from_ollama_ps(b, model))
        && let Some(window) = sane(Server::Ollama, "/api/ps", Some(n))
    {
        return Probe {
            server: Server::Ollama,
            window: Some(window),
        };
    }
    if let Some(n) = ask
        .post(
            &format!("{root}/api/show"),
            &serde_json::json!({ "model": model }),
        )
        .await
        .and_then(|b| from_ollama_show(&b))
    {
        return Probe {
            server: Server::Ollama,
            window: sane(Server::Ollama, "/api/show", Some(n)),
        };
    }
    found
}

/// `model`'s window from the model listing of OpenRouter at `base_url` (`{base_url}/models`).
pub async fn openrouter(
    client: &reqwest::Client,
    base_url: &str,
    model: &str,
    auth: Option<(&str, reqwest::header::HeaderValue)>,
) -> Option<u32> {
    let ask = Asker { client, auth };
    let base = base_url.trim_end_matches('/');
    let window = ask
        .get(&format!("{base}/models"))
        .await
        .and_then(|body| from_openrouter(&body, model));
    sane(Server::OpenRouter, "/models", window)
}

/// `n` if it is a plausible window, else `None` with a log line naming who said it.
fn sane(server: Server, path: &str, n: Option<i64>) -> Option<u32> {
    let n = n?;
    let window = plausible(n);
    if window.is_none() {
        tracing::warn!(
            server = server.name(),
            path,
            window = n,
            "the server's window is not plausible: ignored"
        );
    }
    window
}

/// Sends the probes: quick, with the key, failures quiet.
struct Asker<'a> {
    client: &'a reqwest::Client,
    auth: Option<(&'a str, reqwest::header::HeaderValue)>,
}

impl Asker<'_> {
    async fn get(&self, url: &str) -> Option<String> {
        self.send(self.client.get(url)).await
    }

    async fn post(&self, url: &str, body: &Value) -> Option<String> {
        self.send(self.client.post(url).json(body)).await
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> Option<String> {
        let builder = match &self.auth {
            Some((name, value)) => builder.header(*name, value.clone()),
            None => builder,
        };
        let response = builder.timeout(PROBE_TIMEOUT).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.text().await.ok()
    }
}

/// What the gauge keeps free for the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserve {
    /// The tokens reserved.
    pub tokens: u32,
    /// `max_output_tokens`, as configured.
    pub asked: u32,
}

impl Reserve {
    /// Whether the configured reserve was too large for the window and a smaller one is used.
    pub fn reduced(&self) -> bool {
        self.tokens < self.asked
    }

    /// The warning to show when the reserve was reduced.
    pub fn warning(&self, window: u32) -> Option<String> {
        self.reduced().then(|| {
            format!(
                "Reply reserve {}, not {}: max_output_tokens would leave the request less than \
                 half of the {window}-token window",
                self.tokens, self.asked
            )
        })
    }
}

/// The reply's reserve in `window`: `max_output_tokens`, or half the window when that would
/// leave the request less than half of it.
pub fn reserve(window: u32, max_output_tokens: u32) -> Reserve {
    let half = window / 2;
    Reserve {
        tokens: max_output_tokens.min(half),
        asked: max_output_tokens,
    }
}

/// The `max_tokens` to send with a request of `prompt` tokens into `window`: what was
/// configured, cut to the room the window has left; an estimated prompt (not `exact`) is
/// taken as 10% larger, so the request still fits if the estimate is short. `None` when no
/// room is left: such a request cannot be answered.
pub fn max_tokens(window: u32, max_output_tokens: u32, prompt: u32, exact: bool) -> Option<u32> {
    let prompt = if exact {
        u64::from(prompt)
    } else {
        u64::from(prompt) * 11 / 10
    };
    let room = u64::from(window).saturating_sub(prompt);
    u32::try_from(room.min(u64::from(max_output_tokens)))
        .ok()
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_beats_config_beats_the_table() {
        assert_eq!(
            resolve(Some(4096), Some(8000), "gpt-4o"),
            (4096, Source::Server)
        );
        assert_eq!(resolve(None, Some(8000), "gpt-4o"), (8000, Source::Config));
        assert_eq!(resolve(None, None, "gpt-4o-mini"), (128_000, Source::Table));
        assert_eq!(
            resolve(None, None, "my-model"),
            (DEFAULT_WINDOW, Source::Default)
        );
    }

    #[test]
    fn the_longest_prefix_wins() {
        assert_eq!(known("gpt-4"), Some(8_192));
        assert_eq!(known("gpt-4o"), Some(128_000));
        assert_eq!(known("openai/gpt-4.1-mini"), Some(1_047_576));
        assert_eq!(known("claude-sonnet-4-5"), Some(200_000));
        assert_eq!(known("Llama3.1:8b"), Some(131_072));
        assert_eq!(known("phi"), None);
    }

    #[test]
    fn nonsense_windows_are_not_plausible() {
        assert_eq!(plausible(0), None);
        assert_eq!(plausible(-1), None);
        assert_eq!(plausible(-8192), None);
        assert_eq!(plausible(63), None);
        assert_eq!(plausible(64), Some(64));
        assert_eq!(plausible(256), Some(256));
        assert_eq!(plausible(8192), Some(8192));
        assert_eq!(plausible(10_000_000), Some(10_000_000));
        assert_eq!(plausible(100_000_001), None);
        assert_eq!(plausible(i64::MAX), None);
    }

    #[test]
    fn reads_the_real_llama_props_capture() {
        let body = include_str!("../../tests/fixtures/llama/props.json");
        assert_eq!(from_llama_props(body), Some(4096));
        assert_eq!(from_llama_props(r#"{"n_ctx": 2048}"#), Some(2048));
        assert_eq!(from_llama_props(r#"{"n_ctx": -1}"#), Some(-1));
        assert_eq!(from_llama_props("not json"), None);
    }

    #[test]
    fn reads_the_openai_style_listings() {
        let llama = include_str!("../../tests/fixtures/llama/models.json");
        assert_eq!(
            from_openai_models(llama, "smollm2"),
            Some((Server::LlamaCpp, Some(8192)))
        );
        // One model served: it answers to any name.
        assert_eq!(
            from_openai_models(llama, "whatever"),
            Some((Server::LlamaCpp, Some(8192)))
        );
        let vllm = include_str!("../../tests/fixtures/vllm/models.json");
        assert_eq!(
            from_openai_models(vllm, "Qwen/Qwen2.5-Coder-7B-Instruct"),
            Some((Server::Vllm, Some(32768)))
        );
        assert_eq!(
            from_openai_models(vllm, "sql-lora"),
            Some((Server::Vllm, Some(32768))),
            "a LoRA adapter has its base model's window"
        );
        assert_eq!(from_openai_models(vllm, "unknown/model"), None);
        let plain = r#"{"object":"list","data":[{"id":"m","object":"model","owned_by":"me"}]}"#;
        assert_eq!(from_openai_models(plain, "m"), None);
    }

    #[test]
    fn reads_lm_studio_listings() {
        let v1 = include_str!("../../tests/fixtures/lmstudio/api_v1_models.json");
        assert_eq!(
            from_lmstudio_models(v1, "qwen2.5-coder-7b-instruct"),
            Some(Some(16384))
        );
        assert_eq!(
            from_lmstudio_models(v1, "meta-llama-3.1-8b-instruct"),
            Some(None),
            "listed, not loaded"
        );
        assert_eq!(from_lmstudio_models(v1, "absent"), None);
        let v0 = include_str!("../../tests/fixtures/lmstudio/api_v0_model.json");
        assert_eq!(from_lmstudio_v0(v0), Some(Some(16384)));
        assert_eq!(
            from_lmstudio_v0(r#"{"id":"m","state":"not-loaded","max_context_length":32768}"#),
            Some(None)
        );
        assert_eq!(from_lmstudio_v0(r#"{"error":"no such model"}"#), None);
    }

    #[test]
    fn reads_ollama() {
        let body = r#"{"parameters":"stop \"<|eot|>\"\nnum_ctx 16384","model_info":{"llama.context_length":131072}}"#;
        assert_eq!(from_ollama_show(body), Some(16384));
        let body =
            r#"{"model_info":{"general.architecture":"qwen2","qwen2.context_length":32768}}"#;
        assert_eq!(from_ollama_show(body), Some(32768));
        assert_eq!(from_ollama_show("{}"), None);
        let ps = include_str!("../../tests/fixtures/ollama/api_ps.json");
        assert_eq!(from_ollama_ps(ps, "qwen2.5-coder:7b"), Some(4096));
        assert_eq!(
            from_ollama_ps(ps, "llama3.2"),
            Some(8192),
            ":latest implied"
        );
        assert_eq!(from_ollama_ps(ps, "mistral"), None);
    }

    #[test]
    fn reads_openrouter() {
        let body = include_str!("../../tests/fixtures/openrouter/models.json");
        assert_eq!(
            from_openrouter(body, "anthropic/claude-sonnet-4.5"),
            Some(1_000_000)
        );
        assert_eq!(
            from_openrouter(body, "qwen/qwen-2.5-coder-32b-instruct"),
            Some(32768)
        );
        assert_eq!(from_openrouter(body, "nobody/nothing"), None);
        assert_eq!(from_openrouter("[]", "x"), None);
    }

    #[test]
    fn context_errors_name_the_window() {
        assert_eq!(
            from_error(
                "request (827 tokens) exceeds the available context size (256 tokens), try increasing it"
            ),
            Some(256)
        );
        assert_eq!(
            from_error(
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens."
            ),
            Some(128_000)
        );
        assert_eq!(
            from_error("prompt is too long: 210000 tokens > 200000 maximum"),
            Some(200_000)
        );
        assert_eq!(from_error("Too many tokens in the prompt"), None);
    }

    #[test]
    fn hosted_apis_are_known_by_host() {
        assert_eq!(hosted("https://api.openai.com/v1"), Some(Server::OpenAi));
        assert_eq!(
            hosted("https://api.anthropic.com/v1"),
            Some(Server::Anthropic)
        );
        assert_eq!(
            hosted("https://openrouter.ai/api/v1"),
            Some(Server::OpenRouter)
        );
        assert_eq!(hosted("http://127.0.0.1:8080/v1"), None);
        assert_eq!(hosted("http://openai.com.evil.example/v1"), None);
    }

    #[test]
    fn root_drops_the_api_version() {
        assert_eq!(root("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080");
        assert_eq!(root("http://localhost:11434"), "http://localhost:11434");
    }

    #[test]
    fn the_reserve_leaves_at_least_half_the_window() {
        // The trap: an 8k local model with the default 8192-token reserve.
        let r = reserve(8192, 8192);
        assert_eq!(r.tokens, 4096);
        assert!(r.reduced());
        let warning = r.warning(8192).expect("a warning");
        assert_eq!(
            warning,
            "Reply reserve 4096, not 8192: max_output_tokens would leave the request less than \
             half of the 8192-token window"
        );
        // A reserve that fits is kept, and says nothing.
        let r = reserve(128_000, 8192);
        assert_eq!(
            (r.tokens, r.reduced(), r.warning(128_000)),
            (8192, false, None)
        );
        assert_eq!(reserve(8192, 4096).tokens, 4096, "exactly half is kept");
        assert_eq!(reserve(8191, 4096).tokens, 4095);
        assert_eq!(reserve(256, 512).tokens, 128);
        assert_eq!(reserve(0, 512).tokens, 0);
        // Whatever the config, the usable window is never empty.
        for window in [64, 256, 4096, 8192, 32_768] {
            for asked in [0, 1, 512, 4096, 8192, 100_000] {
                let r = reserve(window, asked);
                assert!(window - r.tokens >= window / 2, "{window} {asked}");
            }
        }
    }

    #[test]
    fn max_tokens_never_exceeds_the_room_left() {
        assert_eq!(max_tokens(8192, 8192, 1000, true), Some(7192));
        assert_eq!(max_tokens(128_000, 8192, 1000, true), Some(8192));
        // An estimate is taken as 10% larger.
        assert_eq!(max_tokens(8192, 8192, 1000, false), Some(7092));
        assert_eq!(max_tokens(8192, 512, 8000, true), Some(192));
        assert_eq!(max_tokens(8192, 512, 8192, true), None);
        assert_eq!(max_tokens(8192, 512, 9000, false), None);
        assert_eq!(max_tokens(8192, 0, 10, true), None);
        assert_eq!(max_tokens(u32::MAX, u32::MAX, 0, false), Some(u32::MAX));
    }
}
