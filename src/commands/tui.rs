//! `specbench [DIR]`: the cockpit on a workspace: the config and theme loaded, logging, the
//! terminal taken over, the watcher started off the UI path, and the event loop run until it
//! quits; the terminal is restored and the runs in flight ended on every way out.

use std::path::Path;
use std::process::ExitCode;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::UnboundedSender;

use crate::app;
use crate::config::{self, Overrides};
use crate::effects::Effects;
use crate::model::{AppEvent, Cmd, Model, Msg, NoticeKind};
use crate::startup::{StartError, workspace_root};
use crate::terminal::{self, TerminalHost};
use crate::theme::{ThemeError, ThemeSource};
use crate::watch::{WatchConfig, WatchError, Watcher};
use crate::{logging, workspace};

/// Opens the cockpit on a workspace: `notice` is said first; the demo (`demo` is `Some`, with
/// whether a presenter drives it) starts in the composer, its first message offered.
pub fn run(
    dir: &Path,
    overrides: &Overrides,
    notice: Option<&str>,
    demo: Option<bool>,
) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    let config = config::load(&root, overrides)?;
    let secrets = crate::secrets::Secrets::from_env(&config.model.api_key_env);
    let (_log_guard, log_off) = match logging::init(&root, &secrets) {
        Ok(guard) => (Some(guard), None),
        Err(e) => (None, Some(logging::off_notice(&e))),
    };
    tracing::info!(root = %root.display(), "opening workspace");
    let (theme, theme_error) = ThemeSource::from_env().load_or_default(&config.ui.theme);
    // A demo in a temporary directory is just "demo": its path says nothing to the audience.
    let label = match notice {
        Some(_) if demo.is_some() && root.starts_with(std::env::temp_dir()) => "demo".to_string(),
        _ => workspace::label(&root),
    };
    let mut model = Model::new(root.clone(), label, config.clone(), theme);
    model.watching = true;
    model.config_files = config::files(&root, overrides);
    if let Some(present) = demo {
        model.start_composing();
        if present {
            model.start_presenting();
        }
    }
    let mut first_cmds = opening_notices(&mut model, notice, theme_error.as_ref());
    if let Some(why) = log_off {
        first_cmds.push(model.notify(NoticeKind::Error, why));
    }

    terminal::install_hooks().map_err(|e| std::io::Error::other(e.to_string()))?;
    // The terminal's hooks replaced the panic hook: chain the end of the runs onto them.
    crate::runner::groups::install_panic_hook();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let config_files = model.config_files.clone();
    let result = runtime.block_on(async move {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        forward_signals(tx.clone())?;
        let effects = Effects::new(root.clone(), config.clone(), tx.clone())
            .with_overrides(overrides.clone())
            .expect_watcher();
        // The watcher walks the tree before it reports: off the UI path, so the first frame
        // does not wait for a large workspace (the first run's process waits for it). Watching
        // stops when `effects` is dropped.
        {
            let effects = effects.clone();
            tokio::task::spawn_blocking(move || {
                match start_watcher(&root, &config, config_files, tx.clone()) {
                    Ok(watcher) => effects.attach_watcher(watcher),
                    Err(e) => {
                        effects.no_watcher();
                        tracing::warn!(%e, "file watching is off");
                        let reason = format!("File watching is off: {e}; r reruns the tests");
                        let _ = tx.send(Msg::Event(AppEvent::WatcherOff(reason)));
                    }
                }
            });
        }
        for cmd in first_cmds {
            effects.run(cmd);
        }
        terminal::enter()?;
        let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        let input = terminal::TerminalInput::new();
        let mut host = TerminalHost::new(input.clone());
        let result = app::run(&mut term, input, &mut host, model, &effects, rx).await;
        // `terminal::restore` shows the cursor. The terminal's own drop would print to stderr
        // when it cannot, and printing to a terminal that has hung up (SIGHUP) panics.
        std::mem::forget(term);
        result
    });
    let restored = terminal::restore();
    // However the loop ended (a quit, a signal, an error), the runs in flight end before the
    // process does: SIGTERM to each group, a grace period, then SIGKILL.
    crate::runner::groups::end_all();
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    result?;
    restored?;
    Ok(ExitCode::SUCCESS)
}

/// The notices the cockpit opens with: `notice` (the demo's), then a theme that could not be
/// used, an error that the first moments' notices (the spec pinned) wait behind.
pub fn opening_notices(
    model: &mut Model,
    notice: Option<&str>,
    theme_error: Option<&ThemeError>,
) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    if let Some(text) = notice {
        cmds.push(model.notify(NoticeKind::Info, text));
    }
    if let Some(err) = theme_error {
        tracing::warn!(%err, "theme not usable");
        cmds.push(model.notify(NoticeKind::Error, format!("{err}; using the default theme")));
    }
    cmds
}

/// Starts the file watcher (on the workspace, and on the config files outside it) and
/// forwards its events to the app channel.
fn start_watcher(
    root: &Path,
    config: &config::Config,
    config_files: Vec<std::path::PathBuf>,
    tx: UnboundedSender<Msg>,
) -> Result<Watcher, WatchError> {
    let (watch_tx, mut watch_rx) = tokio::sync::mpsc::unbounded_channel();
    let watch = WatchConfig {
        extra: config_files,
        ..WatchConfig::new(root.to_path_buf(), config.tests.ignore.clone())
    };
    let watcher = Watcher::start(watch, watch_tx)?;
    tokio::runtime::Handle::current().spawn(async move {
        while let Some(event) = watch_rx.recv().await {
            if tx.send(Msg::Event(AppEvent::Watch(event))).is_err() {
                break;
            }
        }
    });
    Ok(watcher)
}

/// Routes SIGTERM, SIGHUP, SIGINT and SIGQUIT to the quit path, so the terminal is restored
/// (SIGQUIT would otherwise end the process with the alternate screen still on) and the runs in
/// flight are ended.
fn forward_signals(tx: UnboundedSender<Msg>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, name) in [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::quit(), "SIGQUIT"),
    ] {
        let mut stream = signal(kind)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(Msg::Signal(name)).is_err() {
                    break;
                }
            }
        });
    }
    Ok(())
}
