//! The grids a sampler steps along: times with every coefficient of the schedule there
//! (`TimeGrid`, for the ODE and SDE solvers), or just the noise levels and scales
//! ([`SigmaGrid`], for DDIM, DDPM and DPM-Solver++, which never differentiate the schedule).

use super::noise::NoiseSource;
use super::run::{Options, Run, Sample};
use crate::ddpm::BetaSchedule;
use crate::denoiser::Denoiser;
use crate::error::{Error, Result, finite, positive};
use crate::schedule::Schedule;
use crate::sde::Coefficients;
use crate::state::State;

fn too_few(name: &'static str, value: usize) -> Error {
    Error::CountTooSmall {
        name,
        value,
        min: 2,
    }
}

fn check_decreasing(values: &[f64]) -> Result<()> {
    for (index, w) in values.windows(2).enumerate() {
        if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Less) {
            return Err(Error::NotDecreasing {
                index: index + 1,
                prev: w[0],
                next: w[1],
            });
        }
    }
    Ok(())
}

/// Checks a noise level and a scale: both finite, s > 0, sigma > 0 except at the `last` point
/// where sigma = 0 is allowed.
fn check_level(sigma: f64, scale: f64, last: bool) -> Result<()> {
    if last {
        finite("sigma", sigma)?;
        if sigma < 0.0 {
            return Err(Error::Negative {
                name: "sigma",
                value: sigma,
            });
        }
    } else {
        positive("sigma", sigma)?;
    }
    positive("s", scale).map(|_| ())
}

/// [`check_level`] for a schedule at time `t`, naming the time in the error.
fn check_point(t: f64, sigma: f64, scale: f64, last: bool) -> Result<()> {
    check_level(sigma, scale, last).map_err(|_| Error::InvalidSchedule {
        t,
        reason: "sigma(t) must be finite and positive (zero only at the last time), s(t) finite and positive",
    })
}

/// The coefficients of a schedule at one time, checked for use as the start of a step: sigma,
/// s, sigma' and f finite, sigma and s positive.
pub(crate) fn step_point<S: Schedule>(schedule: &S, t: f64) -> Result<Coefficients> {
    check_step_point(&Coefficients::at(schedule, t))
}

/// [`step_point`] for coefficients already evaluated.
pub(crate) fn check_step_point(c: &Coefficients) -> Result<Coefficients> {
    check_point(c.t, c.sigma, c.scale, false)?;
    if !(c.sigma_dot.is_finite() && c.f.is_finite()) {
        return Err(Error::InvalidSchedule {
            t: c.t,
            reason: "sigma'(t) and s'(t)/s(t) must be finite",
        });
    }
    Ok(*c)
}

/// Times t_0 > t_1 > ... > t_N of a schedule with the coefficients (I02, I07) at each: the grid
/// of Algorithms 1 and 2 and of the reverse SDE.
///
/// Valid when the times are finite, strictly decreasing and inside the schedule's `t_range()`,
/// sigma(t_i) > 0 with finite derivatives for i < N, sigma(t_N) >= 0, and sigma strictly
/// decreasing along the grid. A grid that ends at sigma(t_N) = 0 samples the data
/// distribution; one that ends above it stops at that noise level.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeGrid {
    points: Vec<Coefficients>,
}

impl TimeGrid {
    /// The grid of `schedule` at `times` (at least two).
    pub(crate) fn new<S: Schedule>(schedule: &S, times: &[f64]) -> Result<Self> {
        if times.len() < 2 {
            return Err(too_few("time steps", times.len()));
        }
        let (lo, hi) = schedule.t_range();
        for &t in times {
            crate::error::in_range("t", t, lo, hi)?;
        }
        check_decreasing(times)?;
        let n = times.len() - 1;
        let mut points: Vec<Coefficients> = times[..n]
            .iter()
            .map(|&t| step_point(schedule, t))
            .collect::<Result<_>>()?;
        let last = Coefficients::at(schedule, times[n]);
        check_point(last.t, last.sigma, last.scale, true)?;
        points.push(last);
        let sigmas: Vec<f64> = points.iter().map(|c| c.sigma).collect();
        check_decreasing(&sigmas)?;
        Ok(TimeGrid { points })
    }

    /// The number of steps N.
    pub(crate) fn steps(&self) -> usize {
        self.points.len() - 1
    }

    /// The coefficients at t_0, ..., t_N.
    pub(crate) fn points(&self) -> &[Coefficients] {
        &self.points
    }
}

/// sqrt(a b) for a, b >= 0, without the product's underflow or overflow: the midpoint in
/// log sigma of the second-order steps (DPM-2, DPM-Solver++(2S) and SDE, I35).
pub(crate) fn geometric_mean(a: f64, b: f64) -> f64 {
    a.sqrt() * b.sqrt()
}

