//! One run of the test command: `sh -c` in its own process group, output drained from both pipes
//! at once, a wall-clock timeout and cancellation that kill the whole group (SIGTERM, a grace
//! period, then SIGKILL), and the output parsed into results as it streams.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::ansi;
use super::output::{LineSplitter, OutputLog};
use super::parse;
use super::result::{Format, Parser, Stream, TestResult, TestStatus};
use crate::config::TestFormat;

/// How long a group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(1500);
/// How long the pipes may stay open after the command exited (a grandchild holding them).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
/// Live progress is reported at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Lines of live output tail sent with each progress report.
pub const LIVE_TAIL: usize = 200;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub command: String,
    pub cwd: PathBuf,
    pub timeout: Duration,
    pub format: TestFormat,
    /// Where a JUnit report appears, relative to `cwd` (format = junit).
    pub junit_path: Option<PathBuf>,
}

/// Passed / failed / skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    /// Counts of a list of results.
    pub fn of(results: &[TestResult]) -> Self {
        let mut c = Counts::default();
        for r in results {
            match r.status {
                TestStatus::Passed => c.passed += 1,
                TestStatus::Failed => c.failed += 1,
                TestStatus::Skipped => c.skipped += 1,
            }
        }
        c
    }

    /// All tests counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

/// A snapshot of a run in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub counts: Counts,
    /// The last lines of output.
    pub tail: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub command: String,
    /// The exit code; `None` when killed by a signal.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration: Duration,
    /// The format the output was parsed as; `None` when it could not be recognised.
    pub format: Option<Format>,
    pub results: Vec<TestResult>,
    pub output: OutputLog,
    /// A problem running or reading the results (spawn failure, unreadable JUnit file).
    pub error: Option<String>,
    /// When the command ended (files written until then are the run's own).
    pub ended: Instant,
}

impl RunReport {
    /// The counts of the results.
    pub fn counts(&self) -> Counts {
        Counts::of(&self.results)
    }

    /// Whether the run passed: exit code 0, not killed, at least one test and none failed.
    pub fn passed(&self) -> bool {
        self.exit_code == Some(0)
            && !self.timed_out
            && !self.cancelled
            && !self.results.is_empty()
            && self.counts().failed == 0
    }

    /// Whether the run ended on its own without one test parsed (a wrong command, tests the
    /// runner did not find, output not recognised): "no tests ran", never a pass.
    pub fn no_tests_ran(&self) -> bool {
        !self.timed_out && !self.cancelled && self.results.is_empty()
    }
}

