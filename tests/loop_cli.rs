//! The loop end to end through the binary: `specbench run` against a loopback server playing a
//! scripted multi-round fix on a workspace with real python tests; a journal that survives a
//! SIGKILL mid-reply; sessions listed and exported with the key nowhere.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::sse_server::{Chunking, End, Reply, Server, openai_stream};
use specbench::model::{AppEvent, Cmd, Model, Msg, update};
use specbench::session::restore::{CUT_OFF, RestoredStatus};
use specbench::session::store::SessionStore;

const KEY: &str = "sk-loop-test-6f1d2c9a8b7e4d3c2b1a";
const KEY_ENV: &str = "SPECBENCH_LOOP_TEST_KEY";

/// A small workspace with a spec, a stub, real unittest tests and a config pointing at `url`.
fn workspace(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).unwrap();
    write(
        "SPEC.md",
        "# Adder\n\n`add(a, b)` returns the sum of two integers.\n\n## Clauses\n\
         - [R1] add returns the sum of its arguments. `test: *r1*`\n\
         - [R2] No numpy. `forbid: ^\\s*import\\s+numpy`\n",
    );
    write("calc.py", "def add(a, b):\n    raise NotImplementedError\n");
    write(
        "test_calc.py",
        "import unittest\n\nfrom calc import add\n\n\nclass CalcTest(unittest.TestCase):\n\
         \x20   def test_r1_adds(self):\n        self.assertEqual(add(2, 3), 5)\n\n\
         \x20   def test_r1_negatives(self):\n        self.assertEqual(add(-4, 1), -3)\n",
    );
    write(
        "specbench.toml",
        &format!(
            "[tests]\ncommand = \"PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v\"\n\
             format = \"unittest\"\ntimeout_secs = 60\n\n[code]\ninclude = [\"**/*.py\"]\n\n\
             [model]\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{url}/v1\"\n\
             api_key_env = \"{KEY_ENV}\"\ncontext_window = 16000\nmax_output_tokens = 1000\n\
             connect_timeout_secs = 5\nidle_timeout_secs = 20\nmax_retries = 0\n"
        ),
    );
    dir
}

/// A reply that writes `calc.py` whole.
fn writes(code: &str) -> String {
    format!("Here is `add`.\n\n```python path=calc.py\n{code}```\n")
}

fn specbench(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specbench"));
    cmd.args(args)
        .current_dir(root)
        .env(KEY_ENV, KEY)
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1");
    cmd
}

