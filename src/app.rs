//! The event loop: one `tokio::select!` over terminal input, the app channel and a frame
//! deadline. It drains everything queued, then draws once, and only when something changed:
//! at most 60 frames a second for what streams in, at once for the user's keys.
//! It is generic over the input stream and the ratatui backend so tests drive the real loop.

use std::io;
use std::path::Path;
use std::time::Duration;

use crossterm::event::Event;
use std::task::Poll;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::effects::Effects;
use crate::model::{AppEvent, Cmd, Model, Msg, prepare_frame, update};

/// At most this many frames a second.
const MIN_FRAME_INTERVAL: Duration = Duration::from_micros(16_667);
/// The pace of animations (the run spinner, elapsed times).
const TICK_INTERVAL: Duration = Duration::from_millis(100);

/// What the loop needs from the real terminal beyond the backend.
pub trait Host {
    /// Before a frame is drawn (begin a synchronized update).
    fn begin_frame(&mut self) -> io::Result<()>;
    /// After a frame is drawn (end the synchronized update).
    fn end_frame(&mut self) -> io::Result<()>;
    /// Gives the terminal back to the shell and stops the process until it is resumed.
    fn suspend(&mut self) -> io::Result<()>;
    /// Lends the terminal to the user's editor on `path` until it exits.
    fn edit(&mut self, path: &Path) -> io::Result<()>;
}

/// A host with no terminal behind it, for tests with a `TestBackend`.
#[derive(Debug, Default)]
pub struct NoHost {
    /// How many times the app asked to be suspended.
    pub suspends: usize,
    /// The files the app asked to edit.
    pub edits: Vec<std::path::PathBuf>,
    /// What "the editor" writes into each file it is lent (nothing when `None`).
    pub writes: Option<String>,
}

impl Host for NoHost {
    fn begin_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn end_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn suspend(&mut self) -> io::Result<()> {
        self.suspends += 1;
        Ok(())
    }
    fn edit(&mut self, path: &Path) -> io::Result<()> {
        self.edits.push(path.to_path_buf());
        match &self.writes {
            Some(text) => std::fs::write(path, text),
            None => Ok(()),
        }
    }
}

