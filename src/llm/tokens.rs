//! Token counting with OpenAI's byte-pair encodings (`bpe-openai`), the estimate behind the
//! context gauge until a provider reports real usage.
//!
//! Loading an encoding's tables takes a while, so the app calls [`preload`] off the UI task at
//! startup and asks [`ready`] before counting on it.

use std::sync::atomic::{AtomicBool, Ordering};

use bpe_openai::Tokenizer;

/// An OpenAI byte-pair encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `o200k_base`: gpt-4o, gpt-4.1, gpt-5, the o-series, and the nearest approximation for
    /// every other model family (Claude, Llama, Qwen, Mistral...).
    O200k,
    /// `cl100k_base`: gpt-4, gpt-3.5 and the `text-embedding-*` models.
    Cl100k,
}

/// Whether each encoding's tables have loaded, indexed by [`Encoding::slot`].
static LOADED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

impl Encoding {
    /// The encoding to estimate `model`'s token counts with. Case-insensitive; a provider prefix
    /// (`openai/gpt-4`) or a fine-tune prefix (`ft:gpt-3.5-turbo:org::id`) is ignored.
    pub fn for_model(model: &str) -> Encoding {
        let model = model.trim().to_ascii_lowercase();
        let name = model.rsplit('/').next().unwrap_or(&model);
        let name = name.strip_prefix("ft:").unwrap_or(name);
        let gpt4 = name
            .strip_prefix("gpt-4")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'));
        let cl100k = gpt4
            || name.starts_with("gpt-3.5")
            || name.starts_with("gpt-35")
            || name.starts_with("text-embedding-");
        if cl100k {
            Encoding::Cl100k
        } else {
            Encoding::O200k
        }
    }

    /// The encoding's short name: `o200k` or `cl100k`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200k => "o200k",
            Encoding::Cl100k => "cl100k",
        }
    }

    /// The encoding's position in [`LOADED`].
    fn slot(self) -> usize {
        match self {
            Encoding::O200k => 0,
            Encoding::Cl100k => 1,
        }
    }

    /// The tokenizer, loading its tables on first use, and noting that they have loaded.
    fn tokenizer(self) -> &'static Tokenizer {
        let tokenizer = match self {
            Encoding::O200k => bpe_openai::o200k_base(),
            Encoding::Cl100k => bpe_openai::cl100k_base(),
        };
        LOADED[self.slot()].store(true, Ordering::Release);
        tokenizer
    }
}

/// The number of tokens `text` encodes to (saturating at `u32::MAX`). Blocks while the tables
/// load on the first call for `enc`; see [`preload`].
pub fn count(enc: Encoding, text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    u32::try_from(enc.tokenizer().count(text)).unwrap_or(u32::MAX)
}

/// Loads `enc`'s tables now. Slow the first time: call it off the UI task.
pub fn preload(enc: Encoding) {
    enc.tokenizer();
}

/// Whether `enc`'s tables have loaded, so that [`count`] will not block on the load.
pub fn ready(enc: Encoding) -> bool {
    LOADED[enc.slot()].load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_to_their_encoding() {
        for model in [
            "gpt-4",
            "GPT-4",
            "gpt-4-turbo",
            "gpt-4-0613",
            "openai/gpt-4",
            "gpt-3.5-turbo",
            "gpt-35-turbo",
            "ft:gpt-3.5-turbo:acme::abc123",
            "text-embedding-3-small",
            "text-embedding-ada-002",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::Cl100k, "{model}");
        }
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "openai/gpt-4o",
            "gpt-4.1",
            "gpt-4.1-mini",
            "GPT-4.5-preview",
            "gpt-5",
            "o1",
            "o3-mini",
            "o4-mini",
            "claude-sonnet-4-5",
            "anthropic/claude-3-5-haiku",
            "meta-llama/Llama-3.1-8B-Instruct",
            "qwen2.5-coder:7b",
            "mistral-large-latest",
            "",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::O200k, "{model}");
        }
    }

    #[test]
    fn counts_match_the_encodings() {
        for enc in [Encoding::O200k, Encoding::Cl100k] {
            assert_eq!(count(enc, ""), 0);
            assert_eq!(count(enc, "hello world"), 2, "{enc:?}");
        }
        // The OpenAI cookbook's example.
        assert_eq!(count(Encoding::Cl100k, "tiktoken is great!"), 6);
    }

    #[test]
    fn preload_makes_an_encoding_ready() {
        preload(Encoding::Cl100k);
        assert!(ready(Encoding::Cl100k));
        assert_eq!(Encoding::Cl100k.name(), "cl100k");
        assert_eq!(Encoding::O200k.name(), "o200k");
    }
}
