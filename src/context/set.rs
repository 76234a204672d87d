//! The context set: the files whose full text goes into the request, each with why, chosen
//! deterministically from (in this order) the spec, the latest run's failing tests, the files
//! the model changed or read, and the files the user added, less those the user dropped. A
//! workspace whose code fits `[context].all_below_tokens` sends all of it. Nothing is dropped to
//! fit the budget: what does not fit is reported as overflow, for the user to decide.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runner::result::{TestResult, TestStatus};
use crate::spec::{CheckKind, Matcher, Spec};

/// A file larger than this goes neither into the context set nor into the map's outlines.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Why a file is in the context set, in the order the sources are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The workspace's code is small: all of it goes.
    All,
    /// The spec names it: a clause's `in:` glob, or its path in the spec's text.
    Spec,
    /// A failing test is in it, or a failure's location or traceback points into it.
    Failing,
    /// The model changed it in this session.
    Edited,
    /// The model read it with a tool in this session.
    Read,
    /// The user added it.
    Added,
}

impl Reason {
    /// The reason in words, as the inspector and the Code pane say it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::All => "all code (small workspace)",
            Reason::Spec => "named by the spec",
            Reason::Failing => "failing test",
            Reason::Edited => "edited by the model",
            Reason::Read => "read by the model",
            Reason::Added => "added by you",
        }
    }

    /// One word for narrow places.
    pub fn short(self) -> &'static str {
        match self {
            Reason::All => "all",
            Reason::Spec => "spec",
            Reason::Failing => "failing",
            Reason::Edited => "edited",
            Reason::Read => "read",
            Reason::Added => "added",
        }
    }
}

/// Why a file that should go in cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// It holds a NUL byte: not text.
    Binary,
    /// Larger than the cap, in bytes.
    TooLarge(u64),
    /// It (or a link on the way) leads out of the workspace.
    OutsideWorkspace,
    /// It no longer exists.
    Deleted,
    /// Reading it failed (the system's message).
    Unreadable(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Binary => write!(f, "binary"),
            Unavailable::TooLarge(bytes) => write!(
                f,
                "{} KiB, over the {} KiB cap",
                bytes.div_ceil(1024),
                MAX_FILE_BYTES / 1024
            ),
            Unavailable::OutsideWorkspace => write!(f, "leads out of the workspace"),
            Unavailable::Deleted => write!(f, "deleted"),
            Unavailable::Unreadable(why) => write!(f, "unreadable: {why}"),
        }
    }
}

/// What including a file would cost: its tokens, or why it cannot be included.
pub type Size = Result<u32, Unavailable>;

/// The files each source names, workspace-relative, in the source's own order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub spec: Vec<PathBuf>,
    pub failing: Vec<PathBuf>,
    pub edited: Vec<PathBuf>,
    pub read: Vec<PathBuf>,
    pub added: Vec<PathBuf>,
    /// Files the user dropped: out of the set whatever names them.
    pub dropped: Vec<PathBuf>,
}

/// The user's own steering of the set: files added and dropped, each at most once, a later
/// choice undoing an earlier one for the same file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pub added: Vec<PathBuf>,
    pub dropped: Vec<PathBuf>,
}

impl Choices {
    /// Adds `path` (and undoes a drop of it).
    pub fn add_file(&mut self, path: PathBuf) {
        self.dropped.retain(|p| *p != path);
        if !self.added.contains(&path) {
            self.added.push(path);
        }
    }

    /// Drops `path` (and undoes an add of it).
    pub fn drop_file(&mut self, path: PathBuf) {
        self.added.retain(|p| *p != path);
        if !self.dropped.contains(&path) {
            self.dropped.push(path);
        }
    }
}

/// The token budgets the set is chosen within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// A workspace whose code in scope fits this sends all of it.
    pub all_below: u32,
    /// The context set's budget: past it, files overflow.
    pub code: u32,
}

