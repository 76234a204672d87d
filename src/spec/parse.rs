//! Parsing the Markdown spec into clauses and checks (DESIGN.md section 4).
//!
//! A hand-written, line-based reader of the Markdown a spec uses: ATX headings (the title), list
//! items (the clauses, nested ones included), fenced code blocks and HTML comment blocks (skipped)
//! and inline code spans (the checks). Positions are 1-based and count characters; indentation
//! widths, which only decide the structure, expand tabs to stops of 4 as CommonMark does.
//!
//! Long file: one pass over the spec's lines whose state (fences, comments, list nesting,
//! ids, checks) every rule needs; split, each part would carry all of it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use super::pattern::Compiler;
use super::{Check, CheckKind, Clause, Matcher, Problem, Spec};
use globset::GlobBuilder;

/// Parses a spec. Never fails: every problem is attached to its clause with a position.
pub fn parse(text: &str) -> Spec {
    parse_reusing(text, None)
}

/// [`parse`], reusing the compiled checks of `earlier` (a parse of the same or an older text)
/// for the patterns it shares with it.
pub fn parse_reusing(text: &str, earlier: Option<&Spec>) -> Spec {
    let mut compiler = Compiler::new(earlier.into_iter().flat_map(Spec::compiled_patterns));
    let mut reader = Reader::default();
    for (index, line) in text.split('\n').enumerate() {
        reader.line(index + 1, line.strip_suffix('\r').unwrap_or(line));
    }
    let (mut clauses, id_positions): (Vec<_>, Vec<_>) = reader
        .drafts
        .iter()
        .enumerate()
        .map(|(index, draft)| build_clause(draft, index + 1, &mut compiler))
        .unzip();
    flag_duplicate_ids(&mut clauses, &id_positions);
    Spec {
        title: reader.title,
        clauses,
    }
}

/// A 1-based (line, column) position.
type Pos = (usize, usize);

/// The lines of one list item, collected before its content is read.
struct Draft<'a> {
    /// 1-based line of the list marker.
    line: usize,
    /// 1-based column of the list marker.
    marker_col: usize,
    /// The item's own non-empty line pieces, children excluded.
    segments: Vec<Segment<'a>>,
}

/// A piece of one source line that belongs to an item, trimmed of surrounding spaces and tabs.
struct Segment<'a> {
    line: usize,
    /// The whole source line, for column computations.
    source: &'a str,
    /// The byte range of the piece in `source`.
    range: Range<usize>,
}

impl<'a> Segment<'a> {
    /// The piece of `source` from byte `start`, trailing spaces and tabs dropped; `None` if empty.
    fn new(line: usize, source: &'a str, start: usize) -> Option<Self> {
        let end = source.trim_end_matches([' ', '\t']).len();
        (start < end).then_some(Segment {
            line,
            source,
            range: start..end,
        })
    }
}

/// An item still open for more content.
struct OpenItem {
    /// Index in `Reader::drafts`.
    draft: usize,
    /// Indentation width at which the item's text starts; deeper lines belong to it.
    content_col: usize,
}

/// What the previous line was part of, which decides where a plain text line goes.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Para {
    /// Nothing open: start of text, blank line or a block (heading, fence...) just ended.
    #[default]
    None,
    /// The paragraph of the innermost open item: a text line continues it lazily.
    Item,
    /// A paragraph outside any item.
    Free,
}

/// A multi-line block whose lines are skipped.
#[derive(Default, Clone, Copy)]
enum Skip {
    #[default]
    None,
    /// A fenced code block: the fence character and the opening fence's length.
    Fence(u8, usize),
    /// An HTML comment block, until the line containing `-->`.
    Comment,
}

/// The line-by-line state machine that finds the title and the items.
#[derive(Default)]
struct Reader<'a> {
    title: Option<String>,
    drafts: Vec<Draft<'a>>,
    /// The open items, innermost last.
    open: Vec<OpenItem>,
    para: Para,
    skip: Skip,
}

impl<'a> Reader<'a> {
    /// Reads one line (without its line ending).
    fn line(&mut self, no: usize, line: &'a str) {
        match self.skip {
            Skip::Fence(ch, len) => {
                if closes_fence(line, ch, len) {
                    self.skip = Skip::None;
                }
                return;
            }
            Skip::Comment => {
                if line.contains("-->") {
                    self.skip = Skip::None;
                }
                return;
            }
            Skip::None => {}
        }
        let (indent, body_start) = whitespace_width(line, 0);
        let body = &line[body_start..];
        if body.is_empty() {
            self.para = Para::None;
        } else if let Some((ch, len)) = fence_open(body) {
            self.interrupt(indent);
            self.skip = Skip::Fence(ch, len);
        } else if body.starts_with("<!--") {
            self.interrupt(indent);
            if !body.contains("-->") {
                self.skip = Skip::Comment;
            }
        } else if let Some((level, content)) = atx_heading(body) {
            self.interrupt(indent);
            if level == 1 && self.title.is_none() && !content.is_empty() {
                self.title = Some(content.to_owned());
            }
        } else if is_thematic_break(body) {
            self.interrupt(indent);
        } else if let Some((content_col, content_start)) = list_marker(line, indent, body_start) {
            self.close_deeper(indent);
            self.open.push(OpenItem {
                draft: self.drafts.len(),
                content_col,
            });
            self.drafts.push(Draft {
                line: no,
                marker_col: line[..body_start].chars().count() + 1,
                segments: Segment::new(no, line, content_start).into_iter().collect(),
            });
            self.para = Para::Item;
        } else {
            self.text_line(no, line, indent, body_start);
        }
    }

