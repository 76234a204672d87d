//! The shape of the house (docs/ARCHITECTURE.md), checked on the source text so it cannot rot:
//! imports run one way down the layers, no two files and no two top-level modules import each
//! other in a circle, only `main` reads the command line's clap types, public type names are
//! distinct, a long file says why it is long, and the docs name files that exist.
//!
//! An import is any path that names the crate's own items: `use` trees and inline paths starting
//! with `crate::`, `super::`, `self::` or a module the file declares (`specbench::` in `main.rs`).
//! A path is resolved to the file that defines what it names, through `pub use` re-exports, so a
//! `mod.rs` that only lists and re-exports its files is transparent. Test code (`#[cfg(test)]`
//! items and files) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The layers, top first: a file may import only from its own layer or a lower one. A file's
/// layer is that of the longest prefix of its module path listed here.
const LAYERS: &[(&str, &[&str])] = &[
    ("the binary", &["<main>"]),
    ("the command line's clap types", &["cli"]),
    ("the subcommands", &["commands"]),
    (
        "the loop, the effects and the views",
        &["app", "effects", "terminal", "ui"],
    ),
    ("the model: its state and update", &["model"]),
    ("render: text into lines", &["render"]),
    (
        "the domain",
        &[
            "spec", "runner", "llm", "code", "session", "watch", "theme", "check", "context",
            "tools",
        ],
    ),
    (
        "data types and config",
        &[
            "config",
            "assets",
            "state",
            "workspace",
            "files",
            "secrets",
            "text_pos",
            "stdio",
            "logging",
            "startup",
            "demo",
        ],
    ),
];

/// Files over this many lines of non-test code say why at their top (`//! Long file: ...`).
const LONG_FILE: usize = 600;

/// One source file of the crate.
struct File {
    /// Relative to `src/`.
    path: PathBuf,
    /// The module path (`model::update`); `<main>` for the binary.
    module: Vec<String>,
    /// The text with comments, literals and test code blanked out (line breaks kept).
    code: String,
    /// Lines of non-test code.
    lines: usize,
    /// The modules it declares (`mod x;`), by name.
    children: BTreeMap<String, Vec<String>>,
    /// `pub use` re-exports: the name and the absolute path it stands for.
    reexports: BTreeMap<String, Vec<String>>,
    /// The module docs (`//!` lines at the top).
    docs: String,
}

/// Everything the checks need, read once.
struct Crate {
    files: Vec<File>,
    /// File index by module path.
    by_module: BTreeMap<Vec<String>, usize>,
    /// Imports: file index -> (imported file index, the path as written).
    edges: BTreeMap<usize, BTreeMap<usize, String>>,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn the_crate() -> &'static Crate {
    static CRATE: OnceLock<Crate> = OnceLock::new();
    CRATE.get_or_init(|| {
        let mut files = Vec::new();
        load(&mut files, Vec::new(), Path::new("lib.rs"), true);
        load(
            &mut files,
            vec!["<main>".into()],
            Path::new("main.rs"),
            false,
        );
        let by_module = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        for file in &mut files {
            file.reexports = reexports(file);
        }
        let mut krate = Crate {
            files,
            by_module,
            edges: BTreeMap::new(),
        };
        krate.edges = imports(&krate);
        krate
    })
}

/// Reads the file at `rel` (under `src/`) as module `module`, then the modules it declares.
fn load(files: &mut Vec<File>, module: Vec<String>, rel: &Path, dir_module: bool) {
    let text = std::fs::read_to_string(src().join(rel))
        .unwrap_or_else(|e| panic!("src/{}: {e}", rel.display()));
    let mut test_modules = BTreeSet::new();
    let (code, test_lines) = drop_test_items(&strip(&text), &mut test_modules);
    let lines = text.lines().count().saturating_sub(test_lines);
    let docs = text
        .lines()
        .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let base = if dir_module {
        rel.parent().unwrap_or(Path::new("")).to_path_buf()
    } else {
        rel.with_extension("")
    };
    let mut children = BTreeMap::new();
    for name in declared_modules(&code) {
        if test_modules.contains(&name) {
            continue;
        }
        let mut child = module.clone();
        child.push(name.clone());
        let flat = base.join(format!("{name}.rs"));
        let nested = base.join(&name).join("mod.rs");
        if src().join(&flat).exists() {
            children.insert(name, child.clone());
            load(files, child, &flat, false);
        } else if src().join(&nested).exists() {
            children.insert(name, child.clone());
            load(files, child, &nested, true);
        }
    }
    files.push(File {
        path: rel.to_path_buf(),
        module,
        code,
        lines,
        children,
        reexports: BTreeMap::new(),
        docs,
    });
}

