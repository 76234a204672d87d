//! Files specbench writes, below every domain: content hashes (what specbench wrote, what a
//! watched file holds) and the temp files of atomic writes, with the sweep of those a killed
//! process left behind.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// SHA-256 of `text`, in lowercase hex.
pub fn hash(text: &str) -> String {
    hash_bytes(text.as_bytes())
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The end of every temp file specbench writes.
pub const TEMP_SUFFIX: &str = ".specbench-tmp";
/// The random letters and digits in a temp file's name.
pub(crate) const TEMP_RANDOM: usize = 6;

/// The name of a temp file written for `name` by this process:
/// `.{name}.{pid}.{6 letters or digits}.specbench-tmp`, the letters drawn from `salt`.
pub fn temp_name(name: &str, salt: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = salt ^ 0x9e37_79b9_7f4a_7c15;
    let random: String = (0..TEMP_RANDOM)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ALPHABET[(state >> 33) as usize % ALPHABET.len()] as char
        })
        .collect();
    format!(".{name}.{}.{random}{TEMP_SUFFIX}", std::process::id())
}

/// The process that wrote the temp file `name`, when `name` is exactly one of specbench's temp
/// names ([`temp_name`]); `None` for any other name.
pub fn temp_writer(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let mut parts = rest.rsplitn(3, '.');
    let (random, pid, base) = (parts.next()?, parts.next()?, parts.next()?);
    let random_ok =
        random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric());
    let pid_ok = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (random_ok && pid_ok && !base.is_empty())
        .then(|| pid.parse().ok())
        .flatten()
}

/// What a sweep for leftover temp files found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Removed: their writer is gone (killed mid-write).
    pub removed: Vec<PathBuf>,
    /// Left in place, with why (their writer is still running, or they cannot be removed).
    pub kept: Vec<(PathBuf, String)>,
}

/// What to do with the entry `name` found while sweeping: `None` when it is not one of
/// specbench's temp files (or is this process's own, in flight); `Ok` to remove it (its writer
/// is gone); `Err` with why it stays (its writer still runs).
pub fn leftover_temp(name: &str) -> Option<Result<(), String>> {
    let pid = temp_writer(name)?;
    if pid == std::process::id() {
        return None;
    }
    Some(if process_alive(pid) {
        Err(format!("process {pid}, which writes it, is still running"))
    } else {
        Ok(())
    })
}

/// Removes the temp files specbench left in `dir` (a workspace directory) when it was stopped
/// mid-write: regular files named exactly as [`temp_name`] names them whose writer is gone.
/// Anything else is left alone; a temp file of a running process is reported, not removed.
pub fn sweep_temp_files(dir: &Path, sweep: &mut Sweep) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(verdict) = entry.file_name().to_str().and_then(leftover_temp) else {
            continue;
        };
        let path = entry.path();
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
            continue;
        }
        match verdict.and_then(|()| match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.to_string()),
            _ => Ok(()),
        }) {
            Ok(()) => sweep.removed.push(path),
            Err(why) => sweep.kept.push((path, why)),
        }
    }
}

/// Whether process `pid` exists.
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}