/// A file of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub path: PathBuf,
    /// Every source that names it, in source order; the first is why it is where it is.
    pub reasons: Vec<Reason>,
    pub tokens: u32,
}

impl Member {
    /// The first reason.
    pub fn reason(&self) -> Reason {
        self.reasons.first().copied().unwrap_or(Reason::Added)
    }
}

/// The context set of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSet {
    /// All the code in scope goes (a small workspace): there is no map.
    pub all: bool,
    /// The files that go in full, in order.
    pub members: Vec<Member>,
    /// Files a source names that cannot go in, with why.
    pub unavailable: Vec<(PathBuf, Vec<Reason>, Unavailable)>,
    /// Files a source names that the user dropped.
    pub dropped: Vec<PathBuf>,
    /// The budget the set was chosen within.
    pub budget: u32,
}

impl ContextSet {
    /// The tokens of every member.
    pub fn tokens(&self) -> u32 {
        self.members
            .iter()
            .fold(0u32, |sum, m| sum.saturating_add(m.tokens))
    }

    /// The members past the budget, in order: the first whose running total exceeds it and
    /// every one after. Empty when the set fits.
    pub fn overflow(&self) -> &[Member] {
        let mut total = 0u32;
        for (i, m) in self.members.iter().enumerate() {
            total = total.saturating_add(m.tokens);
            if total > self.budget {
                return &self.members[i..];
            }
        }
        &[]
    }

    /// The member for `path`, if it is one.
    pub fn member(&self, path: &Path) -> Option<&Member> {
        self.members.iter().find(|m| m.path == path)
    }

    /// Whether `path` goes in full.
    pub fn contains(&self, path: &Path) -> bool {
        self.member(path).is_some()
    }
}

/// Chooses the context set among `scope` (the code files in scope, sorted), asking `size` what
/// each file costs. Pure as long as `size` is: the same inputs give the same set.
pub fn select(
    scope: &[PathBuf],
    sources: &Sources,
    budget: Budget,
    mut size: impl FnMut(&Path) -> Size,
) -> ContextSet {
    // A file the user added after dropping it is back.
    let dropped: HashSet<&Path> = sources
        .dropped
        .iter()
        .filter(|p| !sources.added.contains(p))
        .map(PathBuf::as_path)
        .collect();
    // A small workspace sends everything (what the user drops aside); counting stops as soon
    // as the total passes the threshold.
    let mut total = 0u32;
    let mut small = true;
    for path in scope.iter().filter(|p| !dropped.contains(p.as_path())) {
        if let Ok(tokens) = size(path) {
            total = total.saturating_add(tokens);
            if total > budget.all_below {
                small = false;
                break;
            }
        }
    }
    let mut wanted: Vec<(PathBuf, Vec<Reason>)> = Vec::new();
    let mut at: HashMap<PathBuf, usize> = HashMap::new();
    let mut want = |path: &Path, reason: Reason| match at.get(path) {
        Some(&i) => {
            if !wanted[i].1.contains(&reason) {
                wanted[i].1.push(reason);
            }
        }
        None => {
            at.insert(path.to_path_buf(), wanted.len());
            wanted.push((path.to_path_buf(), vec![reason]));
        }
    };
    if small {
        for path in scope {
            want(path, Reason::All);
        }
    }
    let lists = [
        (&sources.spec, Reason::Spec),
        (&sources.failing, Reason::Failing),
        (&sources.edited, Reason::Edited),
        (&sources.read, Reason::Read),
        (&sources.added, Reason::Added),
    ];
    for (paths, reason) in lists {
        for path in paths {
            want(path, reason);
        }
    }
    let mut set = ContextSet {
        all: small,
        members: Vec::new(),
        unavailable: Vec::new(),
        dropped: Vec::new(),
        budget: budget.code,
    };
    for (path, reasons) in wanted {
        if dropped.contains(path.as_path()) {
            set.dropped.push(path);
            continue;
        }
        match size(&path) {
            Ok(tokens) => set.members.push(Member {
                path,
                reasons,
                tokens,
            }),
            Err(why) => set.unavailable.push((path, reasons, why)),
        }
    }
    set
}