/// Blanks out comments, string and character literals, keeping line breaks.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &str| {
        out.extend(s.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    };
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with("/*") {
            let (mut depth, mut j) = (0, 0);
            while j < rest.len() {
                if rest[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += rest[j..].chars().next().map_or(1, char::len_utf8);
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(len) = raw_string(rest, i == 0 || !is_ident(b[i - 1])) {
            out.push('"');
            blank(&mut out, &rest[1..len - 1]);
            out.push('"');
            i += len;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() && !rest[j..].starts_with('"') {
                j += if rest[j..].starts_with('\\') { 2 } else { 1 };
                while !rest.is_char_boundary(j.min(rest.len())) {
                    j += 1;
                }
            }
            let end = (j + 1).min(rest.len());
            out.push('"');
            blank(&mut out, &rest[1..end.saturating_sub(1).max(1)]);
            out.push('"');
            i += end;
        } else if let Some(len) = char_literal(rest) {
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of a raw string literal (`r"…"`, `br#"…"#`) at the start of `s`.
fn raw_string(s: &str, at_token_start: bool) -> Option<usize> {
    if !at_token_start {
        return None;
    }
    let s2 = s.strip_prefix('b').unwrap_or(s);
    let prefix = s.len() - s2.len();
    let after_r = s2.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(prefix + 1 + hashes + 1 + end + close.len())
}

/// The length of a character literal at the start of `s` (not a lifetime).
fn char_literal(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('\'')?;
    if let Some(esc) = rest.strip_prefix('\\') {
        let len = if esc.starts_with("u{") {
            esc.find('}')? + 1
        } else {
            esc.chars().next()?.len_utf8()
        };
        return esc[len..].starts_with('\'').then_some(2 + len + 1);
    }
    let c = rest.chars().next()?;
    rest[c.len_utf8()..]
        .starts_with('\'')
        .then_some(1 + c.len_utf8() + 1)
}

/// Blanks out `#[cfg(test)]` items (keeping line breaks) and collects the test-only modules
/// declared as files (`#[cfg(test)] mod tests;`); also returns how many lines they took.
fn drop_test_items(code: &str, test_modules: &mut BTreeSet<String>) -> (String, usize) {
    let mut out = code.to_string();
    let mut lines = 0;
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|p| p + from) {
        let mut i = at + "#[cfg(test)]".len();
        // Further attributes, then the item.
        loop {
            let rest = out[i..].trim_start();
            i = out.len() - rest.len();
            if rest.starts_with("#[") {
                i += rest.find(']').map_or(rest.len(), |e| e + 1);
            } else {
                break;
            }
        }
        let rest = &out[i..];
        let head_end = rest.find(['{', ';']).unwrap_or(rest.len());
        let head = &rest[..head_end];
        let end = if rest[head_end..].starts_with(';') {
            let words: Vec<&str> = head.split_whitespace().collect();
            if let Some(pos) = words.iter().position(|w| *w == "mod")
                && let Some(name) = words.get(pos + 1)
            {
                test_modules.insert(name.to_string());
            }
            i + head_end + 1
        } else {
            i + matching_brace(&rest[head_end..]) + head_end
        };
        let blanked: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        lines += blanked.matches('\n').count() + 1;
        out.replace_range(at..end, &blanked);
        from = end;
    }
    (out, lines)
}

/// The length up to and including the brace that closes the one `s` starts with.
fn matching_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// The names in `mod name;` declarations.
fn declared_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for statement in code.split([';', '{', '}']) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if let [.., "mod", name] = words.as_slice() {
            // `mod x {` (inline) ends in `{`, not `;`: only file modules end a statement here.
            let tail = statement.trim_end();
            let at = code.find(tail).map(|p| p + tail.len());
            if at.is_some_and(|p| code[p..].trim_start().starts_with(';')) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The `use` statements of `code`: where each is, whether it is `pub`, and its tree.
fn use_statements(code: &str) -> Vec<(std::ops::Range<usize>, bool, String)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("use ").map(|p| p + from) {
        from = at + 4;
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        let before = code[..at].trim_end();
        // `pub use`, `pub(crate) use`, or a statement of its own.
        let public = before.ends_with("pub")
            || before.ends_with(')') && {
                let open = before.rfind('(').unwrap_or(0);
                before[..open].trim_end().ends_with("pub")
            };
        let statement_start =
            public || matches!(before.chars().last(), None | Some(';' | '{' | '}' | ']'));
        if !statement_start {
            continue;
        }
        let end = code[at..].find(';').map_or(code.len(), |e| at + e);
        out.push((at..end + 1, public, code[at + 4..end].to_string()));
        from = end;
    }
    out
}

/// Expands a use tree (`a::{b, c::d as e}`) into paths with the name each brings in.
fn expand(tree: &str) -> Vec<(Vec<String>, String)> {
    fn rec(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, String)>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(inner) = tree.strip_prefix('{') {
            let inner = &inner[..inner.rfind('}').unwrap_or(inner.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        rec(prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            rec(prefix, &inner[start..], out);
            return;
        }
        if let Some((head, rest)) = tree.split_once("::") {
            let head = head.trim();
            if !head.contains(['{', ' ']) {
                let mut p = prefix.to_vec();
                if !head.is_empty() {
                    p.push(head.to_string());
                }
                rec(&p, rest, out);
                return;
            }
        }
        let (name, alias) = match tree.split_once(" as ") {
            Some((n, a)) => (n.trim(), a.trim()),
            None => (tree, tree),
        };
        let mut p = prefix.to_vec();
        p.push(name.to_string());
        let alias = if name == "self" {
            prefix.last().cloned().unwrap_or_default()
        } else {
            alias.to_string()
        };
        out.push((p, alias));
    }
    let mut out = Vec::new();
    rec(&[], tree, &mut out);
    out
}

/// A path as written in `file`, made absolute (from the crate root); `None` when it names
/// something outside the crate.
fn absolute(file: &File, path: &[String]) -> Option<Vec<String>> {
    let (head, rest) = path.split_first()?;
    let mut base: Vec<String> = match head.as_str() {
        "crate" | "$crate" if file.module.first().is_none_or(|m| m != "<main>") => Vec::new(),
        "specbench" if file.module.first().is_some_and(|m| m == "<main>") => Vec::new(),
        "self" => file.module.clone(),
        "super" => {
            let mut b = file.module.clone();
            b.pop();
            b
        }
        name if file.children.contains_key(name) => {
            return Some(
                file.children[name]
                    .iter()
                    .cloned()
                    .chain(rest.iter().cloned())
                    .collect(),
            );
        }
        _ => return None,
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
        base.pop();
        rest = tail;
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file that defines what the absolute `path` names, following `pub use` re-exports.
fn resolve(krate: &Crate, path: &[String], depth: usize) -> Option<usize> {
    let (k, &file) = (0..=path.len())
        .rev()
        .find_map(|k| krate.by_module.get(&path[..k]).map(|f| (k, f)))?;
    if let Some(next) = path.get(k)
        && depth < 16
        && let Some(target) = krate.files[file].reexports.get(next)
    {
        let mut target = target.clone();
        target.extend(path[k + 1..].iter().cloned());
        if let Some(found) = resolve(krate, &target, depth + 1) {
            return Some(found);
        }
    }
    Some(file)
}

/// A file's `pub use` re-exports: each name and the absolute path it stands for.
fn reexports(file: &File) -> BTreeMap<String, Vec<String>> {
    let mut map = BTreeMap::new();
    for (_, public, tree) in use_statements(&file.code) {
        if !public {
            continue;
        }
        for (path, name) in expand(&tree) {
            if name == "*" {
                continue;
            }
            if let Some(mut abs) = absolute(file, &path) {
                if abs.last().is_some_and(|s| s == "self") {
                    abs.pop();
                }
                map.insert(name, abs);
            }
        }
    }
    map
}

/// The paths a file writes, with whether each comes from a `pub use`.
fn written_paths(file: &File) -> Vec<(Vec<String>, bool)> {
    let mut paths = Vec::new();
    let mut rest = file.code.clone();
    for (range, public, tree) in use_statements(&file.code) {
        for (mut path, _) in expand(&tree) {
            if path.last().is_some_and(|s| s == "*" || s == "self") {
                path.pop();
            }
            paths.push((path, public));
        }
        let blank = " ".repeat(range.len());
        rest.replace_range(range, &blank);
    }
    // Inline paths: `crate::a::b`, `super::x`, `child::y` (`specbench::z` in main.rs).
    let heads: BTreeSet<&str> = ["crate", "$crate", "super", "self", "specbench"]
        .into_iter()
        .chain(file.children.keys().map(String::as_str))
        .collect();
    let b = rest.as_bytes();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut at = 0;
    while at < b.len() {
        let start_ok = at == 0 || !(is_ident(b[at - 1]) || b[at - 1] == b':');
        let word_end = rest[at..]
            .find(|c: char| !(word(c) || c == '$'))
            .map_or(rest.len(), |e| at + e);
        if !(start_ok && word_end > at && heads.contains(&rest[at..word_end])) {
            at = word_end.max(at + 1);
            continue;
        }
        let mut segs = vec![rest[at..word_end].to_string()];
        let mut j = word_end;
        while let Some(tail) = rest[j..].strip_prefix("::") {
            let trimmed = tail.trim_start();
            let skip = tail.len() - trimmed.len();
            let len = trimmed.find(|c: char| !word(c)).unwrap_or(trimmed.len());
            if len == 0 {
                break;
            }
            segs.push(trimmed[..len].to_string());
            j += 2 + skip + len;
        }
        if segs.len() > 1 {
            paths.push((segs, false));
        }
        at = j;
    }
    paths
}

/// Every file's imports, resolved to files: importer -> imported -> one path that imports it.
fn imports(krate: &Crate) -> BTreeMap<usize, BTreeMap<usize, String>> {
    let mut edges: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
    for (i, file) in krate.files.iter().enumerate() {
        for (path, public) in written_paths(file) {
            let Some(abs) = absolute(file, &path) else {
                continue;
            };
            // A module's `pub use` of its own files is a view of them, not a dependency.
            if public && abs.len() > file.module.len() && abs.starts_with(&file.module) {
                continue;
            }
            let Some(target) = resolve(krate, &abs, 0) else {
                continue;
            };
            if target != i && !krate.files[target].module.is_empty() {
                edges
                    .entry(i)
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| path.join("::"));
            }
        }
    }
    edges
}

impl Crate {
    fn name(&self, i: usize) -> String {
        format!("src/{}", self.files[i].path.display())
    }

    /// The top-level module of file `i` (`<main>` for the binary).
    fn top(&self, i: usize) -> &str {
        self.files[i].module.first().map_or("lib", String::as_str)
    }

    /// The layer of file `i` (0 is the top) and its name.
    fn layer(&self, i: usize) -> Option<(usize, &'static str)> {
        let module = &self.files[i].module;
        let mut best: Option<(usize, usize, &'static str)> = None;
        for (layer, (name, prefixes)) in LAYERS.iter().enumerate() {
            for prefix in *prefixes {
                let parts: Vec<&str> = prefix.split("::").collect();
                if module.len() >= parts.len()
                    && module.iter().zip(&parts).all(|(a, b)| a == b)
                    && best.is_none_or(|(len, _, _)| parts.len() > len)
                {
                    best = Some((parts.len(), layer, name));
                }
            }
        }
        best.map(|(_, layer, name)| (layer, name))
    }
}

/// The strongly connected parts of a graph with more than one node (Tarjan).
fn circles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct State<N> {
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on: BTreeSet<N>,
        out: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(g: &BTreeMap<N, BTreeSet<N>>, v: &N, s: &mut State<N>) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on.insert(v.clone());
        for w in g.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(g, w, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v.clone(), low);
            } else if s.on.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v.clone(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut part = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(&w);
                let done = w == *v;
                part.push(w);
                if done {
                    break;
                }
            }
            if part.len() > 1 {
                part.sort();
                s.out.push(part);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(graph, v, &mut s);
        }
    }
    s.out
}

fn report(problems: &[String], what: &str) {
    assert!(
        problems.is_empty(),
        "{what} ({}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_module_has_a_layer() {
    let k = the_crate();
    let missing: BTreeSet<String> = (0..k.files.len())
        .filter(|&i| !k.files[i].module.is_empty() && k.layer(i).is_none())
        .map(|i| k.top(i).to_string())
        .collect();
    report(
        &missing.into_iter().collect::<Vec<_>>(),
        "modules in no layer: add them to LAYERS here and to docs/ARCHITECTURE.md",
    );
}

#[test]
fn imports_run_down_the_layers() {
    let k = the_crate();
    let mut problems = Vec::new();
    for (&from, targets) in &k.edges {
        let Some((lf, nf)) = k.layer(from) else {
            continue;
        };
        for (&to, path) in targets {
            if let Some((lt, nt)) = k.layer(to)
                && lt < lf
            {
                problems.push(format!(
                    "{} ({nf}) imports `{path}` from {} ({nt}), a layer above it",
                    k.name(from),
                    k.name(to)
                ));
            }
        }
    }
    report(&problems, "imports that climb a layer");
}

#[test]
fn only_main_imports_the_command_line() {
    let k = the_crate();
    let mut problems = Vec::new();
    for (&from, targets) in &k.edges {
        for (&to, path) in targets {
            if k.top(to) == "cli" && k.top(from) != "<main>" && k.top(from) != "cli" {
                problems.push(format!("{} imports `{path}`", k.name(from)));
            }
        }
    }
    report(&problems, "files other than main.rs that import cli");
}

#[test]
fn no_two_files_import_each_other_in_a_circle() {
    let k = the_crate();
    let graph: BTreeMap<usize, BTreeSet<usize>> = k
        .edges
        .iter()
        .map(|(&f, t)| (f, t.keys().copied().collect()))
        .collect();
    let problems: Vec<String> = circles(&graph)
        .into_iter()
        .map(|part| {
            let mut text = String::new();
            for &f in &part {
                for (&t, path) in &k.edges[&f] {
                    if part.contains(&t) {
                        let _ = write!(text, "\n    {} -> {} (`{path}`)", k.name(f), k.name(t));
                    }
                }
            }
            format!("  a circle of {} files:{text}", part.len())
        })
        .collect();
    report(&problems, "import circles between files");
}

#[test]
fn no_two_top_level_modules_import_each_other_in_a_circle() {
    let k = the_crate();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut why: BTreeMap<(String, String), String> = BTreeMap::new();
    for (&f, targets) in &k.edges {
        for (&t, path) in targets {
            let (a, b) = (k.top(f).to_string(), k.top(t).to_string());
            if a != b {
                graph.entry(a.clone()).or_default().insert(b.clone());
                why.entry((a, b))
                    .or_insert_with(|| format!("{} (`{path}`)", k.name(f)));
            }
        }
    }
    let problems: Vec<String> = circles(&graph)
        .into_iter()
        .map(|part| {
            let mut text = String::new();
            for a in &part {
                for b in &graph[a] {
                    if part.contains(b) {
                        let _ = write!(text, "\n    {a} -> {b}: {}", why[&(a.clone(), b.clone())]);
                    }
                }
            }
            format!("  {}:{text}", part.join(", "))
        })
        .collect();
    report(&problems, "import circles between top-level modules");
}

#[test]
fn public_type_names_are_distinct() {
    let k = the_crate();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, file) in k.files.iter().enumerate() {
        for line in file.code.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [
                "pub",
                "struct" | "enum" | "trait" | "type" | "union",
                name,
                ..,
            ] = words.as_slice()
            {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                seen.entry(name).or_default().push(k.name(i));
            }
        }
    }
    let problems: Vec<String> = seen
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("  {name}: {}", files.join(", ")))
        .collect();
    report(&problems, "public types that share a name");
}

#[test]
fn long_files_say_why() {
    let k = the_crate();
    let problems: Vec<String> = (0..k.files.len())
        .filter(|&i| k.files[i].lines > LONG_FILE && !k.files[i].docs.contains("//! Long file:"))
        .map(|i| format!("  {}: {} lines", k.name(i), k.files[i].lines))
        .collect();
    report(
        &problems,
        &format!(
            "files over {LONG_FILE} lines of non-test code without `//! Long file: <why>` at \
             their top"
        ),
    );
}

#[test]
fn the_docs_name_files_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for doc in ["README.md", "docs/ARCHITECTURE.md"] {
        let Ok(text) = std::fs::read_to_string(root.join(doc)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("src/") {
                if at > 0 && !matches!(line.as_bytes()[at - 1], b'`' | b' ' | b'(' | b'[') {
                    continue;
                }
                let path: String = line[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.'))
                    .collect();
                let path = path.trim_end_matches('.');
                if !root.join(path).exists() {
                    problems.push(format!("  {doc}:{}: {path}", n + 1));
                }
            }
        }
    }
    report(
        &problems,
        "paths under src/ named in the docs that do not exist",
    );
}