/// Converts a terminal event into a message; focus changes are not interesting.
fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(cols, rows) => Some(Msg::Resize(cols, rows)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Runs the app until it quits, returning the final model. The input stream ending counts as
/// a quit (like end of file).
pub async fn run<B, I, H>(
    terminal: &mut Terminal<B>,
    mut input: I,
    host: &mut H,
    mut model: Model,
    effects: &Effects,
    mut events: UnboundedReceiver<Msg>,
) -> io::Result<Model>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    I: Stream<Item = io::Result<Event>> + Unpin,
    H: Host,
{
    let size = terminal.size().map_err(io::Error::other)?;
    let mut batch = vec![Msg::Resize(size.width, size.height)];
    for cmd in model.init() {
        effects.run(cmd);
    }
    let mut next_tick: Option<Instant> = None;
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    // The user's own input is drawn at once: the frame-rate cap is for what streams in.
    let mut urgent = false;
    // Messages that commands produce while a batch is handled, for the next round.
    let mut batch_after = Vec::new();
    loop {
        for msg in batch.drain(..) {
            urgent |= matches!(msg, Msg::Key(_) | Msg::Mouse(_) | Msg::Paste(_));
            for cmd in update(&mut model, msg) {
                match cmd {
                    Cmd::Suspend => {
                        host.suspend()?;
                        repaint(terminal)?;
                        update(&mut model, Msg::Resumed);
                    }
                    Cmd::EditSpec => {
                        let path = model.root.join(&model.config.spec);
                        let edited = host.edit(&path).map_err(|e| e.to_string());
                        repaint(terminal)?;
                        update(&mut model, Msg::Resumed);
                        batch_after.push(Msg::Event(AppEvent::EditorClosed(edited)));
                    }
                    Cmd::EditDraft { text } => {
                        let edited = edit_draft(host, &model.root, &text);
                        repaint(terminal)?;
                        update(&mut model, Msg::Resumed);
                        batch_after.push(Msg::Event(AppEvent::DraftEdited(edited)));
                    }
                    other => effects.run(other),
                }
            }
            dirty = true;
        }
        batch.append(&mut batch_after);
        if model.should_quit {
            return Ok(model);
        }
        let now = Instant::now();
        let next_frame = last_draw.map(|t| t + MIN_FRAME_INTERVAL);
        if dirty && (urgent || next_frame.is_none_or(|t| t <= now)) {
            // The frame is drawn at the size the model laid out: a resize the terminal has
            // not reported yet is taken in first.
            let size = terminal.size().map_err(io::Error::other)?;
            if (size.width, size.height) != model.size {
                update(&mut model, Msg::Resize(size.width, size.height));
            }
            prepare_frame(&mut model);
            host.begin_frame()?;
            terminal
                .draw(|frame| crate::ui::draw(frame, &model))
                .map_err(io::Error::other)?;
            host.end_frame()?;
            dirty = false;
            urgent = false;
            last_draw = Some(now);
        }
        // What the terminal's own commands left (the edited draft, the editor closed) is
        // handled now, not after the next key.
        if !batch.is_empty() {
            continue;
        }
        let deadline = next_frame.filter(|_| dirty);
        // Animation ticks exist only while something animates: idle means no wake-ups.
        next_tick = match (model.animating(), next_tick) {
            (false, _) => None,
            (true, None) => Some(now + TICK_INTERVAL),
            (true, tick) => tick,
        };
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => batch.extend(to_msg(event)),
                Some(Err(e)) => return Err(e),
                None => model.should_quit = true,
            },
            Some(msg) = events.recv() => batch.push(msg),
            () = sleep_until(deadline), if deadline.is_some() => {}
            () = sleep_until(next_tick), if next_tick.is_some() => {
                let at = Instant::now();
                next_tick = Some(at + TICK_INTERVAL);
                batch.push(Msg::Tick(at));
            }
        }
        // Drain whatever else is already queued, then draw once. The stream is polled with
        // this task's own waker: a throwaway waker (`now_or_never`) would be the one crossterm
        // remembers, and later input would not wake the loop.
        std::future::poll_fn(|cx| {
            while let Poll::Ready(item) = input.poll_next_unpin(cx) {
                match item {
                    Some(Ok(event)) => batch.extend(to_msg(event)),
                    Some(Err(e)) => return Poll::Ready(Err(e)),
                    None => {
                        model.should_quit = true;
                        break;
                    }
                }
            }
            Poll::Ready(Ok(()))
        })
        .await?;
        while let Ok(msg) = events.try_recv() {
            batch.push(msg);
        }
    }
}

/// Clears and repaints everything after another program used the terminal. `Terminal::clear`
/// would query the cursor position, which cannot be answered while the input stream reads.
fn repaint<B>(terminal: &mut Terminal<B>) -> io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let size = terminal.size().map_err(io::Error::other)?;
    terminal
        .resize(Rect::new(0, 0, size.width, size.height))
        .map_err(io::Error::other)
}

/// Writes the draft to `.specbench/draft.md` (0600, replacing whatever is there, a symlink
/// included, never writing through one), lets the user edit it, and reads it back.
fn edit_draft<H: Host>(host: &mut H, root: &Path, text: &str) -> Result<String, String> {
    let dir = crate::state::StateDir::create(root, &[]).map_err(|e| e.to_string())?;
    dir.write_atomic(DRAFT_FILE, text.as_bytes())
        .map_err(|e| e.to_string())?;
    host.edit(&dir.join(DRAFT_FILE))
        .map_err(|e| e.to_string())?;
    let edited = dir.read(DRAFT_FILE).map_err(|e| e.to_string());
    if let Err(e) = dir.remove(DRAFT_FILE) {
        tracing::warn!(error = %e, "cannot remove the draft file");
    }
    let edited = edited?.ok_or_else(|| format!("{} is gone", dir.join(DRAFT_FILE).display()))?;
    Ok(String::from_utf8_lossy(&edited).into_owned())
}

/// The draft's file in the state directory.
const DRAFT_FILE: &str = "draft.md";

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}
