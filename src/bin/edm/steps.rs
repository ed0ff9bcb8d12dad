//! `edm steps`: the time steps of a discretisation (I14), one per line, ending with 0.

use crate::discretization::DiscretizationParams;
use crate::error::CliError;
use crate::output::{emit, float};
use elucidated::family::Family;
use elucidated::schedule::ScheduleKind;
use std::path::PathBuf;

/// Arguments of `edm steps`. Defaults are the paper's for the chosen discretisation.
#[derive(Debug, clap::Args)]
pub struct StepsArgs {
    /// Discretisation (I14).
    #[arg(long, value_enum)]
    discretization: Family,
    /// Number of steps N (N values before the final 0).
    #[arg(long, visible_alias = "n")]
    steps: usize,
    #[command(flatten)]
    params: DiscretizationParams,
    /// Map the noise levels to this schedule's time through its sigma^-1, as NVlabs's
    /// ablation sampler does; default: the discretisation's own time.
    #[arg(long, value_enum)]
    schedule: Option<Family>,
    /// Print the noise levels sigma_i instead of the times t_i.
    #[arg(long)]
    sigma: bool,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `edm steps`.
pub fn run(args: &StepsArgs) -> Result<(), CliError> {
    let disc = args.params.build(args.discretization)?;
    let n = args.steps;
    let values = match (args.schedule, args.sigma) {
        (_, true) => disc.sigmas(n)?,
        (Some(family), false) => disc.times_for(
            n,
            &ScheduleKind::with_vp(family, args.params.vp_schedule()?),
        )?,
        (None, false) => disc.native_times(n)?,
    };
    let text: String = values.iter().map(|&v| float(v) + "\n").collect();
    Ok(emit(args.out.as_ref(), &text)?)
}
