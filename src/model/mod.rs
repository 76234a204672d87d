//! The model: all state of the app and the pure `update(&mut Model, Msg) -> Vec<Cmd>` that
//! changes it (no I/O, no clocks, no spawning), and `prepare_frame`, run once per drained batch
//! before drawing. It owns its screen layout and the measures of what it scrolls; it never
//! imports a view.
//!
//! - State: `state` (the `Model`), `msg` (messages in, commands out), `pane`, `notice`,
//!   `layout` (screen geometry, stored), `keymap`, `overlay` (which dialog is up).
//! - `update` routes: keys to actions to the files below, effects' results to theirs.
//!   `frame` holds `prepare_frame`; `scroll` keeps every offset in range.
//! - Panes: `spec/`, `conversation/` (with `composer`), `code/` (with `review/`, a reply's
//!   proposed changes), `results` (with `runs`, `reruns`, and `disk`: files changed on disk).
//! - The loop's workflow: `workflow/` (stepper, fix loop, corrections, fresh sessions).
//! - Overlays, keys and text, each drawn by the `ui/` file of the same name: `help`,
//!   `inspector`, `checkpoints`, `confirm`, `lessons`, `picker`.
//! - `context`: the context set and the map as the cockpit steers them.
//! - `reload`: the config read again while open.
//! - `notices`: the recent notices' overlay (`!`).
//! - `mouse`: clicks inside a pane (a file, a clause, a test).
//! - `tabs`: the narrow layout's tab labels with their badges.
//! - `presenter`: `demo --present`, the story stopping at each beat with a caption.

mod checkpoints;
pub mod code;
mod composer;
mod confirm;
pub mod context;
pub mod conversation;
mod disk;
mod frame;
pub(crate) mod help;
pub(crate) mod inspector;
pub mod keymap;
pub mod layout;
mod lessons;
pub mod mouse;
mod msg;
mod notice;
pub mod notices;
mod overlay;
mod pane;
pub(crate) mod picker;
pub mod presenter;
mod reload;
pub mod reruns;
pub mod results;
pub mod review;
mod runs;
mod scroll;
pub mod spec;
mod state;
pub mod tabs;
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
