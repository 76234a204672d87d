//! The sessions folder, `.specbench/sessions/`: one journal per session, named by its id.
//! Ids start with the UTC start time, so they sort in the order the sessions began.

use std::path::{Path, PathBuf};

use super::journal::{self, Journal, JournalError};
use super::restore::{self, Restored, Summary};

use crate::state::{STATE_DIR, StateDir};

/// The sessions folder inside the workspace's state folder.
pub const SESSIONS_DIR: &str = "sessions";

/// Why a session could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no session matches \"{0}\" (specbench sessions lists them)")]
    NotFound(String),
    #[error("\"{prefix}\" matches {count} sessions; give more of the id")]
    Ambiguous { prefix: String, count: usize },
    #[error("this workspace has no sessions yet")]
    None,
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// How much of a journal's end holds its last records.
const TAIL: u64 = 64 * 1024;

/// Whether the journal `file` was archived: the `archived` record is the last one written,
/// so only its last lines are read (a torn line after it is skipped).
fn archived(mut file: std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
    let mut tail = Vec::new();
    file.take(TAIL).read_to_end(&mut tail)?;
    // A cut first line is not a whole record; `parse` skips what does not read.
    Ok(journal::parse(&tail)
        .entries
        .iter()
        .any(|e| matches!(e.record, journal::Record::Archived { .. })))
}

/// A workspace's sessions.
#[derive(Debug, Clone)]
pub struct SessionStore {
    root: PathBuf,
    dir: PathBuf,
}

impl SessionStore {
    /// The sessions of the workspace at `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            dir: root.join(STATE_DIR).join(SESSIONS_DIR),
        }
    }

    /// The journal of session `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(file_name(id))
    }

    /// The sessions folder, if there is one; an error when it cannot be used (a symlink).
    fn folder(&self) -> Result<Option<StateDir>, SessionError> {
        let dir = StateDir::existing(&self.root, &[SESSIONS_DIR]).map_err(JournalError::from)?;
        Ok(dir)
    }

    /// Opens session `id`'s journal for appending (created, with its folder, when missing; the
    /// folder synced so a new journal's entry is on the disk too).
    pub fn open(&self, id: &str) -> Result<Journal, SessionError> {
        let dir = StateDir::create(&self.root, &[SESSIONS_DIR]).map_err(JournalError::from)?;
        let journal = Journal::open(&dir, &file_name(id))?;
        dir.sync().map_err(JournalError::from)?;
        Ok(journal)
    }

    /// Reads session `id`'s journal.
    pub fn read(&self, id: &str) -> Result<journal::ReadJournal, SessionError> {
        let name = file_name(id);
        let file = match self.folder()? {
            Some(dir) => dir.open_read(&name).map_err(JournalError::from)?,
            None => None,
        };
        let file = file.ok_or_else(|| SessionError::NotFound(id.to_string()))?;
        Ok(journal::read(file, &self.path(id))?)
    }

    /// A new id for a session starting at `now_ms`, unique in the folder.
    pub fn new_id(&self, now_ms: u64) -> String {
        let stamp = super::compact_utc(now_ms);
        let mut salt = (now_ms % 1000) as u32 ^ std::process::id().wrapping_mul(2_654_435_761);
        loop {
            let id = format!("{stamp}-{:04x}", salt & 0xffff);
            if std::fs::symlink_metadata(self.path(&id)).is_err() {
                return id;
            }
            salt = salt.wrapping_add(1);
        }
    }

    /// Every session id, oldest first (none when the folder cannot be used).
    pub fn ids(&self) -> Vec<String> {
        let names = match self.folder() {
            Ok(Some(dir)) => dir.names().unwrap_or_default(),
            Ok(None) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "the sessions folder cannot be used");
                Vec::new()
            }
        };
        let mut ids: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".jsonl"))
            .map(str::to_string)
            .collect();
        ids.sort();
        ids
    }

    /// The session to resume: the newest one that was not archived.
    /// Only the end of each journal is read, newest first: this runs as the cockpit opens.
    pub fn latest(&self) -> Option<String> {
        let dir = self.folder().ok().flatten()?;
        self.ids().into_iter().rev().find(|id| {
            dir.open_read(&file_name(id))
                .ok()
                .flatten()
                .is_some_and(|file| matches!(archived(file), Ok(false)))
        })
    }

    /// The session whose id is or starts with `prefix`; the newest when `prefix` is `None`.
    pub fn resolve(&self, prefix: Option<&str>) -> Result<String, SessionError> {
        let ids = self.ids();
        let Some(prefix) = prefix else {
            return ids.last().cloned().ok_or(SessionError::None);
        };
        if ids.iter().any(|id| id == prefix) {
            return Ok(prefix.to_string());
        }
        let matching: Vec<&String> = ids.iter().filter(|id| id.starts_with(prefix)).collect();
        match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(SessionError::NotFound(prefix.to_string())),
            many => Err(SessionError::Ambiguous {
                prefix: prefix.to_string(),
                count: many.len(),
            }),
        }
    }

    /// Reads and folds session `id`.
    pub fn load(&self, id: &str) -> Result<Restored, SessionError> {
        let read = self.read(id)?;
        Ok(restore::fold(id, &read))
    }

    /// Every session, oldest first, as `specbench sessions` lists them.
    pub fn summaries(&self) -> Vec<Summary> {
        self.ids()
            .into_iter()
            .filter_map(|id| self.load(&id).ok())
            .map(|r| r.summary())
            .collect()
    }
}

