//! The Conversation pane: its state (`pane`: the messages, the turn in flight, the request's
//! parts and their counts), a message (`message`), its lines (`lines`), and the updates:
//! sending (`send`), the reply streaming in (`stream`), the request's parts (`parts`), their
//! exact count and calibration (`counting`, `measure`) and the reserve rule (`measure`). The
//! composer is `model::composer`; the request inspector `model::inspector`.

mod counting;
mod lines;
mod measure;
mod mentions;
mod message;
mod pane;
mod parts;
mod send;
mod stream;
mod tool_round;
mod tool_use;

pub use counting::{Counting, ExactCount};
pub use message::{Message, MessageStatus, damage_words};
pub use pane::{ConversationPane, Counted, Reported, SYSTEM_PROMPT, ToolState, Turn};
pub use tool_use::ToolUse;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tool_tests;
