//! The forbid/require scan: which lines of the files in scope match the spec's regexes.
//! A full scan walks the workspace once; after that only changed files are rescanned.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};
use ignore::WalkState;
use std::sync::Arc;

use super::pattern::Pattern;
use super::{Check, CheckKind, Matcher, Spec};

/// Files larger than this are skipped with a notice.
pub const MAX_SCAN_BYTES: u64 = 2 * 1024 * 1024;
/// Forbid hits kept per check and file.
pub const MAX_HITS_PER_FILE: usize = 20;
/// Characters of an offending line kept in a hit.
pub const MAX_HIT_CHARS: usize = 200;

/// Bytes looked at for a NUL when telling binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;
const MIB: f64 = 1024.0 * 1024.0;

/// The default scope of forbid/require checks: `[code].include` minus the test files.
#[derive(Debug, Clone)]
pub struct Scope {
    pub include: GlobSet,
    pub tests: GlobSet,
}

impl Scope {
    /// The scope of the `include` globs minus the `tests` globs.
    pub fn new(include: &[String], tests: &[String]) -> Result<Scope, String> {
        Ok(Scope {
            include: glob_set(include)?,
            tests: glob_set(tests)?,
        })
    }

    fn contains(&self, path: &Candidate<'_>) -> bool {
        self.include.is_match_candidate(path) && !self.tests.is_match_candidate(path)
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p).map_err(|e| format!("bad glob `{p}`: {e}"))?);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One forbid or require check, ready to scan.
#[derive(Debug, Clone)]
pub struct ScanCheck {
    /// Index of the clause in `Spec::clauses`.
    pub clause: usize,
    /// Index of the check in `Clause::checks`.
    pub check: usize,
    /// `Forbid` or `Require`.
    pub kind: CheckKind,
    /// The check's regex, for a line and for a whole file.
    pub pattern: Arc<Pattern>,
    /// The clause's `in:` globs; `None` means the default scope.
    pub within: Option<GlobSet>,
}

/// The forbid/require checks of a spec with their scopes, and its `test:` globs.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub entries: Vec<ScanCheck>,
    scope: Scope,
    /// Every `test:` glob of the valid clauses in one set, built once per spec (not per
    /// evaluation: ten thousand globs take a large share of a second and tens of MB to build).
    pub test_globs: Arc<GlobSet>,
    /// The (clause, check) of each glob in `test_globs`.
    pub test_owners: Vec<(usize, usize)>,
}

impl ScanPlan {
    /// The forbid and require checks of every valid clause of `spec`, in source order.
    pub fn new(spec: &Spec, scope: Scope) -> ScanPlan {
        let mut entries = Vec::new();
        for (ci, clause) in spec.clauses.iter().enumerate() {
            if clause.is_invalid() {
                continue;
            }
            let within = within(clause.id.as_str(), clause.checks_of(CheckKind::In));
            for (ki, check) in clause.checks.iter().enumerate() {
                let (CheckKind::Forbid | CheckKind::Require, Matcher::Regex(pattern)) =
                    (check.kind, &check.matcher)
                else {
                    continue;
                };
                entries.push(ScanCheck {
                    clause: ci,
                    check: ki,
                    kind: check.kind,
                    pattern: pattern.clone(),
                    within: within.clone(),
                });
            }
        }
        let mut builder = GlobSetBuilder::new();
        let mut test_owners = Vec::new();
        for (ci, clause) in spec.clauses.iter().enumerate() {
            if clause.is_invalid() {
                continue;
            }
            for (ki, check) in clause.checks.iter().enumerate() {
                if let (CheckKind::Test, Matcher::Glob(glob)) = (check.kind, &check.matcher) {
                    builder.add(glob.clone());
                    test_owners.push((ci, ki));
                }
            }
        }
        let test_globs = builder.build().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "test globs did not build together");
            test_owners.clear();
            GlobSet::empty()
        });
        ScanPlan {
            entries,
            scope,
            test_globs: Arc::new(test_globs),
            test_owners,
        }
    }

    /// Whether the spec has no forbid or require check.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `rel` (relative to the workspace) is in the scope of entry `entry`: its `in:`
    /// globs if it has some, the default scope otherwise.
    pub fn in_scope(&self, entry: usize, rel: &Path) -> bool {
        self.entries.get(entry).is_some_and(|e| {
            let path = Candidate::new(rel);
            match &e.within {
                Some(within) => within.is_match_candidate(&path),
                None => self.scope.contains(&path),
            }
        })
    }

    /// Whether some entry's scope includes `rel`.
    pub fn wants(&self, rel: &Path) -> bool {
        self.scoped(rel).next().is_some()
    }

    /// The entries whose scope includes `rel`, in order.
    fn scoped<'a>(&'a self, rel: &'a Path) -> impl Iterator<Item = usize> + 'a {
        let path = Candidate::new(rel);
        let default = self.scope.contains(&path);
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| {
                e.within
                    .as_ref()
                    .map_or(default, |w| w.is_match_candidate(&path))
            })
            .map(|(i, _)| i)
    }
}

