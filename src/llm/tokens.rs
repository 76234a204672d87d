//! Token counting with OpenAI's byte-pair encodings (`o200k_base`, `cl100k_base`): exact for
//! OpenAI's models, the local estimate for every other model until its server counts.
//!
//! The vocabularies ship as OpenAI's own `.tiktoken` files, gzipped (0.8 and 1.7 MB of the
//! binary; `assets/tokenizers/`). An encoding is built from its file on first use, in a few
//! tens of milliseconds, into about 5 MB: the token bytes end to end and an open-addressing
//! table from bytes to rank. The app builds only the encoding its model needs, off the UI task
//! ([`preload`]), and asks [`ready`] before counting on it; a model whose server counts needs
//! none.
//!
//! Counting follows tiktoken: the text is split by the encoding's pattern (a look-ahead emulated
//! as in the `bpe-openai` crate, MIT), then each piece is merged pair by pair, the lowest rank
//! first (leftmost on ties), and the parts left are its tokens.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Read;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

/// An OpenAI byte-pair encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `o200k_base`: gpt-4o, gpt-4.1, gpt-5, the o-series, and the nearest approximation for
    /// every other model family (Claude, Llama, Qwen, Mistral...).
    O200k,
    /// `cl100k_base`: gpt-4, gpt-3.5 and the `text-embedding-*` models.
    Cl100k,
}

/// The encodings, once built (`None` when an embedded file could not be read: never expected,
/// counted as bytes / 4 then), indexed by [`Encoding::slot`].
static BUILT: [OnceLock<Option<Bpe>>; 2] = [OnceLock::new(), OnceLock::new()];

/// The model name without a provider prefix (`openai/gpt-4`) or a fine-tune prefix
/// (`ft:gpt-3.5-turbo:org::id`), lower case.
fn bare(model: &str) -> String {
    let model = model.trim().to_ascii_lowercase();
    let name = model.rsplit('/').next().unwrap_or(&model);
    name.strip_prefix("ft:").unwrap_or(name).to_string()
}

impl Encoding {
    /// The encoding to count `model`'s tokens with: its own for OpenAI's models, `o200k` as
    /// the nearest approximation for every other.
    pub fn for_model(model: &str) -> Encoding {
        Encoding::exact_for(model).unwrap_or(Encoding::O200k)
    }

    /// The encoding `model` itself uses, when it is one of OpenAI's (gpt-*, chatgpt-*, the
    /// o-series, text-embedding-*): its counts are then exact, not estimates.
    pub fn exact_for(model: &str) -> Option<Encoding> {
        let name = bare(model);
        let gpt4 = name
            .strip_prefix("gpt-4")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'));
        let cl100k = gpt4
            || name.starts_with("gpt-3.5")
            || name.starts_with("gpt-35")
            || name.starts_with("text-embedding-");
        let o_series = ["o1", "o3", "o4"].iter().any(|o| {
            name.strip_prefix(o)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        });
        if cl100k {
            Some(Encoding::Cl100k)
        } else if name.starts_with("gpt-") || name.starts_with("chatgpt-") || o_series {
            Some(Encoding::O200k)
        } else {
            None
        }
    }

    /// The encoding's short name: `o200k` or `cl100k`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200k => "o200k",
            Encoding::Cl100k => "cl100k",
        }
    }

    /// The encoding's position in [`BUILT`].
    fn slot(self) -> usize {
        match self {
            Encoding::O200k => 0,
            Encoding::Cl100k => 1,
        }
    }

    /// OpenAI's `.tiktoken` file of the encoding, gzipped.
    fn data(self) -> &'static [u8] {
        match self {
            Encoding::O200k => include_bytes!("../../assets/tokenizers/o200k_base.tiktoken.gz"),
            Encoding::Cl100k => include_bytes!("../../assets/tokenizers/cl100k_base.tiktoken.gz"),
        }
    }

    /// The split patterns, in priority order; `true` marks the look-ahead one (its last
    /// character is not part of the match). From tiktoken, as `bpe-openai` writes them.
    fn patterns(self) -> [(&'static str, bool); 3] {
        let first = match self {
            Encoding::O200k => concat!(
                r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
                r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
                r"|\p{N}{1,3}",
                r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
                r"|\s*[\r\n]+",
                r"|\s+$",
            ),
            Encoding::Cl100k => concat!(
                r"(?i:'s|'t|'re|'ve|'m|'ll|'d)",
                r"|[^\r\n\p{L}\p{N}]?\p{L}+",
                r"|\p{N}{1,3}",
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*",
                r"|\s*[\r\n]+",
                r"|\s+$",
            ),
        };
        // `\s+(?!\S)`: whitespace up to, not including, the last before a non-space.
        [(first, false), (r"\s+\s", true), (r"\s+", false)]
    }

    /// The encoding, built on first use; `None` if its file could not be read.
    fn bpe(self) -> Option<&'static Bpe> {
        BUILT[self.slot()]
            .get_or_init(|| {
                let started = std::time::Instant::now();
                match Bpe::build(self) {
                    Ok(bpe) => {
                        tracing::info!(
                            encoding = self.name(),
                            ms = started.elapsed().as_millis() as u64,
                            bytes = bpe.heap_bytes(),
                            "tokenizer built"
                        );
                        Some(bpe)
                    }
                    Err(why) => {
                        tracing::error!(encoding = self.name(), %why, "tokenizer unavailable");
                        None
                    }
                }
            })
            .as_ref()
    }
}

