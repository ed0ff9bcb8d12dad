//! `edm steps`: the time steps of a discretisation (I14), one per line, ending with 0.

use crate::discretization::DiscretizationParams;
use crate::output::{emit, float};
use elucidated::Error;
use elucidated::schedule::ScheduleKind;
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
    #[command(flatten)]
    params: DiscretizationParams,
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

/// Runs `edm steps`.
pub fn run(args: &StepsArgs) -> Result<(), Error> {
    let disc = args.params.build(&args.discretization)?;
    let values = match (&args.schedule, args.sigma) {
        (_, true) => disc.sigmas(args.n)?,
        (Some(name), false) => disc.times_for(
            args.n,
            &ScheduleKind::named(name, args.params.vp_schedule()?)?,
        )?,
        (None, false) => disc.native_times(args.n)?,
    };
    let text: String = values.iter().map(|&v| float(v) + "\n").collect();
    emit(args.out.as_ref(), &text)
}
