//! Edits in a model reply, and applying a search/replace edit to a file's text.
//!
//! The system prompt asks for two formats: a whole file in a fenced block whose info string
//! names the path (```` ```python path=rate_limiter.py ````), and search/replace blocks (the
//! path on its own line, then `<<<<<<< SEARCH`, the current lines, `=======`, the new lines,
//! `>>>>>>> REPLACE`), inside or outside a fence. [`extract`] finds both, in reply order, and
//! names the blocks that look like edits but cannot be used; [`apply_search_replace`] applies
//! one search/replace to a file, exactly or tolerating whitespace-only differences, never by
//! guess.
//!
//! Long file: one reader over the reply's lines for both edit formats and their near misses;
//! the forms share a cursor and the problems they report, and read best side by side.

/// One edit the reply proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace (or create) the whole file.
    WholeFile {
        /// The path as the model wrote it (trimmed, surrounding backticks/quotes/`**` removed).
        path: String,
        /// The block's lines, each ending with `\n`.
        content: String,
        /// 1-based line of the reply where the block's opening fence is.
        line: usize,
    },
    /// Replace `search` with `replace` in the file.
    SearchReplace {
        /// The path as the model wrote it (trimmed, surrounding backticks/quotes/`**` removed).
        path: String,
        /// The lines between `<<<<<<< SEARCH` and `=======`, each ending with `\n`.
        search: String,
        /// The lines between `=======` and `>>>>>>> REPLACE`, each ending with `\n`.
        replace: String,
        /// 1-based line of the reply where the block's `<<<<<<< SEARCH` is.
        line: usize,
    },
}

impl Edit {
    /// The file the edit is for, as the model wrote it.
    pub fn path(&self) -> &str {
        match self {
            Self::WholeFile { path, .. } | Self::SearchReplace { path, .. } => path,
        }
    }

    /// 1-based line of the reply where the edit's block starts.
    pub fn line(&self) -> usize {
        match self {
            Self::WholeFile { line, .. } | Self::SearchReplace { line, .. } => *line,
        }
    }
}

/// A block that looks like an edit but cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockProblem {
    /// 1-based line of the reply where the block starts.
    pub line: usize,
    /// What is wrong, for the user (and the model).
    pub message: String,
}

/// What [`extract`] found in a reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The usable edits, in reply order.
    pub edits: Vec<Edit>,
    /// The blocks that could not be read, in reply order.
    pub problems: Vec<BlockProblem>,
}

/// The edits in a model reply, in order, and the blocks that could not be read.
pub fn extract(reply: &str) -> Extracted {
    let mut parser = Parser {
        lines: reply
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect(),
        out: Extracted::default(),
        last_replace: None,
    };
    parser.run();
    parser.out
}

/// Why a SEARCH part cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// Neither an exact nor a whitespace-tolerant match exists.
    #[error("the SEARCH text is not in the file")]
    NotFound,
    /// The SEARCH text matches several places (`count` of them).
    #[error("the SEARCH text matches {count} places; add lines to make it unique")]
    Ambiguous {
        /// How many places match.
        count: usize,
    },
    /// An empty SEARCH was given for a file that exists and is not empty.
    #[error("an empty SEARCH only creates a new file; this one exists")]
    EmptySearchOnExistingFile,
}

/// `original` with `search` replaced by `replace`: an exact, unique match first, then one that
/// tolerates whitespace-only differences (indentation, trailing spaces, CRLF vs LF), matched
/// line by line; never applied by guess. `original` None = the file does not exist: only an
/// empty SEARCH works then (it creates the file with `replace`).
///
/// An exact match must start at a line start and `search` must end with `\n`. A tolerant match
/// replaces exactly the matched lines: the replacement takes the file's line ending, is shifted
/// by the indentation the whole SEARCH was off by (if it was off uniformly), and gets no final
/// line ending when the matched lines ended the file without one. A SEARCH of only whitespace
/// counts as empty; an existing file that is empty (or only whitespace) may take one.
pub fn apply_search_replace(
    original: Option<&str>,
    search: &str,
    replace: &str,
) -> Result<String, MatchError> {
    let empty_search = search.trim().is_empty();
    let Some(original) = original else {
        return if empty_search {
            Ok(replace.to_owned())
        } else {
            Err(MatchError::NotFound)
        };
    };
    if empty_search {
        return if original.trim().is_empty() {
            Ok(replace.to_owned())
        } else {
            Err(MatchError::EmptySearchOnExistingFile)
        };
    }
    if search.ends_with('\n') {
        let starts = exact_matches(original, search);
        match starts[..] {
            [start] => {
                let mut out = String::with_capacity(original.len() + replace.len());
                out.push_str(&original[..start]);
                out.push_str(replace);
                if !replace.is_empty() && !replace.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&original[start + search.len()..]);
                return Ok(out);
            }
            [] => {}
            _ => {
                return Err(MatchError::Ambiguous {
                    count: starts.len(),
                });
            }
        }
    }
    tolerant_replace(original, search, replace)
}