/// Noise levels sigma_0 > ... > sigma_N >= 0 with their scales s_i > 0: all that DDIM, DDPM and
/// DPM-Solver++ need of a schedule, and what a discrete DDPM beta schedule provides.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmaGrid {
    sigma: Vec<f64>,
    scale: Vec<f64>,
}

impl SigmaGrid {
    /// From lists of equal length >= 2: sigma finite, strictly decreasing, positive except
    /// possibly the last; scales finite and positive.
    pub fn new(sigma: Vec<f64>, scale: Vec<f64>) -> Result<Self> {
        if sigma.len() < 2 {
            return Err(too_few("noise levels", sigma.len()));
        }
        if scale.len() != sigma.len() {
            return Err(Error::DimensionMismatch {
                what: "scales per noise level",
                expected: sigma.len(),
                got: scale.len(),
            });
        }
        let n = sigma.len() - 1;
        for (i, (&sg, &sc)) in sigma.iter().zip(&scale).enumerate() {
            check_level(sg, sc, i == n)?;
        }
        check_decreasing(&sigma)?;
        Ok(SigmaGrid { sigma, scale })
    }

    /// sigma(t_i) and s(t_i) of `schedule` at `times`.
    pub fn from_schedule<S: Schedule>(schedule: &S, times: &[f64]) -> Result<Self> {
        let grid = TimeGrid::new(schedule, times)?;
        Ok(SigmaGrid {
            sigma: grid.points.iter().map(|c| c.sigma).collect(),
            scale: grid.points.iter().map(|c| c.scale).collect(),
        })
    }

    /// The DDPM levels of `betas` (I10's link: s = sqrt(abar_t), sigma = sqrt((1 - abar_t) /
    /// abar_t)) at the strictly decreasing indices `steps`, each in 1..=T, followed by t = 0
    /// (sigma = 0, s = 1). `(1..=T).rev()` is the full DDPM chain; a subsequence is DDIM's
    /// respacing.
    pub fn from_betas(betas: &BetaSchedule, steps: &[usize]) -> Result<Self> {
        if steps.is_empty() {
            return Err(too_few("DDPM steps plus the final t = 0", 1));
        }
        let t_max = betas.len();
        let ln_abar = betas.ln_alpha_bars();
        let all_sigma = betas.sigmas();
        let mut sigma = Vec::with_capacity(steps.len() + 1);
        let mut scale = Vec::with_capacity(steps.len() + 1);
        for &t in steps {
            if !(1..=t_max).contains(&t) {
                return Err(Error::CountOutOfRange {
                    name: "DDPM step",
                    value: t,
                    min: 1,
                    max: t_max,
                });
            }
            sigma.push(all_sigma[t - 1]);
            scale.push((0.5 * ln_abar[t - 1]).exp());
        }
        sigma.push(0.0);
        scale.push(1.0);
        Self::new(sigma, scale)
    }

    /// The number of steps N.
    pub fn steps(&self) -> usize {
        self.sigma.len() - 1
    }

    /// sigma_0, ..., sigma_N.
    pub fn sigmas(&self) -> &[f64] {
        &self.sigma
    }

    /// s_0, ..., s_N.
    pub fn scales(&self) -> &[f64] {
        &self.scale
    }

    /// The loop of a sampler along the grid for the unscaled state y = x/s: y_0 = sigma_0
    /// `latent`, then `step(run, y, i)` moves y from sigma_i to sigma_{i+1} and returns the
    /// step's first denoiser output, reported with x_{i+1} = s_{i+1} y; the result is
    /// x_N = s_N y_N.
    pub(crate) fn run<S, D, N>(
        &self,
        (denoiser, latent, noise): (&D, &S, &mut N),
        options: Options<'_, S>,
        mut step: impl FnMut(&mut Run<'_, '_, S, D, N>, &mut S, usize) -> Result<S>,
    ) -> Result<Sample<S>>
    where
        S: State,
        D: Denoiser<S> + ?Sized,
        N: NoiseSource<S> + ?Sized,
    {
        let (sigma, scale) = (&self.sigma, &self.scale);
        let mut y = latent.scale(sigma[0])?;
        let mut run = Run::start(denoiser, noise, options, self.steps(), (&y, scale[0]))?;
        for i in 0..self.steps() {
            let denoised = step(&mut run, &mut y, i)?;
            run.step_done(i, (sigma[i], sigma[i + 1]), (&y, scale[i + 1]), &denoised)?;
        }
        run.finish(y, scale[self.steps()])
    }
}
