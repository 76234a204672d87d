//! The `specbench` binary: parse the command line, hand each subcommand its plain arguments,
//! report errors in one sentence.

use std::process::ExitCode;

use clap::Parser;
use specbench::cli::{Cli, Command, FormatArg};
use specbench::commands::{self, run::RunOptions};
use specbench::config::Overrides;
use specbench::startup::{StartError, absolute};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(err) => {
            specbench::stdio::write_err(format_args!("specbench: {err}\n"));
            return ExitCode::from(2);
        }
    };
    // A reader that closed the pipe is no error; a failed write to stdout (a full disk) is.
    match specbench::stdio::stdout_failure() {
        Some(why) => {
            specbench::stdio::write_err(format_args!("specbench: cannot write to stdout: {why}\n"));
            ExitCode::from(2)
        }
        None => code,
    }
}

/// Runs the parsed command line: the common options become the config's overrides, each
/// subcommand's options its command's arguments.
fn run(cli: Cli) -> Result<ExitCode, StartError> {
    // A panic that ends the process ends the test runs in flight too.
    specbench::runner::groups::install_panic_hook();
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
        None => commands::tui::run(&cli.dir, &overrides, None, None),
        Some(Command::Check {
            dir,
            format,
            no_run,
            strict,
        }) => commands::check::run(&dir, &overrides, format == FormatArg::Json, no_run, strict),
        Some(Command::Init { dir }) => commands::init::run(&dir),
        Some(Command::Run {
            dir,
            message,
            auto_test,
            yes,
            step,
            format,
        }) => commands::run::run(
            &dir,
            &overrides,
            RunOptions {
                message,
                fix_rounds: auto_test,
                yes,
                step: step.into(),
                json: format == FormatArg::Json,
            },
        ),
        Some(Command::Sessions { dir }) => commands::sessions::run(&dir),
        Some(Command::Export {
            dir,
            session,
            format,
        }) => commands::export::run(&dir, session.as_deref(), format.into(), &overrides),
        Some(Command::Demo { into, present, .. }) => commands::demo::run(into, &overrides, present),
    }
}
