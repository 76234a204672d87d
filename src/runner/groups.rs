//! The process groups of the test runs in flight, owned by the process: every way specbench
//! exits ends them first. A graceful exit calls [`end_all`] before the runtime is torn down; the
//! panic hook ([`install_panic_hook`]) and the signal thread of the headless commands
//! ([`end_on_signals`]) call it too. [`end_all`] sends SIGTERM to every group, waits up to
//! [`KILL_GRACE`] for them to go, then sends SIGKILL: grandchildren that ignore SIGTERM included.
//!
//! A run registers its group for as long as it lasts ([`Group`]); dropping the registration
//! (the run ending, or its task dropped with the runtime) kills what is left of the group at once.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(1500);
/// How long SIGKILL may take to empty a group before [`end_all`] stops waiting.
const KILL_WAIT: Duration = Duration::from_secs(2);
/// How often [`end_all`] looks whether the groups are gone.
const POLL: Duration = Duration::from_millis(10);

/// The ids of the live groups (each group's id is its leader's pid).
static LIVE: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

/// A run's process group, registered while the run lasts.
#[derive(Debug)]
pub struct Group {
    pgid: libc::pid_t,
}

impl Group {
    /// Registers the group led by `pgid`.
    pub fn register(pgid: libc::pid_t) -> Self {
        live().push(pgid);
        Self { pgid }
    }

    /// Sends `signal` to every process of the group (an empty group is no error).
    pub fn signal(&self, signal: libc::c_int) {
        signal_group(self.pgid, signal);
    }

    /// Whether a process of the group still runs.
    pub fn alive(&self) -> bool {
        alive(self.pgid)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        signal_group(self.pgid, libc::SIGKILL);
        live().retain(|&g| g != self.pgid);
    }
}

fn live() -> std::sync::MutexGuard<'static, Vec<libc::pid_t>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends every live group: SIGTERM, up to [`KILL_GRACE`] for them to exit, then SIGKILL, and
/// returns once they are gone (or after a bounded wait for the kernel to finish the kill).
pub fn end_all() {
    let groups: Vec<libc::pid_t> = live().clone();
    if groups.is_empty() {
        return;
    }
    tracing::info!(?groups, "ending the test runs in flight");
    for &g in &groups {
        signal_group(g, libc::SIGTERM);
    }
    if wait_gone(&groups, KILL_GRACE) {
        return;
    }
    for &g in &groups {
        signal_group(g, libc::SIGKILL);
    }
    if !wait_gone(&groups, KILL_WAIT) {
        tracing::warn!(?groups, "a test run's processes outlived SIGKILL");
    }
}

/// Waits up to `limit` for every group to be gone; whether they are.
fn wait_gone(groups: &[libc::pid_t], limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if !groups.iter().any(|&g| alive(g)) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Chains a panic hook that, for a panic on the main thread (which ends the process), ends the
/// live groups before the hook in force runs (it restores the terminal and prints the report,
/// and a second panic there, printing to a terminal that has gone, aborts the process). A panic
/// in a worker task does not end the process, so it leaves the runs alone.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            end_all();
        }
        previous(info);
    }));
}

/// For the commands without a terminal of their own (`check`, `run`): SIGINT, SIGTERM, SIGHUP
/// and SIGQUIT end the live groups, then the signal takes its default effect (the process dies
/// of it, as the shell expects).
pub fn end_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])?;
    std::thread::Builder::new()
        .name("specbench-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                tracing::info!(signal, "ending on a signal");
                end_all();
                // The default action of these signals ends the process.
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

fn signal_group(pgid: libc::pid_t, signal: libc::c_int) {
    if pgid > 1 {
        // SAFETY: killpg has no memory-safety preconditions; an empty group gives ESRCH.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// Whether a process of group `pgid` still runs: zombies (a leader not yet reaped, orphans an
/// init that does not reap) run nothing and do not count.
fn alive(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    if pgid <= 1 || unsafe { libc::killpg(pgid, 0) } != 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    }
    running_member(pgid).unwrap_or(true)
}

/// Whether /proc lists a process of group `pgid` that is not a zombie; `None` without /proc.
fn running_member(pgid: libc::pid_t) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|p| p.parse::<libc::pid_t>().ok());
        if pgrp == Some(pgid) && !matches!(state, Some("Z" | "X")) {
            return Some(true);
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    /// A shell in its own group that ignores SIGTERM, with a child that ignores it too; returned
    /// once the shell has said that it ignores it.
    fn stubborn_group() -> std::process::Child {
        use std::io::BufRead;
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("trap '' TERM; sleep 1003 & echo ready; exec sleep 1004 >/dev/null")
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("sh starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sh says it is ready");
        assert_eq!(line, "ready\n");
        child
    }

    #[test]
    fn end_all_kills_a_group_that_ignores_sigterm() {
        let mut child = stubborn_group();
        let pgid = child.id() as libc::pid_t;
        let group = Group::register(pgid);
        assert!(group.alive());
        end_all();
        // The leader is our child: once reaped, nothing of the group is left at all.
        let status = child.wait().expect("reaped");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        assert!(!group.alive());
        drop(group);
        assert!(!live().contains(&pgid), "unregistered when dropped");
    }

    #[test]
    fn a_zombie_leader_is_not_alive() {
        let mut child = std::process::Command::new("true")
            .process_group(0)
            .spawn()
            .expect("true starts");
        let pgid = child.id() as libc::pid_t;
        // Not reaped yet: a zombie that runs nothing.
        let start = Instant::now();
        while alive(pgid) {
            assert!(start.elapsed() < Duration::from_secs(30), "true exits");
            std::thread::sleep(POLL);
        }
        child.wait().expect("reaped");
    }
}
