//! Nothing is written outside the workspace through `.specbench/`: the binary runs a whole step
//! (`specbench run --yes`: log, session journal, pin, checkpoint, apply, tests) on a workspace
//! where a state directory or file is a real symlink leading out, and the files outside are
//! byte for byte what they were; the refusal names the link, and the rest still works.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::sse_server::{Reply, Server, openai_stream};

const KEY_ENV: &str = "SPECBENCH_STATE_TEST_KEY";

/// A workspace in `parent/ws` with a spec, a stub, real unittest tests and a config pointing at
/// `url`, and beside it `parent/outside/` holding a file a link may point at.
fn setup(url: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "# the user's shell profile\n").unwrap();
    let write = |rel: &str, text: &str| std::fs::write(root.join(rel), text).unwrap();
    write(
        "SPEC.md",
        "# Adder\n\n## Clauses\n- [R1] add returns the sum of its arguments. `test: *r1*`\n",
    );
    write("calc.py", "def add(a, b):\n    raise NotImplementedError\n");
    write(
        "test_calc.py",
        "import unittest\n\nfrom calc import add\n\n\nclass CalcTest(unittest.TestCase):\n\
         \x20   def test_r1_adds(self):\n        self.assertEqual(add(2, 3), 5)\n",
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
    let root = root.canonicalize().unwrap();
    (dir, root, outside)
}

/// Every entry under `dir` (links not followed) with its bytes or target.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(path, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                out.insert(path.clone(), b"dir".to_vec());
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// One `specbench run --yes` step that writes a passing `calc.py`; (exit code, stderr).
async fn step(root: &Path) -> (Option<i32>, String) {
    let root = root.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_specbench"))
            .args(["run", "-m", "Implement add.", "--yes"])
            .current_dir(&root)
            .env(KEY_ENV, "sk-state-test")
            .env_remove("OPENAI_API_KEY")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FIXED: &str = "def add(a, b):\n    return a + b\n";

async fn server() -> Server {
    let reply = format!("Here is `add`.\n\n```python path=calc.py\n{FIXED}```\n");
    Server::start_chat(vec![Reply::sse(openai_stream(&reply, 16))]).await
}

/// Plants `link` (relative to the workspace) pointing at `target`, runs a step, and checks
/// that nothing outside changed and the refusal names the link. Returns `calc.py` after the
/// step, and stderr.
async fn with_link(link: &str, target: impl Fn(&Path) -> PathBuf) -> (String, String) {
    let server = server().await;
    let (_dir, root, outside) = setup(&server.url());
    let path = root.join(link);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target(&outside), &path).unwrap();
    let before = tree(&outside);
    let (code, stderr) = step(&root).await;
    assert_eq!(
        tree(&outside),
        before,
        "{link}: something was written outside the workspace\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{} is a symlink", path.display())),
        "{link}: the refusal names the link\n{stderr}"
    );
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink(),
        "{link}: the link is left for the user to look at"
    );
    assert!(code.is_some(), "{link}: no crash\n{stderr}");
    let calc = std::fs::read_to_string(root.join("calc.py")).unwrap();
    (calc, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_log_file_is_not_followed_and_the_step_still_runs() {
    let (calc, stderr) = with_link(".specbench/specbench.log", |o| o.join("victim")).await;
    assert!(stderr.contains("Logging is off"), "{stderr}");
    assert_eq!(calc, FIXED, "{stderr}");
    assert!(stderr.contains("tests: 1 passed, 0 failed"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_state_directory_is_not_followed_and_nothing_is_applied_without_a_checkpoint() {
    let (calc, stderr) = with_link(".specbench", Path::to_path_buf).await;
    assert_eq!(
        calc, "def add(a, b):\n    raise NotImplementedError\n",
        "no checkpoint, no apply: {stderr}"
    );
    assert!(stderr.contains("not applied"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_sessions_directory_is_not_followed() {
    let (calc, stderr) = with_link(".specbench/sessions", Path::to_path_buf).await;
    assert_eq!(calc, FIXED, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_pins_directory_is_not_followed() {
    let (calc, stderr) = with_link(".specbench/pins", Path::to_path_buf).await;
    assert_eq!(calc, FIXED, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_checkpoints_directory_is_not_followed_and_nothing_is_applied() {
    let (calc, stderr) = with_link(".specbench/checkpoints", Path::to_path_buf).await;
    assert_eq!(
        calc, "def add(a, b):\n    raise NotImplementedError\n",
        "no checkpoint, no apply: {stderr}"
    );
    assert!(stderr.contains("not applied"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_checkpoint_state_file_is_replaced_not_followed() {
    let server = server().await;
    let (_dir, root, outside) = setup(&server.url());
    std::fs::create_dir_all(root.join(".specbench/checkpoints")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("victim"),
        root.join(".specbench/checkpoints/state.json"),
    )
    .unwrap();
    let before = tree(&outside);
    let (_, stderr) = step(&root).await;
    assert_eq!(tree(&outside), before, "{stderr}");
}