    /// A line of text that is no block of its own: it continues an item or free text.
    fn text_line(&mut self, no: usize, line: &'a str, indent: usize, body_start: usize) {
        if self.para == Para::None {
            self.close_deeper(indent);
            self.para = if self.open.is_empty() {
                Para::Free
            } else {
                Para::Item
            };
        }
        if self.para == Para::Item
            && let Some(top) = self.open.last()
            && let Some(draft) = self.drafts.get_mut(top.draft)
        {
            draft.segments.extend(Segment::new(no, line, body_start));
        }
    }

    /// A block (heading, fence, comment, break) at `indent` ends the paragraph and the items
    /// it is not indented into.
    fn interrupt(&mut self, indent: usize) {
        self.close_deeper(indent);
        self.para = Para::None;
    }

    /// Closes the open items whose content starts right of `indent`.
    fn close_deeper(&mut self, indent: usize) {
        while self.open.last().is_some_and(|top| top.content_col > indent) {
            self.open.pop();
        }
    }
}

/// The width (tabs to stops of 4, from column `start_col`) and byte length of the spaces and
/// tabs that start `s`.
fn whitespace_width(s: &str, start_col: usize) -> (usize, usize) {
    let mut col = start_col;
    let mut bytes = 0;
    for b in s.bytes() {
        match b {
            b' ' => col += 1,
            b'\t' => col += 4 - col % 4,
            _ => break,
        }
        bytes += 1;
    }
    (col - start_col, bytes)
}

/// The fence character and length when `body` (a line without its indentation) opens a
/// fenced code block.
fn fence_open(body: &str) -> Option<(u8, usize)> {
    let ch = *body
        .as_bytes()
        .first()
        .filter(|b| matches!(b, b'`' | b'~'))?;
    let len = body.bytes().take_while(|&b| b == ch).count();
    let info_ok = ch == b'~' || !body[len..].contains('`');
    (len >= 3 && info_ok).then_some((ch, len))
}

/// Whether `line` closes a fenced code block opened with `len` times `ch`.
fn closes_fence(line: &str, ch: u8, len: usize) -> bool {
    let body = line.trim_start_matches([' ', '\t']);
    let run = body.bytes().take_while(|&b| b == ch).count();
    run >= len && body[run..].trim_matches([' ', '\t']).is_empty()
}

