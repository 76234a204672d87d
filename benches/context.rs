//! ChosenContext benchmarks (issue 15's budgets): on a generated 10,000-file workspace, building the
//! index and the map cold, updating them after one saved file, and assembling a request from
//! the set and the map; then, on a real Python package fetched from PyPI with pip (requests
//! 2.34.2, about 390 KB of Python with its tests; skipped when pip cannot fetch it), the tokens
//! of code per request with the default settings against sending everything.
//!
//! Run with `cargo bench --bench context`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use specbench::config::ContextConfig;
use specbench::context::index::Index;
use specbench::context::set::{self, Sources};
use specbench::context::{self as ctx, map};
use specbench::llm::request;
use specbench::llm::tokens::{self, Encoding};

fn stats(name: &str, mut v: Vec<f64>, unit: &str, budget: &str) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let med = v[n / 2];
    println!(
        "{name:<48} median {med:>9.2} {unit:<3} (min {:.2}, max {:.2}, n={n})  budget {budget}",
        v[0],
        v[n - 1]
    );
    med
}

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

/// The source of module `i` of `n`, in the language of its extension, using names of three
/// other modules.
fn module(i: usize, n: usize, rng: &mut Lcg) -> (PathBuf, String) {
    let uses: Vec<usize> = (0..3).map(|_| rng.next(n)).collect();
    let dir = format!("pkg{:02}/sub{:02}", i % 50, (i / 50) % 20);
    match i % 5 {
        0 | 1 => {
            let mut s = String::new();
            for u in &uses {
                s.push_str(&format!("from pkg.m{u} import Service{u}, helper_{u}\n"));
            }
            s.push_str(&format!(
                "\n\nclass Service{i}:\n    \"\"\"Service number {i}.\"\"\"\n\n    def __init__(self, store, limit=10):\n        self.store = store\n        self.limit = limit\n\n"
            ));
            for m in 0..4 {
                s.push_str(&format!(
                    "    def method_{m}_{i}(self, key, value=None):\n        data = self.store.get(key)\n        if data is None:\n            return helper_{u}(value)\n        return Service{u}(self.store).method_0_{u}(key)\n\n",
                    u = uses[m % 3]
                ));
            }
            s.push_str(&format!(
                "\ndef helper_{i}(value):\n    # one helper per module\n    return [v for v in range(10) if v != value]\n\n\ndef build_{i}(store):\n    return Service{i}(store)\n"
            ));
            (PathBuf::from(format!("{dir}/m{i}.py")), s)
        }
        2 => {
            let mut s = format!("use crate::m{}::Service{};\n\n", uses[0], uses[0]);
            s.push_str(&format!(
                "/// Service number {i}.\npub struct Service{i} {{\n    limit: usize,\n}}\n\nimpl Service{i} {{\n    pub fn new(limit: usize) -> Self {{\n        Self {{ limit }}\n    }}\n\n    pub fn method_0_{i}(&self, key: &str) -> Option<usize> {{\n        let other = Service{u}::new(self.limit);\n        other.method_0_{u}(key)\n    }}\n}}\n\npub fn helper_{i}(value: usize) -> Vec<usize> {{\n    (0..10).filter(|v| *v != value).collect()\n}}\n",
                u = uses[0]
            ));
            (PathBuf::from(format!("{dir}/m{i}.rs")), s)
        }
        3 => {
            let s = format!(
                "package sub\n\n// Service{i} is service number {i}.\ntype Service{i} struct {{\n\tLimit int\n}}\n\nfunc NewService{i}(limit int) *Service{i} {{\n\treturn &Service{i}{{Limit: limit}}\n}}\n\nfunc (s *Service{i}) Method0{i}(key string) int {{\n\treturn NewService{u}(s.Limit).Method0{u}(key)\n}}\n\nfunc Helper{i}(value int) []int {{\n\tout := []int{{}}\n\tfor v := 0; v < 10; v++ {{\n\t\tif v != value {{\n\t\t\tout = append(out, v)\n\t\t}}\n\t}}\n\treturn out\n}}\n",
                u = uses[1]
            );
            (PathBuf::from(format!("{dir}/m{i}.go")), s)
        }
        _ => {
            let s = format!(
                "import {{ Service{u}, helper{u} }} from './m{u}';\n\n/** Service number {i}. */\nexport class Service{i} {{\n  constructor(private readonly limit: number) {{}}\n\n  method0{i}(key: string): number | undefined {{\n    return new Service{u}(this.limit).method0{u}(key) ?? helper{u}(1)[0];\n  }}\n}}\n\nexport function helper{i}(value: number): number[] {{\n  return [...Array(10).keys()].filter((v) => v !== value);\n}}\n",
                u = uses[2]
            );
            (PathBuf::from(format!("{dir}/m{i}.ts")), s)
        }
    }
}

