//! Algorithm 1 of EDM for any (s, sigma): Euler and Heun steps of the probability-flow ODE
//! (I07), with NVlabs's general second-order (alpha) variant.

use super::plan::{Plan, Solver};
use super::run::plan_sampler;
use crate::error::Result;
use crate::schedule::Schedule;

/// Algorithm 1 of EDM, generalised to any (s, sigma) as NVlabs's ablation sampler: x_0 =
/// sigma(t_0) s(t_0) n, then Euler or second-order steps of dx/dt = a x - b D(x/s; sigma) (I07)
/// at the times t_0 > ... > t_N (from [`crate::steps::Discretization::times_for`] or
/// [`crate::steps::Discretization::native_times`]). NFE: N for Euler, 2N - 1 for Heun on a grid ending at sigma = 0.
///
/// ```
/// use elucidated::denoiser::FromFn;
/// use elucidated::family::Family;
/// use elucidated::sampler::{OdeSampler, Sampler, Solver};
/// use elucidated::schedule::Edm;
/// use elucidated::steps::Discretization;
/// use nalgebra::DVector;
///
/// let times = Discretization::paper(Family::Edm).times_for(18, &Edm)?;
/// let heun = OdeSampler::new(&Edm, &times, Solver::HEUN)?;
/// assert_eq!(heun.nfe(), 35);
/// // Data concentrated at y = 1: the exact denoiser is the constant 1.
/// let one = FromFn(|x: &DVector<f64>, _| Ok(x.map(|_| 1.0)));
/// let x = elucidated::sampler::generate(&heun, &one, &DVector::zeros(4), &[7])?;
/// assert!(x.iter().all(|&v| (v - 1.0).abs() < 1e-12));
/// # Ok::<(), elucidated::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OdeSampler {
    plan: Plan,
}

impl OdeSampler {
    /// The sampler for `schedule` at `times`: finite, strictly decreasing, inside the
    /// schedule's `t_range()`, with sigma(t_i) > 0 for i < N (a grid ending at sigma(t_N) = 0
    /// samples the data; one ending above stops at that noise level).
    pub fn new<S: Schedule>(schedule: &S, times: &[f64], solver: Solver) -> Result<Self> {
        Ok(OdeSampler {
            plan: Plan::new(schedule, times, solver, None)?,
        })
    }
}

plan_sampler!(OdeSampler);