/// The files the spec names: those a clause's `in:` glob matches (in clause order), then the
/// workspace paths its text mentions (a path of `scope` written out, or the name of exactly
/// one file of `scope`).
pub fn spec_files(spec: &Spec, text: &str, scope: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let push = |p: &PathBuf, out: &mut Vec<PathBuf>| {
        if !out.contains(p) {
            out.push(p.clone());
        }
    };
    for clause in &spec.clauses {
        for check in clause.checks_of(CheckKind::In) {
            if let Matcher::Glob(glob) = &check.matcher {
                let matcher = glob.compile_matcher();
                for path in scope.iter().filter(|p| matcher.is_match(p)) {
                    push(path, &mut out);
                }
            }
        }
    }
    let by_path: HashMap<String, &PathBuf> = scope
        .iter()
        .map(|p| (p.to_string_lossy().replace('\\', "/"), p))
        .collect();
    let mut by_name: HashMap<&str, Option<&PathBuf>> = HashMap::new();
    for path in scope {
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            by_name
                .entry(name)
                .and_modify(|e| *e = None)
                .or_insert(Some(path));
        }
    }
    for word in text.split(|c: char| c.is_whitespace() || "`'\"()[]{}<>,;*|".contains(c)) {
        let word = word.trim_end_matches([':', '.', '!', '?']);
        let word = word.strip_prefix("./").unwrap_or(word);
        if !word.contains('.') {
            continue;
        }
        let found = by_path
            .get(word)
            .copied()
            .or_else(|| by_name.get(word).copied().flatten());
        if let Some(path) = found {
            push(path, &mut out);
        }
    }
    out
}

/// The workspace files the latest run's failures point to, in order: each failing test's own
/// file, then the files its message and traceback name (`File "x.py", line 3`, `x.rs:10:5`,
/// `(x.js:3:9)`), kept when they are in `scope`. `root` turns absolute paths relative.
pub fn failing_files(results: &[TestResult], root: &Path, scope: &[PathBuf]) -> Vec<PathBuf> {
    let in_scope: HashSet<&Path> = scope.iter().map(PathBuf::as_path).collect();
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |raw: &str| {
        let raw = raw.trim();
        let path = Path::new(raw);
        let rel = path.strip_prefix(root).unwrap_or(path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        if in_scope.contains(rel) && !out.iter().any(|p| p == rel) {
            out.push(rel.to_path_buf());
        }
    };
    let failed = results.iter().filter(|r| r.status == TestStatus::Failed);
    for r in failed.take(MAX_FAILING_TESTS) {
        if let Some(file) = &r.file {
            push(file);
        }
        let texts = [r.message.as_deref().unwrap_or(""), r.output.as_str()];
        for text in texts {
            for location in locations(text) {
                push(location);
            }
        }
    }
    out
}

/// At most this many failing tests pull their files in (as the request describes at most 20).
const MAX_FAILING_TESTS: usize = 20;

/// The file paths a failure text names: Python's `File "path", line N` and the `path:line`
/// of compilers, panics and stack traces.
fn locations(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("File \"")
            && let Some(end) = rest.find('"')
        {
            out.push(&rest[..end]);
            continue;
        }
        for word in line.split(|c: char| c.is_whitespace() || "()[]'\"`,".contains(c)) {
            let word = word.trim_start_matches("at ");
            let Some((path, rest)) = word.split_once(':') else {
                continue;
            };
            let numbered = rest
                .split(':')
                .next()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let path = path.strip_prefix("file://").unwrap_or(path);
            if numbered
                && path
                    .rsplit_once('.')
                    .is_some_and(|(_, ext)| !ext.is_empty())
            {
                out.push(path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