/// The level and text of an ATX heading (`## Text ##`).
fn atx_heading(body: &str) -> Option<(usize, &str)> {
    let level = body.bytes().take_while(|&b| b == b'#').count();
    let rest = &body[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim_matches([' ', '\t']);
    let unclosed = rest.trim_end_matches('#');
    let content = if unclosed.is_empty() || unclosed.ends_with([' ', '\t']) {
        unclosed
    } else {
        rest
    };
    Some((level, content.trim_matches([' ', '\t'])))
}

/// Whether `body` is a thematic break: three or more `-`, `*` or `_`, spaces between allowed.
fn is_thematic_break(body: &str) -> bool {
    let Some(ch) = body.chars().next().filter(|c| matches!(c, '-' | '*' | '_')) else {
        return false;
    };
    body.chars().all(|c| c == ch || c == ' ' || c == '\t')
        && body.chars().filter(|&c| c == ch).count() >= 3
}

/// For a list item line, the indentation width of its content and the byte where it starts.
fn list_marker(line: &str, indent: usize, body_start: usize) -> Option<(usize, usize)> {
    let body = &line[body_start..];
    let bytes = body.as_bytes();
    let marker_len = match bytes.first()? {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let delimited = matches!(bytes.get(digits), Some(b'.' | b')'));
            if digits > 9 || !delimited {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    let after = &body[marker_len..];
    let ordered = marker_len > 1;
    if !(after.starts_with([' ', '\t']) || (after.is_empty() && !ordered)) {
        return None;
    }
    let marker_end = indent + marker_len;
    let (spaces, space_bytes) = whitespace_width(after, marker_end);
    let content_start = body_start + marker_len + space_bytes;
    let gap = if spaces > 4 || content_start == line.len() {
        1
    } else {
        spaces
    };
    Some((marker_end + gap, content_start))
}

/// An item's segments joined with single spaces, with the way back to source positions.
struct Joined<'d, 'a> {
    text: String,
    /// The byte in `text` where each segment of the draft starts.
    starts: Vec<usize>,
    draft: &'d Draft<'a>,
}

impl<'d, 'a> Joined<'d, 'a> {
    fn new(draft: &'d Draft<'a>) -> Self {
        let mut text = String::new();
        let mut starts = Vec::with_capacity(draft.segments.len());
        for segment in &draft.segments {
            if !text.is_empty() {
                text.push(' ');
            }
            starts.push(text.len());
            text.push_str(&segment.source[segment.range.clone()]);
        }
        Joined {
            text,
            starts,
            draft,
        }
    }

    /// The source position of byte `offset` of `text`.
    fn position(&self, offset: usize) -> Pos {
        let index = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let (Some(segment), Some(&start)) =
            (self.draft.segments.get(index), self.starts.get(index))
        else {
            return (self.draft.line, self.draft.marker_col);
        };
        let byte = segment.range.start + (offset - start).min(segment.range.len());
        let chars = segment.source.get(..byte).map_or(0, |s| s.chars().count());
        (segment.line, chars + 1)
    }
}

/// An inline code span: the whole span and its content, as byte ranges.
struct CodeSpan {
    outer: Range<usize>,
    content: Range<usize>,
}

/// Turns a draft into its clause (with `number`, its 1-based position, for an auto id), and
/// returns the position of its id for duplicate reports.
fn build_clause(draft: &Draft, number: usize, compiler: &mut Compiler) -> (Clause, Pos) {
    let joined = Joined::new(draft);
    let (id_range, rest) = leading_id(&joined.text);
    let spans = code_spans(&joined.text, rest);
    let mut checks = Vec::new();
    let mut problems = Vec::new();
    let mut removed = vec![false; spans.len()];
    for (span, removed) in spans.iter().zip(&mut removed) {
        if let Some(result) = read_check(&joined, span.content.clone(), compiler) {
            *removed = true;
            match result {
                Ok(check) => checks.push(check),
                Err(problem) => problems.push(problem),
            }
        }
    }
    let raw = render(&joined.text, rest, &spans, |_| true);
    let text = render(&joined.text, rest, &spans, |i| !removed[i]);
    let (id, explicit_id, id_pos) = match id_range {
        Some(range) => (
            joined.text[range.clone()].to_owned(),
            true,
            joined.position(range.start),
        ),
        None => (format!("C{number}"), false, (draft.line, draft.marker_col)),
    };
    let clause = Clause {
        id,
        explicit_id,
        raw,
        text,
        line: draft.line,
        checks,
        problems,
    };
    (clause, id_pos)
}

/// The byte range of the item's explicit id, if any, and the byte where the rest of its text
/// starts (after the task box, the id and the whitespace that follows).
fn leading_id(text: &str) -> (Option<Range<usize>>, usize) {
    let after_box = ["[ ]", "[x]", "[X]"]
        .iter()
        .find_map(|b| text.strip_prefix(b))
        .filter(|rest| rest.starts_with([' ', '\t']))
        .unwrap_or(text);
    let start = text.len() - after_box.trim_start().len();
    match id_at(text, start) {
        Some((range, rest)) => (Some(range), rest),
        None => (None, start),
    }
}

/// An `[ID]` or `**ID**` at byte `start` followed by whitespace or the end: the id's byte range
/// and the byte after the whitespace that follows.
fn id_at(text: &str, start: usize) -> Option<(Range<usize>, usize)> {
    let here = &text[start..];
    let (open, close) = if here.starts_with('[') {
        ("[", "]")
    } else if here.starts_with("**") {
        ("**", "**")
    } else {
        return None;
    };
    let name = &here[open.len()..];
    let len = name
        .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(name.len());
    let after = name[len..].strip_prefix(close)?;
    if len == 0 || !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let id_start = start + open.len();
    Some((
        id_start..id_start + len,
        text.len() - after.trim_start().len(),
    ))
}

/// The inline code spans of `text` from byte `from`, CommonMark style: a run of N backticks
/// closes at the next run of exactly N; an unclosed run and an escaped backtick are literal.
fn code_spans(text: &str, from: usize) -> Vec<CodeSpan> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 2,
            b'`' => {
                let run = backtick_run(bytes, i);
                let open_end = i + run;
                match closing_run(bytes, open_end, run) {
                    Some(close) => {
                        spans.push(CodeSpan {
                            outer: i..close + run,
                            content: open_end..close,
                        });
                        i = close + run;
                    }
                    None => i = open_end,
                }
            }
            _ => i += 1,
        }
    }
    spans
}

/// The length of the run of backticks at byte `at`.
fn backtick_run(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'`').count())
}

/// The start of the first run of exactly `len` backticks at or after byte `from`.
fn closing_run(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut at = from;
    while let Some(found) = bytes.get(at..).and_then(|rest| memchr::memchr(b'`', rest)) {
        let start = at + found;
        let run = backtick_run(bytes, start);
        if run == len {
            return Some(start);
        }
        at = start + run;
    }
    None
}

/// Reads the code span with content `content` as a check: `None` for ordinary code, else the
/// compiled check or the problem that stops it.
fn read_check(
    joined: &Joined,
    content: Range<usize>,
    compiler: &mut Compiler,
) -> Option<Result<Check, Problem>> {
    // CommonMark strips one space on each side of the content; trimming covers that.
    let raw = &joined.text[content.clone()];
    let start = content.start + (raw.len() - raw.trim_start().len());
    let body = raw.trim();
    let name_len = kind_name_len(body)?;
    let name = &body[..name_len];
    let after_colon = body[name_len..].strip_prefix(':')?;
    if !(after_colon.is_empty() || after_colon.starts_with(char::is_whitespace)) {
        return None;
    }
    let problem_at = |pos: Pos, message: String| Problem {
        line: pos.0,
        column: pos.1,
        message,
    };
    let kind_pos = joined.position(start);
    let Some(kind) = CheckKind::from_name(name) else {
        let likely = likely_kind(name)?;
        let message = format!(
            "unknown check kind `{name}` (did you mean `{}`?)",
            likely.as_str()
        );
        return Some(Err(problem_at(kind_pos, message)));
    };
    let arg = after_colon.trim();
    if arg.is_empty() {
        let message = format!(
            "empty `{}:` check: it needs a {}",
            kind.as_str(),
            argument_noun(kind)
        );
        return Some(Err(problem_at(kind_pos, message)));
    }
    let arg_offset = start + name_len + 1 + (after_colon.len() - after_colon.trim_start().len());
    let (line, column) = joined.position(arg_offset);
    Some(match compile(kind, arg, compiler) {
        Ok(matcher) => Ok(Check {
            kind,
            arg: arg.to_owned(),
            line,
            column,
            matcher,
        }),
        Err(message) => Err(problem_at((line, column), message)),
    })
}