/// Indentation a fence's closing line may have beyond its opening line's.
const CLOSE_INDENT_SLACK: usize = 3;

/// A line that opens or closes a fenced block.
struct FenceLine<'a> {
    /// `` ` `` or `~`.
    ch: u8,
    /// How many of `ch`.
    len: usize,
    /// Leading spaces.
    indent: usize,
    /// The rest of the line, trimmed.
    info: &'a str,
}

/// The fence on `line`, if it is a fence line (any indentation).
fn fence_line(line: &str) -> Option<FenceLine<'_>> {
    let rest = line.trim_start_matches(' ');
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    // Like CommonMark: a backtick fence's info string has no backticks (else it is inline code).
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some(FenceLine {
        ch,
        len,
        indent: line.len() - rest.len(),
        info,
    })
}

/// What follows a run of 7 or more `ch` on a trimmed line (trimmed), if the line starts so.
fn marker(line: &str, ch: u8) -> Option<&str> {
    let line = line.trim();
    let run = line.bytes().take_while(|&b| b == ch).count();
    (run >= 7).then(|| line[run..].trim_start())
}

/// `<<<<<<< SEARCH`
fn is_search(line: &str) -> bool {
    marker(line, b'<') == Some("SEARCH")
}

/// `=======`
fn is_divider(line: &str) -> bool {
    marker(line, b'=') == Some("")
}

/// `>>>>>>> REPLACE`
fn is_replace(line: &str) -> bool {
    marker(line, b'>') == Some("REPLACE")
}

/// `text` trimmed, without a trailing `:` and surrounding backticks, quotes or `**` (repeatedly),
/// and whether quotes were removed.
fn unwrap_path(text: &str) -> (&str, bool) {
    let mut text = text.trim();
    let mut quoted = false;
    loop {
        if let Some(inner) = text.strip_suffix(':') {
            text = inner.trim_end();
            continue;
        }
        let Some((inner, quote)) = ["**", "`", "\"", "'"].iter().find_map(|wrap| {
            let inner = text.strip_prefix(wrap)?.strip_suffix(wrap)?;
            Some((inner, *wrap == "\"" || *wrap == "'"))
        }) else {
            return (text, quoted);
        };
        text = inner.trim();
        quoted |= quote;
    }
}

/// The path `line` consists of, if it looks like one: no spaces (unless quoted), a `.` or `/`,
/// none of the characters code or prose would have.
fn path_in_line(line: &str) -> Option<String> {
    let (path, quoted) = unwrap_path(line);
    let plausible = (path.contains('.') || path.contains('/'))
        && !path.ends_with(['.', ')'])
        && !path.chars().any(|c| {
            (c.is_whitespace() && (!quoted || c != ' '))
                || matches!(
                    c,
                    '`' | '"' | '\'' | '*' | '<' | '>' | '|' | ';' | '=' | ',' | ':' | '{' | '}'
                )
        });
    plausible.then(|| path.to_owned())
}

/// The value of `path=` or `file=` in a fence's info string (quotes allowed), unwrapped.
fn path_in_info(info: &str) -> Option<String> {
    let value = ["path=", "file="].iter().find_map(|key| {
        info.match_indices(key)
            .find(|&(at, _)| at == 0 || info[..at].ends_with(char::is_whitespace))
            .map(|(at, _)| &info[at + key.len()..])
    })?;
    let value = match value.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inner = &value[1..];
            inner.find(quote).map_or(inner, |end| &inner[..end])
        }
        _ => value.split(char::is_whitespace).next().unwrap_or(value),
    };
    let (path, _) = unwrap_path(value);
    (!path.is_empty()).then(|| path.to_owned())
}

/// `line` without up to `indent` leading spaces.
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|&b| b == b' ').count();
    &line[spaces..]
}

/// What a fenced block's content is, as far as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not a file: code, or search/replace blocks.
    Code,
    /// The fence names a path; nothing but blank lines or a path line so far: a whole file,
    /// unless a `<<<<<<< SEARCH` comes next.
    Undecided,
    /// A whole file: markers in it are content.
    WholeFile,
}

