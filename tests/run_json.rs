//! `specbench run --format json` through the binary against a loopback server: one JSON report
//! on stdout with the turns, the applied and refused edits, each run's counts and the final
//! check report, and nothing else there.

mod common;

use std::path::Path;
use std::process::Command;

use common::sse_server::{Reply, Server, openai_stream};

const KEY: &str = "sk-run-json-test-0a1b2c3d4e5f";
const KEY_ENV: &str = "SPECBENCH_RUN_JSON_TEST_KEY";

fn workspace(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).unwrap();
    write(
        "SPEC.md",
        "# Adder\n\n`add(a, b)` returns the sum.\n\n## Clauses\n\
         - [R1] add returns the sum of its arguments. `test: *r1*`\n",
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
             timeout_secs = 60\n\n[code]\ninclude = [\"**/*.py\"]\n\n\
             [model]\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{url}/v1\"\n\
             api_key_env = \"{KEY_ENV}\"\ncontext_window = 16000\nmax_output_tokens = 1000\n\
             connect_timeout_secs = 5\nidle_timeout_secs = 20\nmax_retries = 0\n"
        ),
    );
    dir
}

fn specbench(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specbench"));
    cmd.args(args)
        .current_dir(root)
        .env(KEY_ENV, KEY)
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .env("SPECBENCH_CONFIG_DIR", "/nonexistent-specbench-config");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_prints_one_json_report_with_turns_edits_runs_and_the_check() {
    let first = "A first try.\n\n```python path=calc.py\ndef add(a, b):\n    return a - b\n```\n\n\
                 ```python path=../outside.py\nprint('no')\n```\n";
    let second = "Fixed.\n\n```python path=calc.py\ndef add(a, b):\n    return a + b\n```\n";
    let server = Server::start_chat(vec![
        Reply::sse(openai_stream(first, 16)),
        Reply::sse(openai_stream(second, 16)),
    ])
    .await;
    let dir = workspace(&server.url());
    let root = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        specbench(
            &root,
            &[
                "run",
                "-m",
                "Implement add.",
                "--auto-test",
                "2",
                "--yes",
                "--format",
                "json",
            ],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // Only the report on stdout: it parses as one JSON value.
    let report: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(report["ok"], true);
    let turns = report["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2, "{report:#}");
    assert_eq!(turns[0]["kind"], "message");
    assert_eq!(turns[0]["message"], "Implement add.");
    assert_eq!(turns[0]["reply"], first);
    assert_eq!(turns[0]["status"], "complete");
    assert_eq!(turns[1]["kind"], "fix");
    assert_eq!(turns[1]["round"], 1);
    assert!(
        turns[1]["message"]
            .as_str()
            .unwrap()
            .contains("test_calc.CalcTest.test_r1_adds"),
        "{report:#}"
    );
    assert_eq!(turns[1]["reply"], second);
    let applied = report["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 2, "{report:#}");
    assert_eq!(applied[0]["files"][0], "calc.py");
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{report:#}");
    assert_eq!(refused[0]["path"], "../outside.py");
    assert!(
        refused[0]["reason"].as_str().unwrap().contains(".."),
        "{report:#}"
    );
    assert!(!dir.path().join("../outside.py").exists());
    // The run on open (the stub), after the first apply (wrong), after the fix (green).
    let runs = report["runs"].as_array().unwrap();
    let counts: Vec<(u64, u64)> = runs
        .iter()
        .map(|r| (r["passed"].as_u64().unwrap(), r["failed"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts.last(), Some(&(1, 0)), "{report:#}");
    assert!(counts.contains(&(0, 1)), "{report:#}");
    assert_eq!(
        runs.iter().rev().nth(1).unwrap()["failing"][0],
        "test_calc.CalcTest.test_r1_adds"
    );
    // The final check report, as `check --format json` prints it.
    let check = &report["check"];
    assert_eq!(check["ok"], true);
    assert_eq!(check["clauses"][0]["status"], "holds");
    assert_eq!(check["tests"]["counts"]["passed"], 1);
    // The status lines still go to stderr.
    assert!(stderr.contains("fix round 1/2"), "{stderr}");
}
