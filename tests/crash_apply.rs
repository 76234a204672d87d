//! `kill -9` in the middle of an apply, at many points: the real binary (`specbench run --yes`
//! against a loopback server) applies a reply that rewrites 8 files and creates one, and is
//! killed at a random moment once the apply begins. After each kill, the next
//! open (the real effects) reports what it found, leaves no temp file, and the workspace is
//! either untouched or undone by `u` to exactly what it was.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::sse_server::{Reply, Server, openai_stream};
use specbench::files::TEMP_SUFFIX;
use specbench::model::review::UndoOutcome;
use specbench::model::{AppEvent, Cmd, Msg};

const FILES: usize = 8;
const KILLS: usize = 12;
const KEY_ENV: &str = "SPECBENCH_CRASH_TEST_KEY";

/// The text of file `i`, before (`gen` 0) or after the reply (1): ~16 KB each.
fn text(i: usize, generation: usize) -> String {
    (0..400)
        .map(|line| {
            format!(
                "value_{i}_{line} = {}  # generation {generation}\n",
                line * 7
            )
        })
        .collect()
}

fn reply() -> String {
    let mut out = String::from("Every module, rewritten.\n\n");
    for i in 0..FILES {
        out.push_str(&format!(
            "```python path=pkg/m{i}.py\n{}```\n\n",
            text(i, 1)
        ));
    }
    out.push_str("```python path=pkg/added.py\nADDED = True\n```\n");
    out
}

/// A fresh workspace: the modules at generation 0, a config pointing at `url`.
fn workspace(url: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for i in 0..FILES {
        std::fs::write(root.join(format!("pkg/m{i}.py")), text(i, 0)).unwrap();
    }
    std::fs::write(
        root.join("specbench.toml"),
        format!(
            "[tests]\ncommand = \"true\"\ntimeout_secs = 60\n\n[code]\ninclude = [\"**/*.py\"]\n\n\
             [model]\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{url}/v1\"\n\
             api_key_env = \"{KEY_ENV}\"\ncontext_window = 128000\nmax_output_tokens = 1000\n\
             connect_timeout_secs = 5\nidle_timeout_secs = 20\nmax_retries = 0\n"
        ),
    )
    .unwrap();
    (dir, root)
}

/// Every file under `root` with its bytes, state included (links as their target).
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

/// The workspace's own files (not specbench's state, not the config), each with the hash of
/// its bytes; `with_temp`: specbench's temp files too.
fn code(root: &Path, with_temp: bool) -> BTreeMap<String, String> {
    files(root)
        .into_iter()
        .filter(|(p, _)| p.starts_with(root.join("pkg")))
        .filter(|(p, _)| with_temp || !p.to_string_lossy().ends_with(TEMP_SUFFIX))
        .map(|(p, bytes)| {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            (rel, specbench::files::hash_bytes(&bytes)[..12].to_string())
        })
        .collect()
}