/// The journal file of session `id`.
fn file_name(id: &str) -> String {
    format!("{id}.jsonl")
}

#[cfg(test)]
mod tests {
    use super::super::journal::{Record, VERSION};
    use super::*;

    fn start(store: &SessionStore, id: &str, archived: bool) {
        let j = store.open(id).unwrap();
        j.append_at(
            1,
            Record::Start {
                v: VERSION,
                id: id.into(),
                model: "m".into(),
                pin: None,
                predecessor: None,
                lessons: vec![],
            },
        )
        .unwrap();
        if archived {
            j.append_at(
                2,
                Record::Archived {
                    successor: "x".into(),
                },
            )
            .unwrap();
        }
    }

    #[test]
    fn latest_skips_archived_sessions_and_prefixes_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        assert_eq!(store.latest(), None);
        assert!(matches!(store.resolve(None), Err(SessionError::None)));
        start(&store, "20261130-100000-aaaa", false);
        start(&store, "20261130-110000-bbbb", true);
        assert_eq!(store.latest().as_deref(), Some("20261130-100000-aaaa"));
        assert_eq!(store.resolve(None).unwrap(), "20261130-110000-bbbb");
        assert_eq!(
            store.resolve(Some("20261130-10")).unwrap(),
            "20261130-100000-aaaa"
        );
        assert!(matches!(
            store.resolve(Some("2026")),
            Err(SessionError::Ambiguous { count: 2, .. })
        ));
        assert!(matches!(
            store.resolve(Some("nope")),
            Err(SessionError::NotFound(_))
        ));
    }

    #[test]
    fn only_the_end_of_a_long_journal_is_read_for_its_archived_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        start(&store, "20261130-100000-aaaa", false);
        let j = store.open("20261130-100000-aaaa").unwrap();
        for turn in 0..2000 {
            j.append_at(
                3,
                Record::Chunk {
                    turn,
                    text: "a piece of a long reply".into(),
                },
            )
            .unwrap();
        }
        assert!(
            std::fs::metadata(store.path("20261130-100000-aaaa"))
                .unwrap()
                .len()
                > TAIL
        );
        assert_eq!(store.latest().as_deref(), Some("20261130-100000-aaaa"));
        j.append_at(
            4,
            Record::Archived {
                successor: "b".into(),
            },
        )
        .unwrap();
        assert_eq!(store.latest(), None);
    }

    #[test]
    fn new_ids_sort_by_time_and_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        let a = store.new_id(1_796_033_742_000);
        start(&store, &a, false);
        let b = store.new_id(1_796_033_742_000);
        assert_ne!(a, b);
        assert!(a.starts_with("20261130-101542-"));
        assert!(store.new_id(1_796_033_800_000) > a);
    }
}
