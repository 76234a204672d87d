//! The `specbench` binary: parse the command line, run, report errors in one sentence.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = specbench::cli::Cli::parse();
    match specbench::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("specbench: {err}");
            ExitCode::from(2)
        }
    }
}