/// An open fenced block.
struct Fence<'a> {
    /// Index of the opening line.
    open: usize,
    ch: u8,
    len: usize,
    indent: usize,
    /// The info string's `path=`.
    path: Option<String>,
    mode: Mode,
    /// Lengths of the fences opened inside a whole file and not closed yet, innermost last.
    nested: Vec<usize>,
    /// The content lines so far, without the fence's indentation (only for a whole file).
    body: Vec<&'a str>,
    /// The path of the last search/replace block in this fence.
    last_path: Option<String>,
}

impl<'a> Fence<'a> {
    fn new(open: usize, fence: &FenceLine<'_>) -> Self {
        let path = path_in_info(fence.info);
        Self {
            open,
            ch: fence.ch,
            len: fence.len,
            indent: fence.indent,
            mode: if path.is_some() {
                Mode::Undecided
            } else {
                Mode::Code
            },
            path,
            nested: Vec::new(),
            body: Vec::new(),
            last_path: None,
        }
    }

    /// Takes one line of the block; true if it closes the block.
    ///
    /// In a whole file, a fence line with an info string at least as long as the innermost open
    /// one opens a nested block that the next bare one closes, so a README written in a ```
    /// fence keeps its ```bash examples (CommonMark would end the file at the first bare ```).
    fn feed(&mut self, line: &'a str) -> bool {
        if let Some(fence) = fence_line(line)
            && fence.ch == self.ch
            && fence.indent <= self.indent + CLOSE_INDENT_SLACK
            && fence.len >= self.nested.last().copied().unwrap_or(self.len)
        {
            if fence.info.is_empty() {
                if self.nested.pop().is_none() {
                    return true;
                }
            } else if self.mode != Mode::Code {
                self.nested.push(fence.len);
            }
        }
        if self.mode == Mode::Undecided && !line.trim().is_empty() && path_in_line(line).is_none() {
            self.mode = Mode::WholeFile;
        }
        if self.mode != Mode::Code {
            self.body.push(strip_indent(line, self.indent));
        }
        false
    }
}

/// Reads a reply line by line.
struct Parser<'a> {
    /// The reply's lines, without line endings.
    lines: Vec<&'a str>,
    out: Extracted,
    /// Index of the `>>>>>>> REPLACE` that ended the last edit, and that edit's path.
    last_replace: Option<(usize, String)>,
}

impl<'a> Parser<'a> {
    fn run(&mut self) {
        let mut fence: Option<Fence<'a>> = None;
        let mut at = 0;
        while let Some(&line) = self.lines.get(at) {
            let Some(open) = fence.as_mut() else {
                if is_search(line) {
                    at = self.search_replace(at, None);
                    continue;
                }
                if is_replace(line) {
                    self.stray_replace(at);
                } else if let Some(opening) = fence_line(line) {
                    fence = Some(Fence::new(at, &opening));
                }
                at += 1;
                continue;
            };
            if open.mode != Mode::WholeFile && is_search(line) {
                open.mode = Mode::Code;
                at = self.search_replace(at, Some(open));
                continue;
            }
            if open.mode == Mode::Code && is_replace(line) {
                self.stray_replace(at);
            }
            if open.feed(line)
                && let Some(closed) = fence.take()
                && closed.mode != Mode::Code
                && let Some(path) = closed.path
            {
                let content = closed.body.iter().map(|line| format!("{line}\n")).collect();
                self.out.edits.push(Edit::WholeFile {
                    path,
                    content,
                    line: closed.open + 1,
                });
            }
            at += 1;
        }
        if let Some(open) = fence
            && open.mode != Mode::Code
        {
            self.problem(
                open.open,
                format!(
                    "the block starting at line {} is not closed: the reply may have been cut off",
                    open.open + 1
                ),
            );
        }
    }

