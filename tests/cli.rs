//! The binary's command line: help, version, and clear errors with exit code 2.

use std::process::Command;

fn specbench() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specbench"));
    // Never read the developer's own user config.
    cmd.env("SPECBENCH_CONFIG_DIR", "/nonexistent/specbench-test");
    cmd
}

#[test]
fn help_lists_the_commands_that_exist() {
    let out = specbench().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("demo"), "{text}");
    assert!(text.contains("--theme"), "{text}");
    assert!(text.contains("--config"), "{text}");
    let demo = specbench().args(["demo", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&demo.stdout).contains("--into"));
}

#[test]
fn version_prints_the_crate_version() {
    let out = specbench().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("specbench {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_broken_config_is_one_sentence_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("specbench.toml"),
        "[tests]\ncommand = \"make test\"\ntimeout = 5\n",
    )
    .unwrap();
    let out = specbench().arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("specbench: "), "{err}");
    assert!(err.contains("specbench.toml:3:1: `tests.timeout`"), "{err}");
    assert!(err.contains("unknown field `timeout`"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        !dir.path().join(".specbench").exists(),
        "nothing is written for a workspace that does not open"
    );
}

#[test]
fn a_missing_workspace_is_a_clear_error() {
    let out = specbench().arg("/nonexistent/workspace").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/workspace: not a workspace directory"),
        "{err}"
    );
}

#[test]
fn demo_refuses_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = specbench()
        .args(["demo", "--into"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn an_unknown_option_is_a_usage_error() {
    let out = specbench().arg("--colour").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    // As the demo's story ends: its tests and implementation written.
    for (rel, text) in specbench::assets::DEMO_STORY_FILES {
        std::fs::write(dir.path().join(rel), text).unwrap();
    }
    dir
}

#[test]
fn check_passes_on_the_demo_and_prints_json() {
    let dir = demo_copy();
    let out = specbench()
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    let tests = &json["tests"];
    assert_eq!(tests["command"], "python3 -m unittest -v");
    assert_eq!(tests["format"], "unittest");
    assert_eq!(tests["exit_code"], 0);
    assert_eq!(tests["timed_out"], false);
    assert_eq!(tests["counts"]["passed"], 11);
    assert_eq!(tests["counts"]["failed"], 0);
    let first = &tests["results"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "duration_ms",
            "file",
            "line",
            "message",
            "name",
            "status",
            "suite"
        ]
    );
}

#[test]
fn check_exits_1_on_a_failing_test_and_names_it() {
    let dir = demo_copy();
    let path = dir.path().join("rate_limiter.py");
    let code = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, code.replace("if not user_id:", "if user_id == 'x':")).unwrap();
    let out = specbench()
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ test_rate_limiter.RateLimiterTest.test_r6_empty_user_id_is_rejected"),
        "{text}"
    );
    assert!(
        text.contains("AssertionError: ValueError not raised"),
        "{text}"
    );
    assert!(text.contains("10 passed, 1 failed"), "{text}");
}

#[test]
fn check_exits_2_on_a_config_error() {
    let dir = demo_copy();
    std::fs::write(
        dir.path().join("specbench.toml"),
        "[tests]\nformat = \"nose\"\n",
    )
    .unwrap();
    let out = specbench().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`tests.format`"));
}

#[test]
fn init_detects_the_command_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
    let out = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("go test -json ./..."));
    let written = std::fs::read_to_string(dir.path().join("specbench.toml")).unwrap();
    assert!(
        written.contains("command = \"go test -json ./...\""),
        "{written}"
    );
    std::fs::write(dir.path().join("specbench.toml"), "# mine\n").unwrap();
    let again = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("left as it is"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("specbench.toml")).unwrap(),
        "# mine\n"
    );
    assert!(dir.path().join(".specbench/.gitignore").exists());
}

#[test]
fn check_no_run_prints_the_exact_report_of_the_static_checks() {
    let dir = demo_copy();
    let out = specbench()
        .args(["check", "--format", "json", "--no-run"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(text);
    assert!(
        !dir.path().join(".specbench/pins").exists(),
        "check never pins"
    );
}

#[test]
fn check_exits_1_on_drift_and_the_table_says_where() {
    let dir = demo_copy();
    let path = dir.path().join("rate_limiter.py");
    let code = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        code.replace("import math\n", "import math\nimport requests\n"),
    )
    .unwrap();
    let out = specbench()
        .args(["check", "--no-run"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ R3  violated  forbidden pattern at rate_limiter.py:4: import requests"),
        "{text}"
    );
    assert!(text.contains("✓ R4  holds"), "{text}");
    assert!(text.contains("… R1  pending"), "{text}");
    assert!(text.ends_with("drift: R3 violated\n"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when not a terminal: {text}"
    );
}

#[test]
fn init_writes_a_spec_template_and_pins_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
    let out = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SPEC.md: a template"), "{text}");
    assert!(text.contains("Pinned SPEC.md as v1"), "{text}");
    let spec = std::fs::read_to_string(dir.path().join("SPEC.md")).unwrap();
    assert!(spec.contains("**Must NOT.**"), "{spec}");
    assert!(dir.path().join(".specbench/pins/v1.json").exists());
    // A second init touches nothing and pins nothing new.
    std::fs::write(dir.path().join("SPEC.md"), "# Mine\n").unwrap();
    let again = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("SPEC.md")).unwrap(),
        "# Mine\n"
    );
    assert!(!dir.path().join(".specbench/pins/v2.json").exists());
}

