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

use crate::output::parse_float;
use elucidated::Error;
use elucidated::sampler::SamplerKind;
use indicatif::{ProgressBar, ProgressStyle};
use measure::{Cell, Data, Setting};
use std::path::PathBuf;

/// Arguments of `edm oracle`.
#[derive(Debug, clap::Args)]
pub struct OracleArgs {
    /// Directory for oracle.md and oracle.png (created if missing).
    #[arg(long, default_value = "oracle")]
    out: PathBuf,
    /// Target NFE values, comma-separated (each sampler takes the step count whose NFE is
    /// closest to it from below).
    #[arg(long, default_value = "7,15,31,63,127,255")]
    nfe: String,
    /// Samplers, comma-separated, from: euler, heun, dpmpp2m, ddim, ancestral, stochastic, sde.
    #[arg(
        long,
        default_value = "euler,heun,dpmpp2m,ddim,ancestral,stochastic,sde"
    )]
    samplers: String,
    /// Samples of the mixture runs (the Kolmogorov–Smirnov distance of n exact samples is
    /// about 0.9 / sqrt(n)).
    #[arg(long, default_value_t = 1000)]
    mixture_samples: usize,
}

fn parse_list<T>(
    what: &str,
    text: &str,
    f: impl Fn(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let items = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(f)
        .collect::<Result<Vec<T>, Error>>()?;
    if items.is_empty() {
        return Err(Error::Parse {
            what: what.to_owned(),
            detail: "empty list".to_owned(),
        });
    }
    Ok(items)
}

fn parse_nfe(text: &str) -> Result<usize, Error> {
    let v = parse_float("--nfe", text)?;
    if v.fract() != 0.0 || !(1.0..=1e6).contains(&v) {
        return Err(Error::OutOfRange {
            name: "NFE",
            value: v,
            min: 1.0,
            max: 1e6,
        });
    }
    Ok(v as usize)
}

/// Runs `edm oracle`.
pub fn run(args: &OracleArgs) -> Result<(), Error> {
    let nfes = parse_list("--nfe", &args.nfe, parse_nfe)?;
    let samplers = parse_list("--samplers", &args.samplers, |s| {
        SamplerKind::from_name(s).map(|k| (s.to_owned(), k))
    })?;
    if args.mixture_samples < 2 {
        return Err(Error::CountTooSmall {
            name: "--mixture-samples",
            value: args.mixture_samples,
            min: 2,
        });
    }
    let settings = Setting::all()?;
    let total = 2 * settings.len() * samplers.len() * nfes.len() + 4;
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} [{elapsed_precise}]").map_err(
            |e| Error::Parse {
                what: "progress template".to_owned(),
                detail: e.to_string(),
            },
        )?,
    );
    let mut cells: Vec<Cell> = Vec::new();
    let mut data = Vec::new();
    for d in [Data::gaussian()?, Data::mixture(args.mixture_samples)?] {
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