/// The number of tokens `text` encodes to (saturating at `u32::MAX`). Builds `enc` on the
/// first call (tens of milliseconds); see [`preload`].
pub fn count(enc: Encoding, text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    let n = match enc.bpe() {
        Some(bpe) => bpe.count(text),
        None => text.len().div_ceil(4),
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Builds `enc` now. Call it off the UI task.
pub fn preload(enc: Encoding) {
    enc.bpe();
}

/// Whether `enc` is built, so that [`count`] will not stop to build it.
pub fn ready(enc: Encoding) -> bool {
    BUILT[enc.slot()].get().is_some()
}

/// One encoding: its vocabulary and its split pattern.
struct Bpe {
    /// Every token's bytes, in rank order, end to end.
    bytes: Box<[u8]>,
    /// Where each token ends in `bytes` (it starts where the one before ends).
    ends: Box<[u32]>,
    /// Open addressing by [`hash`]: rank + 1, or 0 for an empty slot.
    slots: Box<[u32]>,
    /// `64 - log2(slots.len())`: the hash's top bits index the table.
    shift: u32,
    /// The longest token, in bytes: a longer pair is never one.
    longest: usize,
    split: Regex,
    /// Per pattern of `split`: whether its last character is a look-ahead.
    lookahead: [bool; 3],
}

/// A hash of a token's bytes, good in its top bits.
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^ (h >> 32)
}

/// Why an embedded vocabulary could not be read.
#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error("cannot decompress: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("line {0}: not `<base64 token> <rank>` in rank order")]
    Line(usize),
    #[error("the split pattern: {0}")]
    Pattern(#[from] Box<regex_automata::meta::BuildError>),
}

impl Bpe {
    /// Reads `enc`'s `.tiktoken` file: a line `<base64 token> <rank>` per token, ranks from 0.
    fn build(enc: Encoding) -> Result<Bpe, BuildError> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(enc.data()).read_to_string(&mut text)?;
        let lines = text.lines().filter(|l| !l.is_empty());
        let mut bytes = Vec::with_capacity(text.len() / 2);
        let mut ends = Vec::new();
        for (rank, line) in lines.enumerate() {
            let ok = line.split_once(' ').is_some_and(|(token, r)| {
                r.parse::<usize>() == Ok(rank) && base64_into(token.as_bytes(), &mut bytes)
            });
            let end = u32::try_from(bytes.len()).ok().filter(|_| ok);
            ends.push(end.ok_or(BuildError::Line(rank + 1))?);
        }
        drop(text);
        let (patterns, lookahead): (Vec<&str>, Vec<bool>) = enc.patterns().into_iter().unzip();
        let split = Regex::new_many(&patterns).map_err(Box::new)?;
        let size = (ends.len() * 2).next_power_of_two().max(2);
        let mut bpe = Bpe {
            bytes: bytes.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
            slots: vec![0; size].into_boxed_slice(),
            shift: 64 - size.trailing_zeros(),
            longest: 0,
            split,
            lookahead: [lookahead[0], lookahead[1], lookahead[2]],
        };
        for rank in 0..bpe.ends.len() {
            let token = bpe.token(rank);
            let (len, mut i) = (token.len(), bpe.index(token));
            bpe.longest = bpe.longest.max(len);
            while bpe.slots[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            // At most u32::MAX tokens: `ends` holds u32 offsets of non-empty tokens.
            bpe.slots[i] = u32::try_from(rank + 1).unwrap_or(u32::MAX);
        }
        Ok(bpe)
    }

    /// What the encoding holds on the heap, in bytes (the split pattern aside).
    fn heap_bytes(&self) -> usize {
        self.bytes.len() + 4 * (self.ends.len() + self.slots.len())
    }

    /// The bytes of the token of rank `rank`.
    fn token(&self, rank: usize) -> &[u8] {
        let start = rank.checked_sub(1).map_or(0, |r| self.ends[r] as usize);
        &self.bytes[start..self.ends[rank] as usize]
    }

    /// Where `bytes` starts looking in `slots`.
    fn index(&self, bytes: &[u8]) -> usize {
        (hash(bytes) >> self.shift) as usize
    }

    /// The rank of the token `bytes` is, if it is one.
    fn rank(&self, bytes: &[u8]) -> Option<u32> {
        if bytes.len() > self.longest {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(bytes);
        loop {
            let rank = self.slots[i].checked_sub(1)?;
            if self.token(rank as usize) == bytes {
                return Some(rank);
            }
            i = (i + 1) & mask;
        }
    }

    /// The tokens of `text`: the pieces of the split, each merged.
    fn count(&self, text: &str) -> usize {
        let mut merge = Merge::default();
        self.pieces(text)
            .map(|piece| self.count_piece(piece.as_bytes(), &mut merge))
            .sum()
    }

    /// The pieces the split pattern cuts `text` into, in order, covering it.
    fn pieces<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            let rest = &text[at..];
            let found = self
                .split
                .find(Input::new(rest).anchored(Anchored::Yes))
                .filter(|m| m.end() > 0);
            let mut end = match found {
                Some(m) => {
                    let mut end = m.end();
                    if self.lookahead[m.pattern().as_usize()] {
                        // The pattern matched at least two characters: drop the last.
                        let last = rest[..end].chars().next_back().map_or(0, char::len_utf8);
                        end = end.saturating_sub(last).max(1);
                    }
                    end
                }
                // Never expected (the last pattern takes any whitespace, the others the
                // rest): one character, so that the split always moves on.
                None => rest.chars().next()?.len_utf8(),
            };
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            at += end;
            Some(&rest[..end])
        })
    }

    /// The tokens of one piece: merged pair by pair, the lowest rank first, leftmost on ties.
    fn count_piece(&self, piece: &[u8], merge: &mut Merge) -> usize {
        if piece.len() <= 1 || self.rank(piece).is_some() {
            piece.len().min(1)
        } else if piece.len() <= SHORT {
            self.count_short(piece)
        } else {
            merge.run(self, piece)
        }
    }

    /// [`Bpe::count_piece`] for a short piece, as tiktoken does it: every pair scanned for the
    /// lowest rank after each merge, on the stack.
    fn count_short(&self, piece: &[u8]) -> usize {
        // (where the part starts, the rank of merging it with the next part); a last entry
        // marks the end.
        let mut parts = [(0usize, u32::MAX); SHORT + 1];
        let mut n = piece.len() + 1;
        for (i, part) in parts.iter_mut().enumerate().take(n) {
            *part = (i, u32::MAX);
        }
        let rank_at = |parts: &[(usize, u32)], n: usize, i: usize| {
            if i + 2 < n {
                self.rank(&piece[parts[i].0..parts[i + 2].0])
                    .unwrap_or(u32::MAX)
            } else {
                u32::MAX
            }
        };
        for i in 0..n - 2 {
            parts[i].1 = rank_at(&parts, n, i);
        }
        loop {
            let (i, rank) = parts[..n - 1]
                .iter()
                .enumerate()
                .min_by_key(|&(i, &(_, rank))| (rank, i))
                .map_or((0, u32::MAX), |(i, &(_, rank))| (i, rank));
            if rank == u32::MAX {
                return n - 1;
            }
            // Merge the part at `i` with the next: drop the next's start.
            parts.copy_within(i + 2..n, i + 1);
            n -= 1;
            parts[i].1 = rank_at(&parts, n, i);
            if i > 0 {
                parts[i - 1].1 = rank_at(&parts, n, i - 1);
            }
        }
    }
}