/// The byte length of a leading check kind name, `[A-Za-z][A-Za-z0-9_-]*`.
fn kind_name_len(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    bytes.first().filter(|b| b.is_ascii_alphabetic())?;
    Some(
        bytes
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count(),
    )
}

/// What a check of `kind` takes as argument.
fn argument_noun(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Test | CheckKind::In => "glob",
        CheckKind::Forbid | CheckKind::Require => "regex",
    }
}

/// The known kind that `name` is likely a typo of, ignoring case: the kind in another case or
/// form (`Test`, `tests`, `requires`, `forbidden`), its letters shuffled (`tset`), or for the
/// long kinds within edit distance 2 (`requir`). Short ordinary words (`text:`, `on:`, `id:`)
/// are not typos: they stay code.
fn likely_kind(name: &str) -> Option<CheckKind> {
    let name = name.to_ascii_lowercase();
    let sorted = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.sort_unstable();
        chars
    };
    [
        CheckKind::Test,
        CheckKind::Forbid,
        CheckKind::Require,
        CheckKind::In,
    ]
    .into_iter()
    .find(|kind| {
        let known = kind.as_str();
        let form = ["", "s", "es", "d", "ed", "den"]
            .iter()
            .any(|suffix| name.strip_suffix(suffix) == Some(known));
        let long = known.len() >= 6 && edit_distance(&name, known) <= 2;
        form || long || (known.len() > 2 && sorted(&name) == sorted(known))
    })
}

/// The Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Compiles a check's argument, or says in one line why it does not compile.
fn compile(kind: CheckKind, arg: &str, compiler: &mut Compiler) -> Result<Matcher, String> {
    match kind {
        CheckKind::Test => GlobBuilder::new(&literal_brackets(arg))
            .case_insensitive(true)
            .literal_separator(false)
            .backslash_escape(false)
            .build()
            .map(Matcher::Glob)
            .map_err(|e| format!("bad glob `{arg}`: {}", e.kind())),
        CheckKind::In => GlobBuilder::new(arg)
            .literal_separator(false)
            .build()
            .map(Matcher::Glob)
            .map_err(|e| format!("bad glob `{arg}`: {}", e.kind())),
        CheckKind::Forbid | CheckKind::Require => compiler.compile(arg).map(Matcher::Regex),
    }
}

