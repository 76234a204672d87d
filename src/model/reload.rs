//! The config reloaded while the cockpit is open: what applies at once, what waits for the
//! next start, and a bad edit that keeps the settings in force.

use std::path::Path;

use super::results::Trigger;
use super::{Cmd, Model, NoticeKind};
use crate::config::Config;

impl Model {
    /// Whether `path` (relative to the root, or absolute) is one of the config files in force.
    pub(crate) fn is_config_file(&self, path: &Path) -> bool {
        let abs = self.root.join(path);
        self.config_files.contains(&abs)
    }

    /// The config files were read again. A good config takes effect: `[tests]` for the next run
    /// (the tests rerun if it or `[code]` changed, after a run in flight, never killing it),
    /// `[code]` for the code list, the request and the spec's checks, `[loop]` and the gauge's
    /// thresholds at once. `spec`, `[model]` and `ui.theme` wait for the next start. A bad one
    /// is reported with its file and line, and the settings in force stay.
    pub(crate) fn on_config_loaded(&mut self, loaded: Result<Box<Config>, String>) -> Vec<Cmd> {
        let mut new = match loaded {
            Ok(config) => *config,
            Err(e) => {
                tracing::warn!(error = %e, "config not reloaded");
                let text = format!("{e} · config not reloaded, the settings in force stay");
                return vec![self.notify(NoticeKind::Error, text)];
            }
        };
        let old = &self.config;
        let mut later = Vec::new();
        if new.spec != old.spec {
            later.push("spec");
            new.spec = old.spec.clone();
        }
        if new.model != old.model {
            later.push("[model]");
            new.model = old.model.clone();
        }
        if new.ui.theme != old.ui.theme {
            later.push("ui.theme");
            new.ui.theme = old.ui.theme.clone();
        }
        let mut now = Vec::new();
        let tests = new.tests != old.tests;
        let code = new.code != old.code;
        for (changed, name) in [
            (tests, "[tests]"),
            (code, "[code]"),
            (new.loop_ != old.loop_, "[loop]"),
            (new.ui != old.ui, "[ui]"),
            (new.context != old.context, "[context]"),
        ] {
            if changed {
                now.push(name);
            }
        }
        tracing::info!(?now, ?later, "config reloaded");
        let mut cmds = Vec::new();
        if !now.is_empty() {
            self.config = new;
        }
        if tests || code {
            cmds.push(Cmd::UseConfig {
                tests: Box::new(self.config.tests.clone()),
                code: Box::new(self.config.code.clone()),
            });
        }
        if code {
            self.code_globs = crate::workspace::glob_set(&self.config.code.include)
                .unwrap_or_else(|_| globset::GlobSet::empty());
            // The scan gives the context worker its scope; the set is chosen again.
            cmds.push(Cmd::ScanCode);
            cmds.extend(self.rescope());
        }
        let mut text = match now.as_slice() {
            [] => "Config reloaded: no setting in force changed".to_string(),
            now => format!("Config reloaded: {} in force", now.join(", ")),
        };
        if !later.is_empty() {
            text.push_str(&format!(" · {} from the next start", later.join(", ")));
        }
        cmds.push(self.notify(NoticeKind::Info, text));
        if tests || code {
            self.reruns.resume();
            cmds.extend(self.rerun_with(Trigger::Config, false, None));
        }
        cmds
    }
}
