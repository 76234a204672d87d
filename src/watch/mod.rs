//! The file watcher: reports debounced bursts of changed files under the workspace root.
//!
//! A change is a change of content: the watcher keeps a fingerprint (length and hash) of each
//! file it reports and of each file its first walk finds, and drops a file from a burst when it
//! holds what it held before (a command that rewrites a file with the same bytes changes
//! nothing). Each reported file comes with what it held before and after.
//!
//! Ignored directories (`.git/`, `.specbench/`, `.gitignore`d ones, the built-in noise list and
//! `[tests].ignore`) are pruned before any watch is placed: the tree is walked here and each kept
//! directory gets its own non-recursive notify watch, so a huge `target/` or `node_modules/`
//! costs neither inotify watches nor events. Raw events are debounced on a dedicated thread that
//! blocks on its channel without a timeout while nothing is pending (no idle wake-ups).
//!
//! The ignore rules are `ignore`, the walk and its watches `tree`, the content fingerprints
//! `fingerprint`, the bursts `debounce`, the handle `watcher`.

mod debounce;
mod error;
mod events;
mod fingerprint;
mod ignore;
mod tree;
mod watcher;

pub use error::WatchError;
pub use events::{Content, ContentChange, MAX_EVENT_DELAY, MAX_FINGERPRINT, WatchEvent};
pub use watcher::{WatchConfig, Watcher};

#[cfg(test)]
mod tests;
