//! The frame cycle's one preparation step: once per drained batch of messages, before drawing,
//! the loop (and the tests' harness and the benches) call [`prepare_frame`].

use super::{Model, Pane};

/// Prepares the model for the next frame: the layout for the current size, focus, zoom, split
/// and composer; the wrapped lines and scroll offsets that depend on it; and the conversation's
/// lines (Markdown rendered, and highlighted for the messages on or near the screen), which are
/// built here rather than in `update` so a burst of streamed chunks costs one layout per frame.
pub fn prepare_frame(model: &mut Model) {
    model.sync_layout();
    model.keep_in_view();
    model.layout_conversation();
}

impl Model {
    /// Lays out the conversation for the current size.
    pub(crate) fn layout_conversation(&mut self) {
        if let Some(body) = self.body_area(Pane::Conversation) {
            let theme = self.theme.clone();
            self.conversation
                .layout(body.width, body.height as usize, &theme);
        }
    }
}