/// The set of a clause's `in:` globs; `None` without any.
fn within<'a>(clause: &str, checks: impl Iterator<Item = &'a Check>) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    let mut any = false;
    for check in checks {
        if let Matcher::Glob(glob) = &check.matcher {
            builder.add(glob.clone());
            any = true;
        }
    }
    if !any {
        return None;
    }
    Some(builder.build().unwrap_or_else(|e| {
        tracing::warn!(clause, error = %e, "cannot build the in: globs; nothing is in scope");
        GlobSet::empty()
    }))
}

/// A line that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// 1-based line number.
    pub line: usize,
    /// The line, trimmed of surrounding whitespace, cut to `MAX_HIT_CHARS` characters.
    pub text: String,
}

/// What one file holds for each entry in whose scope it lies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileScan {
    /// `(entry index, hits)` for every entry whose scope includes the file, in entry order;
    /// empty hits when the regex matches no line. Forbid entries keep up to
    /// `MAX_HITS_PER_FILE` hits, require entries the first hit only.
    pub entries: Vec<(usize, Vec<Hit>)>,
}

/// The outcome of scanning one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Scanned(FileScan),
    /// In scope but not scanned: why, in words (`binary file`, `3.2 MiB, over the 2 MiB limit`,
    /// `cannot read: ...`).
    Skipped(String),
    /// Not a file in scope any more (deleted, ignored, or matching no entry's scope).
    Gone,
}

/// The scan results of every file in scope, with each entry's hits gathered as files are
/// applied, so evaluation costs what the hits cost, not files x checks.
#[derive(Debug, Clone, Default)]
pub struct ScanIndex {
    files: BTreeMap<PathBuf, FileScan>,
    skipped: BTreeMap<PathBuf, String>,
    /// Per entry: how many files lie in its scope, and the files with hits.
    tallies: Vec<Tally>,
}

/// One entry's share of the index.
#[derive(Debug, Clone, Default)]
struct Tally {
    in_scope: usize,
    hit_count: usize,
    hits: BTreeMap<PathBuf, Vec<Hit>>,
}

impl ScanIndex {
    /// The scanned files and what each holds.
    pub fn files(&self) -> &BTreeMap<PathBuf, FileScan> {
        &self.files
    }

    /// The files in scope that were not scanned, with why.
    pub fn skipped(&self) -> &BTreeMap<PathBuf, String> {
        &self.skipped
    }

    /// Whether `path` is known to the index, scanned or skipped.
    pub fn knows(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.skipped.contains_key(path)
    }

    /// Records the outcome of scanning `path`, replacing what was known of it.
    pub fn apply(&mut self, path: PathBuf, outcome: FileOutcome) {
        if let Some(old) = self.files.remove(&path) {
            for (entry, _) in &old.entries {
                if let Some(tally) = self.tallies.get_mut(*entry) {
                    tally.in_scope = tally.in_scope.saturating_sub(1);
                    if let Some(hits) = tally.hits.remove(&path) {
                        tally.hit_count -= hits.len();
                    }
                }
            }
        }
        self.skipped.remove(&path);
        match outcome {
            FileOutcome::Scanned(scan) => {
                for (entry, hits) in &scan.entries {
                    if self.tallies.len() <= *entry {
                        self.tallies.resize_with(entry + 1, Tally::default);
                    }
                    let tally = &mut self.tallies[*entry];
                    tally.in_scope += 1;
                    if !hits.is_empty() {
                        tally.hit_count += hits.len();
                        tally.hits.insert(path.clone(), hits.clone());
                    }
                }
                self.files.insert(path, scan);
            }
            FileOutcome::Skipped(why) => {
                self.skipped.insert(path, why);
            }
            FileOutcome::Gone => {}
        }
    }