fn workspace(root: &Path, n: usize) -> Vec<PathBuf> {
    let mut rng = Lcg(42);
    let mut scope = Vec::with_capacity(n);
    let mut bytes = 0;
    for i in 0..n {
        let (path, text) = module(i, n, &mut rng);
        std::fs::create_dir_all(root.join(path.parent().unwrap())).unwrap();
        bytes += text.len();
        std::fs::write(root.join(&path), text).unwrap();
        scope.push(path);
    }
    scope.sort();
    println!(
        "generated workspace: {n} files, {:.1} MB (Python, Rust, Go, TypeScript)",
        bytes as f64 / 1e6
    );
    scope
}

fn count(text: &str) -> u32 {
    tokens::count(Encoding::O200k, text)
}

fn main() {
    tokens::preload(Encoding::O200k);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let scope = workspace(root, 10_000);
    let config = ContextConfig::default();
    let budgets = ctx::budgets(&config, 119_808);
    let sources = Sources {
        spec: vec![scope[0].clone()],
        failing: vec![scope[1].clone(), scope[2].clone()],
        ..Sources::default()
    };
    let mentioned = map::identifiers("Service3 keeps its limit; helper_17 never blocks.");

    let mut cold = Vec::new();
    let mut index_only = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut index = Index::build(root, &scope);
        index_only.push(t.elapsed().as_secs_f64() * 1e3);
        let mut chooser = ctx::Chooser::default();
        let c = chooser.choose(
            &mut index, root, &scope, &sources, budgets, &mentioned, &count,
        );
        std::hint::black_box(&c);
        cold.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats(
        "index 10,000 files, cold (read + outline)",
        index_only,
        "ms",
        "",
    );
    stats("set + map of 10,000 files, cold", cold, "ms", "< 1000 ms");

    let mut index = Index::build(root, &scope);
    let mut chooser = ctx::Chooser::default();
    let c = chooser.choose(
        &mut index, root, &scope, &sources, budgets, &mentioned, &count,
    );
    println!(
        "  the map: {} files, {} tokens (budget {}); the set: {} files, {} tokens",
        c.map.files.len(),
        c.map.tokens,
        budgets.1,
        c.set.members.len(),
        c.set.tokens()
    );
    let in_set: std::collections::HashSet<&Path> =
        c.set.members.iter().map(|m| m.path.as_path()).collect();
    let mut ranks = Vec::new();
    let mut renders = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let ranking = map::rank(&index, &in_set, &mentioned);
        ranks.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        std::hint::black_box(map::render(&index, &ranking, budgets.1, &count));
        renders.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats("  of which: rank 10,000 files (PageRank)", ranks, "ms", "");
    stats(
        "  of which: render the map within its budget",
        renders,
        "ms",
        "",
    );
    // A save that changes a function's body (the names stay: the ranking is kept), then one
    // that changes the names a file uses (ranked again).
    for (label, edit) in [
        ("one saved file, same names: index + set + map", "comment"),
        ("one saved file, new names: index + set + map", "renamed"),
    ] {
        let mut saves = Vec::new();
        for round in 0..21 {
            let path = &scope[round * 97 % scope.len()];
            let full = root.join(path);
            let text = std::fs::read_to_string(&full).unwrap();
            let comment = if path.extension().is_some_and(|e| e == "py") {
                "#"
            } else {
                "//"
            };
            let text = if edit == "renamed" {
                let first = text.find("elper").unwrap_or(0);
                format!("{}renamed_{round}_{}", &text[..first], &text[first..])
            } else {
                format!("{text}\n{comment} saved {round}\n")
            };
            std::fs::write(&full, text).unwrap();
            let t = Instant::now();
            index.load(root, path);
            let c = chooser.choose(
                &mut index, root, &scope, &sources, budgets, &mentioned, &count,
            );
            std::hint::black_box(&c);
            saves.push(t.elapsed().as_secs_f64() * 1e3);
        }
        stats(label, saves, "ms", "< 20 ms");
    }

    let mut assemble = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let files: Vec<(PathBuf, Result<String, String>)> = ctx::read_members(root, &c.set)
            .into_iter()
            .map(|(p, t)| (p, t.map_err(|e| e.to_string())))
            .collect();
        let code = format!("{}\n{}", request::set_part(&files, false), c.map.text);
        let parts = [
            request::Part {
                kind: specbench::llm::context::SegmentKind::System,
                text: "SYSTEM".into(),
            },
            request::Part {
                kind: specbench::llm::context::SegmentKind::Code,
                text: code,
            },
        ];
        let req = request::assemble("m", 100, &parts, &[], "next", "");
        std::hint::black_box(req);
        assemble.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats(
        "assemble a request (read the set, join the map)",
        assemble,
        "ms",
        "< 5 ms",
    );

    real_package(&config);
}

