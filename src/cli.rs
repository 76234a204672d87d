//! The command line (clap derive) and what each command does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::UnboundedSender;

use crate::app;
use crate::config::{self, Overrides};
use crate::effects::Effects;
use crate::model::{AppEvent, Cmd, Model, Msg, NoticeKind};
use crate::terminal::{self, TerminalHost};
use crate::theme::{ThemeError, ThemeSource};
use crate::watch::{WatchConfig, WatchError, Watcher};
use crate::{demo, logging, workspace};

/// A terminal workbench for spec-first, test-first coding with LLMs.
#[derive(Debug, Parser)]
#[command(
    name = "specbench",
    version,
    about,
    subcommand_precedence_over_arg = true
)]
pub struct Cli {
    /// The workspace directory.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Use FILE instead of the workspace's specbench.toml.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The theme: default, light, high-contrast, or a file in the user theme directory.
    #[arg(long, value_name = "NAME", global = true)]
    pub theme: Option<String>,
    /// The model API: openai (any OpenAI-compatible server), anthropic, or replay.
    #[arg(long, value_enum, value_name = "NAME", global = true)]
    pub provider: Option<ProviderArg>,
    /// The model to ask.
    #[arg(long, value_name = "NAME", global = true)]
    pub model: Option<String>,
    /// Play replies from this cassette, offline (the replay provider).
    #[arg(long, value_name = "CASSETTE", global = true)]
    pub replay: Option<PathBuf>,
    /// Record every streamed reply into this cassette (inside the workspace; never the key).
    #[arg(long, value_name = "CASSETTE", global = true)]
    pub record: Option<PathBuf>,
}

/// `--provider` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderArg {
    Openai,
    Anthropic,
    Replay,
}

