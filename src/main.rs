//! The `specbench` binary: parse the command line, run, report errors in one sentence.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = specbench::cli::Cli::parse();
    let code = match specbench::cli::run(cli) {
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