    /// Reads the search/replace block whose `<<<<<<< SEARCH` is at index `at`, in `fence` if
    /// any; the index to go on from.
    fn search_replace(&mut self, at: usize, fence: Option<&mut Fence<'a>>) -> usize {
        let lines = &self.lines[..];
        let next = |from: usize, stop: fn(&str) -> bool| {
            (from..lines.len()).find(|&index| stop(lines[index]))
        };
        let Some(divider) = next(at + 1, |l| is_divider(l) || is_search(l) || is_replace(l))
            .filter(|&index| is_divider(lines[index]))
        else {
            let message = format!("the SEARCH block at line {} has no `=======` line", at + 1);
            // A block closed by REPLACE is skipped whole: its text is not reply structure.
            let resume = match next(at + 1, |l| is_search(l) || is_replace(l)) {
                Some(end) if is_replace(lines[end]) => end + 1,
                _ => at + 1,
            };
            self.problem(at, message);
            return resume;
        };
        let Some(end) = next(divider + 1, |l| is_search(l) || is_replace(l))
            .filter(|&index| is_replace(lines[index]))
        else {
            let message = format!(
                "the SEARCH block at line {} has no `>>>>>>> REPLACE` line",
                at + 1
            );
            self.problem(at, message);
            return at + 1;
        };
        let Some(path) = self.path_for(at, fence.as_deref()) else {
            let message = format!(
                "the SEARCH block at line {} names no file: put its path on the line before it",
                at + 1
            );
            self.problem(at, message);
            return end + 1;
        };
        let indent = fence.as_ref().map_or(0, |fence| fence.indent);
        let text = |lines: &[&str]| -> String {
            lines
                .iter()
                .map(|line| format!("{}\n", strip_indent(line, indent)))
                .collect()
        };
        self.out.edits.push(Edit::SearchReplace {
            path: path.clone(),
            search: text(&self.lines[at + 1..divider]),
            replace: text(&self.lines[divider + 1..end]),
            line: at + 1,
        });
        if let Some(fence) = fence {
            fence.last_path = Some(path.clone());
        }
        self.last_replace = Some((end, path));
        end + 1
    }

    /// The path for the SEARCH at index `at`: the nearest non-blank line before it that is not
    /// a fence line, if it is a path, the fence's `path=`, or the block it directly follows;
    /// else the fence's `path=` or its previous block's path.
    fn path_for(&self, at: usize, fence: Option<&Fence<'_>>) -> Option<String> {
        for index in (0..at).rev() {
            let line = self.lines[index];
            if let Some(fence) = fence
                && index == fence.open
                && let Some(path) = &fence.path
            {
                return Some(path.clone());
            }
            if line.trim().is_empty() || fence_line(line).is_some() {
                continue;
            }
            if is_replace(line) {
                if let Some((end, path)) = &self.last_replace
                    && *end == index
                {
                    return Some(path.clone());
                }
                break;
            }
            if let Some(path) = path_in_line(line) {
                return Some(path);
            }
            break;
        }
        fence.and_then(|fence| fence.path.clone().or_else(|| fence.last_path.clone()))
    }

    fn stray_replace(&mut self, at: usize) {
        let message = format!(
            "the `>>>>>>> REPLACE` at line {} has no `<<<<<<< SEARCH` before it",
            at + 1
        );
        self.problem(at, message);
    }

    /// Notes a problem with the block at index `at`.
    fn problem(&mut self, at: usize, message: String) {
        self.out.problems.push(BlockProblem {
            line: at + 1,
            message,
        });
    }
}

/// Byte offsets of the line starts where `search` occurs exactly (overlapping ones counted).
fn exact_matches(original: &str, search: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(original.match_indices('\n').map(|(at, _)| at + 1))
        .filter(|&start| original[start..].starts_with(search))
        .collect()
}

/// One line of a file, as byte offsets.
struct Span {
    start: usize,
    /// End of the content (before `\r\n` or `\n`).
    end: usize,
    /// Start of the next line.
    next: usize,
}

/// The lines of `text`, without an empty one after a final `\n`.
fn spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (end, next) = match text[start..].find('\n') {
            Some(newline) => {
                let newline = start + newline;
                let end = if text[..newline].ends_with('\r') {
                    newline - 1
                } else {
                    newline
                };
                (end, newline + 1)
            }
            None => (text.len(), text.len()),
        };
        spans.push(Span { start, end, next });
        start = next;
    }
    spans
}