impl From<ProviderArg> for config::Provider {
    fn from(p: ProviderArg) -> Self {
        match p {
            ProviderArg::Openai => config::Provider::Openai,
            ProviderArg::Anthropic => config::Provider::Anthropic,
            ProviderArg::Replay => config::Provider::Replay,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the tests once, evaluate every clause of the pinned spec, print the report; exit 0
    /// when the spec holds and the tests pass, 1 when not, 2 on a usage or config error.
    #[command(after_help = CHECK_EXIT_CODES)]
    Check {
        /// The workspace directory.
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// human: a compact report; json: the report of DESIGN.md section 6.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Do not run the tests: evaluate the static checks (forbid/require) only.
        #[arg(long)]
        no_run: bool,
        /// Orphan tests and untested clauses fail too (as `[check].strict = true` does).
        #[arg(long)]
        strict: bool,
    },
    /// Write specbench.toml with the test command detected from the workspace (never overwrites).
    Init {
        /// The workspace directory.
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// One headless step of the loop: send MESSAGE, stream the reply to stdout, apply the
    /// proposed changes (--yes), test, fix up to N rounds, then exit as `check` does.
    #[command(after_help = CHECK_EXIT_CODES)]
    Run {
        /// The workspace directory.
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The message to send.
        #[arg(short, long, value_name = "MESSAGE")]
        message: String,
        /// After the first test run, feed failures back for up to N fix rounds.
        #[arg(long, value_name = "N", default_value_t = 0)]
        auto_test: u32,
        /// Apply the proposed changes without asking (otherwise they are only reported).
        #[arg(long)]
        yes: bool,
        /// The step the message belongs to; in the tests step failing tests are expected and
        /// never fed back.
        #[arg(long, value_enum, default_value_t = StepArg::Implement)]
        step: StepArg,
        /// human: stream the reply, status on stderr; json: one JSON report on stdout (the
        /// turns, the applied and refused edits, each run's counts, the final check report).
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
    },
    /// List the workspace's sessions (id, started, pin, turns, tokens, status).
    Sessions {
        /// The workspace directory.
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Write a session's transcript (the newest unless SESSION names one) to stdout, secrets
    /// redacted.
    Export {
        /// The workspace directory (or, alone, the session).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The session id, or the start of it.
        #[arg(value_name = "SESSION")]
        session: Option<String>,
        /// md: readable Markdown; json: the same, structured.
        #[arg(long, value_enum, default_value_t = crate::session::commands::ExportFormat::Md)]
        format: crate::session::commands::ExportFormat,
    },
    /// Copy the bundled demo workspace and open it: offline, no API key.
    Demo {
        /// Put the demo workspace here (a new or empty directory) and keep it.
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Replay pacing: 1 as recorded, 2 twice as fast, 0 without pauses.
        #[arg(long, value_name = "X", conflicts_with = "step")]
        speed: Option<f64>,
        /// Replay one line of each reply per Ctrl-N, for presenters.
        #[arg(long)]
        step: bool,
    },
}

/// The exit codes of `check` (and of `run`, which exits as `check` does).
const CHECK_EXIT_CODES: &str = "\
Exit codes:
  0  the spec holds and the tests pass
  1  a clause violated or invalid, a failing test, no tests ran, or the spec changed since its pin
  2  a usage or configuration error
Without --strict (or [check].strict = true), orphan tests and untested clauses are warnings:
they are reported but do not fail the check.";

/// `--step` values of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StepArg {
    Tests,
    Implement,
    Verify,
}

impl From<StepArg> for crate::session::Step {
    fn from(s: StepArg) -> Self {
        match s {
            StepArg::Tests => crate::session::Step::Tests,
            StepArg::Implement => crate::session::Step::Implement,
            StepArg::Verify => crate::session::Step::Verify,
        }
    }
}

/// How `check` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
}

/// A failure before the cockpit could open: one sentence for stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{path}: {message}")]
    Workspace { path: PathBuf, message: String },
    #[error("cannot start: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, StartError> {
    // A panic that ends the process ends the test runs in flight too.
    crate::runner::groups::install_panic_hook();
    let (speed, step) = match &cli.command {
        Some(Command::Demo { speed, step, .. }) => (*speed, *step),
        _ => (None, false),
    };
    if speed.is_some_and(|s| !(s >= 0.0 && s.is_finite())) {
        return Err(StartError::Usage(
            "--speed must be 0 (no pauses) or more".into(),
        ));
    }
    let overrides = Overrides {
        config_file: cli.common.config.clone(),
        theme: cli.common.theme.clone(),
        provider: cli.common.provider.map(Into::into),
        model: cli.common.model.clone(),
        // Cassette paths on the command line are relative to where the command runs.
        replay: cli.common.replay.as_deref().map(absolute).transpose()?,
        record: cli.common.record.as_deref().map(absolute).transpose()?,
        speed,
        step,
    };
    match cli.command {
        None => open(&cli.dir, &overrides, None, false),
        Some(Command::Check {
            dir,
            format,
            no_run,
            strict,
        }) => crate::check::run(&dir, &overrides, format, no_run, strict),
        Some(Command::Init { dir }) => crate::init::run(&dir),
        Some(Command::Run {
            dir,
            message,
            auto_test,
            yes,
            step,
            format,
        }) => crate::headless::run(
            &dir,
            &overrides,
            crate::headless::Step {
                message,
                fix_rounds: auto_test,
                yes,
                step: step.into(),
                json: format == CheckFormat::Json,
            },
        ),
        Some(Command::Sessions { dir }) => crate::session::commands::list(&dir),
        Some(Command::Export {
            dir,
            session,
            format,
        }) => crate::session::commands::export(&dir, session.as_deref(), format, &overrides),
        Some(Command::Demo { into, .. }) => {
            let (root, temp) = match into {
                Some(dir) => (dir, None),
                None => {
                    let temp = tempfile::Builder::new()
                        .prefix("specbench-demo-")
                        .tempdir()?;
                    (temp.path().to_path_buf(), Some(temp))
                }
            };
            demo::write_into(&root).map_err(|e| StartError::Workspace {
                path: root.clone(),
                message: e.to_string(),
            })?;
            let note = match &temp {
                Some(_) => "Demo in a temporary directory, removed on exit; --into DIR keeps one",
                None => "Demo workspace ready",
            };
            let code = open(&root, &overrides, Some(note), true)?;
            drop(temp);
            Ok(code)
        }
    }
}

/// `path` made absolute against the current directory.
fn absolute(path: &Path) -> Result<PathBuf, StartError> {
    Ok(std::path::absolute(path)?)
}

/// The workspace directory, canonical, or a clear error.
pub fn workspace_root(dir: &Path) -> Result<PathBuf, StartError> {
    let root = dir.canonicalize().map_err(|e| StartError::Workspace {
        path: dir.to_path_buf(),
        message: format!("not a workspace directory: {e}"),
    })?;
    if !root.is_dir() {
        return Err(StartError::Workspace {
            path: dir.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    Ok(root)
}

/// Opens the cockpit on a workspace; the demo starts in the composer, its first message offered.
fn open(
    dir: &Path,
    overrides: &Overrides,
    notice: Option<&str>,
    demo: bool,
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
        Some(_) if demo && root.starts_with(std::env::temp_dir()) => "demo".to_string(),
        _ => workspace::label(&root),
    };
    let mut model = Model::new(root.clone(), label, config.clone(), theme);
    model.watching = true;
    model.config_files = config::files(&root, overrides);
    if demo {
        model.start_composing();
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