/// requests from PyPI: code tokens per request, everything against the set and the map.
fn real_package(config: &ContextConfig) {
    let dir = tempfile::tempdir().unwrap();
    let fetched = std::process::Command::new("pip")
        .args(["download", "--no-binary", ":all:", "--no-deps", "-q", "-d"])
        .arg(dir.path())
        .arg("requests==2.34.2")
        .status();
    if !fetched.is_ok_and(|s| s.success()) {
        println!("requests 2.34.2 from PyPI: pip could not fetch it, skipped");
        return;
    }
    let unpacked = std::process::Command::new("tar")
        .arg("xzf")
        .arg(dir.path().join("requests-2.34.2.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status();
    if !unpacked.is_ok_and(|s| s.success()) {
        println!("requests 2.34.2: could not unpack, skipped");
        return;
    }
    let root = dir.path().join("requests-2.34.2");
    let scope =
        specbench::workspace::scan_code_files(&root, &["**/*.py".to_string()]).unwrap_or_default();
    let everything: Vec<(&Path, String)> = scope
        .iter()
        .map(|p| {
            (
                p.as_path(),
                std::fs::read_to_string(root.join(p)).unwrap_or_default(),
            )
        })
        .collect();
    let bytes: usize = everything.iter().map(|(_, t)| t.len()).sum();
    let all = request::code_part(everything.iter().map(|(p, t)| (*p, t.as_str())));
    println!(
        "requests 2.34.2: {} Python files, {:.0} KB; today every request carries {} code tokens",
        scope.len(),
        bytes as f64 / 1e3,
        count(&all)
    );
    // A spec about sessions names src/requests/sessions.py.
    let spec_text = "# Sessions\n\nRedirects in `src/requests/sessions.py` keep the method.\n\n\
                     ## Clauses\n- [S1] A 303 turns into a GET. `test: *redirect*`\n";
    let spec = specbench::spec::parse(spec_text);
    let sources = Sources {
        spec: set::spec_files(&spec, spec_text, &scope),
        ..Sources::default()
    };
    for (label, usable) in [("128k window", 119_808), ("8k window", 7_168)] {
        let mut index = Index::build(&root, &scope);
        let t = Instant::now();
        let c = ctx::Chooser::default().choose(
            &mut index,
            &root,
            &scope,
            &sources,
            ctx::budgets(config, usable),
            &map::identifiers(spec_text),
            &count,
        );
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let files: Vec<(PathBuf, Result<String, String>)> = ctx::read_members(&root, &c.set)
            .into_iter()
            .map(|(p, t)| (p, t.map_err(|e| e.to_string())))
            .collect();
        let set_tokens = count(&request::set_part(&files, false));
        println!(
            "  default settings, {label}: set {} file(s) {} tokens (budget {}, overflow {}), \
             map {} files {} tokens: {} code tokens per request ({ms:.0} ms)",
            c.set.members.len(),
            set_tokens,
            c.set.budget,
            c.set.overflow().len(),
            c.map.files.len(),
            c.map.tokens,
            set_tokens + c.map.tokens
        );
    }
}
