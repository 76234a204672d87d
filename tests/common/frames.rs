//! A `TestBackend` that keeps a copy of the last flushed frame where a test script can read it
//! while the real loop owns the terminal.

use std::sync::{Arc, Mutex, PoisonError};

use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};

/// The last frame, shared with the script.
#[derive(Debug, Clone, Default)]
pub struct LastFrame(Arc<Mutex<Option<Buffer>>>);

impl LastFrame {
    /// The frame's text, row by row.
    pub fn text(&self) -> String {
        let guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(buffer) = guard.as_ref() else {
            return String::new();
        };
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A test backend that hands each flushed frame to a callback.
pub struct FrameBackend {
    inner: TestBackend,
    on_flush: Box<dyn FnMut(&Buffer) + Send>,
}

impl FrameBackend {
    /// A backend of `cols` x `rows` and the handle to its last frame.
    pub fn new(cols: u16, rows: u16) -> (Self, LastFrame) {
        let last = LastFrame::default();
        let shared = last.clone();
        let backend = Self::with(cols, rows, move |buffer| {
            *shared.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(buffer.clone());
        });
        (backend, last)
    }

    /// A backend of `cols` x `rows` that calls `on_flush` with every flushed frame.
    pub fn with(cols: u16, rows: u16, on_flush: impl FnMut(&Buffer) + Send + 'static) -> Self {
        Self {
            inner: TestBackend::new(cols, rows),
            on_flush: Box::new(on_flush),
        }
    }
}

impl Backend for FrameBackend {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        (self.on_flush)(self.inner.buffer());
        Ok(())
    }
}
