//! The binary in a real pseudo-terminal: whatever signal ends it, it leaves the terminal as it
//! found it (the alternate screen left, raw mode off); a broken theme is reported on screen.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const END_FRAME: &[u8] = b"\x1b[?2026l";
const ENTER_ALTERNATE: &[u8] = b"\x1b[?1049h";
const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";

struct Pty {
    master: File,
    slave: OwnedFd,
}

fn open_pty(cols: u16, rows: u16) -> Pty {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the integers; the name and termios pointers may be
    // null; the winsize pointer is valid for the call.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both fds were just returned by openpty and are owned by nobody else.
    let pty = unsafe {
        Pty {
            master: File::from_raw_fd(master),
            slave: OwnedFd::from_raw_fd(slave),
        }
    };
    // Reads of the master never block: the test polls it while the child runs.
    // SAFETY: fcntl on an fd this process owns.
    unsafe {
        let flags = libc::fcntl(pty.master.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(
            pty.master.as_raw_fd(),
            libc::F_SETFL,
            flags | libc::O_NONBLOCK,
        );
    }
    pty
}

/// The terminal's local flags (ICANON, ECHO: on in a cooked terminal, off in raw mode).
fn local_flags(pty: &Pty) -> libc::tcflag_t {
    // SAFETY: tcgetattr fills the zeroed struct for an fd this process owns.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(pty.slave.as_raw_fd(), &mut t), 0);
        t.c_lflag
    }
}

fn spawn(pty: &Pty, args: &[&std::ffi::OsStr], config_dir: &std::path::Path) -> Child {
    let stdio = || Stdio::from(pty.slave.try_clone().expect("dup pty"));
    Command::new(env!("CARGO_BIN_EXE_specbench"))
        .args(args)
        .env("TERM", "xterm-256color")
        .env("SPECBENCH_CONFIG_DIR", config_dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio())
        .spawn()
        .expect("spawn specbench")
}

/// Appends what the terminal has received to `seen`.
fn drain(master: &mut File, seen: &mut Vec<u8>) {
    let mut buf = [0u8; 65536];
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn every_quitting_signal_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    for (signal, name) in [
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
    ] {
        let mut pty = open_pty(120, 40);
        let cooked = local_flags(&pty) & (libc::ICANON | libc::ECHO);
        let no_config = std::path::Path::new("/nonexistent/specbench-test");
        let mut child = spawn(&pty, &[dir.path().as_os_str()], no_config);
        let mut seen = Vec::new();
        // A safety net against a hang, not a measurement.
        let deadline = Instant::now() + Duration::from_secs(30);
        while find_last(&seen, END_FRAME).is_none() {
            assert!(Instant::now() < deadline, "{name}: no frame was drawn");
            drain(&mut pty.master, &mut seen);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            local_flags(&pty) & (libc::ICANON | libc::ECHO),
            0,
            "raw mode on"
        );
        // SAFETY: kill with a pid this test spawned.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let status = loop {
            drain(&mut pty.master, &mut seen);
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{name}: specbench did not quit");
            std::thread::sleep(Duration::from_millis(10));
        };
        drain(&mut pty.master, &mut seen);
        assert_eq!(status.code(), Some(0), "{name}: {status:?}");
        let entered = find_last(&seen, ENTER_ALTERNATE).expect("the alternate screen");
        let left = find_last(&seen, LEAVE_ALTERNATE);
        assert!(
            left.is_some_and(|at| at > entered),
            "{name}: the alternate screen is left"
        );
        assert_eq!(
            local_flags(&pty) & (libc::ICANON | libc::ECHO),
            cooked,
            "{name}: raw mode is off again"
        );
    }
}

#[test]
fn a_theme_with_an_unknown_syntax_is_reported_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir(config.path().join("themes")).unwrap();
    std::fs::write(
        config.path().join("themes/typo.toml"),
        "inherits = \"light\"\nsyntax = \"InspiredGitHb\"\n",
    )
    .unwrap();
    let mut pty = open_pty(200, 40);
    let args = [dir.path().as_os_str(), "--theme".as_ref(), "typo".as_ref()];
    let mut child = spawn(&pty, &args, config.path());
    let mut seen = Vec::new();
    let needle = b"typo.toml:2: syntax: unknown syntax theme `InspiredGitHb`";
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.windows(needle.len()).all(|w| w != needle) {
        assert!(
            Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&seen)
        );
        drain(&mut pty.master, &mut seen);
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill with a pid this test spawned.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    child.wait().unwrap();
}
