//! Content fingerprints: what a file holds (its length and a hash of its bytes), read without
//! following a symbolic link or blocking on a FIFO, and when a burst began.

use std::fs;
use std::hash::Hasher as _;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::{Instant, SystemTime};

use super::events::{Content, MAX_EVENT_DELAY, MAX_FINGERPRINT};

/// Reads what `path` holds now, and when it was last written, without following a symbolic
/// link or blocking on a FIFO; `buf` is scratch space.
pub(super) fn fingerprint(path: &Path, buf: &mut Vec<u8>) -> (Content, Option<SystemTime>) {
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return (Content::Absent, None),
        Err(_) => return (Content::Unknown, None),
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(_) => return (Content::Unknown, None),
    };
    let written = meta.modified().ok();
    if !meta.is_file() || meta.len() > MAX_FINGERPRINT {
        return (Content::Unknown, written);
    }
    buf.clear();
    match (&file).take(MAX_FINGERPRINT + 1).read_to_end(buf) {
        Ok(_) if buf.len() as u64 <= MAX_FINGERPRINT => {}
        _ => return (Content::Unknown, written),
    }
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(buf);
    let content = Content::Bytes {
        len: buf.len() as u64,
        hash: hasher.finish(),
    };
    (content, written)
}

/// When a burst that `arrived` began: earlier if one of its files was `written` before that,
/// by at most [`MAX_EVENT_DELAY`].
pub(super) fn began(arrived: Instant, written: Option<SystemTime>) -> Instant {
    let Some(written) = written else {
        return arrived;
    };
    // The file's age now, on the wall clock, dates the write on the monotonic one.
    let age = SystemTime::now()
        .duration_since(written)
        .unwrap_or_default()
        .saturating_sub(arrived.elapsed())
        .min(MAX_EVENT_DELAY);
    arrived.checked_sub(age).unwrap_or(arrived)
}
