//! Files changed on disk, as the watcher reports them: what to read again (the spec, the code,
//! the config), and whether the tests rerun, or the change is the run's own (`reruns`).

use std::path::PathBuf;

use tokio::time::Instant;

use super::reruns::{LOOP_ROUNDS, Seen};
use super::results::Trigger;
use super::{Cmd, Loaded, Model, NoticeKind};
use crate::watch::{Content, ContentChange};

impl Model {
    /// Files changed on disk: reload what shows them (the config included), and rerun the tests
    /// unless the changes are the run's own (see `reruns`).
    pub(crate) fn on_files_changed(
        &mut self,
        paths: Vec<PathBuf>,
        content: Vec<ContentChange>,
        first: Instant,
    ) -> Vec<Cmd> {
        let mut cmds = self.reload_changed(&paths);
        // The run that may have made these changes, by when it started: the one going, or the
        // last one when they began before it ended.
        let culprit = match (&self.results.running, &self.results.last) {
            (Some(run), _) => Some(run.started),
            (None, Some(last)) if first <= last.report.ended => {
                Some(last.report.ended.checked_sub(last.report.duration))
            }
            _ => None,
        };
        let unknown = ContentChange {
            before: Content::Unknown,
            after: Content::Unknown,
        };
        let mut asking = Vec::new();
        // A run in flight may be killed for these changes.
        let mut kill = true;
        let mut config_changed = false;
        for (i, path) in paths.into_iter().enumerate() {
            let change = content.get(i).copied().unwrap_or(unknown);
            if self.is_config_file(&path) {
                // Reloaded, unless it was just emptied (a write under way: its end comes next);
                // whether the tests rerun depends on what changed in it.
                config_changed |= !change.after.is_empty();
                continue;
            }
            let Some(started) = culprit else {
                asking.push(path);
                continue;
            };
            let is_spec = path == self.config.spec;
            // Files other than the code in scope and the spec are the run's own output (caches,
            // snapshots, reports).
            if !is_spec && !self.code_globs.is_match(&path) {
                continue;
            }
            let offset = started.map(|s| first.saturating_duration_since(s));
            let rounds = match self.reruns.touch(&path, change, offset) {
                Seen::Again => continue,
                Seen::First { rounds } => rounds,
            };
            if self.reruns.is_paused(&path) {
                continue;
            }
            if rounds >= LOOP_ROUNDS {
                self.reruns.pause(&path);
                cmds.push(self.pause_notice(&path, rounds));
                continue;
            }
            // Never kill a run that may be writing the spec, or a file it has just emptied.
            if is_spec || change.after.is_empty() {
                kill = false;
            }
            asking.push(path);
        }
        if config_changed {
            cmds.push(Cmd::LoadConfig);
        }
        let trigger = match asking.as_slice() {
            [] => return cmds,
            [one] => Trigger::Saved(one.clone()),
            many => Trigger::Changes(many.len()),
        };
        if culprit.is_none() {
            // No run can have made these changes: they are the user's, and auto-rerun resumes.
            self.reruns.resume();
            cmds.extend(self.rerun(trigger));
        } else {
            cmds.extend(self.rerun_with(trigger, kill, Some(&asking)));
        }
        cmds
    }

    /// The status-bar notice that auto-rerun paused for `path`.
    fn pause_notice(&mut self, path: &std::path::Path, rounds: u32) -> Cmd {
        let command = &self.config.tests.command;
        tracing::warn!(path = %path.display(), %command, rounds, "auto-rerun paused: the test command rewrites a file it reads");
        let shown: String = if command.chars().count() > 40 {
            command.chars().take(39).chain(['…']).collect()
        } else {
            command.clone()
        };
        let text = format!(
            "{} is rewritten by `{shown}` on every run: auto-rerun paused · r runs the tests · a \
             save resumes",
            path.display()
        );
        self.notify(NoticeKind::Error, text)
    }

    /// Files changed on disk: reread what shows them (the spec, the scan of the pin's checks,
    /// the code list, the context index behind the request's code part, the file on screen).
    pub(crate) fn reload_changed(&mut self, paths: &[PathBuf]) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if paths.contains(&self.config.spec) {
            cmds.push(Cmd::LoadSpec);
        }
        cmds.extend(self.rescan_changed(paths));
        let globs = &self.code_globs;
        let mut reload = None;
        if let Loaded::Ready(files) = &self.code.files {
            if paths
                .iter()
                .any(|p| globs.is_match(p) && !files.contains(p))
            {
                cmds.push(Cmd::ScanCode);
            }
            let code: Vec<PathBuf> = paths
                .iter()
                .filter(|p| globs.is_match(p))
                .cloned()
                .collect();
            if !code.is_empty() {
                // The worker reindexes them and chooses again (incrementally, off the UI task).
                cmds.push(Cmd::Context(crate::context::worker::Job::Changed(code)));
            }
            reload = files
                .get(self.code.selected)
                .filter(|f| paths.contains(f))
                .cloned();
        }
        if let Some(path) = reload {
            let id = self.next_id();
            self.code.load_id = id;
            self.code.highlighted = Loaded::Loading;
            let syntax = self.theme.syntax().to_string();
            cmds.push(Cmd::LoadFile { id, path, syntax });
        }
        cmds
    }
}