    /// The hits of entry `entry` across all files, in path order.
    pub fn hits(&self, entry: usize) -> impl Iterator<Item = (&Path, &Hit)> {
        self.tallies
            .get(entry)
            .into_iter()
            .flat_map(|tally| tally.hits.iter())
            .flat_map(|(path, hits)| hits.iter().map(move |hit| (path.as_path(), hit)))
    }

    /// How many hits entry `entry` has across all files.
    pub fn hit_count(&self, entry: usize) -> usize {
        self.tallies.get(entry).map_or(0, |t| t.hit_count)
    }

    /// How many scanned files lie in the scope of entry `entry`.
    pub fn files_in_scope(&self, entry: usize) -> usize {
        self.tallies.get(entry).map_or(0, |t| t.in_scope)
    }
}

/// Scans one file, `rel` relative to `root`, for every entry in whose scope it lies. Symlinks
/// are not followed: they are `Gone`, like missing paths and paths no entry wants.
pub fn scan_file(root: &Path, rel: &Path, plan: &ScanPlan) -> FileOutcome {
    let scoped: Vec<usize> = plan.scoped(rel).collect();
    if scoped.is_empty() {
        return FileOutcome::Gone;
    }
    let path = root.join(rel);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return FileOutcome::Gone,
        Err(e) => return FileOutcome::Skipped(format!("cannot read: {e}")),
    };
    if !meta.is_file() {
        return FileOutcome::Gone;
    }
    if meta.len() > MAX_SCAN_BYTES {
        return too_large(meta.len());
    }
    let bytes = match read_at_most(&path, MAX_SCAN_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return FileOutcome::Gone,
        Err(e) => return FileOutcome::Skipped(format!("cannot read: {e}")),
    };
    // The file grew since its metadata was read.
    if bytes.len() as u64 > MAX_SCAN_BYTES {
        return too_large(bytes.len() as u64);
    }
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if memchr::memchr(0, sniff).is_some() {
        return FileOutcome::Skipped("binary file".into());
    }
    let text = String::from_utf8_lossy(&bytes);
    // In CRLF mode `.` does not match a lone `\r`, which a line can hold: no prefilter then.
    let prefilter_ok = !has_lone_cr(text.as_bytes());
    let entries = scoped
        .into_iter()
        .map(|i| {
            let entry = &plan.entries[i];
            let excluded = prefilter_ok
                && entry
                    .pattern
                    .file()
                    .is_some_and(|p| !p.is_match(text.as_ref()));
            let hits = if excluded {
                Vec::new()
            } else {
                line_hits(entry, &text)
            };
            (i, hits)
        })
        .collect();
    FileOutcome::Scanned(FileScan { entries })
}

fn too_large(len: u64) -> FileOutcome {
    FileOutcome::Skipped(format!(
        "{:.1} MiB, over the {} MiB limit",
        len as f64 / MIB,
        MAX_SCAN_BYTES / (1024 * 1024)
    ))
}

