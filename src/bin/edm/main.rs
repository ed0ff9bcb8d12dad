//! `edm`: the command-line interface of elucidated.
//!
//! Stable interfaces (design.md): `edm coefficients` and `edm steps` print floats in a form that
//! parses back to the same float64 (Rust's shortest round-trip representation).

mod coefficients;
mod output;
mod steps;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// EDM diffusion models: coefficients, time steps, samplers and checks.
#[derive(Debug, Parser)]
#[command(name = "edm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Schedule and preconditioning coefficients at given times, one JSON object per line.
    Coefficients(coefficients::CoefficientsArgs),
    /// The time steps of a discretisation, one per line, ending with 0.
    Steps(steps::StepsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_exit(e),
    };
    let result = match &cli.command {
        Command::Coefficients(args) => coefficients::run(args),
        Command::Steps(args) => steps::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => output::fail(&e),
    }
}
