//! `edm coefficients`: every schedule and preconditioning coefficient at given times.

use crate::error::CliError;
use crate::output::{emit, float, parse_float};
use elucidated::Error;
use elucidated::family::Family;
use elucidated::precond::{PrecondKind, Preconditioner};
use elucidated::schedule::{Edm, Schedule, ScheduleKind, Vp};
use elucidated::sde::Coefficients;
use std::path::PathBuf;

/// Arguments of `edm coefficients`.
#[derive(Debug, clap::Args)]
#[group(id = "times", required = true, multiple = false, args = ["t", "t_file"])]
pub struct CoefficientsArgs {
    /// Schedule.
    #[arg(long, value_enum, default_value_t = Family::Edm)]
    schedule: Family,
    /// Preconditioning (default: the schedule's own).
    #[arg(long, value_enum)]
    precond: Option<Family>,
    /// Times, comma-separated (for s = 1 schedules t is sigma).
    #[arg(long, allow_hyphen_values = true, value_delimiter = ',', num_args = 1)]
    t: Option<Vec<f64>>,
    /// File of times, separated by commas, spaces or newlines.
    #[arg(long)]
    t_file: Option<PathBuf>,
    /// sigma_data of the EDM preconditioning.
    #[arg(long, default_value_t = Edm::DEFAULT_SIGMA_DATA, allow_hyphen_values = true)]
    sigma_data: f64,
    /// VP slope beta_d.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_D, allow_hyphen_values = true)]
    beta_d: f64,
    /// VP intercept beta_min.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_MIN, allow_hyphen_values = true)]
    beta_min: f64,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Parses a list of floats separated by commas or white space; `what` names their source.
fn parse_times(what: &str, text: &str) -> Result<Vec<f64>, Error> {
    let times = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| parse_float(what, s))
        .collect::<Result<Vec<f64>, Error>>()?;
    if times.is_empty() {
        return Err(Error::Parse {
            what: what.to_owned(),
            detail: "no times given".to_owned(),
        });
    }
    Ok(times)
}

fn times(args: &CoefficientsArgs) -> Result<Vec<f64>, CliError> {
    match (&args.t, &args.t_file) {
        (Some(list), None) => Ok(list.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            Ok(parse_times(&format!("--t-file {}", path.display()), &text)?)
        }
        _ => Err(CliError::Usage(
            "give the times with either --t or --t-file".to_owned(),
        )),
    }
}

/// One JSON object with every coefficient at time `t`.
fn line(schedule: &ScheduleKind, precond: &PrecondKind, t: f64) -> Result<String, Error> {
    let (lo, hi) = schedule.t_range();
    if !(t.is_finite() && (lo..=hi).contains(&t)) {
        return Err(Error::OutOfRange {
            name: "t",
            value: t,
            min: lo,
            max: hi,
        });
    }
    let c = Coefficients::at(schedule, t);
    let p = precond.coefficients(c.sigma)?;
    let fields = [
        ("t", c.t),
        ("sigma", c.sigma),
        ("scale", c.scale),
        ("sigma_dot", c.sigma_dot),
        ("scale_dot", c.scale_dot),
        ("f", c.f),
        ("g", c.g),
        ("c_skip", p.c_skip),
        ("c_out", p.c_out),
        ("c_in", p.c_in),
        ("c_noise", p.c_noise),
        ("loss_weight", p.loss_weight),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\":{}", float(*v)))
        .collect();
    Ok(format!("{{{}}}\n", body.join(",")))
}

/// Runs `edm coefficients`.
pub fn run(args: &CoefficientsArgs) -> Result<(), CliError> {
    let vp = Vp::new(args.beta_d, args.beta_min)?;
    let schedule = ScheduleKind::with_vp(args.schedule, vp);
    let precond = PrecondKind::with_vp(args.precond.unwrap_or(args.schedule), vp, args.sigma_data)?;
    let mut text = String::new();
    for t in times(args)? {
        text.push_str(&line(&schedule, &precond, t)?);
    }
    Ok(emit(args.out.as_ref(), &text)?)
}
