//! The regexes of `forbid:` and `require:` checks, compiled once per spec within a memory
//! budget. Each compiled regex carries its own automata: a few KiB for a literal, hundreds of
//! KiB for Unicode classes next to a word boundary (`\bname\w+`: ~390 KiB). A 10,000-clause
//! spec used to cost gigabytes that way; now the checks past the budget are not compiled and
//! say why, and a spec parsed again (the pin and the file on disk, each save) reuses what it
//! compiled before.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex_automata::MatchKind;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;

/// The heap the compiled checks of one spec may take, whole-file regexes included.
pub const BUDGET: usize = 64 << 20;

/// The most one regex may take, as `regex::Regex` allows by default.
const MAX_ONE: usize = 10 << 20;

/// A check's regex, compiled for one line and for a whole file.
#[derive(Debug)]
pub struct Pattern {
    /// Matches one line (without its line break).
    pub line: Regex,
    /// The regex for a whole file; see [`Pattern::file`].
    file: FileRegex,
    /// Heap charged for both: the line regex, and three times as much for a whole-file regex of
    /// its own (compiled on first use, within that).
    pub bytes: usize,
}

/// Which regex matches a whole file.
#[derive(Debug)]
enum FileRegex {
    /// The line regex itself (one regex, one set of search caches).
    Line,
    /// The pattern in multi-line CRLF mode, compiled on first use (by the scan, off the UI
    /// task); `None` inside if it takes more than `limit` bytes.
    Own {
        pattern: String,
        limit: usize,
        regex: OnceLock<Option<Regex>>,
    },
    /// None is known.
    None,
}

impl Pattern {
    /// A regex that matches a whole file whenever `line` matches one of its lines (and maybe
    /// more often), so a file it does not match is skipped without splitting it into lines:
    /// `line` itself when the pattern has no `^` or `$`, else the pattern in multi-line CRLF
    /// mode. `None` when the pattern anchors at the text's ends (`\A`, `\z`) or turns
    /// multi-line or CRLF mode off.
    pub fn file(&self) -> Option<&Regex> {
        match &self.file {
            FileRegex::Line => Some(&self.line),
            FileRegex::Own {
                pattern,
                limit,
                regex,
            } => regex
                .get_or_init(|| {
                    regex_for(pattern, true, *limit)
                        .ok()
                        .filter(|r| r.memory_usage() <= *limit)
                })
                .as_ref(),
            FileRegex::None => None,
        }
    }
}

/// Compiles the checks of one spec in order, charging each to the budget, reusing the patterns
/// of an earlier parse.
#[derive(Debug)]
pub struct Compiler<'a> {
    left: usize,
    earlier: HashMap<&'a str, Arc<Pattern>>,
}