/// Runs the test command to completion, timeout or `cancel`, calling `progress` now and then.
pub async fn run(
    req: RunRequest,
    mut cancel: oneshot::Receiver<()>,
    mut progress: impl FnMut(Progress),
) -> RunReport {
    let start = Instant::now();
    let mut parser: Box<dyn Parser> = match parse_format(req.format) {
        Some(format) => parse::parser_for(format),
        None => parse::auto(&req.command),
    };
    let mut log = OutputLog::default();
    let report =
        |error: Option<String>, exit_code, timed_out, cancelled, parser: Box<dyn Parser>, log| {
            let format = parser.format();
            let mut results = parser.finish();
            parse::resolve(format, &mut results, &req.cwd);
            RunReport {
                command: req.command.clone(),
                exit_code,
                timed_out,
                cancelled,
                duration: start.elapsed(),
                format,
                results: relative_locations(results, &req.cwd),
                output: log,
                error,
                ended: Instant::now(),
            }
        };

    // stdout and stderr share one pipe, so lines arrive in the order the command wrote them
    // (as a terminal shows them): cargo's `Running ...` on stderr must precede its tests' lines.
    let (reader, writer) = match pipe_pair() {
        Ok(pair) => pair,
        Err(e) => {
            return report(
                Some(format!("cannot create a pipe: {e}")),
                None,
                false,
                false,
                parser,
                log,
            );
        }
    };
    let mut cmd = CommandWrap::with_new("sh", |c| {
        c.arg("-c")
            .arg(&req.command)
            .current_dir(&req.cwd)
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(writer.0)
            .stderr(writer.1);
    });
    cmd.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
    let spawned = cmd.spawn();
    // The command holds the pipe's write ends: close ours, so end of file means the group is done.
    drop(cmd);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let msg = format!("cannot start `sh -c {}`: {e}", req.command);
            return report(Some(msg), None, false, false, parser, log);
        }
    };
    let pgid = child.id().map(|id| id as libc::pid_t);
    let (chunk_tx, mut chunks) = mpsc::channel::<Vec<u8>>(32);
    tokio::task::spawn_blocking(move || pump(reader, chunk_tx));
    // The child is handed back so it lives (and KillOnDrop fires) only when the run is over.
    let mut wait = tokio::spawn(async move {
        let status = child.wait().await;
        (status, child)
    });
    let mut _child = None;

    let mut splitter = LineSplitter::default();
    let mut ingest = |bytes: &[u8], parser: &mut Box<dyn Parser>, log: &mut OutputLog| {
        splitter.push(bytes, &mut |line| {
            let clean = ansi::strip(line);
            parser.line(Stream::Stdout, &clean);
            log.push(&clean);
        });
    };
    let deadline = start + req.timeout;
    let mut last_progress = start;
    let mut exit: Option<std::process::ExitStatus> = None;
    let mut timed_out = false;
    let mut cancelled = false;
    let mut pipes_open = true;
    let mut drain_until: Option<Instant> = None;
    let mut kill_at: Option<Instant> = None;
    let mut wait_error = None;
    loop {
        tokio::select! {
            chunk = chunks.recv(), if pipes_open => match chunk {
                Some(bytes) => ingest(&bytes, &mut parser, &mut log),
                None => pipes_open = false,
            },
            status = &mut wait, if exit.is_none() && wait_error.is_none() => match status {
                Ok((Ok(status), child)) => {
                    exit = Some(status);
                    _child = Some(child);
                    drain_until = Some(Instant::now() + DRAIN_AFTER_EXIT);
                }
                Ok((Err(e), _)) => wait_error = Some(format!("waiting for the test command failed: {e}")),
                Err(e) => wait_error = Some(format!("waiting for the test command failed: {e}")),
            },
            () = tokio::time::sleep_until(deadline), if !timed_out && !cancelled && exit.is_none() => {
                timed_out = true;
                kill_at = Some(terminate(pgid));
            },
            _ = &mut cancel, if !cancelled && !timed_out && exit.is_none() => {
                cancelled = true;
                kill_at = Some(terminate(pgid));
            },
            () = sleep_until_opt(kill_at), if kill_at.is_some() && exit.is_none() => {
                signal_group(pgid, libc::SIGKILL);
                kill_at = None;
            },
            () = sleep_until_opt(drain_until), if drain_until.is_some() && pipes_open => {
                // A grandchild still holds the pipes after the command exited: end it.
                signal_group(pgid, libc::SIGKILL);
                drain_until = None;
            },
        }
        if (exit.is_some() || wait_error.is_some()) && !pipes_open {
            break;
        }
        let now = Instant::now();
        if now.duration_since(last_progress) >= PROGRESS_INTERVAL {
            last_progress = now;
            progress(Progress {
                counts: Counts::of(parser.results()),
                tail: log
                    .last(LIVE_TAIL)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    // Nothing of the group may outlive the run.
    signal_group(pgid, libc::SIGKILL);
    splitter.finish(&mut |line| {
        let clean = ansi::strip(line);
        parser.line(Stream::Stdout, &clean);
        log.push(&clean);
    });
    let exit_code = exit.and_then(|s| s.code());
    let mut error = wait_error;
    if req.format == TestFormat::Junit {
        let path = req.cwd.join(req.junit_path.clone().unwrap_or_default());
        match std::fs::read_to_string(&path) {
            Ok(xml) => match parse::junit::parse(&xml) {
                Ok(results) => {
                    return RunReport {
                        results: relative_locations(results, &req.cwd),
                        ..report(error, exit_code, timed_out, cancelled, parser, log)
                    };
                }
                Err(e) => error = Some(format!("{}: {e}", path.display())),
            },
            Err(e) => error = Some(format!("no JUnit report at {}: {e}", path.display())),
        }
    }
    report(error, exit_code, timed_out, cancelled, parser, log)
}

/// Failure locations inside the workspace, relative to it (unittest prints absolute paths).
fn relative_locations(mut results: Vec<TestResult>, root: &std::path::Path) -> Vec<TestResult> {
    for result in &mut results {
        if let Some(file) = &result.file
            && let Ok(rel) = std::path::Path::new(file).strip_prefix(root)
        {
            result.file = Some(rel.display().to_string());
        }
    }
    results
}

/// The parser format fixed by config, or `None` for auto-detection.
fn parse_format(format: TestFormat) -> Option<Format> {
    match format {
        TestFormat::Auto => None,
        TestFormat::Libtest => Some(Format::Libtest),
        TestFormat::Pytest => Some(Format::Pytest),
        TestFormat::Unittest => Some(Format::Unittest),
        TestFormat::GoJson => Some(Format::GoJson),
        TestFormat::Tap => Some(Format::Tap),
        TestFormat::Junit => Some(Format::Junit),
    }
}

/// The read end of a pipe and two write ends (for stdout and stderr).
fn pipe_pair() -> std::io::Result<(std::io::PipeReader, (Stdio, Stdio))> {
    let (reader, writer) = std::io::pipe()?;
    let second = writer.try_clone()?;
    Ok((reader, (Stdio::from(writer), Stdio::from(second))))
}

/// Copies the pipe into the channel in chunks until end of file (on a blocking thread).
fn pump(mut pipe: std::io::PipeReader, tx: mpsc::Sender<Vec<u8>>) {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tx.blocking_send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// Sends SIGTERM to the group and returns when SIGKILL is due.
fn terminate(pgid: Option<libc::pid_t>) -> Instant {
    signal_group(pgid, libc::SIGTERM);
    Instant::now() + KILL_GRACE
}

fn signal_group(pgid: Option<libc::pid_t>, signal: libc::c_int) {
    if let Some(pgid) = pgid.filter(|p| *p > 1) {
        // SAFETY: killpg has no memory-safety preconditions; an exited group gives ESRCH.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
