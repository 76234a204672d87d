//! Keystroke to flushed frame, while a reply streams at about 200 chunks a second from a
//! loopback server and a test run floods its output: the real event loop, effects, provider and
//! runner, with a backend that timestamps every flush.
//!
//! Each measurement types `§` into the composer (or deletes it) and waits for the first flushed
//! frame that shows the change; the next key follows after a pause of 5 to 25 ms. Budget: p99
//! under 4 ms (DESIGN.md section 8).
//!
//! Run with `cargo bench --bench latency`.

#[allow(dead_code)]
#[path = "../tests/common/sse_server.rs"]
mod sse_server;

#[allow(dead_code)]
#[path = "../tests/common/frames.rs"]
mod frames;

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::Model;
use specbench::theme::ThemeSource;

const KEYS: usize = 600;
const MARK: &str = "§";

/// A workspace whose tests flood their output for as long as they are let run.
fn workspace(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    specbench::demo::write_into(dir.path()).expect("demo");
    let toml = format!(
        "[tests]\ncommand = \"yes 'a test that logs far too much: 0123456789 abcdefghij'\"\n\
         timeout_secs = 300\n\n[code]\ninclude = [\"**/*.py\"]\n\n[model]\nprovider = \"openai\"\n\
         model = \"gpt-4o-mini\"\nbase_url = \"{url}/v1\"\napi_key_env = \"SPECBENCH_BENCH_NO_KEY\"\n\
         context_window = 128000\n"
    );
    std::fs::write(dir.path().join("specbench.toml"), toml).expect("config");
    dir
}

fn key(tx: &futures::channel::mpsc::UnboundedSender<io::Result<Event>>, code: KeyCode) {
    let _ = tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // About 200 events a second for a minute: far longer than the measurement.
        let text: String = (0..12_000).map(|i| format!("word{i} ")).collect();
        let body = sse_server::openai_stream(&text, 6);
        let events = body.matches("data: ").count();
        let piece = body.len() / events;
        let reply = sse_server::Reply::sse(body)
            .chunking(sse_server::Chunking::Fixed(piece))
            .gap(Duration::from_millis(5));
        let server = sse_server::Server::start_chat(vec![reply]).await;
        let dir = workspace(&server.url());
        let root = dir.path().to_path_buf();
        let config = config::load(&root, &Overrides::default()).expect("config");
        let theme = ThemeSource::default().load("default").expect("theme");
        let model = Model::new(root.clone(), "bench".into(), config.clone(), theme);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let effects = Effects::new(root, config, tx);
        let (flush_tx, mut flushes) = tokio::sync::mpsc::unbounded_channel();
        // Every flush reports when it happened and how many marks the screen shows.
        let backend = frames::FrameBackend::with(200, 60, move |buffer| {
            let marks = buffer
                .content()
                .iter()
                .filter(|c| c.symbol() == MARK)
                .count();
            let _ = flush_tx.send((Instant::now(), marks));
        });
        let mut terminal = Terminal::new(backend).expect("terminal");
        let mut host = NoHost::default();
        let (keys, keys_rx) = futures::channel::mpsc::unbounded();
        let script = async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            key(&keys, KeyCode::Char('i'));
            for c in "stream please".chars() {
                key(&keys, KeyCode::Char(c));
            }
            key(&keys, KeyCode::Enter);
            tokio::time::sleep(Duration::from_millis(800)).await;
            while flushes.try_recv().is_ok() {}
            let started = Instant::now();
            let mut frames = 0usize;
            let mut latencies = Vec::with_capacity(KEYS);
            let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
            for i in 0..KEYS {
                let (code, want) = if i % 2 == 0 {
                    (KeyCode::Char('§'), 1)
                } else {
                    (KeyCode::Backspace, 0)
                };
                let sent = Instant::now();
                key(&keys, code);
                loop {
                    let (at, marks) = flushes.recv().await.expect("frames");
                    frames += 1;
                    if marks == want && at >= sent {
                        latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                        break;
                    }
                }
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let pause = 5 + (seed >> 33) % 21;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                while flushes.try_recv().is_ok() {
                    frames += 1;
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            key(&keys, KeyCode::Esc);
            key(&keys, KeyCode::Esc);
            key(&keys, KeyCode::Char('q'));
            key(&keys, KeyCode::Char('y'));
            (latencies, frames as f64 / seconds)
        };
        let (model, (mut latencies, fps)) = tokio::join!(
            app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx),
            script
        );
        let model = model.expect("the loop ran");
        latencies.sort_by(f64::total_cmp);
        let chunks = model
            .conversation
            .messages
            .last()
            .map_or(0, |m| m.text.len());
        println!(
            "keystroke → flushed frame, reply streaming (~200 events/s) and a test run flooding \
             output, 200x60, n={}",
            latencies.len()
        );
        println!(
            "  p50 {:.2} ms · p90 {:.2} ms · p99 {:.2} ms · max {:.2} ms   (budget: p99 < 4 ms)",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.9),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0)
        );
        println!(
            "  frames drawn: {fps:.0}/s; reply text received meanwhile: {chunks} bytes; the run \
             still going at the end: {}",
            model.results.running.is_some()
        );
    });
}
