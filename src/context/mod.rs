//! The context of a request: which files go in whole (the context set, and why each one), an
//! outline of the rest (the repository map, ranked and within a budget), and the index of the
//! workspace's definitions both are built from, kept up to date file by file as files change.

pub mod lang;
pub mod lex;
pub mod outline;
