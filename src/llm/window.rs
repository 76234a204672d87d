//! The model's context window: asked from the server where it can tell (llama.cpp's `/props`,
//! Ollama's `/api/show`), otherwise from config, otherwise from a table of well-known models.

use std::time::Duration;

use serde::Deserialize;

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

/// The server root of an API base URL: `http://h:8080/v1` -> `http://h:8080`.
fn root(base_url: &str) -> &str {
    let base = base_url.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

/// Whether `base_url` is a hosted API that has no window endpoint worth asking.
fn hosted(base_url: &str) -> bool {
    ["api.openai.com", "api.anthropic.com", "openrouter.ai"]
        .iter()
        .any(|h| base_url.contains(h))
}

#[derive(Deserialize)]
struct Props {
    #[serde(default)]
    default_generation_settings: Option<GenSettings>,
    #[serde(default)]
    n_ctx: Option<u32>,
}

#[derive(Deserialize)]
struct GenSettings {
    #[serde(default)]
    n_ctx: Option<u32>,
}

/// The running window from llama.cpp's `/props` body.
pub fn from_llama_props(body: &str) -> Option<u32> {
    let props: Props = serde_json::from_str(body).ok()?;
    props
        .default_generation_settings
        .and_then(|g| g.n_ctx)
        .or(props.n_ctx)
        .filter(|&n| n > 0)
}

/// The window from Ollama's `/api/show` body: a `num_ctx` parameter when the model sets one,
/// else the model's `<arch>.context_length`.
pub fn from_ollama_show(body: &str) -> Option<u32> {
    let show: serde_json::Value = serde_json::from_str(body).ok()?;
    if let Some(params) = show.get("parameters").and_then(|p| p.as_str()) {
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
        .and_then(|(_, v)| v.as_u64())
        .and_then(|n| u32::try_from(n).ok())
}

/// Asks an OpenAI-compatible server for its window: llama.cpp's `/props`, then Ollama's
/// `/api/show`, with the key's header `auth` when there is one (a llama-server started with a
/// key refuses `/props` without it; the client's redirect rule keeps it within the origin).
/// Quick and quiet: any failure means "the server cannot tell".
pub async fn ask(
    client: &reqwest::Client,
    base_url: &str,
    model: &str,
    auth: Option<(&str, reqwest::header::HeaderValue)>,
) -> Option<u32> {
    if hosted(base_url) {
        return None;
    }
    let root = root(base_url);
    let timeout = Duration::from_secs(2);
    let with_auth = |builder: reqwest::RequestBuilder| match &auth {
        Some((name, value)) => builder.header(*name, value.clone()),
        None => builder,
    };
    if let Ok(r) = with_auth(client.get(format!("{root}/props")))
        .timeout(timeout)
        .send()
        .await
        && r.status().is_success()
        && let Some(n) = r.text().await.ok().as_deref().and_then(from_llama_props)
    {
        return Some(n);
    }
    let show = with_auth(client.post(format!("{root}/api/show")))
        .timeout(timeout)
        .json(&serde_json::json!({ "model": model }))
        .send()
        .await
        .ok()?;
    if !show.status().is_success() {
        return None;
    }
    from_ollama_show(&show.text().await.ok()?)
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
    fn reads_the_real_llama_props_capture() {
        let body = include_str!("../../tests/fixtures/llama/props.json");
        assert_eq!(from_llama_props(body), Some(4096));
        assert_eq!(from_llama_props("not json"), None);
    }

    #[test]
    fn reads_ollama_show() {
        let body = r#"{"parameters":"stop \"<|eot|>\"\nnum_ctx 16384","model_info":{"llama.context_length":131072}}"#;
        assert_eq!(from_ollama_show(body), Some(16384));
        let body =
            r#"{"model_info":{"general.architecture":"qwen2","qwen2.context_length":32768}}"#;
        assert_eq!(from_ollama_show(body), Some(32768));
        assert_eq!(from_ollama_show("{}"), None);
    }

    #[test]
    fn root_drops_the_api_version() {
        assert_eq!(root("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080");
        assert_eq!(root("http://localhost:11434"), "http://localhost:11434");
    }
}
