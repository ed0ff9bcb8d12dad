//! `edm steps`: the time steps of a discretisation (I14), one per line, ending with 0.

use crate::output::{emit, float};
use elucidated::Error;
use elucidated::schedule::{Edm, IddpmTable, ScheduleKind, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};
use std::path::PathBuf;

/// Arguments of `edm steps`. Defaults are the paper's for the chosen discretisation.
#[derive(Debug, clap::Args)]
pub struct StepsArgs {
    /// Discretisation: vp, ve, iddpm or edm.
    #[arg(long)]
    discretization: String,
    /// Number of steps N (N values before the final 0).
    #[arg(long)]
    n: usize,
    /// Smallest noise level (EDM, VE, iDDPM with --iddpm-selection nvlabs; VP: with
    /// --sigma-max, builds the VP schedule from the sigma range as NVlabs does).
    #[arg(long, allow_hyphen_values = true)]
    sigma_min: Option<f64>,
    /// Largest noise level.
    #[arg(long, allow_hyphen_values = true)]
    sigma_max: Option<f64>,
    /// EDM exponent rho.
    #[arg(long, default_value_t = Edm::DEFAULT_RHO, allow_hyphen_values = true)]
    rho: f64,
    /// VP slope beta_d.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_D, allow_hyphen_values = true)]
    beta_d: f64,
    /// VP intercept beta_min.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_MIN, allow_hyphen_values = true)]
    beta_min: f64,
    /// VP last time eps_s.
    #[arg(long, default_value_t = Vp::DEFAULT_EPS_S, allow_hyphen_values = true)]
    eps_s: f64,
    /// iDDPM clipping constant C1.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_C1, allow_hyphen_values = true)]
    c1: f64,
    /// iDDPM cosine offset C2.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_C2, allow_hyphen_values = true)]
    c2: f64,
    /// iDDPM table size M.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_M)]
    m: usize,
    /// iDDPM leading entries skipped, j0 (paper selection).
    #[arg(long, default_value_t = 8)]
    j0: usize,
    /// iDDPM selection: `paper` (the formula of I14) or `nvlabs` (the ablation sampler's).
    #[arg(long, default_value = "paper")]
    iddpm_selection: String,
    /// Map the noise levels to this schedule's time through its sigma^-1 (vp, ve, edm,
    /// iddpm), as NVlabs's ablation sampler does; default: the discretisation's own time.
    #[arg(long)]
    schedule: Option<String>,
    /// Print the noise levels sigma_i instead of the times t_i.
    #[arg(long)]
    sigma: bool,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn vp_schedule(args: &StepsArgs) -> Result<Vp, Error> {
    match (args.sigma_min, args.sigma_max) {
        (Some(lo), Some(hi)) => Vp::from_sigma_range(lo, hi, args.eps_s),
        _ => Vp::new(args.beta_d, args.beta_min),
    }
}

fn discretization(args: &StepsArgs) -> Result<Discretization, Error> {
    match args.discretization.as_str() {
        "vp" => Discretization::vp(vp_schedule(args)?, args.eps_s),
        "ve" => Discretization::ve(
            args.sigma_min.unwrap_or(Ve::DEFAULT_SIGMA_MIN),
            args.sigma_max.unwrap_or(Ve::DEFAULT_SIGMA_MAX),
        ),
        "edm" => Discretization::edm(
            args.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
            args.sigma_max.unwrap_or(Edm::DEFAULT_SIGMA_MAX),
            args.rho,
        ),
        "iddpm" => {
            let table = IddpmTable::new(args.c1, args.c2, args.m)?;
            let selection = match args.iddpm_selection.as_str() {
                "paper" => IddpmSelection::Paper { j0: args.j0 },
                "nvlabs" => IddpmSelection::Nvlabs {
                    sigma_min: args.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
                    sigma_max: args.sigma_max.unwrap_or(81.0),
                },
                other => {
                    return Err(Error::UnknownName {
                        what: "iDDPM selection",
                        name: other.to_owned(),
                    });
                }
            };
            Discretization::iddpm(table, selection)
        }
        other => Err(Error::UnknownName {
            what: "discretization",
            name: other.to_owned(),
        }),
    }
}

/// Runs `edm steps`.
pub fn run(args: &StepsArgs) -> Result<(), Error> {
    let disc = discretization(args)?;
    let values = match (&args.schedule, args.sigma) {
        (_, true) => disc.sigmas(args.n)?,
        (Some(name), false) => {
            disc.times_for(args.n, &ScheduleKind::named(name, vp_schedule(args)?)?)?
        }
        (None, false) => disc.native_times(args.n)?,
    };
    let text: String = values.iter().map(|&v| float(v) + "\n").collect();
    emit(args.out.as_ref(), &text)
}