/// Pieces up to this many bytes merge on the stack; longer ones through [`Merge`], whose cost
/// grows as n log n rather than n².
const SHORT: usize = 32;

/// Scratch space for merging one piece: a linked list of parts over the piece's bytes, and a
/// heap of candidate merges (a stale candidate is skipped when it comes up).
#[derive(Default)]
struct Merge {
    /// For the part starting at byte `i`: where the next part starts (`len` for none).
    next: Vec<usize>,
    /// For the part starting at byte `i`: where the part before starts (`usize::MAX` for none).
    prev: Vec<usize>,
    /// The rank of merging the part at `i` with the next, or `u32::MAX`; `DEAD` once merged
    /// into the part before.
    pair: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, usize)>>,
}

/// A part that was merged into the one before it.
const DEAD: u32 = u32::MAX - 1;

impl Merge {
    fn run(&mut self, bpe: &Bpe, piece: &[u8]) -> usize {
        let len = piece.len();
        self.next.clear();
        self.next.extend(1..=len);
        self.prev.clear();
        self.prev
            .extend((0..len).map(|i| i.checked_sub(1).unwrap_or(usize::MAX)));
        self.pair.clear();
        self.heap.clear();
        let pair_rank = |next: &[usize], i: usize| match next[i] {
            j if j >= len => u32::MAX,
            j => bpe.rank(&piece[i..next[j]]).unwrap_or(u32::MAX),
        };
        for i in 0..len {
            let rank = pair_rank(&self.next, i);
            self.pair.push(rank);
            if rank != u32::MAX {
                self.heap.push(Reverse((rank, i)));
            }
        }
        let mut parts = len;
        while let Some(Reverse((rank, i))) = self.heap.pop() {
            if self.pair[i] != rank {
                continue;
            }
            // Merge the part at `i` with the next one.
            let j = self.next[i];
            self.next[i] = self.next[j];
            if self.next[j] < len {
                self.prev[self.next[j]] = i;
            }
            self.pair[j] = DEAD;
            parts -= 1;
            for at in [Some(i), Some(self.prev[i]).filter(|&p| p != usize::MAX)]
                .into_iter()
                .flatten()
            {
                let rank = pair_rank(&self.next, at);
                self.pair[at] = rank;
                if rank != u32::MAX {
                    self.heap.push(Reverse((rank, at)));
                }
            }
        }
        parts
    }
}

