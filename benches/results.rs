//! Results benchmarks: parse throughput per format, output ingestion through a real child
//! process (MB/s and peak memory), and file save to test process start through the real event
//! loop, watcher and runner (median latency, runs per burst), in a small workspace and in one
//! of 10,000 files (with the watcher's start: its walk and content baseline).
//!
//! Run with `cargo bench --bench results`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides, TestFormat};
use specbench::effects::Effects;
use specbench::model::{AppEvent, Model, Msg};
use specbench::runner::parse;
use specbench::runner::process::{self, RunRequest};
use specbench::runner::result::{Format, Stream};
use specbench::theme::ThemeSource;
use specbench::watch::{WatchConfig, Watcher};

const FIXTURES: &[(&str, Format)] = &[
    (
        include_str!("../tests/fixtures/runners/libtest/cargo_test.txt"),
        Format::Libtest,
    ),
    (
        include_str!("../tests/fixtures/runners/pytest/pytest_v.txt"),
        Format::Pytest,
    ),
    (
        include_str!("../tests/fixtures/runners/unittest/unittest_v.txt"),
        Format::Unittest,
    ),
    (
        include_str!("../tests/fixtures/runners/gojson/go_test_json.jsonl"),
        Format::GoJson,
    ),
    (
        include_str!("../tests/fixtures/runners/tap/node_test_tap.txt"),
        Format::Tap,
    ),
];

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn print(name: &str, values: Vec<f64>, unit: &str, budget: &str) {
    let n = values.len();
    let (med, min, max) = median(values);
    println!(
        "{name:<34} median {med:>9.2} {unit:<5} (min {min:.2}, max {max:.2}, n={n})  budget {budget}"
    );
}

fn parse_throughput() {
    for (text, format) in FIXTURES {
        let mut big = String::new();
        while big.len() < 50_000_000 {
            big.push_str(text);
        }
        let lines: Vec<&str> = big.lines().collect();
        let mut speeds = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let mut parser = parse::parser_for(*format);
            for line in &lines {
                parser.line(Stream::Stdout, line);
            }
            std::hint::black_box(parser.finish());
            speeds.push(big.len() as f64 / start.elapsed().as_secs_f64() / 1e6);
        }
        print(
            &format!("parse {}", format.as_str()),
            speeds,
            "MB/s",
            ">= 100 MB/s",
        );
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn ingestion(runtime: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, _) = FIXTURES[0];
    let path = dir.path().join("out.txt");
    // Written in pieces, so the benchmark itself never holds the gigabyte.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let mut size = 0usize;
    while size < 1_000_000_000 {
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
        size += text.len();
    }
    std::io::Write::flush(&mut file).expect("flush");
    drop(file);
    let size = size as f64;
    let before = peak_rss_kib();
    let mut speeds = Vec::new();
    for _ in 0..3 {
        let req = RunRequest {
            command: "cat out.txt".into(),
            cwd: dir.path().to_path_buf(),
            timeout: Duration::from_secs(600),
            format: TestFormat::Libtest,
            junit_path: None,
            hidden_env: Vec::new(),
        };
        let start = Instant::now();
        let report = runtime.block_on(async {
            let (_keep, cancel) = tokio::sync::oneshot::channel();
            process::run(req, cancel, |_| {}).await
        });
        speeds.push(size / start.elapsed().as_secs_f64() / 1e6);
        assert_eq!(report.exit_code, Some(0));
    }
    print(
        "ingest 1 GB libtest via a pipe",
        speeds,
        "MB/s",
        ">= 100 MB/s",
    );
    let grown = peak_rss_kib().saturating_sub(before) as f64 / 1024.0;
    println!(
        "{:<34} {grown:>16.1} MiB  (peak RSS growth while ingesting)",
        "ingest 1 GB: memory"
    );
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn stamps(dir: &Path) -> Vec<u128> {
    std::fs::read_to_string(dir.join(".stamps"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Saves a file 30 times in a workspace with `tree` more code files (100 to a directory),
/// then 1,000 at once; prints the latencies, the runs of the burst, and the watcher's start.
fn save_to_spawn(runtime: &tokio::runtime::Runtime, tree: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    std::fs::write(
        root.join("specbench.toml"),
        "[tests]\ncommand = \"date +%s%N >> .stamps\"\n",
    )
    .expect("config");
    std::fs::write(root.join("a.py"), "x = 0\n").expect("code");
    std::fs::create_dir(root.join("pkg")).expect("dir");
    let body = "def f(x):\n    return x + 1\n\n".repeat(30);
    for i in 0..tree {
        let sub = root.join("lib").join(format!("d{:03}", i / 100));
        std::fs::create_dir_all(&sub).expect("lib dir");
        std::fs::write(sub.join(format!("m{i}.py")), &body).expect("lib file");
    }
    let label = if tree == 0 {
        String::new()
    } else {
        format!(" ({tree} files)")
    };
    let (latencies, per_burst) = runtime.block_on(async {
        let config = config::load(&root, &Overrides::default()).expect("config");
        let theme = ThemeSource::default().load("default").expect("theme");
        let model = Model::new(root.clone(), "bench".into(), config.clone(), theme);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (watch_tx, mut watch_rx) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let _watcher =
            Watcher::start(WatchConfig::new(root.clone(), Vec::new()), watch_tx).expect("watch");
        println!(
            "{:<34} {:>16.1} ms  (off the UI task)",
            format!("watcher start{label}"),
            started.elapsed().as_secs_f64() * 1e3
        );
        let forward = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = watch_rx.recv().await {
                let _ = forward.send(Msg::Event(AppEvent::Watch(event)));
            }
        });
        let effects = Effects::new(root.clone(), config, tx.clone());
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let mut host = NoHost::default();
        let input = stream::pending();
        let script = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut latencies = Vec::new();
            for i in 0..30 {
                let before = stamps(&root).len();
                let saved = now_ns();
                // New content each time: a write of the bytes a file holds is no change.
                std::fs::write(root.join("a.py"), format!("x = {}\n", i + 1)).expect("save");
                while stamps(&root).len() == before {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let started = stamps(&root)[before];
                latencies.push(started.saturating_sub(saved) as f64 / 1e6);
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            // A burst like a checkout: 1,000 files.
            let before = stamps(&root).len();
            for i in 0..1000 {
                std::fs::write(root.join("pkg").join(format!("m{i}.py")), "y = 1\n")
                    .expect("burst");
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            let per_burst = stamps(&root).len() - before;
            let _ = tx.send(Msg::Signal("bench done"));
            (latencies, per_burst)
        };
        let (result, out) = tokio::join!(
            app::run(&mut terminal, input, &mut host, model, &effects, rx),
            script
        );
        result.expect("loop");
        out
    });
    print(
        &format!("file saved -> test process started{label}"),
        latencies,
        "ms",
        "<= 15 ms (bacon: 17.8 ms)",
    );
    println!(
        "{:<34} {per_burst:>16} runs  (budget: 1, at most one restart)",
        format!("burst of 1,000 files{label}")
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "release build, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // Ingestion first: its peak-memory figure is the growth of this process's peak.
    ingestion(&runtime);
    parse_throughput();
    save_to_spawn(&runtime, 0);
    save_to_spawn(&runtime, 10_000);
}
