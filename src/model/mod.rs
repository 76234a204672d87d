//! The model: the one `Model` that holds all state (`state`), the messages that change it and
//! the commands it asks the effects layer to run (`msg`), and `update`, which is pure: no I/O,
//! no clocks, no spawning.

pub mod changes;
mod checkpoints;
pub mod code;
mod confirm;
pub mod conversation;
mod frame;
pub mod help;
pub mod inspector;
pub mod keymap;
pub mod layout;
mod lessons;
mod msg;
mod notice;
mod overlay;
mod pane;
mod reload;
pub mod reruns;
pub mod results;
pub mod search;
pub mod spec;
mod state;
pub(crate) mod update;
pub mod workflow;

pub use code::CodePane;
pub use conversation::ConversationPane;
pub use frame::prepare_frame;
pub use keymap::Keymap;
pub use msg::{AppEvent, Cmd, Msg};
pub use notice::{Notice, NoticeKind};
pub use overlay::{CheckpointItem, Overlay};
pub use pane::{Loaded, Mode, Pane};
pub use spec::{ScanOutcome, SharedPlan, SpecPane};
pub use state::{Model, SPLIT_MAX, SPLIT_MIN, SPLIT_STEP};
pub use update::update;