/// Reads up to `limit + 1` bytes, enough to tell that a file is over `limit`.
fn read_at_most(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn has_lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

/// The lines of `text` that `entry.pattern` matches: up to `MAX_HITS_PER_FILE` for a forbid
/// entry, the first for a require entry.
fn line_hits(entry: &ScanCheck, text: &str) -> Vec<Hit> {
    let limit = if entry.kind == CheckKind::Require {
        1
    } else {
        MAX_HITS_PER_FILE
    };
    text.split_terminator('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .enumerate()
        .filter(|(_, line)| entry.pattern.line.is_match(*line))
        .take(limit)
        .map(|(i, line)| Hit {
            line: i + 1,
            text: cut(line.trim(), MAX_HIT_CHARS).to_owned(),
        })
        .collect()
}

/// The first `max` characters of `s`.
fn cut(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(at, _)| &s[..at])
}

/// Scans every file of the workspace that some entry wants, honouring `.gitignore` and skipping
/// hidden files, `.git/` and `.specbench/`. Walks and scans on every available core.
pub fn scan_all(root: &Path, plan: &ScanPlan) -> ScanIndex {
    let mut index = ScanIndex::default();
    if plan.is_empty() {
        return index;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = mpsc::channel();
    crate::workspace::walk_builder(root)
        .threads(threads)
        .build_parallel()
        .run(|| {
            let tx = tx.clone();
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        tracing::debug!(error = %e, "scan: walk error");
                        return WalkState::Continue;
                    }
                };
                if entry.file_type().is_some_and(|t| t.is_file())
                    && let Ok(rel) = entry.path().strip_prefix(root)
                {
                    // Files no entry wants come back `Gone`.
                    let outcome = scan_file(root, rel, plan);
                    if outcome != FileOutcome::Gone
                        && tx.send((rel.to_path_buf(), outcome)).is_err()
                    {
                        return WalkState::Quit;
                    }
                }
                WalkState::Continue
            })
        });
    drop(tx);
    // The walk is over: every sender is gone and the map orders the paths.
    for (path, outcome) in rx {
        index.apply(path, outcome);
    }
    index
}

