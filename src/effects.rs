//! The effects layer: runs `Cmd`s as tokio tasks and reports each result on the app channel.

use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedSender;

use crate::config::Config;
use crate::model::{AppEvent, Cmd, Msg};
use crate::workspace;

/// Runs commands for one workspace.
#[derive(Debug, Clone)]
pub struct Effects {
    root: PathBuf,
    config: Config,
    tx: UnboundedSender<Msg>,
}

impl Effects {
    /// Effects for `root`, reporting on `tx`.
    pub fn new(root: PathBuf, config: Config, tx: UnboundedSender<Msg>) -> Self {
        Self { root, config, tx }
    }

    /// Starts `cmd`; its result arrives later as a `Msg::Event`. `Cmd::Suspend` belongs to the
    /// event loop, which owns the terminal, and is ignored here.
    pub fn run(&self, cmd: Cmd) {
        let tx = self.tx.clone();
        let send = move |event: AppEvent| {
            // The loop has gone: nobody waits for this result any more.
            let _ = tx.send(Msg::Event(event));
        };
        match cmd {
            Cmd::LoadSpec => {
                let (root, spec) = (self.root.clone(), self.config.spec.clone());
                tokio::task::spawn_blocking(move || {
                    send(AppEvent::SpecLoaded(workspace::read_spec(&root, &spec)));
                });
            }
            Cmd::ScanCode => {
                let (root, include) = (self.root.clone(), self.config.code.include.clone());
                tokio::task::spawn_blocking(move || {
                    send(AppEvent::CodeFilesFound(workspace::scan_code_files(
                        &root, &include,
                    )));
                });
            }
            Cmd::LoadFile { id, path } => {
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || {
                    let content = workspace::read_code_file(&root, &path);
                    send(AppEvent::FileLoaded { id, path, content });
                });
            }
            Cmd::ExpireNotice { id, after } => {
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    send(AppEvent::NoticeExpired(id));
                });
            }
            Cmd::Suspend => tracing::debug!("suspend is handled by the event loop"),
        }
    }
}
