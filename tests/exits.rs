//! Every way specbench exits ends the test run's whole process group first: quitting the cockpit
//! (`q` then `y`, `Ctrl-C`), SIGTERM, SIGINT, SIGHUP (the terminal closing), and SIGINT during
//! `specbench check` and `specbench run`. Each test runs the real binary (the cockpit in a
//! pseudo-terminal) on a test command that starts a grandchild ignoring SIGTERM and one that
//! notes SIGTERM, waits until they run, makes specbench exit, and checks that the group got
//! SIGTERM first and, in /proc, that none of them survives. (A panic is `tests/panic_exit.rs`.)

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: these wait for conditions, never for time to pass.
const DEADLINE: Duration = Duration::from_secs(60);

/// A workspace whose test command records its processes' ids in `pids` (outside the workspace,
/// so writing it is nothing the watcher sees) once each is ready: a grandchild ignoring SIGTERM,
/// one that writes `TERM` to `terms` when it gets SIGTERM, its child, and the shell itself.
struct Workspace {
    dir: tempfile::TempDir,
    pids: PathBuf,
    terms: PathBuf,
    _notes: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let notes = tempfile::tempdir().unwrap();
        let pids = notes.path().join("pids");
        let terms = notes.path().join("terms");
        let command = format!(
            "sh -c 'trap \"\" TERM; echo $$ >> {p}; exec sleep 1001' & \
             sh -c 'trap \"echo TERM >> {t}; exit\" TERM; sleep 1002 & echo $! >> {p}; \
             echo $$ >> {p}; wait' & echo $$ >> {p}; wait",
            p = pids.display(),
            t = terms.display()
        );
        std::fs::write(
            dir.path().join("specbench.toml"),
            format!("[tests]\ncommand = {command:?}\ntimeout_secs = 600\n"),
        )
        .unwrap();
        // `check` needs a spec to check against.
        std::fs::write(
            dir.path().join("SPEC.md"),
            "# Exits\n\n- [E1] Ends. `test: *`\n",
        )
        .unwrap();
        Self {
            dir,
            pids,
            terms,
            _notes: notes,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The ids the command wrote, once all four are there.
    fn started(&self) -> Option<Vec<i32>> {
        let pids: Vec<i32> = std::fs::read_to_string(&self.pids)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        (pids.len() == 4).then_some(pids)
    }

    /// Asserts that the run got SIGTERM before SIGKILL and that none of its processes is left.
    fn assert_ended(&self, pids: &[i32]) {
        // The processes were killed before specbench exited; init may take a moment to reap
        // them.
        for &pid in pids {
            wait_for(&format!("process {pid} of the run to be gone"), || {
                is_gone(pid).then_some(())
            });
        }
        let terms = std::fs::read_to_string(&self.terms).unwrap_or_default();
        assert_eq!(terms, "TERM\n", "the group got SIGTERM first");
    }
}

impl Drop for Workspace {
    /// Whatever a failing test left running is ended, so it does not outlive the test.
    fn drop(&mut self) {
        for pid in self.started().unwrap_or_default() {
            if !is_gone(pid) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
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

/// Polls `done` until it holds; panics naming `what` after [`DEADLINE`].
fn wait_for<T>(what: &str, mut done: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = done() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn specbench() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specbench"));
    cmd.env("SPECBENCH_CONFIG_DIR", "/nonexistent/specbench-test")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY");
    cmd
}

/// The cockpit running in a pseudo-terminal whose controlling process it is.
struct Cockpit {
    master: Option<File>,
    child: Child,
    /// Everything the cockpit wrote to the terminal.
    screen: Vec<u8>,
}

impl Cockpit {
    fn open(dir: &Path) -> Self {
        let (master, slave) = pty();
        let mut cmd = specbench();
        cmd.arg(dir)
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd);
        Self {
            master: Some(master),
            child,
            screen: Vec::new(),
        }
    }

    /// Reads what the cockpit wrote so far (answering a cursor-position query, if it asks).
    fn pump(&mut self) {
        let Some(master) = self.master.as_mut() else {
            return;
        };
        let mut buf = [0u8; 65536];
        loop {
            match master.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                        let _ = master.write_all(b"\x1b[1;1R");
                    }
                    self.screen.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // WouldBlock: nothing more for now; EIO: the other side has closed.
                Err(_) => return,
            }
        }
    }

