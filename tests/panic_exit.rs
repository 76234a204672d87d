//! A panic on the main thread (which ends the process) ends the test run's whole process group
//! first, with SIGTERM and then SIGKILL, a grandchild that ignores SIGTERM included. The panic must happen on the process's
//! main thread, as it does in the binary, so this test has no harness: it runs itself again as
//! the child that starts a run and panics, and checks in /proc that nothing of the run survives.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use specbench::config::TestFormat;
use specbench::runner::process::{self, RunRequest};

/// Set in the child: the directory it runs in.
const CHILD: &str = "SPECBENCH_PANIC_EXIT_CHILD";
/// Generous: the test waits for conditions, never for time to pass.
const DEADLINE: Duration = Duration::from_secs(60);

fn main() {
    match std::env::var_os(CHILD) {
        Some(dir) => child(PathBuf::from(dir)),
        None => parent(),
    }
}

/// As the binary does: the hook, a runtime, a run in flight; then a bug on the main thread.
fn child(dir: PathBuf) {
    specbench::runner::groups::install_panic_hook();
    // Dropped after the runtime: a dropped sender would cancel the run, which is not the point.
    let (_keep, cancel) = tokio::sync::oneshot::channel();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let pids = dir.join("pids");
    let req = RunRequest {
        command: "sh -c 'trap \"\" TERM; echo $$ >> pids; exec sleep 1008' & \
                  sh -c 'trap \"echo TERM >> terms; exit\" TERM; sleep 1009 & echo $! >> pids; \
                  echo $$ >> pids; wait' & echo $$ >> pids; wait"
            .into(),
        cwd: dir,
        timeout: Duration::from_secs(600),
        format: TestFormat::Auto,
        junit_path: None,
        hidden_env: Vec::new(),
    };
    runtime.spawn(process::run(req, cancel, |_| {}));
    wait_for("the run to start", || read_pids(&pids).len() == 4);
    panic!("a bug on the main thread, on purpose");
}

fn parent() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let exe = std::env::current_exe().expect("this test's path");
    let status = Command::new(exe)
        .env(CHILD, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the child runs");
    let pids = read_pids(&dir.path().join("pids"));
    let survivors = || {
        pids.iter()
            .copied()
            .filter(|&p| !is_gone(p))
            .collect::<Vec<_>>()
    };
    let start = Instant::now();
    while !survivors().is_empty() && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = survivors();
    for &pid in &left {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    assert_eq!(status.code(), Some(101), "the child panicked: {status}");
    assert_eq!(pids.len(), 4, "the run had started");
    assert!(
        left.is_empty(),
        "processes of the run survived the panic: {left:?}"
    );
    let terms = std::fs::read_to_string(dir.path().join("terms")).unwrap_or_default();
    assert_eq!(terms, "TERM\n", "the group got SIGTERM before SIGKILL");
    println!("test a_panic_on_the_main_thread_ends_the_run ... ok");
    println!("\ntest result: ok. 1 passed; 0 failed");
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_pids(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether a process is gone (or a zombie nobody has reaped yet: it runs nothing).
fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
