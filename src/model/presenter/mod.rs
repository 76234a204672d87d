//! Presenter mode (`demo --present`): the demo's story stops at each beat with a one-line
//! caption of what the audience is looking at, and `Space` or `Enter` goes on. While the story
//! stands at a beat, what would move it on by itself waits: the fix loop's next round and a
//! reply's proposed changes. Every other key works as always.

mod beat;
mod stage;

pub use beat::{Beat, Presenter};
