//! The runner against real child processes: exit codes, environment, non-UTF-8 output, bounded
//! memory under a flood, cancellation and timeouts that leave no process of the group alive.

use std::path::{Path, PathBuf};
use std::time::Duration;

use specbench::config::TestFormat;
use specbench::runner::process::{self, RunReport, RunRequest};
use tokio::sync::oneshot;

fn request(dir: &Path, command: &str, timeout: Duration) -> RunRequest {
    RunRequest {
        command: command.into(),
        cwd: dir.to_path_buf(),
        timeout,
        format: TestFormat::Auto,
        junit_path: None,
        hidden_env: Vec::new(),
    }
}

async fn run(req: RunRequest) -> RunReport {
    let (_keep, cancel) = oneshot::channel();
    tokio::time::timeout(Duration::from_secs(60), process::run(req, cancel, |_| {}))
        .await
        .expect("the run ends")
}

/// Whether a process is gone (or a zombie waiting to be reaped by init).
fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Waits a little for each process to be reaped, then asserts none survived.
async fn assert_all_gone(pids: &[i32]) {
    for &pid in pids {
        for _ in 0..100 {
            if is_gone(pid) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(is_gone(pid), "process {pid} survived");
    }
}

fn read_pids(path: &PathBuf) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

async fn wait_for_file(path: &Path) {
    for _ in 0..200 {
        if path.exists() && !std::fs::read_to_string(path).unwrap_or_default().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test]
async fn exit_code_environment_and_stderr_are_captured() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(request(
        dir.path(),
        "echo \"CI=$CI\"; echo to-stderr >&2; read x; echo \"stdin:${x:-closed}\"; exit 3",
        Duration::from_secs(30),
    ))
    .await;
    assert_eq!(report.exit_code, Some(3));
    assert!(!report.passed());
    let lines: Vec<&str> = report.output.lines().collect();
    assert!(lines.contains(&"CI=1"), "{lines:?}");
    assert!(lines.contains(&"to-stderr"), "{lines:?}");
    assert!(lines.contains(&"stdin:closed"), "{lines:?}");
    assert_eq!(report.format, None, "plain output is not a test format");
}

#[tokio::test]
async fn non_utf8_bytes_and_colours_survive_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(request(
        dir.path(),
        r"printf 'ok \377 end\n\033[31mred\033[0m\n'",
        Duration::from_secs(30),
    ))
    .await;
    let lines: Vec<&str> = report.output.lines().collect();
    assert_eq!(lines, ["ok \u{fffd} end", "red"]);
    assert_eq!(report.exit_code, Some(0));
}

#[tokio::test]
async fn a_flood_of_output_costs_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 60 MB of output: one 40 MB line and 2 million short ones.
    let report = run(request(
        dir.path(),
        "head -c 40000000 /dev/zero | tr '\\0' 'x'; yes 'short line' | head -n 2000000",
        Duration::from_secs(120),
    ))
    .await;
    assert_eq!(report.exit_code, Some(0));
    assert!(report.output.total_lines >= 2_000_000);
    let kept = report.output.lines().count() as u64;
    assert!(kept <= 2_201, "{kept} lines kept");
    let longest = report.output.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 5_000, "lines are cut: {longest}");
}

#[tokio::test]
async fn cancelling_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let req = request(
        dir.path(),
        "sleep 300 & echo $! >> pids; (trap '' TERM; sleep 300) & echo $! >> pids; echo $$ >> pids; wait",
        Duration::from_secs(600),
    );
    let (cancel_tx, cancel_rx) = oneshot::channel();
    let task = tokio::spawn(process::run(req, cancel_rx, |_| {}));
    wait_for_file(&pids).await;
    while read_pids(&pids).len() < 3 {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    cancel_tx.send(()).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("cancel ends the run")
        .unwrap();
    assert!(report.cancelled);
    assert!(!report.timed_out);
    assert_eq!(report.exit_code, None, "killed by a signal");
    assert_all_gone(&read_pids(&pids)).await;
}

#[tokio::test]
async fn a_timeout_kills_grandchildren_that_ignore_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let report = run(request(
        dir.path(),
        "trap '' TERM; (trap '' TERM; sleep 300) & echo $! >> pids; echo $$ >> pids; echo started; sleep 300",
        Duration::from_secs(1),
    ))
    .await;
    assert!(report.timed_out);
    assert!(report.output.lines().any(|l| l == "started"));
    let pids = read_pids(&pids);
    assert_eq!(pids.len(), 2);
    assert_all_gone(&pids).await;
}

#[tokio::test]
async fn a_command_that_cannot_start_says_why() {
    let report = run(request(
        Path::new("/nonexistent/dir"),
        "true",
        Duration::from_secs(5),
    ))
    .await;
    let error = report.error.clone().expect("an error");
    assert!(error.contains("cannot start"), "{error}");
    assert!(!report.passed());
}

#[tokio::test]
async fn a_grandchild_holding_the_pipes_does_not_hang_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(request(
        dir.path(),
        "sleep 300 & echo done",
        Duration::from_secs(600),
    ))
    .await;
    assert_eq!(report.exit_code, Some(0));
    assert!(!report.timed_out);
    assert!(report.output.lines().any(|l| l == "done"));
}

