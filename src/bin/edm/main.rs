//! `edm`: the command-line interface of elucidated.
//!
//! Stable interfaces (design.md): `edm coefficients` and `edm steps` print floats in a form that
//! parses back to the same float64 (Rust's shortest round-trip representation); `edm vectors`
//! writes and reads the golden-vector documents for ports; `edm oracle` measures every sampler
//! against the exact solution on analytic data. Every choice among named values is a
//! `clap::ValueEnum`, so `--help` lists the values and an unknown name exits with code 2, as
//! every other argument error does.

#[cfg(feature = "candle")]
mod classifier;
mod coefficients;
mod common;
#[cfg(feature = "candle")]
mod convert;
mod discretization;
mod error;
#[cfg(feature = "candle")]
mod evaluate;
#[cfg(feature = "candle")]
mod generate;
mod oracle;
mod output;
#[cfg(feature = "candle")]
mod png;
mod steps;
#[cfg(feature = "candle")]
mod train;
mod vectors;

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
    /// Every sampler x discretisation x schedule on analytic data against the exact solution:
    /// a markdown table and a PNG plot of error against NFE.
    Oracle(oracle::OracleArgs),
    /// Golden vectors for ports: `export` the reference, `check` a port's answers.
    Vectors(vectors::VectorsArgs),
    /// Converts an NVlabs/edm network pickle to a model file.
    #[cfg(feature = "candle")]
    Convert(convert::ConvertArgs),
    /// Trains the digit classifier used by `edm evaluate`.
    #[cfg(feature = "candle")]
    Classifier(classifier::ClassifierArgs),
    /// Scores generated digits with the classifier over sampler x NFE x guidance.
    #[cfg(feature = "candle")]
    Evaluate(evaluate::EvaluateArgs),
    /// Generates images from a model file (by default the embedded digits model).
    #[cfg(feature = "candle")]
    Generate(generate::GenerateArgs),
    /// Trains a class-conditional SongUNet on the embedded digits with the EDM loss.
    #[cfg(feature = "candle")]
    Train(train::TrainArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_exit(e),
    };
    let result = match &cli.command {
        Command::Coefficients(args) => coefficients::run(args).map(|()| ExitCode::SUCCESS),
        Command::Steps(args) => steps::run(args).map(|()| ExitCode::SUCCESS),
        Command::Oracle(args) => oracle::run(args).map(|()| ExitCode::SUCCESS),
        Command::Vectors(args) => vectors::run(args).map_err(error::CliError::from),
        #[cfg(feature = "candle")]
        Command::Convert(args) => convert::run(args).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "candle")]
        Command::Classifier(args) => classifier::run(args).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "candle")]
        Command::Evaluate(args) => evaluate::run(args).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "candle")]
        Command::Generate(args) => generate::run(args).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "candle")]
        Command::Train(args) => train::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}
