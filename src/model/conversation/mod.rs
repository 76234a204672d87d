//! The Conversation pane: its state (`pane`: the messages, the turn in flight, the request's
//! parts and their counts), a message (`message`), its lines (`lines`), and the updates:
//! sending (`send`), the reply streaming in (`stream`), the request's parts (`parts`). The
//! composer is `model::composer`; the request inspector `model::inspector`.

mod lines;
mod message;
mod pane;
mod parts;
mod send;
mod stream;

pub use message::{Message, MessageStatus, damage_words};
pub use pane::{ConversationPane, Counted, Reported, SYSTEM_PROMPT, Turn};

#[cfg(test)]
mod tests;
