//! The subcommands, one file each, taking plain arguments (`main` turns the command line into
//! them): `tui` (the cockpit), `demo`, `check`, `run` (one headless step of the loop), `init`,
//! `sessions`, `export`. What they share before starting (the start-up error, the workspace
//! found) is `crate::startup`.

pub mod check;
pub mod demo;
pub mod export;
pub mod init;
pub mod run;
pub mod sessions;
pub mod tui;
