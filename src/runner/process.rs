//! One run of the test command: `sh -c` in its own process group (registered in
//! [`super::groups`], so every exit path of specbench ends it), its environment without the API
//! keys, stdout and stderr drained from one pipe on the runtime, a wall-clock timeout and
//! cancellation that kill the whole group (SIGTERM, a grace period, then SIGKILL), and the output
//! parsed into results as it streams. A JUnit report is read after the run ([`junit::read_report`]).

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ansi;
use super::groups::{Group, KILL_GRACE};
use super::output::{LineSplitter, OutputLog};
use super::parse::{self, junit};
use super::result::{Format, Parser, Stream, TestResult, TestStatus};
use crate::config::{Config, TestFormat, TestsConfig};

/// How long the pipes may stay open after the command exited (a grandchild holding them).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
/// How long the pipe may stay open once what was left of the group got SIGKILL: longer, and a
/// process outside the group holds it.
const ESCAPED_GRACE: Duration = Duration::from_millis(500);
/// How often a group that SIGKILL has not emptied yet is looked at again.
const GROUP_POLL: Duration = Duration::from_millis(100);
/// The run's note when a process outside its group kept the output open.
pub const ESCAPED: &str = "a process outside the test command's process group (setsid?) kept its \
                           output open; stopped reading";
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
    /// Variables taken out of the command's environment (the API keys).
    pub hidden_env: Vec<String>,
}

impl RunRequest {
    /// The run of `tests`'s command in `root`, without the variables `config` withholds from it
    /// (the API keys).
    pub fn new(root: &Path, config: &Config, tests: &TestsConfig) -> Self {
        Self {
            command: tests.command.clone(),
            cwd: root.to_path_buf(),
            timeout: Duration::from_secs(tests.timeout_secs),
            format: tests.format,
            junit_path: tests.junit_path.clone(),
            hidden_env: config.withheld_env_with(tests),
        }
    }
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
    // The report as it was before the run: a report the run did not write is not its result.
    let junit = (req.format == TestFormat::Junit).then(|| {
        let path = req.cwd.join(req.junit_path.clone().unwrap_or_default());
        let before = junit::Baseline::take(&path);
        (path, before)
    });

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
        for var in &req.hidden_env {
            c.env_remove(var);
        }
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
    // Registered for as long as the run lasts: every exit path of specbench ends it.
    let group = child.id().map(|id| Group::register(id as libc::pid_t));
    let signal = |signal| {
        if let Some(group) = &group {
            group.signal(signal);
        }
    };
    let mut pipe = Some(reader);
    let mut buf = vec![0u8; 64 * 1024];
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
    let mut kill_at: Option<Instant> = None;
    let mut drain_until: Option<Instant> = None;
    let mut give_up_at: Option<Instant> = None;
    let mut escaped = false;
    let mut wait_error = None;
    loop {
        tokio::select! {
            read = read_some(&mut pipe, &mut buf), if pipe.is_some() => match read {
                Ok(0) => pipe = None,
                Ok(n) => ingest(&buf[..n], &mut parser, &mut log),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => pipe = None,
            },
            status = &mut wait, if exit.is_none() && wait_error.is_none() => {
                match status {
                    Ok((Ok(status), child)) => {
                        exit = Some(status);
                        _child = Some(child);
                    }
                    Ok((Err(e), _)) => wait_error = Some(format!("waiting for the test command failed: {e}")),
                    Err(e) => wait_error = Some(format!("waiting for the test command failed: {e}")),
                }
                drain_until = Some(Instant::now() + DRAIN_AFTER_EXIT);
            },
            () = tokio::time::sleep_until(deadline), if !timed_out && !cancelled && exit.is_none() => {
                timed_out = true;
                signal(libc::SIGTERM);
                kill_at = Some(Instant::now() + KILL_GRACE);
            },
            _ = &mut cancel, if !cancelled && !timed_out && exit.is_none() => {
                cancelled = true;
                signal(libc::SIGTERM);
                kill_at = Some(Instant::now() + KILL_GRACE);
            },
            () = sleep_until_opt(kill_at), if kill_at.is_some() && exit.is_none() => {
                signal(libc::SIGKILL);
                kill_at = None;
            },
            () = sleep_until_opt(drain_until), if drain_until.is_some() && pipe.is_some() => {
                // A grandchild still holds the pipe after the command exited: end it.
                signal(libc::SIGKILL);
                drain_until = None;
                give_up_at = Some(Instant::now() + ESCAPED_GRACE);
            },
            () = sleep_until_opt(give_up_at), if give_up_at.is_some() && pipe.is_some() => {
                if group.as_ref().is_some_and(Group::alive) {
                    give_up_at = Some(Instant::now() + GROUP_POLL);
                } else {
                    // The whole group is gone and the pipe is still open: a process that left
                    // the group holds it. Stop reading (closing our end) and end the run.
                    tracing::warn!(command = %req.command, "{ESCAPED}");
                    pipe = None;
                    escaped = true;
                    give_up_at = None;
                }
            },
        }
        if (exit.is_some() || wait_error.is_some()) && pipe.is_none() {
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
    drop(group);
    splitter.finish(&mut |line| {
        let clean = ansi::strip(line);
        parser.line(Stream::Stdout, &clean);
        log.push(&clean);
    });
    let exit_code = exit.and_then(|s| s.code());
    let mut error = wait_error;
    if escaped {
        add_error(&mut error, ESCAPED.to_string());
    }
    if let Some((path, before)) = junit {
        let shown = path.clone();
        let read = tokio::task::spawn_blocking(move || junit::read_report(&shown, &before)).await;
        match read {
            Ok(Ok(cases)) => {
                if let Some(note) = cases.note(&path) {
                    add_error(&mut error, note);
                }
                return RunReport {
                    results: relative_locations(cases.results, &req.cwd),
                    ..report(error, exit_code, timed_out, cancelled, parser, log)
                };
            }
            Ok(Err(e)) => add_error(&mut error, e),
            Err(e) => add_error(&mut error, format!("reading the JUnit report failed: {e}")),
        }
    }
    report(error, exit_code, timed_out, cancelled, parser, log)
}

/// Adds `more` to the run's error, after what is already there.
fn add_error(error: &mut Option<String>, more: String) {
    *error = Some(match error.take() {
        Some(first) => format!("{first}; {more}"),
        None => more,
    });
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

/// The read end of a pipe (non-blocking, read on the runtime) and two write ends (for stdout and
/// stderr).
fn pipe_pair() -> std::io::Result<(pipe::Receiver, (Stdio, Stdio))> {
    let (reader, writer) = std::io::pipe()?;
    let second = writer.try_clone()?;
    let reader = pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?;
    Ok((reader, (Stdio::from(writer), Stdio::from(second))))
}

/// Reads what the pipe has; never completes once reading has stopped.
async fn read_some(pipe: &mut Option<pipe::Receiver>, buf: &mut [u8]) -> std::io::Result<usize> {
    match pipe {
        Some(pipe) => pipe.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