/// Decodes standard base64 (with `=` padding) onto `out`; false if `text` is not base64.
fn base64_into(text: &[u8], out: &mut Vec<u8>) -> bool {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    if text.is_empty() || !text.len().is_multiple_of(4) {
        return false;
    }
    let padding = text.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 {
        return false;
    }
    let data = &text[..text.len() - padding];
    let mut bits = 0u32;
    let mut held = 0;
    for &c in data {
        let Some(v) = value(c) else { return false };
        bits = (bits << 6) | v;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    true
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
            assert_eq!(
                Encoding::exact_for(model),
                Some(Encoding::Cl100k),
                "{model}"
            );
        }
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "openai/gpt-4o",
            "gpt-4.1",
            "gpt-4.1-mini",
            "GPT-4.5-preview",
            "gpt-5",
            "chatgpt-4o-latest",
            "o1",
            "o3-mini",
            "o4-mini",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::O200k, "{model}");
            assert_eq!(Encoding::exact_for(model), Some(Encoding::O200k), "{model}");
        }
        // Other families: o200k as the nearest approximation, never called exact.
        for model in [
            "claude-sonnet-4-5",
            "anthropic/claude-3-5-haiku",
            "meta-llama/Llama-3.1-8B-Instruct",
            "qwen2.5-coder:7b",
            "mistral-large-latest",
            "smollm2",
            "o1x",
            "",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::O200k, "{model}");
            assert_eq!(Encoding::exact_for(model), None, "{model}");
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

    /// Counts by OpenAI's tiktoken itself (`tests/fixtures/tokens/make_counts.py`): curated
    /// texts (contractions, camel case, whitespace runs, numbers, scripts, emoji, combining
    /// marks, long runs) and 300 random mixes.
    #[test]
    fn counts_equal_tiktokens() {
        #[derive(serde::Deserialize)]
        struct Case {
            text: String,
            o200k: u32,
            cl100k: u32,
        }
        #[derive(serde::Deserialize)]
        struct Fixture {
            texts: Vec<Case>,
        }
        let fixture: Fixture = serde_json::from_str(include_str!(
            "../../tests/fixtures/tokens/tiktoken_counts.json"
        ))
        .expect("fixture");
        assert!(fixture.texts.len() > 300);
        for case in &fixture.texts {
            assert_eq!(
                count(Encoding::O200k, &case.text),
                case.o200k,
                "o200k {:?}",
                case.text
            );
            assert_eq!(
                count(Encoding::Cl100k, &case.text),
                case.cl100k,
                "cl100k {:?}",
                case.text
            );
        }
    }

    /// The embedded vocabularies are OpenAI's files, byte for byte (tiktoken's own hashes).
    #[test]
    fn the_vocabularies_are_openais() {
        use sha2::{Digest, Sha256};
        for (enc, sha) in [
            (
                Encoding::O200k,
                "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            ),
            (
                Encoding::Cl100k,
                "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            ),
        ] {
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(enc.data())
                .read_to_end(&mut text)
                .expect("gzip");
            let digest: String = Sha256::digest(&text)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, sha, "{enc:?}");
        }
        let o200k = Encoding::O200k.bpe().expect("o200k");
        assert_eq!(o200k.ends.len(), 199_998);
        assert_eq!(o200k.token(0), b"!");
        assert_eq!(o200k.rank(b" world"), Some(2375));
        assert_eq!(o200k.rank(b"not a token at all"), None);
        assert!(o200k.heap_bytes() < 6 << 20, "{}", o200k.heap_bytes());
    }

    #[test]
    fn preload_makes_an_encoding_ready() {
        preload(Encoding::Cl100k);
        assert!(ready(Encoding::Cl100k));
        assert_eq!(Encoding::Cl100k.name(), "cl100k");
        assert_eq!(Encoding::O200k.name(), "o200k");
    }

    #[test]
    fn base64_decodes_the_standard_alphabet() {
        let decode = |s: &str| {
            let mut out = Vec::new();
            base64_into(s.as_bytes(), &mut out).then_some(out)
        };
        assert_eq!(decode("IQ=="), Some(b"!".to_vec()));
        assert_eq!(decode("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode("Zm9v"), Some(b"foo".to_vec()));
        assert_eq!(decode("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode(""), None);
        assert_eq!(decode("abc"), None, "not a multiple of four");
        assert_eq!(decode("a*c="), None);
        assert_eq!(decode("a==="), None);
    }

    /// tiktoken's own merge: the lowest-ranked adjacent pair, leftmost on ties, again and
    /// again, by scanning every pair each time.
    fn naive_count(bpe: &Bpe, piece: &[u8]) -> usize {
        let mut parts: Vec<&[u8]> = piece.chunks(1).collect();
        loop {
            let best = (0..parts.len().saturating_sub(1))
                .filter_map(|i| {
                    let pair = [parts[i], parts[i + 1]].concat();
                    bpe.rank(&pair).map(|r| (r, i))
                })
                .min();
            let Some((_, i)) = best else {
                return parts.len();
            };
            let merged = &piece[offset(&parts, i)..offset(&parts, i + 2)];
            parts.splice(i..i + 2, [merged]);
        }
    }

    fn offset(parts: &[&[u8]], i: usize) -> usize {
        parts[..i].iter().map(|p| p.len()).sum()
    }

    #[test]
    fn both_merges_agree_with_the_plain_one() {
        let bpe = Encoding::O200k.bpe().expect("o200k");
        let mut merge = Merge::default();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let alphabet: Vec<char> = "abcdeéxyz ing tion__--=>{}()0123ü😀中文".chars().collect();
        for len in [2, 3, 5, 8, 13, 40, 200] {
            for _ in 0..30 {
                let piece: String = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let bytes = piece.as_bytes();
                let naive = naive_count(bpe, bytes);
                assert_eq!(merge.run(bpe, bytes), naive, "{piece:?}");
                if bytes.len() <= SHORT {
                    assert_eq!(bpe.count_short(bytes), naive, "{piece:?}");
                }
            }
        }
    }

    #[test]
    fn a_long_piece_counts_quickly_and_whole() {
        // One piece of 200 KB: quadratic merging would take minutes.
        let long = "x".repeat(200_000);
        let n = count(Encoding::O200k, &long);
        assert!((200_000 / 128..200_000).contains(&(n as usize)), "{n}");
        let spaces = " ".repeat(100_000) + "end";
        assert!(count(Encoding::Cl100k, &spaces) > 1);
    }
}