/// Ends a process that a test started outside any group specbench ends.
fn kill_pid_in(path: &Path) {
    for pid in read_pids(&path.to_path_buf()) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[tokio::test]
async fn a_process_that_leaves_the_group_and_holds_the_output_does_not_hang_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // `setsid` takes the sleeper out of the group (out of reach of the group kill) and it keeps
    // the output pipe open; the command itself outlives its timeout.
    let report = run(request(
        dir.path(),
        "setsid sh -c 'echo $$ > escaped; exec sleep 1005' & echo started; sleep 1006",
        Duration::from_secs(2),
    ))
    .await;
    kill_pid_in(&dir.path().join("escaped"));
    assert!(report.timed_out);
    assert!(report.output.lines().any(|l| l == "started"));
    assert_eq!(report.error.as_deref(), Some(process::ESCAPED));
    assert!(process::ESCAPED.contains("setsid"));
}

#[tokio::test]
async fn a_command_that_exits_leaving_an_escaped_process_ends_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(request(
        dir.path(),
        "setsid sh -c 'echo $$ > escaped; exec sleep 1007' & echo done",
        Duration::from_secs(600),
    ))
    .await;
    kill_pid_in(&dir.path().join("escaped"));
    assert_eq!(report.exit_code, Some(0));
    assert!(!report.timed_out);
    assert!(report.output.lines().any(|l| l == "done"));
    assert_eq!(report.error.as_deref(), Some(process::ESCAPED));
}

fn junit_request(dir: &Path, command: &str, report: &str) -> RunRequest {
    RunRequest {
        format: TestFormat::Junit,
        junit_path: Some(PathBuf::from(report)),
        ..request(dir, command, Duration::from_secs(60))
    }
}

const REPORT: &str = r#"<testsuites><testsuite name="s"><testcase name="ok" classname="c"/><testcase name="bad" classname="c"><failure message="boom"/></testcase></testsuite></testsuites>"#;

#[tokio::test]
async fn a_junit_report_written_by_the_run_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // Left from an earlier run, then rewritten by this one.
    std::fs::write(dir.path().join("report.xml"), "<testsuites/>").unwrap();
    let command = format!("printf '%s' '{REPORT}' > report.xml; exit 1");
    let report = run(junit_request(dir.path(), &command, "report.xml")).await;
    assert_eq!(report.error, None);
    let names: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["c.ok", "c.bad"]);
    assert_eq!(report.counts().failed, 1);
}

#[tokio::test]
async fn a_junit_report_left_from_an_earlier_run_is_no_report_from_this_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.xml"), REPORT).unwrap();
    let report = run(junit_request(dir.path(), "exit 3", "report.xml")).await;
    assert_eq!(report.exit_code, Some(3));
    assert!(report.results.is_empty(), "{:?}", report.results);
    let error = report.error.unwrap_or_default();
    assert!(
        error.starts_with("no JUnit report from this run:"),
        "{error}"
    );
    assert!(error.contains("report.xml"), "{error}");
}

#[tokio::test]
async fn a_junit_report_copied_with_its_old_time_is_no_report_from_this_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.xml"), REPORT).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("old.xml"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let report = run(junit_request(
        dir.path(),
        "cp -p old.xml report.xml",
        "report.xml",
    ))
    .await;
    assert!(report.results.is_empty());
    let error = report.error.unwrap_or_default();
    assert!(
        error.starts_with("no JUnit report from this run:"),
        "{error}"
    );
}

#[tokio::test]
async fn a_device_is_not_read_as_a_junit_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(junit_request(dir.path(), "true", "/dev/zero")).await;
    assert_eq!(
        report.error.as_deref(),
        Some("/dev/zero is a character device: a JUnit report is read only from a regular file")
    );
}

#[tokio::test]
async fn a_fifo_is_not_read_as_a_junit_report_and_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(junit_request(dir.path(), "mkfifo report.xml", "report.xml")).await;
    let error = report.error.unwrap_or_default();
    assert!(
        error.ends_with(
            "report.xml is a FIFO (named pipe): a JUnit report is read only from a regular file"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_directory_is_not_read_as_a_junit_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(junit_request(dir.path(), "mkdir report.xml", "report.xml")).await;
    let error = report.error.unwrap_or_default();
    assert!(
        error.ends_with(
            "report.xml is a directory: a JUnit report is read only from a regular file"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_report_that_is_not_junit_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(junit_request(
        dir.path(),
        "echo '<html><body>Bad gateway</body></html>' > report.xml",
        "report.xml",
    ))
    .await;
    let error = report.error.unwrap_or_default();
    assert!(
        error.ends_with(
            "report.xml: not JUnit XML: the root element is <html>, not <testsuites> or <testsuite>"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_junit_report_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 65 MiB that cost no disk.
    let report = run(junit_request(
        dir.path(),
        "truncate -s 65M report.xml",
        "report.xml",
    ))
    .await;
    let error = report.error.unwrap_or_default();
    assert!(
        error.ends_with(
            "report.xml is 65.0 MiB, more than the 64 MiB a JUnit report may have: not read"
        ),
        "{error}"
    );
}