/// Rescans changed files, given relative to `root` (already filtered by the ignore rules).
pub fn rescan(root: &Path, plan: &ScanPlan, paths: &[PathBuf]) -> Vec<(PathBuf, FileOutcome)> {
    paths
        .iter()
        .map(|rel| (rel.clone(), scan_file(root, rel, plan)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::pattern::Compiler;
    use super::super::{Clause, Problem};
    use super::*;

    use CheckKind::{Forbid, In, Require};

    fn check(kind: CheckKind, arg: &str) -> Check {
        let matcher = match kind {
            Forbid | Require => Matcher::Regex(Compiler::new([]).compile(arg).unwrap()),
            CheckKind::Test | In => Matcher::Glob(Glob::new(arg).unwrap()),
        };
        Check {
            kind,
            arg: arg.into(),
            line: 1,
            column: 1,
            matcher,
        }
    }

    fn clause(n: usize, checks: &[(CheckKind, &str)]) -> Clause {
        Clause {
            id: format!("R{n}"),
            explicit_id: true,
            raw: String::new(),
            text: String::new(),
            line: n,
            checks: checks.iter().map(|&(k, a)| check(k, a)).collect(),
            problems: Vec::new(),
        }
    }

    /// A spec of one clause per item, and its plan with the default scope: the Python files
    /// but the tests.
    fn plan(clauses: &[&[(CheckKind, &str)]]) -> ScanPlan {
        let spec = Spec {
            title: None,
            clauses: clauses
                .iter()
                .enumerate()
                .map(|(i, c)| clause(i + 1, c))
                .collect(),
        };
        ScanPlan::new(&spec, scope())
    }

    fn scope() -> Scope {
        Scope::new(
            &["**/*.py".into()],
            &["tests/**".into(), "**/test_*.py".into()],
        )
        .unwrap()
    }

    fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn hits(index: &ScanIndex, entry: usize) -> Vec<(String, usize, String)> {
        index
            .hits(entry)
            .map(|(p, h)| (p.display().to_string(), h.line, h.text.clone()))
            .collect()
    }

    fn hit(path: &str, line: usize, text: &str) -> (String, usize, String) {
        (path.into(), line, text.into())
    }

    fn scanned(outcome: FileOutcome) -> FileScan {
        match outcome {
            FileOutcome::Scanned(scan) => scan,
            other => panic!("not scanned: {other:?}"),
        }
    }

    #[test]
    fn forbid_hits_have_line_numbers_and_trimmed_text() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "app.py", "import os\n\n    eval(x)  \nok\neval(y)\n");
        write(root, "pkg/util.py", "def f():\n\treturn eval('1')\n");
        write(root, "clean.py", "print(1)\n");
        let plan = plan(&[&[(Forbid, r"\beval\(")]]);
        let index = scan_all(root, &plan);
        assert_eq!(
            hits(&index, 0),
            [
                hit("app.py", 3, "eval(x)"),
                hit("app.py", 5, "eval(y)"),
                hit("pkg/util.py", 2, "return eval('1')"),
            ]
        );
        assert_eq!(index.files_in_scope(0), 3);
        assert_eq!(
            index.files()[Path::new("clean.py")],
            FileScan {
                entries: vec![(0, Vec::new())]
            }
        );
        assert!(index.skipped().is_empty());
    }

    #[test]
    fn require_keeps_the_first_hit_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "a.py",
            "x\nlogging.basicConfig()\nlogging.basicConfig()\n",
        );
        write(root, "b.py", "logging.basicConfig()\n");
        let plan = plan(&[
            &[(Require, r"logging\.basicConfig")],
            &[(Require, "never_there")],
        ]);
        let index = scan_all(root, &plan);
        assert_eq!(
            hits(&index, 0),
            [
                hit("a.py", 2, "logging.basicConfig()"),
                hit("b.py", 1, "logging.basicConfig()"),
            ]
        );
        assert_eq!(hits(&index, 1), []);
        assert_eq!(index.files_in_scope(1), 2);
    }

    #[test]
    fn in_globs_replace_the_default_scope() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "api/views.py", "print('x')\n");
        write(root, "core/model.py", "print('y')\n");
        write(root, "api/schema.sql", "-- print('z')\n");
        let plan = plan(&[
            &[(Forbid, r"print\("), (In, "api/**")],
            &[(Forbid, r"print\(")],
        ]);
        assert!(plan.entries[0].within.is_some());
        assert!(plan.entries[1].within.is_none());
        assert!(plan.in_scope(0, Path::new("api/schema.sql")));
        assert!(!plan.in_scope(0, Path::new("core/model.py")));
        assert!(
            !plan.in_scope(2, Path::new("core/model.py")),
            "no such entry"
        );
        let index = scan_all(root, &plan);
        assert_eq!(
            hits(&index, 0),
            [
                hit("api/schema.sql", 1, "-- print('z')"),
                hit("api/views.py", 1, "print('x')"),
            ]
        );
        assert_eq!(
            hits(&index, 1),
            [
                hit("api/views.py", 1, "print('x')"),
                hit("core/model.py", 1, "print('y')"),
            ]
        );
        // The SQL file is only in the `in:` scope.
        assert_eq!(
            index.files()[Path::new("api/schema.sql")].entries,
            [(
                0,
                vec![Hit {
                    line: 1,
                    text: "-- print('z')".into()
                }]
            )]
        );
    }

    #[test]
    fn test_files_are_out_of_the_default_scope() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "app.py", "sleep(1)\n");
        write(root, "tests/test_app.py", "sleep(1)\n");
        write(root, "pkg/test_util.py", "sleep(1)\n");
        let plan = plan(&[&[(Forbid, "sleep")]]);
        assert!(plan.wants(Path::new("app.py")));
        assert!(!plan.wants(Path::new("tests/test_app.py")));
        let index = scan_all(root, &plan);
        assert_eq!(hits(&index, 0), [hit("app.py", 1, "sleep(1)")]);
        assert_eq!(index.files().len(), 1);
        assert_eq!(
            scan_file(root, Path::new("pkg/test_util.py"), &plan),
            FileOutcome::Gone
        );
    }

    #[test]
    fn ignored_hidden_and_state_files_are_not_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "build/\n");
        for f in [
            "app.py",
            "build/gen.py",
            ".specbench/x.py",
            ".git/hook.py",
            ".hidden/h.py",
        ] {
            write(root, f, "TODO\n");
        }
        let index = scan_all(root, &plan(&[&[(Forbid, "TODO")]]));
        assert_eq!(hits(&index, 0), [hit("app.py", 1, "TODO")]);
        assert_eq!(
            index.files().keys().collect::<Vec<_>>(),
            [Path::new("app.py")]
        );
    }

    #[test]
    fn empty_plan_scans_nothing() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app.py", "x\n");
        let plan = plan(&[&[(In, "**")]]);
        assert!(plan.is_empty());
        assert!(!plan.wants(Path::new("app.py")));
        let index = scan_all(dir.path(), &plan);
        assert!(index.files().is_empty() && index.skipped().is_empty());
    }

    #[test]
    fn binary_and_oversized_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "blob.py", b"TODO\0\x01\x02");
        let big = "TODO\n".repeat((3.2 * 1024.0 * 1024.0 / 5.0) as usize);
        write(root, "big.py", big);
        write(root, "ok.py", "TODO\n");
        let index = scan_all(root, &plan(&[&[(Forbid, "TODO")]]));
        assert_eq!(
            *index.skipped(),
            BTreeMap::from([
                (
                    PathBuf::from("big.py"),
                    "3.2 MiB, over the 2 MiB limit".into()
                ),
                (PathBuf::from("blob.py"), "binary file".into()),
            ])
        );
        assert_eq!(hits(&index, 0), [hit("ok.py", 1, "TODO")]);
        assert_eq!(index.files_in_scope(0), 1);
    }

    #[test]
    fn nul_after_the_first_8_kib_is_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = "x\n".repeat(5000).into_bytes();
        content.extend_from_slice(b"\0TODO\n");
        write(dir.path(), "a.py", content);
        let scan = scanned(scan_file(
            dir.path(),
            Path::new("a.py"),
            &plan(&[&[(Forbid, "TODO")]]),
        ));
        assert_eq!(scan.entries[0].1[0].line, 5001);
    }

    #[test]
    fn crlf_lines_are_numbered_alike_without_cr() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "unix.py", "a\nb\n  c = 1  \nc\n");
        write(root, "dos.py", "a\r\nb\r\n  c = 1  \r\nc\r\n");
        let plan = plan(&[&[(Forbid, "^c$"), (Forbid, r"c = 1\s*$")]]);
        let index = scan_all(root, &plan);
        assert_eq!(
            hits(&index, 0),
            [hit("dos.py", 4, "c"), hit("unix.py", 4, "c")]
        );
        assert_eq!(
            hits(&index, 1),
            [hit("dos.py", 3, "c = 1"), hit("unix.py", 3, "c = 1")]
        );
    }

    #[test]
    fn lone_cr_does_not_hide_a_match() {
        // In CRLF mode `.` does not match `\r`; a per-line `.` does.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.py", "x\nkey\rvalue\n");
        let plan = plan(&[&[(Forbid, "key.value")]]);
        assert!(plan.entries[0].pattern.file().is_some());
        let scan = scanned(scan_file(dir.path(), Path::new("a.py"), &plan));
        assert_eq!(scan.entries[0].1[0].line, 2);
    }

    #[test]
    fn text_anchors_match_per_line_without_prefilter() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.py", "x = 1\nimport pdb\ny\n");
        let plan = plan(&[
            &[(Forbid, r"\Aimport pdb\z")],
            &[(Forbid, r"(?-m)^import pdb$")],
        ]);
        assert!(plan.entries.iter().all(|e| e.pattern.file().is_none()));
        let scan = scanned(scan_file(dir.path(), Path::new("a.py"), &plan));
        let line = |e: usize| scan.entries[e].1.iter().map(|h| h.line).collect::<Vec<_>>();
        assert_eq!(line(0), [2]);
        assert_eq!(line(1), [2]);
    }

    #[test]
    fn prefilter_does_not_shift_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "client.py",
            "\n\n   \n\nimport requests\nx = 1\nfrom requests import get\n",
        );
        let plan = plan(&[&[(Forbid, r"^\s*(import|from)\s+requests\b")]]);
        assert!(plan.entries[0].pattern.file().is_some());
        let index = scan_all(dir.path(), &plan);
        assert_eq!(
            hits(&index, 0),
            [
                hit("client.py", 5, "import requests"),
                hit("client.py", 7, "from requests import get"),
            ]
        );
    }

    #[test]
    fn prefilter_skips_files_without_a_match() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.py", "nothing here\n");
        let plan = plan(&[&[(Forbid, "requests")]]);
        let scan = scanned(scan_file(dir.path(), Path::new("a.py"), &plan));
        assert_eq!(scan.entries, [(0, Vec::new())]);
    }

    #[test]
    fn rescan_of_a_deleted_file_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.py", "TODO\n");
        write(root, "b.py", "TODO\n");
        let plan = plan(&[&[(Forbid, "TODO")]]);
        let mut index = scan_all(root, &plan);
        assert_eq!(index.files_in_scope(0), 2);
        fs::remove_file(root.join("a.py")).unwrap();
        write(root, "b.py", "done\n");
        write(root, "c.py", b"\0");
        let changed = [
            PathBuf::from("a.py"),
            PathBuf::from("b.py"),
            PathBuf::from("c.py"),
        ];
        let outcomes = rescan(root, &plan, &changed);
        assert_eq!(outcomes[0], (changed[0].clone(), FileOutcome::Gone));
        assert_eq!(
            outcomes[2],
            (
                changed[2].clone(),
                FileOutcome::Skipped("binary file".into())
            )
        );
        for (path, outcome) in outcomes {
            index.apply(path, outcome);
        }
        assert_eq!(hits(&index, 0), []);
        assert_eq!(
            index.files().keys().collect::<Vec<_>>(),
            [Path::new("b.py")]
        );
        assert_eq!(
            index.skipped().keys().collect::<Vec<_>>(),
            [Path::new("c.py")]
        );
        // A skipped file that becomes text again leaves `skipped`.
        write(root, "c.py", "TODO\n");
        for (path, outcome) in rescan(root, &plan, &changed[2..]) {
            index.apply(path, outcome);
        }
        assert!(index.skipped().is_empty());
        assert_eq!(hits(&index, 0), [hit("c.py", 1, "TODO")]);
    }

    #[test]
    fn symlinks_and_directories_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.py", "TODO\n");
        std::os::unix::fs::symlink(outside.path().join("secret.py"), dir.path().join("link.py"))
            .unwrap();
        fs::create_dir(dir.path().join("pkg.py")).unwrap();
        let plan = plan(&[&[(Forbid, "TODO")]]);
        for rel in ["link.py", "pkg.py", "missing.py"] {
            assert_eq!(
                scan_file(dir.path(), Path::new(rel), &plan),
                FileOutcome::Gone
            );
        }
    }

    #[test]
    fn forbid_hits_are_capped_per_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.py", "TODO\n".repeat(MAX_HITS_PER_FILE + 5));
        let index = scan_all(dir.path(), &plan(&[&[(Forbid, "TODO")]]));
        let lines: Vec<usize> = index.hits(0).map(|(_, h)| h.line).collect();
        assert_eq!(lines, (1..=MAX_HITS_PER_FILE).collect::<Vec<_>>());
    }

    #[test]
    fn hit_text_is_cut_on_a_char_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let line = format!("  TODO {}  ", "é".repeat(300));
        write(dir.path(), "a.py", &line);
        let index = scan_all(dir.path(), &plan(&[&[(Forbid, "TODO")]]));
        let text = &index.hits(0).next().unwrap().1.text;
        assert_eq!(text.chars().count(), MAX_HIT_CHARS);
        assert!(line.trim().starts_with(text.as_str()));
    }

    #[test]
    fn invalid_clauses_contribute_no_entries() {
        let mut bad = clause(1, &[(Forbid, "x"), (Require, "y")]);
        bad.problems.push(Problem {
            line: 1,
            column: 3,
            message: "bad regex".into(),
        });
        let spec = Spec {
            title: None,
            clauses: vec![bad, clause(2, &[(CheckKind::Test, "*x*"), (Require, "z")])],
        };
        let plan = ScanPlan::new(&spec, scope());
        assert_eq!(plan.entries.len(), 1);
        let entry = &plan.entries[0];
        assert_eq!((entry.clause, entry.check, entry.kind), (1, 1, Require));
        assert!(entry.pattern.line.is_match("z"));
    }

    #[test]
    fn bad_scope_glob_is_reported() {
        let err = Scope::new(&["a[".into()], &[]).unwrap_err();
        assert!(err.starts_with("bad glob `a[`: "), "{err}");
        let err = Scope::new(&[], &["{x".into()]).unwrap_err();
        assert!(err.starts_with("bad glob `{x`: "), "{err}");
    }
}