/// The session journal's text, if there is one yet.
fn journal(root: &Path) -> String {
    let dir = root.join(".specbench/sessions");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

fn spawn(root: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_specbench"))
        .args(["run", "-m", "Rewrite every module.", "--yes"])
        .current_dir(root)
        .env(KEY_ENV, "sk-crash-test")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the journal holds `needle`; how long that took.
fn wait_for(root: &Path, needle: &str) -> Duration {
    let start = Instant::now();
    while !journal(root).contains(needle) {
        assert!(start.elapsed() < Duration::from_secs(60), "no {needle}");
        std::thread::sleep(Duration::from_micros(200));
    }
    start.elapsed()
}

/// Waits until the apply begins: its intent journaled, or (should the intent be missing) the
/// first temp file of a write in `pkg/`.
fn wait_for_apply(root: &Path) {
    let start = Instant::now();
    loop {
        let writing = std::fs::read_dir(root.join("pkg"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(TEMP_SUFFIX));
        if writing || journal(root).contains(r#""type":"applying""#) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no apply began");
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// What the next open sees: the recovery report, then an undo's outcome.
async fn reopen_and_undo(root: &Path) -> (specbench::code::recovery::Recovery, UndoOutcome) {
    let config = specbench::config::load(root, &Default::default()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = specbench::effects::Effects::new(root.to_path_buf(), config, tx);
    effects.run(Cmd::OpenSession);
    let recovery = loop {
        match rx.recv().await.unwrap() {
            Msg::Event(AppEvent::Recovered(r)) => break r,
            _ => continue,
        }
    };
    effects.run(Cmd::Undo {
        redo: false,
        force: false,
    });
    let outcome = loop {
        match rx.recv().await.unwrap() {
            Msg::Event(AppEvent::Undone { outcome, .. }) => break outcome,
            _ => continue,
        }
    };
    (recovery, outcome)
}

/// A small deterministic generator, seeded from the clock (printed with every failure).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_apply_always_leaves_an_untouched_or_exactly_undoable_workspace() {
    let body = openai_stream(&reply(), 4096);
    let server = Server::start_chat(vec![Reply::sse(body)]).await;
    // One apply to its end: how long the window is, from the intent to the `applied` record.
    let (_full, root) = workspace(&server.url());
    let mut child = spawn(&root);
    let root_probe = root.clone();
    let window = tokio::task::spawn_blocking(move || {
        wait_for_apply(&root_probe);
        wait_for(&root_probe, r#""type":"applied""#)
    })
    .await
    .unwrap();
    child.wait().unwrap();
    let window_us = u64::try_from(window.as_micros()).unwrap().max(1000);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = Lcg(seed);
    let mut seen = BTreeMap::<&str, usize>::new();
    for kill in 0..KILLS {
        let (_dir, root) = workspace(&server.url());
        let before = code(&root, true);
        let mut child = spawn(&root);
        // Killed anywhere from the intent to the apply's usual end.
        let delay = Duration::from_micros(rng.next() % window_us);
        let probe = root.clone();
        tokio::task::spawn_blocking(move || {
            wait_for_apply(&probe);
            std::thread::sleep(delay);
            child.kill().unwrap();
            child.wait().unwrap();
        })
        .await
        .unwrap();
        let context = format!("kill {kill} after {delay:?} (window {window:?}, seed {seed})");
        let mid = code(&root, false);
        let (recovery, outcome) = reopen_and_undo(&root).await;
        let leftover: Vec<PathBuf> = files(&root)
            .into_keys()
            .filter(|p| p.to_string_lossy().ends_with(TEMP_SUFFIX))
            .collect();
        assert!(leftover.is_empty(), "{context}: {leftover:?} left");
        assert_eq!(
            code(&root, true),
            before,
            "{context}: {recovery:?} then {outcome:?}"
        );
        let journal = journal(&root);
        let intents = journal.matches(r#""type":"applying""#).count();
        let ends = journal.matches(r#""type":"applied""#).count()
            + journal.matches(r#""type":"apply_interrupted""#).count();
        assert_eq!(
            intents, ends,
            "{context}: every intent has its end\n{journal}"
        );
        let kind = match (&outcome, &recovery.stopped) {
            (UndoOutcome::Done { .. }, Some(s)) if s.finished => "after the last file",
            (UndoOutcome::Done { .. }, Some(_)) => "mid-apply",
            (UndoOutcome::Done { .. }, None) => "after the apply was journaled",
            (UndoOutcome::Failed(_), _) => {
                assert_eq!(
                    mid, before,
                    "{context}: nothing to undo, so nothing was replaced"
                );
                "before any file"
            }
            (UndoOutcome::ChangedSince { .. }, _) => {
                panic!("{context}: the undo saw hand edits: {outcome:?}")
            }
        };
        if kind == "mid-apply" {
            let stopped = recovery.stopped.as_ref().unwrap();
            assert!(
                !stopped.written.is_empty() && stopped.written.len() <= FILES + 1,
                "{context}: {stopped:?}"
            );
        }
        *seen.entry(kind).or_default() += 1;
    }
    eprintln!("{KILLS} kills (window {window:?}): {seen:?}");
}
