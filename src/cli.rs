//! The command line's clap types, read by `main` alone: it turns them into the plain arguments
//! of `commands::*`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::export::ExportFormat;
use crate::config;

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

impl From<ProviderArg> for config::ProviderKind {
    fn from(p: ProviderArg) -> Self {
        match p {
            ProviderArg::Openai => config::ProviderKind::Openai,
            ProviderArg::Anthropic => config::ProviderKind::Anthropic,
            ProviderArg::Replay => config::ProviderKind::Replay,
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
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
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
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
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
        #[arg(long, value_enum, default_value_t = ExportFormatArg::Md)]
        format: ExportFormatArg,
    },
    /// Copy the bundled demo workspace and open it: offline, no API key.
    Demo {
        /// Put the demo workspace here (a new or empty directory) and keep it.
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Replay pacing: 1 as recorded, 2 twice as fast, 0 without pauses (with --step: the
        /// pace of each line once released).
        #[arg(long, value_name = "X")]
        speed: Option<f64>,
        /// Replay one line of each reply per Ctrl-N, for presenters.
        #[arg(long)]
        step: bool,
        /// Presenter mode: the story stops at each beat with a caption; Space or Enter goes on.
        #[arg(long)]
        present: bool,
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

/// `--format` values of `check` and `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
}

/// `--format` values of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    Md,
    Json,
}

impl From<ExportFormatArg> for ExportFormat {
    fn from(f: ExportFormatArg) -> Self {
        match f {
            ExportFormatArg::Md => ExportFormat::Md,
            ExportFormatArg::Json => ExportFormat::Json,
        }
    }
}
