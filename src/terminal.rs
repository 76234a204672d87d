//! The real terminal: entering and leaving full-screen mode, and the hooks that guarantee the
//! terminal is restored on exit, on panic, on signals and around `Ctrl-Z`.

use std::io::{self, Write};
use std::panic::PanicHookInfo;

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

/// The host for a real terminal on stdout.
#[derive(Debug, Default)]
pub struct TerminalHost;

impl Host for TerminalHost {
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
