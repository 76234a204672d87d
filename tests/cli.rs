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