/// Every file under `root`, with its bytes.
fn all_files(root: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_fixes_for_two_rounds_until_green_and_journals_it() {
    let server = Server::start_chat(vec![
        Reply::sse(openai_stream(
            &writes("def add(a, b):\n    return a - b\n"),
            16,
        )),
        Reply::sse(openai_stream(
            &writes("def add(a, b):\n    return a * b\n"),
            16,
        )),
        Reply::sse(openai_stream(
            &writes("def add(a, b):\n    return a + b\n"),
            16,
        )),
    ])
    .await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        specbench(
            &root,
            &["run", "-m", "Implement add.", "--auto-test", "3", "--yes"],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout.matches("Here is `add`.").count(), 3, "{stdout}");
    assert!(
        stderr.contains("fix round 1/3") && stderr.contains("fix round 2/3"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("fix round 3/3"),
        "green after two rounds: {stderr}"
    );
    assert!(stderr.contains("tests: 2 passed, 0 failed"), "{stderr}");
    let code = std::fs::read_to_string(dir.path().join("calc.py")).unwrap();
    assert_eq!(code, "def add(a, b):\n    return a + b\n");
    // What went over the wire: the pinned spec at both ends, then parsed failures, never logs.
    let chats: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .collect();
    assert_eq!(chats.len(), 3);
    assert_eq!(
        chats[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        chats[0]
            .body
            .contains("add returns the sum of its arguments")
    );
    assert!(chats[0].body.contains("Implement add."));
    let fix = &chats[1].body;
    assert!(fix.contains("Fix round 1 of 3"), "{fix}");
    assert!(
        fix.contains("test_calc.CalcTest.test_r1_adds [R1]"),
        "{fix}"
    );
    assert!(fix.contains("AssertionError"), "{fix}");
    assert!(
        !fix.contains("Traceback"),
        "a parsed summary, not the raw log"
    );
    assert!(chats[2].body.contains("Fix round 2 of 3"));
    // The journal: three turns, the same failures back after round 1 counted as corrections.
    let store = SessionStore::new(dir.path());
    let ids = store.ids();
    assert_eq!(ids.len(), 1);
    let session = store.load(&ids[0]).unwrap();
    assert_eq!(session.turns(), 3);
    assert!(
        session.corrections.iter().any(|(class, n)| class
            == "test_calc.CalcTest.test_r1_adds · AssertionError"
            && *n == 1),
        "{:?}",
        session.corrections
    );
    assert!(session.poisoned.is_none());
    // `sessions` and `export` tell the same, and the key is in no file and no export.
    let listed = specbench(dir.path(), &["sessions"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains(&ids[0]) && listed.contains("active"),
        "{listed}"
    );
    let md = specbench(dir.path(), &["export"]).output().unwrap();
    assert!(md.status.success());
    let md_text = String::from_utf8_lossy(&md.stdout);
    assert!(md_text.starts_with(&format!("# specbench session {}", ids[0])));
    assert!(md_text.contains("## The pinned spec"));
    assert!(
        md_text.contains("### 2. specbench, fix round 1"),
        "{md_text}"
    );
    assert!(md_text.contains("> applied calc.py"));
    assert!(
        md_text.contains("> correction: test_calc.CalcTest.test_r1_adds · AssertionError (1×)")
    );
    let json = specbench(
        dir.path(),
        &["export", ".", &ids[0][..10], "--format", "json"],
    )
    .output()
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["id"], ids[0].as_str());
    assert!(value["events"].as_array().unwrap().len() > 6);
    for (path, bytes) in all_files(dir.path()) {
        assert!(!contains(&bytes, KEY), "the key is in {}", path.display());
    }
    for output in [&out.stdout, &out.stderr, &md.stdout, &json.stdout] {
        assert!(!contains(output, KEY));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_reply_loses_no_chunk_that_arrived() {
    let text: String = (1..=400)
        .map(|i| format!("Line {i} of a long answer.\n"))
        .collect();
    let slow = Reply::sse(openai_stream(&text, 24))
        .chunking(Chunking::Fixed(90))
        .gap(Duration::from_millis(20))
        .end(End::Hang);
    let server = Server::start_chat(vec![slow]).await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    let mut child = specbench(&root, &["run", "-m", "Tell me a long story.", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = SessionStore::new(&root);
    // Wait until a good part of the reply is on disk, then kill the process outright.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let chunks = store
            .ids()
            .first()
            .and_then(|id| std::fs::read_to_string(store.path(id)).ok())
            .map_or(0, |t| t.matches(r#""type":"chunk""#).count());
        if chunks >= 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never streamed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let mut printed = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut printed).unwrap();
    child.wait().unwrap();
    // Read back: every chunk that reached the screen (stdout) is in the journal, in order.
    let id = store.ids().remove(0);
    let restored = store.load(&id).unwrap();
    let reply = restored.messages.last().unwrap();
    assert_eq!(reply.status, RestoredStatus::Interrupted(CUT_OFF.into()));
    assert!(reply.text.len() >= 20 * 20, "{} bytes", reply.text.len());
    assert!(
        text.starts_with(&reply.text),
        "a clean prefix of what was sent"
    );
    assert!(
        reply.text.starts_with(printed.trim_end_matches('\n')),
        "everything shown was journaled first"
    );
    // Reopening the workspace restores it into the conversation, marked interrupted.
    let config = specbench::config::load(&root, &Default::default()).unwrap();
    let theme = specbench::theme::ThemeSource::default()
        .load("default")
        .unwrap();
    let mut model = Model::new(root.clone(), "w".into(), config.clone(), theme);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = specbench::effects::Effects::new(root.clone(), config, tx);
    effects.run(Cmd::OpenSession);
    let opened = loop {
        match rx.recv().await.unwrap() {
            Msg::Event(event @ AppEvent::SessionOpened { .. }) => break event,
            _ => continue,
        }
    };
    update(&mut model, Msg::Event(opened));
    assert_eq!(
        model.session.id.as_deref(),
        Some(id.as_str()),
        "the same session resumes"
    );
    let last = model.conversation.messages.last().unwrap();
    assert_eq!(last.text, reply.text);
    assert!(matches!(
        &last.status,
        specbench::model::conversation::MessageStatus::Interrupted(why) if why == CUT_OFF
    ));
    assert!(model.notice.as_ref().unwrap().text.contains("cut off"));
    let listed = specbench(&root, &["sessions"]).output().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("interrupted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_an_empty_message_and_does_without_a_spec() {
    let server = Server::start_chat(vec![Reply::sse(openai_stream(
        &writes("def add(a, b):\n    return a + b\n"),
        16,
    ))])
    .await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    let empty = specbench(&root, &["run", "-m", "  "]).output().unwrap();
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("the message (-m) is empty"));
    // No SPEC.md: nothing to pin, and the step still runs to its end instead of waiting.
    std::fs::remove_file(root.join("SPEC.md")).unwrap();
    let mut child = specbench(&root, &["run", "-m", "Implement add.", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("run waited for a spec that does not exist");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("applied calc.py"), "{stderr}");
    assert!(stderr.contains("tests: 2 passed, 0 failed"), "{stderr}");
    assert!(status.code().is_some_and(|c| c <= 1), "{status:?}");
}

/// `child`'s stdout (and stderr with `stderr_too`) on a pipe whose reader is already gone.
fn closed_stdout(cmd: &mut Command, stderr_too: bool) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    if stderr_too {
        cmd.stderr(writer.try_clone().unwrap());
    }
    cmd.stdout(writer).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_run_says_what_it_refused_and_prints_no_escape_sequence() {
    let reply = "Here is the change.\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;owned\x07\x1b[?1049l \
                 Clipboard untouched.\n\n\
                 ```python path=../outside.py\nprint('escaped')\n```\n\n\
                 calc.py\n<<<<<<< SEARCH\ndef nothing_like_this():\n=======\n\
                 def add(a, b):\n    return a + b\n>>>>>>> REPLACE\n\n\
                 Done.\n\n<<<<<<< SEARCH\nhalf a block\n";
    let server = Server::start_chat(vec![Reply::sse(openai_stream(reply, 5))]).await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        specbench(&root, &["run", "-m", "Implement add.", "--yes"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // The reply's text is intact, its terminal sequences gone, wherever the stream cut them.
    assert!(
        stdout.contains("Here is the change. Clipboard untouched.\n"),
        "{stdout:?}"
    );
    assert!(stdout.contains("print('escaped')") && stdout.contains("Done."));
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(
        !stdout.contains("owned") && !stdout.contains("cm0g"),
        "{stdout:?}"
    );
    // What the cockpit lists under the diff, stderr says.
    assert!(
        stderr.contains("specbench: ✗ ../outside.py refused (reply line 3): "),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "specbench: ✗ calc.py refused (reply line 8): the SEARCH text is not in the file"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("specbench: ✗ reply line 17: the SEARCH block at line 17 has no"),
        "{stderr}"
    );
    assert!(!dir.path().parent().unwrap().join("outside.py").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("calc.py")).unwrap(),
        "def add(a, b):\n    raise NotImplementedError\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_run_and_export_quietly_and_the_step_still_happens() {
    let server = Server::start_chat(vec![Reply::sse(openai_stream(
        &writes("def add(a, b):\n    return a + b\n"),
        8,
    ))])
    .await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    // `specbench run ... 2>&1 | head -3`, with head long gone.
    let out = tokio::task::spawn_blocking(move || {
        closed_stdout(
            &mut specbench(&root, &["run", "-m", "Implement add.", "--yes"]),
            true,
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "green: the step went on");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("calc.py")).unwrap(),
        "def add(a, b):\n    return a + b\n"
    );
    let store = SessionStore::new(dir.path());
    let session = store.load(&store.ids()[0]).unwrap();
    assert_eq!(session.turns(), 1, "the turn is journaled");
    for args in [
        &["export"][..],
        &["export", "--format", "json"],
        &["sessions"],
    ] {
        let out = closed_stdout(&mut specbench(dir.path(), args), false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_seeds_the_request_with_the_set_and_the_map_and_says_when_it_overflows() {
    let server = Server::start_chat(vec![Reply::sse(openai_stream("Noted.", 8))]).await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    // More code than the all-the-code threshold, and a set larger than its budget.
    std::fs::write(
        root.join("geometry.py"),
        "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n\n\
         def distance(a, b):\n    return ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5\n",
    )
    .unwrap();
    let config = root.join("specbench.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[context]\nall_below_tokens = 10\ncode_tokens = 12\n");
    std::fs::write(&config, toml).unwrap();
    let run_root = root.clone();
    let out = tokio::task::spawn_blocking(move || {
        specbench(
            &run_root,
            &["run", "-m", "What is add?", "--step", "verify"],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("over the code budget") && stderr.contains("sent anyway"),
        "{stderr}"
    );
    let chats: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(|r| r.body)
        .collect();
    assert_eq!(chats.len(), 1, "{stderr}");
    let request: serde_json::Value = serde_json::from_str(&chats[0]).unwrap();
    let system = request["messages"][0]["content"].as_str().unwrap();
    // The spec names no file; the failing tests (the stub raises) pull in their file and
    // calc.py, whose traceback they name; geometry.py is only mapped.
    assert!(system.contains("# The context set"), "{system}");
    assert!(system.contains("```py path=test_calc.py\n"), "{system}");
    assert!(system.contains("```py path=calc.py\n"), "{system}");
    assert!(!system.contains("path=geometry.py"), "{system}");
    assert!(
        system.contains("geometry.py\n  class Point:"),
        "the map outlines the rest: {system}"
    );
}