/// A line with its whitespace runs collapsed to one space and its ends trimmed.
fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The leading whitespace of `line`.
fn indentation(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// How the replacement's indentation is shifted to fit the file.
enum Shift<'a> {
    /// Prefix each non-blank line.
    Add(&'a str),
    /// Remove this prefix from each line that has it.
    Remove(&'a str),
}

/// The shift that makes each non-blank SEARCH line's indentation the matched file line's, if
/// one prefix does it for all (and it is not empty).
fn indent_shift<'a>(file: &[&'a str], search: &[&'a str]) -> Option<Shift<'a>> {
    let pairs = || {
        file.iter()
            .zip(search)
            .filter(|(_, search)| !search.trim().is_empty())
            .map(|(file, search)| (indentation(file), indentation(search)))
    };
    let common = |prefix: fn(&'a str, &'a str) -> Option<&'a str>| {
        let mut found: Option<&'a str> = None;
        for (file, search) in pairs() {
            let this = prefix(file, search)?;
            if found.is_some_and(|found| found != this) {
                return None;
            }
            found = Some(this);
        }
        found.filter(|found| !found.is_empty())
    };
    let add = common(|file, search| file.strip_suffix(search));
    let remove = common(|file, search| search.strip_suffix(file));
    add.map(Shift::Add).or(remove.map(Shift::Remove))
}

/// The whitespace-tolerant, line-by-line stage of [`apply_search_replace`].
fn tolerant_replace(original: &str, search: &str, replace: &str) -> Result<String, MatchError> {
    let lines = spans(original);
    let file: Vec<&str> = lines.iter().map(|l| &original[l.start..l.end]).collect();
    let normalized: Vec<String> = file.iter().map(|line| normalize(line)).collect();
    let wanted: Vec<&str> = search
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let wanted_normalized: Vec<String> = wanted.iter().map(|line| normalize(line)).collect();
    let found: Vec<usize> = (0..(file.len() + 1).saturating_sub(wanted.len()))
        .filter(|&first| normalized[first..first + wanted.len()] == wanted_normalized[..])
        .collect();
    let first = match found[..] {
        [first] => first,
        [] => return Err(MatchError::NotFound),
        _ => {
            return Err(MatchError::Ambiguous { count: found.len() });
        }
    };
    // `wanted` is not empty: the SEARCH has a non-blank line.
    let matched = &lines[first..first + wanted.len()];
    let (head, tail) = (&matched[0], &matched[wanted.len() - 1]);
    let eol = matched
        .iter()
        .chain(&lines)
        .map(|line| &original[line.end..line.next])
        .find(|eol| !eol.is_empty())
        .unwrap_or("\n");
    let shift = indent_shift(&file[first..first + wanted.len()], &wanted);
    let mut out = String::with_capacity(original.len() + replace.len());
    out.push_str(&original[..head.start]);
    for line in replace.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match &shift {
            Some(Shift::Add(prefix)) if !line.trim().is_empty() => out.push_str(prefix),
            Some(Shift::Remove(prefix)) => {
                out.push_str(line.strip_prefix(prefix).unwrap_or(line));
                out.push_str(eol);
                continue;
            }
            _ => {}
        }
        out.push_str(line);
        out.push_str(eol);
    }
    // The matched lines ended the file without a line ending: so does the result.
    if tail.end == tail.next && out.ends_with(eol) {
        out.truncate(out.len() - eol.len());
    }
    out.push_str(&original[tail.next..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(path: &str, content: &str, line: usize) -> Edit {
        Edit::WholeFile {
            path: path.into(),
            content: content.into(),
            line,
        }
    }

    fn sr(path: &str, search: &str, replace: &str, line: usize) -> Edit {
        Edit::SearchReplace {
            path: path.into(),
            search: search.into(),
            replace: replace.into(),
            line,
        }
    }

    #[test]
    fn whole_file_block() {
        let reply = "\
Here is the token bucket (R1, R2):

```python path=rate_limiter.py
import time


class Bucket:
    def take(self, n: int) -> bool:
        return n <= 3
```

Run `pytest` to check it.
";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [whole(
                "rate_limiter.py",
                "import time\n\n\nclass Bucket:\n    def take(self, n: int) -> bool:\n        return n <= 3\n",
                3
            )]
        );
        assert!(got.problems.is_empty());
        assert_eq!(got.edits[0].path(), "rate_limiter.py");
        assert_eq!(got.edits[0].line(), 3);
    }

    #[test]
    fn path_spellings_in_the_info_string() {
        let reply = "```python path=\"my dir/a.py\"\nx = 1\n```\n~~~toml file=Cargo.toml\n[package]\n~~~\n~~~rs path=`src/lib.rs`\n~~~\n";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [
                whole("my dir/a.py", "x = 1\n", 1),
                whole("Cargo.toml", "[package]\n", 4),
                whole("src/lib.rs", "", 7),
            ]
        );
    }

    #[test]
    fn search_replace_with_the_path_before_the_fence() {
        let reply = "\
The limit must be checked first (R2).

rate_limiter.py
```python
<<<<<<< SEARCH
    def take(self, n: int) -> bool:
        return n <= 3
=======
    def take(self, n: int) -> bool:
        if n < 0:
            raise ValueError(n)
        return n <= self.capacity
>>>>>>> REPLACE
```
";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [sr(
                "rate_limiter.py",
                "    def take(self, n: int) -> bool:\n        return n <= 3\n",
                "    def take(self, n: int) -> bool:\n        if n < 0:\n            raise ValueError(n)\n        return n <= self.capacity\n",
                5
            )]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn search_replace_with_the_path_inside_the_fence_or_bare() {
        let reply = "\
```rust
**src/lib.rs**
<<<<<<< SEARCH
pub mod a;
=======
pub mod a;
pub mod b;
>>>>>>> REPLACE
```

`src/b.rs`:
<<<<<<<< SEARCH
=======
pub fn b() {}
>>>>>>>> REPLACE
";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [
                sr("src/lib.rs", "pub mod a;\n", "pub mod a;\npub mod b;\n", 3),
                sr("src/b.rs", "", "pub fn b() {}\n", 12),
            ]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn the_fence_path_serves_search_replace_inside_it() {
        let reply =
            "```python path=a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n";
        let got = extract(reply);
        assert_eq!(got.edits, [sr("a.py", "x = 1\n", "x = 2\n", 2)]);
        assert!(got.problems.is_empty());
    }

    #[test]
    fn several_files_whole_and_search_replace_mixed() {
        let reply = "\
First the test (R1):

```python path=tests/test_bucket.py
from rate_limiter import Bucket


def test_take():
    assert Bucket().take(1)
```

Then the code; two changes in one file:

rate_limiter.py
```python
<<<<<<< SEARCH
import time
=======
import threading
import time
>>>>>>> REPLACE

<<<<<<< SEARCH
        return n <= 3
=======
        return n <= self.capacity
>>>>>>> REPLACE
```

```python
<<<<<<< SEARCH
CAPACITY = 3
=======
CAPACITY = 5
>>>>>>> REPLACE
```

README.md
<<<<<<< SEARCH
# Bucket
=======
# Token bucket
>>>>>>> REPLACE
";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [
                whole(
                    "tests/test_bucket.py",
                    "from rate_limiter import Bucket\n\n\ndef test_take():\n    assert Bucket().take(1)\n",
                    3
                ),
                sr(
                    "rate_limiter.py",
                    "import time\n",
                    "import threading\nimport time\n",
                    15
                ),
                sr(
                    "rate_limiter.py",
                    "        return n <= 3\n",
                    "        return n <= self.capacity\n",
                    22
                ),
                sr("rate_limiter.py", "CAPACITY = 3\n", "CAPACITY = 5\n", 30),
                sr("README.md", "# Bucket\n", "# Token bucket\n", 38),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn a_block_without_a_path_is_just_code() {
        let reply = "Try it:\n\n```python\nfrom rate_limiter import Bucket\nBucket().take(2)\n```\n\n```\n$ pytest\n```\n";
        assert_eq!(extract(reply), Extracted::default());
    }

    #[test]
    fn a_search_replace_without_a_path_is_a_problem() {
        let reply = "Change the limit like this:\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n";
        let got = extract(reply);
        assert!(got.edits.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 3);
        assert!(got.problems[0].message.contains("names no file"));
    }

    #[test]
    fn malformed_search_replace_blocks_are_problems_and_the_rest_is_read() {
        let reply = "\
a.py
```python
<<<<<<< SEARCH
x = 1
>>>>>>> REPLACE
```

b.py
```python
<<<<<<< SEARCH
y = 1
=======
y = 2
```

c.py
```python
<<<<<<< SEARCH
z = 1
=======
z = 2
>>>>>>> REPLACE
```
";
        let got = extract(reply);
        assert_eq!(got.edits, [sr("c.py", "z = 1\n", "z = 2\n", 18)]);
        assert_eq!(
            got.problems,
            [
                BlockProblem {
                    line: 3,
                    message: "the SEARCH block at line 3 has no `=======` line".into()
                },
                BlockProblem {
                    line: 10,
                    message: "the SEARCH block at line 10 has no `>>>>>>> REPLACE` line".into()
                },
            ]
        );
    }

    #[test]
    fn a_reply_cut_off_in_a_search_block_is_a_problem() {
        let got = extract("a.py\n<<<<<<< SEARCH\nx = 1\n");
        assert!(got.edits.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert!(got.problems[0].message.contains("no `=======`"));
    }

    #[test]
    fn a_stray_replace_marker_is_a_problem() {
        let got = extract("a.py\nx = 2\n>>>>>>> REPLACE\n");
        assert!(got.edits.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 3);
    }

    #[test]
    fn an_unclosed_whole_file_is_a_problem_never_an_edit() {
        let reply = "Here it is:\n\n```python path=rate_limiter.py\nimport time\n\nclass Bucket:\n    def take(self";
        let got = extract(reply);
        assert!(got.edits.is_empty());
        assert_eq!(
            got.problems,
            [BlockProblem {
                line: 3,
                message:
                    "the block starting at line 3 is not closed: the reply may have been cut off"
                        .into()
            }]
        );
        // An unclosed block without a path is just code.
        assert_eq!(extract("```python\nx = 1\n"), Extracted::default());
    }

    #[test]
    fn nested_fences_in_a_markdown_file() {
        let reply = "\
````markdown path=README.md
# Bucket

Install:

```bash
pip install bucket
```
````
";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [whole(
                "README.md",
                "# Bucket\n\nInstall:\n\n```bash\npip install bucket\n```\n",
                1
            )]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn same_length_fences_with_an_info_string_nest_in_a_whole_file() {
        let reply =
            "```markdown path=README.md\n# Bucket\n```bash\nmake\n```\nDone.\n```\n\nThat's all.\n";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [whole(
                "README.md",
                "# Bucket\n```bash\nmake\n```\nDone.\n",
                1
            )]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn a_whole_file_left_open_before_the_next_is_a_problem() {
        let reply = "```python path=a.py\nx = 1\n\n```python path=b.py\ny = 1\n```\n";
        let got = extract(reply);
        assert!(got.edits.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].line, 1);
    }

    #[test]
    fn a_whole_file_may_contain_markers() {
        let reply = "```python path=t.py\nTEXT = '''\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n'''\n```\n";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [whole(
                "t.py",
                "TEXT = '''\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n'''\n",
                1
            )]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn search_replace_text_may_contain_fences() {
        let reply = "README.md\n<<<<<<< SEARCH\n```sh\nmake\n```\n=======\n```sh\nmake test\n```\n>>>>>>> REPLACE\n";
        let got = extract(reply);
        assert_eq!(
            got.edits,
            [sr(
                "README.md",
                "```sh\nmake\n```\n",
                "```sh\nmake test\n```\n",
                2
            )]
        );
        assert!(got.problems.is_empty());
    }

    #[test]
    fn an_indented_fence_loses_its_indentation() {
        let reply =
            "1. The module:\n   ```python path=a.py\n   def f():\n       return 1\n   ```\n";
        assert_eq!(
            extract(reply).edits,
            [whole("a.py", "def f():\n    return 1\n", 2)]
        );
    }

    #[test]
    fn crlf_replies_read_like_lf() {
        let lf = "```python path=a.py\nx = 1\n```\n\nb.py\n```python\n<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n```\n";
        let crlf = lf.replace('\n', "\r\n");
        let got = extract(&crlf);
        assert_eq!(got, extract(lf));
        assert_eq!(
            got.edits,
            [
                whole("a.py", "x = 1\n", 1),
                sr("b.py", "y = 1\n", "y = 2\n", 7)
            ]
        );
    }

    #[test]
    fn path_lines() {
        for (line, path) in [
            ("rate_limiter.py", Some("rate_limiter.py")),
            ("src/lib.rs", Some("src/lib.rs")),
            ("`src/lib.rs`", Some("src/lib.rs")),
            ("**src/lib.rs**", Some("src/lib.rs")),
            ("**`src/lib.rs`**:", Some("src/lib.rs")),
            ("\"docs/my notes.md\"", Some("docs/my notes.md")),
            ("Makefile", None),
            ("my notes.md", None),
            ("Done.", None),
            ("x = a.b", None),
            ("print(a.b)", None),
        ] {
            assert_eq!(path_in_line(line).as_deref(), path, "{line}");
        }
    }

    const BUCKET: &str =
        "import time\n\nclass Bucket:\n    def take(self, n):\n        return n <= 3\n";

    #[test]
    fn apply_exact_unique() {
        let got = apply_search_replace(
            Some(BUCKET),
            "        return n <= 3\n",
            "        return n <= self.capacity\n",
        );
        assert_eq!(
            got.as_deref(),
            Ok(
                "import time\n\nclass Bucket:\n    def take(self, n):\n        return n <= self.capacity\n"
            )
        );
    }

    #[test]
    fn apply_exact_matches_whole_lines_only() {
        let got = apply_search_replace(Some("ax = 1\nx = 1\n"), "x = 1\n", "x = 2\n");
        assert_eq!(got.as_deref(), Ok("ax = 1\nx = 2\n"));
    }

    #[test]
    fn apply_not_found() {
        assert_eq!(
            apply_search_replace(Some(BUCKET), "return n < 3\n", "x\n"),
            Err(MatchError::NotFound)
        );
        assert_eq!(
            apply_search_replace(None, "x = 1\n", "x = 2\n"),
            Err(MatchError::NotFound)
        );
    }

    #[test]
    fn apply_ambiguous_counts_the_places() {
        let original = "a = 1\nb = 2\na = 1\nc = 3\na = 1\n";
        assert_eq!(
            apply_search_replace(Some(original), "a = 1\n", "a = 9\n"),
            Err(MatchError::Ambiguous { count: 3 })
        );
        assert_eq!(
            MatchError::Ambiguous { count: 3 }.to_string(),
            "the SEARCH text matches 3 places; add lines to make it unique"
        );
    }

    #[test]
    fn apply_tolerates_changed_indentation_and_shifts_the_replacement() {
        let got = apply_search_replace(
            Some(BUCKET),
            "def take(self, n):\n    return n <= 3\n",
            "def take(self, n):\n    if n < 0:\n        raise ValueError(n)\n\n    return n <= 3\n",
        );
        assert_eq!(
            got.as_deref(),
            Ok(
                "import time\n\nclass Bucket:\n    def take(self, n):\n        if n < 0:\n            raise ValueError(n)\n\n        return n <= 3\n"
            )
        );
        // Over-indented SEARCH: the replacement loses the extra prefix.
        let got = apply_search_replace(
            Some("def f():\n    return 1\nx = 1\n"),
            "    def f():\n        return 1\n",
            "    def f():\n        return 2\n",
        );
        assert_eq!(got.as_deref(), Ok("def f():\n    return 2\nx = 1\n"));
    }

    #[test]
    fn apply_tolerates_trailing_spaces_and_keeps_the_rest() {
        let original = "a = 1   \nb = 2 \t\nc = 3  \n";
        let got = apply_search_replace(Some(original), "b = 2\n", "b = 20\n");
        assert_eq!(got.as_deref(), Ok("a = 1   \nb = 20\nc = 3  \n"));
    }

    #[test]
    fn apply_tolerates_a_crlf_file_and_keeps_its_line_endings() {
        let original = "a = 1\r\nb = 2\r\nc = 3\r\n";
        let got = apply_search_replace(Some(original), "b = 2\n", "b = 20\nb2 = 21\n");
        assert_eq!(
            got.as_deref(),
            Ok("a = 1\r\nb = 20\r\nb2 = 21\r\nc = 3\r\n")
        );
    }

    #[test]
    fn apply_tolerant_match_that_is_ambiguous() {
        let original = "if a:\n    x = 1\nif b:\n        x = 1\n";
        assert_eq!(
            apply_search_replace(Some(original), "x = 1\n", "x = 2\n"),
            Err(MatchError::Ambiguous { count: 2 })
        );
    }

    #[test]
    fn apply_empty_search_creates_a_new_file() {
        assert_eq!(
            apply_search_replace(None, "", "x = 1\n").as_deref(),
            Ok("x = 1\n")
        );
        assert_eq!(
            apply_search_replace(Some(""), "\n", "x = 1\n").as_deref(),
            Ok("x = 1\n")
        );
    }

    #[test]
    fn apply_empty_search_on_an_existing_file_errors() {
        assert_eq!(
            apply_search_replace(Some(BUCKET), "", "x = 1\n"),
            Err(MatchError::EmptySearchOnExistingFile)
        );
    }

    #[test]
    fn apply_at_the_end_of_a_file_without_a_final_newline() {
        let original = "a = 1\nb = 2";
        assert_eq!(
            apply_search_replace(Some(original), "b = 2\n", "b = 3\nc = 4\n").as_deref(),
            Ok("a = 1\nb = 3\nc = 4")
        );
        assert_eq!(
            apply_search_replace(Some(original), "a = 1\nb = 2\n", "z\n").as_deref(),
            Ok("z")
        );
    }

    #[test]
    fn apply_an_extracted_edit() {
        let reply = "rate_limiter.py\n```python\n<<<<<<< SEARCH\n        return n <= 3\n=======\n        return n <= 5\n>>>>>>> REPLACE\n```\n";
        let Some(Edit::SearchReplace {
            search, replace, ..
        }) = extract(reply).edits.pop()
        else {
            panic!("no edit");
        };
        assert_eq!(
            apply_search_replace(Some(BUCKET), &search, &replace).as_deref(),
            Ok("import time\n\nclass Bucket:\n    def take(self, n):\n        return n <= 5\n")
        );
    }
}