/// A `test:` glob for globset: only `*` and `?` are wildcards (DESIGN.md section 4), so the
/// brackets of pytest ids (`test_x[hmac]`) and braces match themselves.
fn literal_brackets(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 8);
    for c in glob.chars() {
        match c {
            '[' | ']' | '{' | '}' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` from byte `from` with whitespace runs collapsed to one space and trimmed; code spans
/// for which `keep(index)` holds are copied as written, the others dropped.
fn render(text: &str, from: usize, spans: &[CodeSpan], keep: impl Fn(usize) -> bool) -> String {
    let mut out = Collapsed::default();
    let mut at = from;
    for (index, span) in spans.iter().enumerate() {
        out.prose(&text[at..span.outer.start]);
        if keep(index) {
            out.verbatim(&text[span.outer.clone()]);
        } else {
            out.gap = true;
        }
        at = span.outer.end;
    }
    out.prose(&text[at..]);
    out.text
}

/// A string being built with whitespace collapsed and trimmed.
#[derive(Default)]
struct Collapsed {
    text: String,
    /// Whether whitespace is pending before the next non-space character.
    gap: bool,
}

impl Collapsed {
    /// Appends text whose whitespace runs collapse to one space.
    fn prose(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() {
                self.gap = true;
            } else {
                self.flush_gap();
                self.text.push(c);
            }
        }
    }

    /// Appends text as it is.
    fn verbatim(&mut self, s: &str) {
        self.flush_gap();
        self.text.push_str(s);
    }

    /// Writes the pending space, unless at the start.
    fn flush_gap(&mut self) {
        if self.gap && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.gap = false;
    }
}

/// Reports every occurrence of an id after the first (ids compared ignoring case).
fn flag_duplicate_ids(clauses: &mut [Clause], id_positions: &[Pos]) {
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (clause, &(line, column)) in clauses.iter_mut().zip(id_positions) {
        match first_line.entry(clause.id.to_lowercase()) {
            Entry::Occupied(first) => {
                let message = format!("duplicate id {} (first at line {})", clause.id, first.get());
                clause.problems.insert(
                    0,
                    Problem {
                        line,
                        column,
                        message,
                    },
                );
            }
            Entry::Vacant(slot) => {
                slot.insert(clause.line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::spec::{CheckKind, Clause, Matcher, Problem};

    /// The clauses of `text`.
    fn clauses(text: &str) -> Vec<Clause> {
        parse(text).clauses
    }

    /// The ids of the clauses of `text`.
    fn ids(text: &str) -> Vec<String> {
        clauses(text).into_iter().map(|c| c.id).collect()
    }

    /// The raw text of the clauses of `text`.
    fn raws(text: &str) -> Vec<String> {
        clauses(text).into_iter().map(|c| c.raw).collect()
    }

    /// The only clause of `text`.
    fn only(text: &str) -> Clause {
        let mut all = clauses(text);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    /// Each check as (kind, arg, line, column).
    fn checks(clause: &Clause) -> Vec<(CheckKind, &str, usize, usize)> {
        clause
            .checks
            .iter()
            .map(|c| (c.kind, c.arg.as_str(), c.line, c.column))
            .collect()
    }

    /// The only problem of the only clause of `text`, as (line, column, message).
    fn problem(text: &str) -> (usize, usize, String) {
        let clause = only(text);
        assert!(clause.checks.is_empty());
        match clause.problems.as_slice() {
            [
                Problem {
                    line,
                    column,
                    message,
                },
            ] => (*line, *column, message.clone()),
            other => panic!("expected one problem, got {other:?}"),
        }
    }

    /// Whether the only glob of `clause` matches `name`.
    fn glob_matches(clause: &Clause, name: &str) -> bool {
        match &clause.checks[0].matcher {
            Matcher::Glob(glob) => glob.compile_matcher().is_match(name),
            Matcher::Regex(_) => panic!("not a glob"),
        }
    }

    #[test]
    fn every_marker_is_a_clause() {
        let text = "- dash\n* star\n+ plus\n1. dot\n2) paren\n-\ttab";
        assert_eq!(raws(text), ["dash", "star", "plus", "dot", "paren", "tab"]);
        assert_eq!(ids(text), ["C1", "C2", "C3", "C4", "C5", "C6"]);
        let lines: Vec<_> = clauses(text).iter().map(|c| c.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6]);
        assert!(clauses(text).iter().all(|c| !c.explicit_id));
    }

    #[test]
    fn non_markers_are_not_clauses() {
        let text = "-dash\n*emph*\n**bold**\n1.5 ratio\n1234567890. long\n#tag\n# Heading\n2.";
        assert!(clauses(text).is_empty());
    }

    #[test]
    fn ids_are_read_after_the_marker() {
        let text =
            "- [R1] one\n- **R-2_x** two\n- three\n- [R4](http://x) link\n- [Ré1]\n- [R6]: no";
        let all = clauses(text);
        let got: Vec<_> = all
            .iter()
            .map(|c| (c.id.as_str(), c.explicit_id, c.raw.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("R1", true, "one"),
                ("R-2_x", true, "two"),
                ("C3", false, "three"),
                ("C4", false, "[R4](http://x) link"),
                ("Ré1", true, ""),
                ("C6", false, "[R6]: no"),
            ]
        );
    }

    #[test]
    fn auto_ids_count_every_clause() {
        assert_eq!(
            ids("- [R1] a\n- b\n- [R3] c\n- d"),
            ["R1", "C2", "R3", "C4"]
        );
    }

    #[test]
    fn task_boxes_are_skipped() {
        let text = "- [ ] [R1] todo\n- [x] done\n- [X] **R3** big\n- [x]no space";
        let all = clauses(text);
        let got: Vec<_> = all
            .iter()
            .map(|c| (c.id.as_str(), c.raw.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("R1", "todo"),
                ("C2", "done"),
                ("R3", "big"),
                ("C4", "[x]no space")
            ]
        );
    }

    #[test]
    fn id_may_be_followed_by_a_continuation_line() {
        let clause = only("- [R1]\n  text `test: *a*`");
        assert_eq!(
            (clause.id.as_str(), clause.raw.as_str()),
            ("R1", "text `test: *a*`")
        );
        assert_eq!(checks(&clause), [(CheckKind::Test, "*a*", 2, 15)]);
    }

    #[test]
    fn nested_items_are_separate_clauses() {
        let text = "\
- [R1] parent `test: *p*`
  continued
  - [R2] child `test: *c*`
    more child
    1. grandchild
  - child two

  parent again
- [R3] sibling
";
        let all = clauses(text);
        let got: Vec<_> = all
            .iter()
            .map(|c| (c.id.as_str(), c.raw.as_str(), c.line))
            .collect();
        assert_eq!(
            got,
            [
                ("R1", "parent `test: *p*` continued parent again", 1),
                ("R2", "child `test: *c*` more child", 3),
                ("C3", "grandchild", 5),
                ("C4", "child two", 6),
                ("R3", "sibling", 9),
            ]
        );
        assert_eq!(checks(&all[0]), [(CheckKind::Test, "*p*", 1, 22)]);
        assert_eq!(checks(&all[1]), [(CheckKind::Test, "*c*", 3, 23)]);
        assert_eq!(all[0].text, "parent continued parent again");
    }

    #[test]
    fn a_less_indented_marker_is_a_sibling() {
        let all = clauses("- a\n - b\n   - c");
        let raws: Vec<_> = all.iter().map(|c| c.raw.as_str()).collect();
        assert_eq!(raws, ["a", "b", "c"]);
    }

    #[test]
    fn tabs_count_to_stops_of_four_for_nesting_and_as_one_column() {
        let text = "-\tparent\n\t-\tchild `in: x`\n\n\t\tchild paragraph\n\n\tparent paragraph";
        let all = clauses(text);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].raw, "parent parent paragraph");
        assert_eq!(all[1].raw, "child `in: x` child paragraph");
        assert_eq!(checks(&all[1]), [(CheckKind::In, "x", 2, 15)]);
    }

    #[test]
    fn continuation_lines_and_paragraphs() {
        let text = "\
- [R1] first   line
lazy\tline

  second paragraph
- [R2] two

Not indented: free text.

  Indented free text.
";
        assert_eq!(raws(text), ["first line lazy line second paragraph", "two"]);
    }

    #[test]
    fn free_text_after_a_list_is_no_clause_content() {
        let text = "Intro line\n- [R1] item\n\ntext\n  indented text";
        assert_eq!(raws(text), ["item"]);
    }

    #[test]
    fn fenced_blocks_and_comments_are_skipped() {
        let text = "\
```md
- [X1] not a clause
```
~~~~
- [X2] no
```
~~~
- [X3] still no
~~~~~
<!-- - [X4] no -->
<!--
- [X5] no
-->
  <!-- indented -->
``` `info` with backticks is no fence
- [R1] yes
- [R2] ends at a fence
```
- [X6] no
````
- [R3] and at a comment
<!-- x -->
not a continuation
";
        assert_eq!(ids(text), ["R1", "R2", "R3"]);
        assert_eq!(raws(text), ["yes", "ends at a fence", "and at a comment"]);
    }

    #[test]
    fn an_indented_fence_stays_inside_its_item() {
        let text = "- [R1] intro\n\n  ```\n  - [X] code\n  ```\n  after";
        assert_eq!(raws(text), ["intro after"]);
    }

    #[test]
    fn unclosed_blocks_swallow_the_rest() {
        assert!(clauses("```\n- a\n- b").is_empty());
        assert!(clauses("<!--\n- a\n- b").is_empty());
    }

    #[test]
    fn thematic_breaks_are_not_items() {
        let text = "---\n***\n* * *\n- - -\n___\n - -  -\n- [R1] item\n---\ntext";
        assert_eq!(raws(text), ["item"]);
    }

    #[test]
    fn title_is_the_first_level_one_heading() {
        assert_eq!(
            parse("## Sub\n# Title #\n# Other").title.as_deref(),
            Some("Title")
        );
        assert_eq!(parse("#  C# ").title.as_deref(), Some("C#"));
        assert_eq!(parse("# Closed ###   ").title.as_deref(), Some("Closed"));
        assert_eq!(parse("#\n# Real").title.as_deref(), Some("Real"));
        assert_eq!(parse("```\n# Code\n```\n#Tag").title, None);
    }

    #[test]
    fn headings_end_items() {
        assert_eq!(raws("- [R1] a\n## Next\ntext\n- [R2] b"), ["a", "b"]);
    }

    #[test]
    fn every_check_kind_compiles() {
        let text = "- [R1] x `test: *over_limit*` `forbid: ^\\s*import\\b` \
                    `require: \\bdeque\\(` `in: src/*.rs`";
        let clause = only(text);
        assert!(clause.problems.is_empty());
        assert_eq!(
            checks(&clause),
            [
                (CheckKind::Test, "*over_limit*", 1, 17),
                (CheckKind::Forbid, "^\\s*import\\b", 1, 40),
                (CheckKind::Require, "\\bdeque\\(", 1, 64),
                (CheckKind::In, "src/*.rs", 1, 80),
            ]
        );
        assert_eq!(clause.text, "x");
        let regex = |i: usize| match &clause.checks[i].matcher {
            Matcher::Regex(re) => re.clone(),
            Matcher::Glob(_) => panic!("not a regex"),
        };
        assert!(regex(1).line.is_match("  import os"));
        assert!(regex(2).line.is_match("w = deque()"));
    }

    #[test]
    fn test_globs_ignore_case_and_cross_separators() {
        let clause = only("- `test: *over_limit*`");
        assert!(glob_matches(
            &clause,
            "tests/test_rate.py::TestX::test_OVER_LIMIT.case"
        ));
        assert!(!glob_matches(&clause, "test_under"));
        let clause = only("- `test: rate?limit`");
        assert!(glob_matches(&clause, "RATE.LIMIT"));
    }

    #[test]
    fn test_globs_take_brackets_braces_and_backslashes_literally() {
        // pytest ids always hold brackets: `*[hmac]` names the parameter, not a class.
        let clause = only("- `test: *test_key_derivation[hmac]`");
        assert!(glob_matches(
            &clause,
            "tests/test_kdf.py::test_key_derivation[hmac]"
        ));
        assert!(!glob_matches(
            &clause,
            "tests/test_kdf.py::test_key_derivationh"
        ));
        let clause = only("- `test: *[a-b]*`");
        assert!(glob_matches(&clause, "t.py::test_concat[a-b]"));
        assert!(!glob_matches(&clause, "t.py::test_a"));
        let clause = only("- `test: *{x,y}`");
        assert!(glob_matches(&clause, "t.py::t[{x,y}"));
        assert!(!glob_matches(&clause, "t.py::x"));
        let clause = only(r"- `test: *a\b?`");
        assert!(glob_matches(&clause, r"t.py::t[a\b]"));
        let clause = only("- `test: *]` `test: [*` `test: a[`");
        assert!(clause.problems.is_empty(), "{:?}", clause.problems);
    }

    #[test]
    fn in_globs_are_case_sensitive() {
        let clause = only("- `in: src/*.rs`");
        assert!(glob_matches(&clause, "src/a/b.rs"));
        assert!(!glob_matches(&clause, "SRC/a.rs"));
    }

    #[test]
    fn ordinary_code_spans_stay_in_the_text() {
        let clause =
            only("- [R1] Uses `key: value`, `Note: x`, `test:x`, `1: a` and `x` `test: *a*` end");
        assert_eq!(checks(&clause), [(CheckKind::Test, "*a*", 1, 70)]);
        assert!(clause.problems.is_empty());
        assert_eq!(
            clause.text,
            "Uses `key: value`, `Note: x`, `test:x`, `1: a` and `x` end"
        );
        assert_eq!(
            clause.raw,
            "Uses `key: value`, `Note: x`, `test:x`, `1: a` and `x` `test: *a*` end"
        );
    }

    #[test]
    fn code_spans_are_kept_as_written() {
        let clause = only("- a  `x   y`\tb");
        assert_eq!(
            (clause.raw.as_str(), clause.text.as_str()),
            ("a `x   y` b", "a `x   y` b")
        );
    }

    #[test]
    fn double_backtick_spans() {
        let clause = only("- uses ``a`b`` and `` test: *x* `` done");
        assert_eq!(checks(&clause), [(CheckKind::Test, "*x*", 1, 29)]);
        assert_eq!(clause.text, "uses ``a`b`` and done");
    }

    #[test]
    fn unclosed_and_escaped_backticks_are_literal() {
        let clause = only("- open ``` `test: *y*`");
        assert_eq!(checks(&clause), [(CheckKind::Test, "*y*", 1, 19)]);
        assert_eq!(clause.text, "open ```");
        let clause = only("- \\`test: *a*` y `unclosed test: x");
        assert!(clause.checks.is_empty() && clause.problems.is_empty());
        assert_eq!(clause.raw, "\\`test: *a*` y `unclosed test: x");
    }

    #[test]
    fn spans_on_continuation_lines_have_their_own_positions() {
        let clause = only("- [R1] text `forbid:\n   foo` more\n  and `require: bar`");
        assert_eq!(
            checks(&clause),
            [
                (CheckKind::Forbid, "foo", 2, 4),
                (CheckKind::Require, "bar", 3, 17)
            ]
        );
        assert_eq!(clause.text, "text more and");
    }

    #[test]
    fn typo_kinds_are_problems() {
        assert_eq!(
            problem("- [R1] x `tset: *a*`"),
            (
                1,
                11,
                "unknown check kind `tset` (did you mean `test`?)".into()
            )
        );
        for (kind, meant) in [
            ("requires", "require"),
            ("Forbid", "forbid"),
            ("forbids", "forbid"),
            ("tests", "test"),
            ("IN", "in"),
            ("forbidden", "forbid"),
            ("requir", "require"),
        ] {
            let (line, column, message) = problem(&format!("- `{kind}: x`"));
            assert_eq!((line, column), (1, 4));
            assert_eq!(
                message,
                format!("unknown check kind `{kind}` (did you mean `{meant}`?)")
            );
        }
        let clause = only("- a `tset: x` b");
        assert_eq!(
            (clause.raw.as_str(), clause.text.as_str()),
            ("a `tset: x` b", "a b")
        );
        assert!(clause.is_invalid());
    }

    #[test]
    fn far_kinds_are_ordinary_code() {
        for kind in [
            "key", "note", "at", "scope", "inside", "text", "on", "id", "if",
        ] {
            let clause = only(&format!("- `{kind}: x`"));
            assert!(
                clause.problems.is_empty() && clause.checks.is_empty(),
                "{kind}"
            );
        }
    }

    #[test]
    fn empty_arguments_are_problems() {
        assert_eq!(
            problem("- [R1] `test:`"),
            (1, 9, "empty `test:` check: it needs a glob".into())
        );
        assert_eq!(
            problem("- `forbid:   `"),
            (1, 4, "empty `forbid:` check: it needs a regex".into())
        );
        assert_eq!(
            problem("- `` require: ``"),
            (1, 6, "empty `require:` check: it needs a regex".into())
        );
        assert_eq!(
            problem("- `in:`"),
            (1, 4, "empty `in:` check: it needs a glob".into())
        );
    }

    #[test]
    fn the_checks_of_a_huge_spec_stay_within_the_memory_budget() {
        // ~390 KiB each compiled: 2,000 of them took 780 MB before the budget.
        let text: String = (0..2000)
            .map(|i| format!("- [R{i}] Uses thing {i}. `require: \\bthing_{i}\\w+`\n"))
            .collect();
        let spec = parse(&text);
        let compiled: usize = spec
            .clauses
            .iter()
            .flat_map(|c| &c.checks)
            .filter_map(|k| match &k.matcher {
                Matcher::Regex(p) => Some(p.bytes),
                Matcher::Glob(_) => None,
            })
            .sum();
        assert!(compiled <= super::super::pattern::BUDGET, "{compiled}");
        let first_refused = spec.clauses.iter().position(Clause::is_invalid).unwrap();
        assert!(
            first_refused > 50,
            "most of the budget is used: {first_refused}"
        );
        assert!(spec.clauses[first_refused..].iter().all(Clause::is_invalid));
        let problem = &spec.clauses[first_refused].problems[0];
        assert_eq!(problem.line, first_refused + 1);
        assert!(
            problem.message.contains(
                "not compiled: the spec's forbid/require checks before it take the 64 MiB"
            ),
            "{}",
            problem.message
        );
    }

    #[test]
    fn bad_regexes_are_problems() {
        assert_eq!(
            problem("- [R3] x `forbid: ab(`"),
            (1, 19, "bad regex `ab(`: unclosed group".into())
        );
        assert_eq!(
            problem("- `require:  a{2,1}`"),
            (
                1,
                14,
                "bad regex `a{2,1}`: invalid repetition count range, the start must be <= the end"
                    .into()
            )
        );
    }

    #[test]
    fn bad_globs_are_problems() {
        assert_eq!(
            problem("- [R1] `in: a[`"),
            (
                1,
                13,
                "bad glob `a[`: unclosed character class; missing ']'".into()
            )
        );
        assert_eq!(
            problem("- `in: {a`"),
            (1, 8, "bad glob `{a`: unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)".into())
        );
    }

    #[test]
    fn only_failing_checks_are_dropped() {
        let clause = only("- `test: ok*` `forbid: (` `in: x`");
        let kinds: Vec<_> = clause.checks.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [CheckKind::Test, CheckKind::In]);
        assert_eq!(clause.problems.len(), 1);
    }

    #[test]
    fn duplicate_ids_are_problems() {
        let all = clauses("- [R1] a\n- **r1** b\n- c\n  - [C3] d\n- [R1] e\n- [C7] f\n  - g");
        let problems: Vec<_> = all
            .iter()
            .flat_map(|c| {
                c.problems
                    .iter()
                    .map(|p| (p.line, p.column, p.message.as_str()))
            })
            .collect();
        assert_eq!(
            problems,
            [
                (2, 5, "duplicate id r1 (first at line 1)"),
                (4, 6, "duplicate id C3 (first at line 3)"),
                (5, 4, "duplicate id R1 (first at line 1)"),
                (7, 3, "duplicate id C7 (first at line 6)"),
            ]
        );
        assert!(!all[0].is_invalid() && all[1].is_invalid());
    }

    #[test]
    fn duplicate_problem_comes_before_check_problems() {
        let all = clauses("- [R1] a\n- [R1] `forbid: (`");
        let messages: Vec<_> = all[1].problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "duplicate id R1 (first at line 1)",
                "bad regex `(`: unclosed group"
            ]
        );
    }

    #[test]
    fn crlf_gives_the_same_positions_as_lf() {
        let lf = "# T\n\n- [R1] a `test: *a*`\n  b `forbid: (`\n- [r1] `in: é*`\n\n  more\n```\n- x\n```\n";
        let crlf = lf.replace('\n', "\r\n");
        let summary = |text: &str| {
            let spec = parse(text);
            let clauses: Vec<_> = spec
                .clauses
                .iter()
                .map(|c| {
                    let checks: Vec<_> = checks(c)
                        .into_iter()
                        .map(|(k, a, l, col)| (k, a.to_owned(), l, col))
                        .collect();
                    (
                        c.id.clone(),
                        c.raw.clone(),
                        c.text.clone(),
                        c.line,
                        checks,
                        c.problems.clone(),
                    )
                })
                .collect();
            (spec.title, clauses)
        };
        let expected = summary(lf);
        assert_eq!(expected.1.len(), 2);
        assert_eq!(expected.1[1].4, [(CheckKind::In, "é*".to_owned(), 5, 13)]);
        assert_eq!(summary(&crlf), expected);
    }

    #[test]
    fn columns_count_characters() {
        let clause = only("- [ü] héllo wörld `test: *ß*`");
        assert_eq!(checks(&clause), [(CheckKind::Test, "*ß*", 1, 26)]);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let odd = [
            "",
            "-",
            "- ",
            "*",
            "1.",
            "1. ",
            "```",
            "~~~",
            "<!--",
            "-->",
            "`",
            "``",
            "- `",
            "- [",
            "- [R1",
            "- **",
            "- ****",
            "- ** **",
            "- [ ]",
            "- [x]",
            "#",
            "# ",
            "######",
            "\r",
            "\r\n\r\n",
            "\t",
            "\t-\t",
            "- \\",
            "- \\`",
            "- ` `",
            "- `` ` ``",
            "- `test: `x``",
            "- é`ü",
            "\u{feff}- bom",
            "- [R1]\u{a0}nbsp",
            "-\u{3000}wide",
            "- `te\u{301}st: x`",
            "- `test: \u{0}`",
            "- a\n\n\n  \n   b",
            "    - deep\n- shallow\n        - deeper",
        ];
        for text in odd {
            let _ = parse(text);
        }
        let tricky = "# Tïtle #\n- [R1] `test: *a*` ``b`` \\`c\n  1) `forbid: (` <!-- x\n\t* [x] **R2** ~~~\n```\n- ü\n```\n";
        for (i, _) in tricky.char_indices() {
            let _ = parse(&tricky[..i]);
            let _ = parse(&tricky[i..]);
        }
    }

    #[test]
    fn demo_spec() {
        let spec = parse(include_str!("../../assets/demo/SPEC.md"));
        assert_eq!(spec.title.as_deref(), Some("Rate limiter"));
        let ids: Vec<_> = spec.clauses.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"]);
        assert!(
            spec.clauses
                .iter()
                .all(|c| c.explicit_id && c.problems.is_empty())
        );
        let all: Vec<_> = spec
            .clauses
            .iter()
            .flat_map(|c| {
                c.checks
                    .iter()
                    .map(move |k| (c.id.as_str(), k.kind, k.arg.as_str()))
            })
            .collect();
        assert_eq!(
            all,
            [
                ("R1", CheckKind::Test, "*over_limit*"),
                ("R2", CheckKind::Test, "*retry_after*"),
                (
                    "R3",
                    CheckKind::Forbid,
                    r"^\s*(import|from)\s+(requests|redis)\b"
                ),
                ("R4", CheckKind::Require, r"\bdeque\("),
                ("R4", CheckKind::Forbid, r"\.pop\(0\)"),
                ("R4", CheckKind::In, "rate_limiter.py"),
                ("R5", CheckKind::Test, "*concurrent*"),
                ("R6", CheckKind::Test, "*empty_user_id*"),
                ("R7", CheckKind::Test, "*isolated*"),
                ("R8", CheckKind::Test, "*bad_settings*"),
            ]
        );
        let r4 = &spec.clauses[3];
        assert_eq!(
            r4.text,
            "Uses collections.deque for the window, not a list."
        );
        assert_eq!(
            r4.raw,
            "Uses collections.deque for the window, not a list. `require: \\bdeque\\(` `forbid: \\.pop\\(0\\)` `in: rate_limiter.py`"
        );
        assert_eq!((r4.line, r4.checks[0].column), (20, 69));
    }
}
