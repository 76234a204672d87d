//! The effects on the session journal: open or resume it (settling what a stopped specbench
//! left), append records, and start a fresh session seeded with the spec and the lessons.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{AppEvent, Msg};
use crate::session::Step;
use crate::session::journal::{self, Journal, Record};
use crate::session::store::SessionStore;

use super::Effects;
use super::files::{append_synced, hold};

impl Effects {
    /// The session journal in force.
    pub(super) fn current_journal(&self) -> Option<Arc<Journal>> {
        self.journal.lock().ok().and_then(|j| j.clone())
    }

    /// Appends `record` to the journal; a turn's end is synced to disk off the UI task.
    pub(super) fn write_journal(&self, record: Record) {
        let Some(journal) = self.current_journal() else {
            return;
        };
        let sync = record.ends_turn();
        if let Err(e) = journal.append(record) {
            tracing::error!(error = %e, "journal write failed");
            let _ = self
                .tx
                .send(Msg::Event(AppEvent::JournalFailed(e.to_string())));
            return;
        }
        if sync && let Ok(file) = journal.sync_handle() {
            tokio::task::spawn_blocking(move || {
                if let Err(e) = file.sync_data() {
                    tracing::warn!(error = %e, "journal fsync failed");
                }
            });
        }
    }

    /// Opens the session to resume (the latest not archived) or starts one, then reads it
    /// back and counts its messages off the UI task. What an earlier specbench left (an apply
    /// it was stopped in, temp files) is settled there too, and reported.
    pub(super) fn open_session(&self) {
        let store = SessionStore::new(&self.root);
        let resumed = store.latest();
        let id = resumed
            .clone()
            .unwrap_or_else(|| store.new_id(crate::session::now_ms()));
        let (root, writes) = (self.root.clone(), self.writes.clone());
        let journal = match store.open(&id).map(|j| j.redacting(self.secrets.clone())) {
            Ok(j) => Arc::new(j),
            Err(e) => {
                let e = e.to_string();
                tracing::error!(error = %e, "cannot open the session journal");
                let _ = self.tx.send(Msg::Event(AppEvent::JournalFailed(e)));
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let recovery = {
                        let _held = hold(&writes);
                        crate::code::recovery::recover(&root, None)
                    };
                    let _ = tx.send(Msg::Event(AppEvent::SessionOpened {
                        id,
                        restored: None,
                        counts: Vec::new(),
                    }));
                    let _ = tx.send(Msg::Event(AppEvent::Recovered(recovery)));
                });
                return;
            }
        };
        if let Ok(mut slot) = self.journal.lock() {
            *slot = Some(journal.clone());
        }
        let tx = self.tx.clone();
        let model = self.config.model.model.clone();
        let estimator = self.estimator_later();
        tokio::task::spawn_blocking(move || {
            let restored = match &resumed {
                Some(id) => match journal.read_back() {
                    Ok(read) => Some(Box::new(crate::session::restore::fold(id, &read))),
                    Err(e) => {
                        let _ = tx.send(Msg::Event(AppEvent::JournalFailed(e.to_string())));
                        None
                    }
                },
                None => {
                    let start = Record::Start {
                        v: journal::VERSION,
                        id: id.clone(),
                        model,
                        pin: None,
                        predecessor: None,
                        lessons: Vec::new(),
                    };
                    if let Err(e) = journal.append(start).and_then(|()| journal.sync()) {
                        let _ = tx.send(Msg::Event(AppEvent::JournalFailed(e.to_string())));
                    }
                    None
                }
            };
            let unfinished = restored.as_ref().and_then(|r| r.unfinished_apply.clone());
            let recovery = {
                let _held = hold(&writes);
                crate::code::recovery::recover(&root, unfinished)
            };
            if let Some(stopped) = &recovery.stopped {
                let names =
                    |files: &[PathBuf]| files.iter().map(|p| p.display().to_string()).collect();
                let record = if stopped.finished {
                    Record::Applied {
                        label: stopped.label.clone(),
                        files: names(&stopped.files),
                    }
                } else {
                    Record::ApplyInterrupted {
                        label: stopped.label.clone(),
                        written: names(&stopped.written),
                    }
                };
                append_synced(Some(&journal), record, &tx);
            }
            let counts = match &restored {
                Some(r) if !r.messages.is_empty() => {
                    let estimator = tokio::runtime::Handle::current().block_on(estimator);
                    r.messages
                        .iter()
                        .map(|m| estimator.count(&m.text))
                        .collect()
                }
                _ => Vec::new(),
            };
            tracing::info!(%id, resumed = resumed.is_some(), "session open");
            let _ = tx.send(Msg::Event(AppEvent::SessionOpened {
                id,
                restored,
                counts,
            }));
            // After the session's own notice: what was found matters more.
            let _ = tx.send(Msg::Event(AppEvent::Recovered(recovery)));
        });
    }

    /// Archives the session in force and starts a fresh one seeded with `lessons`.
    pub(super) fn fresh_session(
        &self,
        lessons: Vec<String>,
        step: Step,
        pin: Option<(u32, String)>,
        context: crate::context::set::Choices,
    ) {
        let store = SessionStore::new(&self.root);
        let old = self.current_journal();
        let id = store.new_id(crate::session::now_ms());
        let predecessor = old.as_ref().and_then(|j| {
            j.path()
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        });
        let result = store
            .open(&id)
            .map(|j| j.redacting(self.secrets.clone()))
            .map_err(|e| e.to_string());
        let journal = match result {
            Ok(j) => Arc::new(j),
            Err(e) => {
                let _ = self.tx.send(Msg::Event(AppEvent::SessionStarted(Err(e))));
                return;
            }
        };
        // The user's adds and drops carry over: the new session's set starts as this one's.
        let choices = context
            .added
            .iter()
            .map(|p| Record::ContextAdded {
                path: p.display().to_string(),
            })
            .chain(context.dropped.iter().map(|p| Record::ContextDropped {
                path: p.display().to_string(),
            }));
        let records = [
            Record::Start {
                v: journal::VERSION,
                id: id.clone(),
                model: self.config.model.model.clone(),
                pin: pin.map(|(version, hash)| journal::PinRef { version, hash }),
                predecessor,
                lessons,
            },
            Record::Step { step },
        ];
        for record in records.into_iter().chain(choices) {
            if let Err(e) = journal.append(record) {
                let _ = self
                    .tx
                    .send(Msg::Event(AppEvent::SessionStarted(Err(e.to_string()))));
                return;
            }
        }
        if let Some(old) = old {
            let archived = Record::Archived {
                successor: id.clone(),
            };
            if let Err(e) = old.append(archived).and_then(|()| old.sync()) {
                tracing::error!(error = %e, "cannot mark the old session archived");
            }
        }
        if let Ok(mut slot) = self.journal.lock() {
            *slot = Some(journal.clone());
        }
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = journal.sync().map(|()| id).map_err(|e| e.to_string());
            let _ = tx.send(Msg::Event(AppEvent::SessionStarted(result)));
        });
    }
}