    /// Waits until the cockpit is on the alternate screen, reading keys in raw mode.
    fn wait_until_drawn(&mut self) {
        wait_for("the cockpit to draw", || {
            self.pump();
            let entered = self.screen.windows(8).any(|w| w == b"\x1b[?1049h");
            entered.then_some(())
        });
    }

    fn keys(&mut self, keys: &[u8]) {
        let master = self.master.as_mut().expect("the terminal is open");
        master.write_all(keys).unwrap();
    }

    fn signal(&self, signal: libc::c_int) {
        signal_pid(&self.child, signal);
    }

    /// Closes the terminal, as closing its window does: the cockpit gets SIGHUP.
    fn hang_up(&mut self) {
        self.master = None;
    }

    /// Waits for the cockpit to exit.
    fn wait_exit(&mut self) {
        wait_for("the cockpit to exit", || {
            self.pump();
            self.child.try_wait().unwrap()
        });
    }
}

fn signal_pid(child: &Child, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "signal sent");
}

/// A pseudo-terminal pair of 80×24: the master (non-blocking) and the slave, both closed on
/// exec (a child holding the master would keep the terminal from ever hanging up).
fn pty() -> (File, File) {
    // SAFETY: plain libc calls on descriptors this function owns; each result is checked.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(slave >= 0, "open the slave");
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        assert_eq!(libc::ioctl(slave, libc::TIOCSWINSZ, &size), 0);
        let flags = libc::fcntl(master, libc::F_GETFL);
        assert_eq!(
            libc::fcntl(master, libc::F_SETFL, flags | libc::O_NONBLOCK),
            0
        );
        (File::from_raw_fd(master), File::from_raw_fd(slave))
    }
}

/// Opens the cockpit on a fresh workspace, waits for its first run to start the processes,
/// exits it with `exit`, and checks that none of them survives.
fn cockpit_exit(exit: impl FnOnce(&mut Cockpit)) {
    let ws = Workspace::new();
    let mut cockpit = Cockpit::open(ws.path());
    cockpit.wait_until_drawn();
    let pids = wait_for("the test run to start", || {
        cockpit.pump();
        ws.started()
    });
    exit(&mut cockpit);
    cockpit.wait_exit();
    ws.assert_ended(&pids);
}

#[test]
fn quitting_the_cockpit_with_q_and_y_ends_the_run() {
    // A run is going: `q` asks, and `y` confirms that it will be killed.
    cockpit_exit(|c| c.keys(b"qy"));
}

#[test]
fn quitting_the_cockpit_with_ctrl_c_ends_the_run() {
    // The first asks (a run is going), the second confirms.
    cockpit_exit(|c| c.keys(b"\x03\x03"));
}

#[test]
fn sigterm_to_the_cockpit_ends_the_run() {
    cockpit_exit(|c| c.signal(libc::SIGTERM));
}

#[test]
fn sigint_to_the_cockpit_ends_the_run() {
    cockpit_exit(|c| c.signal(libc::SIGINT));
}

#[test]
fn closing_the_cockpits_terminal_ends_the_run() {
    cockpit_exit(Cockpit::hang_up);
}

/// Runs a headless command on a fresh workspace, interrupts it once its run has started, and
/// checks that none of the run's processes survives.
fn headless_interrupt(args: &[&str]) {
    let ws = Workspace::new();
    let mut child = specbench()
        .args(args)
        .arg(ws.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pids = wait_for("the test run to start", || ws.started());
    signal_pid(&child, libc::SIGINT);
    let status = wait_for("specbench to exit", || child.try_wait().unwrap());
    assert!(!status.success(), "an interrupted command does not succeed");
    ws.assert_ended(&pids);
}

#[test]
fn ctrl_c_during_check_ends_the_run() {
    headless_interrupt(&["check"]);
}

#[test]
fn ctrl_c_during_headless_run_ends_the_run() {
    headless_interrupt(&["run", "-m", "make the tests pass"]);
}