#[test]
fn common_options_may_come_before_the_subcommand() {
    let dir = demo_copy();
    let out = specbench()
        .args(["--theme", "light", "check", "--no-run"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no drift"));
}

#[test]
fn the_test_command_never_sees_the_api_keys_unless_passed_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let command = "echo openai=${OPENAI_API_KEY:-unset} anthropic=${ANTHROPIC_API_KEY:-unset} \
                   mine=${MY_KEY:-unset} other=${OTHER_VAR:-unset}";
    std::fs::write(
        dir.path().join("SPEC.md"),
        "# Keys\n\n- [K1] Kept. `test: *`\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("specbench.toml"),
        format!(
            "[tests]\ncommand = {command:?}\npass_env = [\"ANTHROPIC_API_KEY\"]\n\
             [model]\napi_key_env = \"MY_KEY\"\n"
        ),
    )
    .unwrap();
    let out = specbench()
        .env("OPENAI_API_KEY", "sk-openai-secret-0123456789")
        .env("ANTHROPIC_API_KEY", "sk-ant-passed-0123456789")
        .env("MY_KEY", "my-secret-0123456789")
        .env("OTHER_VAR", "kept")
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("openai=unset anthropic=sk-ant-passed-0123456789 mine=unset other=kept"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
}

/// Runs `cmd` with stdout on a pipe whose reading end is already closed (as `| head` leaves it
/// once it has read enough): every write to stdout fails with EPIPE. With `stderr_too`, stderr
/// goes to the same closed pipe (`2>&1 | head`). Returns the exit code and stderr.
fn with_stdout_closed(cmd: &mut Command, stderr_too: bool) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    if stderr_too {
        cmd.stderr(writer.try_clone().unwrap());
    }
    let out = cmd.stdout(writer).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_init_quietly_and_its_pin_is_still_written() {
    for stderr_too in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
        let (code, err) = with_stdout_closed(specbench().arg("init").arg(dir.path()), stderr_too);
        assert_eq!(code, Some(0), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(dir.path().join("specbench.toml").exists());
        assert!(dir.path().join("SPEC.md").exists());
        assert!(
            dir.path().join(".specbench/pins/v1.json").exists(),
            "the pin is written though nobody reads what init says"
        );
    }
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    let dir = demo_copy();
    let cases: [(&[&str], i32); 6] = [
        (&["check", "--no-run"], 0),
        (&["check", "--no-run", "--format", "json"], 0),
        (&["sessions"], 0),
        (&["--help"], 0),
        (&["--version"], 0),
        (&["check", "--help"], 0),
    ];
    for (args, expected) in cases {
        for stderr_too in [false, true] {
            let mut cmd = specbench();
            cmd.args(args);
            if !args
                .iter()
                .any(|a| a.starts_with("--help") || *a == "--version")
            {
                cmd.arg(dir.path());
            }
            let (code, err) = with_stdout_closed(&mut cmd, stderr_too);
            assert_eq!(code, Some(expected), "{args:?}: {err}");
            assert!(err.is_empty(), "{args:?}: {err}");
        }
    }
}

#[test]
fn a_closed_stderr_does_not_turn_an_error_into_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = specbench()
        .arg("/nonexistent/workspace")
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_over_a_dangling_symlink_names_it_and_writes_nothing_through_it() {
    for name in ["specbench.toml", "SPEC.md"] {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("planted");
        std::os::unix::fs::symlink(&target, dir.path().join(name)).unwrap();
        let out = specbench().arg("init").arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{name}: a symbolic link to ")),
            "{err}"
        );
        assert!(err.contains(&target.display().to_string()), "{err}");
        assert!(!err.contains("os error 17"), "{err}");
        assert!(!target.exists(), "nothing is written through the link");
    }
}

#[test]
fn check_without_a_spec_to_check_against_is_an_error_not_no_drift() {
    for no_run in [true, false] {
        // Missing, then unreadable (a directory where the file should be).
        for make in [None, Some("dir")] {
            let dir = demo_copy();
            std::fs::remove_file(dir.path().join("SPEC.md")).unwrap();
            if make.is_some() {
                std::fs::create_dir(dir.path().join("SPEC.md")).unwrap();
            }
            let mut cmd = specbench();
            cmd.env("PYTHONDONTWRITEBYTECODE", "1").arg("check");
            if no_run {
                cmd.arg("--no-run");
            }
            let out = cmd.arg(dir.path()).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{make:?} {no_run}: {err}");
            assert!(err.contains("SPEC.md"), "{err}");
            assert!(err.contains("nothing to check against"), "{err}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains("no drift"));
        }
    }
}

#[test]
fn check_with_a_pin_but_the_spec_file_gone_is_drift() {
    let dir = demo_copy();
    let init = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(init.status.code(), Some(0));
    std::fs::remove_file(dir.path().join("SPEC.md")).unwrap();
    let out = specbench()
        .args(["check", "--no-run"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with("drift: spec file gone or unreadable since the pin\n"),
        "{text}"
    );
}

#[test]
fn a_config_that_is_not_utf8_is_one_sentence_with_its_line() {
    let dir = demo_copy();
    std::fs::write(
        dir.path().join("specbench.toml"),
        b"# tests\n[tests]\ncommand = \"python3 -m unittest\" # caf\xe9\n",
    )
    .unwrap();
    let out = specbench()
        .args(["check", "--no-run"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("specbench.toml:3:38: not UTF-8 (byte 0xe9)"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
