//! The real terminal: entering and leaving full-screen mode, and the hooks that guarantee the
//! terminal is restored on exit, on panic, on signals and around `Ctrl-Z`.

use std::io::{self, Write};
use std::panic::PanicHookInfo;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crossterm::event::{Event, EventStream};
use futures::{Stream, StreamExt};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};

use crate::app::Host;

/// Raw mode, the alternate screen, mouse capture, bracketed paste, and unambiguous key codes
/// (so terminals that can tell `Shift-Enter` from `Enter` do).
pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES),
    )
}

/// Undoes everything `enter` did. Safe to call more than once and from a panic hook.
pub fn restore() -> io::Result<()> {
    let result = execute!(
        io::stdout(),
        PopKeyboardEnhancementFlags,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show,
    );
    disable_raw_mode()?;
    result
}

/// A panic hook that restores the terminal first, then runs `previous` (which prints the
/// report on the restored screen).
pub fn chain_panic_hook<R>(
    restore: R,
    previous: Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync>,
) -> Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync>
where
    R: Fn() + Send + Sync + 'static,
{
    Box::new(move |info| {
        restore();
        previous(info);
    })
}

/// Installs color-eyre's report hooks with a terminal restore in front of the panic hook.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(chain_panic_hook(
        || {
            let _ = restore();
        },
        panic_hook,
    ));
    Ok(())
}

/// The terminal's key and mouse events. The host lets go of them while an editor owns the
/// terminal: crossterm's reader thread would otherwise take the editor's keystrokes.
#[derive(Clone, Default)]
pub struct TerminalInput {
    stream: Arc<Mutex<Option<EventStream>>>,
}

impl TerminalInput {
    /// Starts reading the terminal.
    pub fn new() -> Self {
        Self {
            stream: Arc::new(Mutex::new(Some(EventStream::new()))),
        }
    }

    /// Stops reading (dropping the stream stops crossterm's reader thread) or starts again.
    fn set_reading(&self, reading: bool) {
        if let Ok(mut stream) = self.stream.lock() {
            *stream = reading.then(EventStream::new);
        }
    }
}

impl Stream for TerminalInput {
    type Item = io::Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.stream.lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(stream) => stream.poll_next_unpin(cx),
                // Released: the loop polls again after the editor returns.
                None => Poll::Pending,
            },
            Err(_) => Poll::Ready(None),
        }
    }
}

/// The host for a real terminal on stdout.
#[derive(Default)]
pub struct TerminalHost {
    input: TerminalInput,
}

impl TerminalHost {
    /// A host that releases `input` while an editor runs.
    pub fn new(input: TerminalInput) -> Self {
        Self { input }
    }
}

/// Runs `$VISUAL`, else `$EDITOR`, else `vi` on `path` with the terminal, and waits for it.
pub fn run_editor(path: &Path) -> io::Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_string());
    // Through the shell, so `EDITOR="code --wait"` works; the path is an argument, not code.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("specbench-editor")
        .arg(path)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("`{editor}` exited with {status}")))
    }
}

impl Host for TerminalHost {
    fn edit(&mut self, path: &Path) -> io::Result<()> {
        self.input.set_reading(false);
        restore()?;
        let edited = run_editor(path);
        let entered = enter();
        self.input.set_reading(true);
        edited.and(entered)
    }

    fn begin_frame(&mut self) -> io::Result<()> {
        queue!(io::stdout(), BeginSynchronizedUpdate)
    }

    fn end_frame(&mut self) -> io::Result<()> {
        execute!(io::stdout(), EndSynchronizedUpdate)?;
        io::stdout().flush()
    }

    fn suspend(&mut self) -> io::Result<()> {
        restore()?;
        // SAFETY: raising a signal on our own process has no memory-safety preconditions;
        // SIGTSTP's default action stops the process until SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        enter()
    }
}