impl<'a> Compiler<'a> {
    /// A compiler with the whole [`BUDGET`], reusing `earlier` patterns (by source text).
    pub fn new(earlier: impl IntoIterator<Item = (&'a str, Arc<Pattern>)>) -> Self {
        Self::with_budget(BUDGET, earlier)
    }

    /// A compiler with `budget` bytes.
    pub fn with_budget(
        budget: usize,
        earlier: impl IntoIterator<Item = (&'a str, Arc<Pattern>)>,
    ) -> Self {
        Self {
            left: budget,
            earlier: earlier.into_iter().collect(),
        }
    }

    /// Compiles `pattern`, or says in one sentence why it was not. Once a check does not fit
    /// in what is left of the budget, no later one is compiled either.
    pub fn compile(&mut self, pattern: &str) -> Result<Arc<Pattern>, String> {
        let compiled = match self.earlier.get(pattern) {
            Some(p) => p.clone(),
            None if self.left == 0 => return Err(over_budget(pattern)),
            None => match build(pattern, self.left.min(MAX_ONE)) {
                Ok(p) => Arc::new(p),
                Err(Failed::TooBig) if self.left < MAX_ONE => {
                    self.left = 0;
                    return Err(over_budget(pattern));
                }
                Err(Failed::TooBig) => return Err(too_big(pattern)),
                Err(Failed::Syntax(why)) => return Err(format!("bad regex `{pattern}`: {why}")),
            },
        };
        // A reused pattern is charged as if compiled here: the outcome never depends on reuse.
        if compiled.bytes > self.left {
            self.left = 0;
            return Err(over_budget(pattern));
        }
        self.left -= compiled.bytes;
        Ok(compiled)
    }
}

fn over_budget(pattern: &str) -> String {
    format!(
        "regex `{pattern}` not compiled: the spec's forbid/require checks before it take the {} MiB they may \
         (Unicode classes cost most: `(?-u:\\w)` is a fraction of `\\w`)",
        BUDGET >> 20
    )
}

fn too_big(pattern: &str) -> String {
    format!(
        "regex `{pattern}` compiles to more than {} MiB (Unicode classes cost most: `(?-u:\\w)` is a fraction \
         of `\\w`)",
        MAX_ONE >> 20
    )
}

/// Why a pattern did not compile.
enum Failed {
    /// Its automata would take more than the limit.
    TooBig,
    /// A syntax error, in one line.
    Syntax(String),
}

/// Compiles the line regex and charges three times as much again for a whole-file one of its
/// own, all within `limit` bytes.
fn build(pattern: &str, limit: usize) -> Result<Pattern, Failed> {
    let line = regex_for(pattern, false, limit)?;
    let mut bytes = line.memory_usage();
    let file = if pattern.contains(r"\A") || pattern.contains(r"\z") || clears_line_flags(pattern) {
        FileRegex::None
    } else if !pattern.contains(['^', '$']) {
        // No line anchor: a match inside a line is a match in the whole text, and `\b` sees the
        // same non-word characters (a line break, or the text's edge) on either side.
        FileRegex::Line
    } else if bytes <= limit / 4 {
        // The same pattern with line anchors: measured at 1 to 2.1 times the size. Should it
        // not fit in three, files are read line by line: slower, never wrong.
        let own = FileRegex::Own {
            pattern: pattern.to_owned(),
            limit: 3 * bytes,
            regex: OnceLock::new(),
        };
        bytes *= 4;
        own
    } else {
        FileRegex::None
    };
    if bytes > limit {
        return Err(Failed::TooBig);
    }
    Ok(Pattern { line, file, bytes })
}

/// One regex as `regex::Regex` compiles it; `whole_file`: `^` and `$` at every line.
fn regex_for(pattern: &str, whole_file: bool, limit: usize) -> Result<Regex, Failed> {
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .nfa_size_limit(Some(limit))
        .hybrid_cache_capacity(2 << 20);
    let syntax = syntax::Config::new()
        .utf8(true)
        .multi_line(whole_file)
        .crlf(whole_file);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax)
        .build(pattern)
        .map_err(|e| match (e.syntax_error(), e.size_limit()) {
            (Some(syntax), _) => Failed::Syntax(last_line(&syntax.to_string()).to_string()),
            (None, Some(_)) => Failed::TooBig,
            (None, None) => Failed::Syntax(e.to_string()),
        })
}

/// The last non-empty line of a multi-line error, without a leading `error: `.
fn last_line(message: &str) -> &str {
    let line = message
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// Whether the pattern may have a flag group clearing `m` or `R`, as in `(?-m)` or `(?i-mR:`.
/// Errs on the side of yes.
fn clears_line_flags(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(i, _)| {
        let flags = &pattern[i + 2..];
        let flags = &flags[..flags.find([':', ')']).unwrap_or(flags.len())];
        flags
            .split_once('-')
            .is_some_and(|(_, off)| off.contains(['m', 'R']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_groups_clearing_line_modes_are_spotted() {
        assert!(clears_line_flags("(?-m)^a"));
        assert!(clears_line_flags("(?i-mR:a)$"));
        assert!(clears_line_flags("x(?s-R)y"));
        assert!(!clears_line_flags("(?m)^a"));
        assert!(!clears_line_flags("(?i-s)a"));
        assert!(!clears_line_flags("(?:a-m)"));
        assert!(!clears_line_flags("[a-m]"));
    }

    #[test]
    fn the_whole_file_regex_is_the_line_one_unless_lines_are_anchored() {
        let mut c = Compiler::new([]);
        let plain = c.compile(r"\bprint\(").unwrap();
        let file = plain.file().unwrap();
        assert!(file.is_match("x = 1\nprint(2)\n") && !file.is_match("x = 1\n"));
        let anchored = c.compile(r"^\s*import\s+os$").unwrap();
        let file = anchored.file().unwrap();
        assert!(file.is_match("x = 1\r\n  import os\r\ny\r\n"));
        assert!(!anchored.line.is_match("x = 1\n  import os"));
        assert!(c.compile(r"\Aimport os\z").unwrap().file().is_none());
        assert!(c.compile(r"(?-m)^import os$").unwrap().file().is_none());
    }

    #[test]
    fn errors_are_one_line() {
        let mut c = Compiler::new([]);
        assert_eq!(
            c.compile("ab(").unwrap_err(),
            "bad regex `ab(`: unclosed group"
        );
        let err = c.compile(r"\w{2000}").unwrap_err();
        assert!(
            err.starts_with(r"regex `\w{2000}` compiles to more than 10 MiB"),
            "{err}"
        );
        // Too big for one regex is not the spec's budget spent: the next check compiles.
        assert!(c.compile("ok").is_ok());
    }

    #[test]
    fn the_budget_runs_out_in_order_and_says_so() {
        let mut c = Compiler::with_budget(400 << 10, []);
        let cost = c.compile(r"\bname_0\w+").unwrap().bytes;
        assert!(cost > 40 << 10, "Unicode classes are not cheap: {cost}");
        let outcomes: Vec<bool> = (1..12)
            .map(|i| c.compile(&format!(r"\bname_{i}\w+")).is_ok())
            .collect();
        let compiled = outcomes.iter().take_while(|ok| **ok).count();
        assert!(
            compiled < outcomes.len(),
            "the budget ran out: {outcomes:?}"
        );
        assert!(outcomes[compiled..].iter().all(|ok| !ok), "{outcomes:?}");
        let err = c.compile("cheap").unwrap_err();
        assert!(err.starts_with("regex `cheap` not compiled: the spec's forbid/require checks"));
    }

    #[test]
    fn a_pattern_compiled_before_is_reused() {
        let spec = crate::spec::parse("- [R1] x `forbid: \\bfoo\\w+`\n");
        let super::super::Matcher::Regex(first) = &spec.clauses[0].checks[0].matcher else {
            panic!("a regex check");
        };
        let again = Compiler::new(spec.compiled_patterns())
            .compile(r"\bfoo\w+")
            .unwrap();
        assert!(Arc::ptr_eq(first, &again));
    }
}
