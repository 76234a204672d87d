//! The context of a request: which files go in whole (the context set, and why each one), an
//! outline of the rest (the repository map, ranked and within a budget), and the index of the
//! workspace's definitions both are built from, kept up to date file by file as files change.

pub mod index;
pub mod lang;
pub mod lex;
pub mod map;
pub mod outline;
pub mod set;

/// A file larger than this goes neither into the context set nor into the map's outlines.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;
