//! `edm oracle`: every sampler x discretisation x schedule on analytic data, error against the
//! exact solution for a range of NFE, as a markdown table and a PNG plot.
//!
//! Gaussian data (d = 8, covariance eigenvalues 1e-4 ... 1, rotated): the path error is the RMS
//! error at sigma = 0 against the exact PF-ODE solution from the same x_0 (I30), computed
//! exactly over standard normal latents; the distribution error is the exact Wasserstein-2
//! distance from the sampler's output law ([`elucidated::sampler::GaussianLaw`]) to the data.
//! Mixture data (one dimension, three components): the path error is against a converged
//! reference solution (Heun, 1024 steps of EDM's discretisation down to sigma = 1e-5); the
//! distribution error is the Kolmogorov–Smirnov distance of the samples from the exact CDF (I31).
//! Path errors are reported for the deterministic samplers only.

mod measure;
mod plot;
mod report;

use crate::common::progress_bar;
use crate::error::CliError;
use elucidated::Error;
use elucidated::sampler::SamplerName;
use measure::{Cell, Data, Setting};
use std::path::PathBuf;

/// Largest target NFE.
const MAX_NFE: i64 = 1_000_000;

/// Arguments of `edm oracle`.
#[derive(Debug, clap::Args)]
pub struct OracleArgs {
    /// Directory for oracle.md and oracle.png (created if missing).
    #[arg(long, default_value = "oracle")]
    out: PathBuf,
    /// Target NFE values, comma-separated (each sampler takes the step count whose NFE is
    /// closest to it from below).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "7,15,31,63,127,255",
        value_parser = clap::value_parser!(u32).range(1..=MAX_NFE)
    )]
    nfe: Vec<u32>,
    /// Samplers, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "euler,heun,dpmpp2m,ddim,ancestral,stochastic,sde"
    )]
    samplers: Vec<SamplerName>,
    /// Samples of the mixture runs (the Kolmogorov–Smirnov distance of n exact samples is
    /// about 0.9 / sqrt(n)); at least 2.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(2..))]
    mixture_samples: u32,
}

/// Runs `edm oracle`.
pub fn run(args: &OracleArgs) -> Result<(), CliError> {
    let nfes: Vec<usize> = args.nfe.iter().map(|&n| n as usize).collect();
    let samplers = args
        .samplers
        .iter()
        .map(|&name| Ok((name.to_string(), name.kind()?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let settings = Setting::all()?;
    let total = 2 * settings.len() * samplers.len() * nfes.len() + 4;
    let bar = progress_bar(total, "{bar:40} {pos}/{len} {msg} [{elapsed_precise}]")?;
    let mut cells: Vec<Cell> = Vec::new();
    let mut data = Vec::new();
    for d in [
        Data::gaussian()?,
        Data::mixture(args.mixture_samples as usize)?,
    ] {
        let references = d.references(&bar)?;
        for (name, kind) in &samplers {
            for setting in &settings {
                for &nfe in &nfes {
                    bar.set_message(format!("{} {name} {}", d.name(), setting.label()));
                    cells.push(d.measure(name, kind, setting, nfe, &references));
                    bar.inc(1);
                }
            }
        }
        data.push((d, references));
    }
    bar.finish_and_clear();
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let table = report::markdown(&cells, &data);
    elucidated::io::write_atomic(&args.out.join("oracle.md"), table.as_bytes())?;
    plot::png(&args.out.join("oracle.png"), &cells, &samplers)?;
    println!(
        "wrote {} and {}",
        args.out.join("oracle.md").display(),
        args.out.join("oracle.png").display()
    );
    Ok(())
}
