//! What the commands print, to stdout and stderr. A reader that goes away (`| head -1`, a pager
//! quit early) closes the pipe: that ends the output quietly, never the work, so the command
//! finishes what it must (a pin, a journal) and exits with its own code. Another write error on
//! stdout (a full disk) is kept for `main` to report once the work is done.

use std::fmt;
use std::io::{self, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stdout cannot be written any more (closed or failed): later output is dropped.
static STDOUT_DONE: AtomicBool = AtomicBool::new(false);
/// Stderr cannot be written any more.
static STDERR_DONE: AtomicBool = AtomicBool::new(false);
/// The first stdout failure that was not a closed pipe.
static STDOUT_FAILURE: OnceLock<String> = OnceLock::new();

/// Writes to stdout and flushes: `print!`, but a closed pipe ends the output instead of a panic.
pub fn write_out(args: fmt::Arguments<'_>) {
    if STDOUT_DONE.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        STDOUT_DONE.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = STDOUT_FAILURE.set(e.to_string());
        }
    }
}

/// Writes to stderr: `eprint!`, but an error (there is nowhere left to report it) is dropped.
pub fn write_err(args: fmt::Arguments<'_>) {
    if STDERR_DONE.load(Ordering::Relaxed) {
        return;
    }
    if io::stderr().lock().write_fmt(args).is_err() {
        STDERR_DONE.store(true, Ordering::Relaxed);
    }
}

/// Why stdout could not be written, when that was not the reader closing the pipe.
pub fn stdout_failure() -> Option<&'static str> {
    STDOUT_FAILURE.get().map(String::as_str)
}

/// `print!` through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdio::write_out(format_args!($($arg)*)) };
}

/// `println!` through [`write_out`].
macro_rules! outln {
    () => { $crate::stdio::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdio::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`write_err`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::stdio::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};
