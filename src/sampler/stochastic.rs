//! Algorithm 2 of EDM, the stochastic sampler (I25), for any (s, sigma) with the s(t) scaling of
//! NVlabs's ablation sampler.

use super::churn::{Churn, ChurnStep};
use super::plan::{Plan, Solver};
use super::run::plan_sampler;
use crate::error::Result;
use crate::schedule::Schedule;

/// Algorithm 2 of EDM for any (s, sigma): at each step the noise is first raised by the churn
/// ([`ChurnStep`]), then an Euler or second-order step of the PF-ODE (I07) is taken from t_hat
/// to t_{i+1}, as in [`super::OdeSampler`], on the same step code. With gamma = 0 at a step
/// (S_churn = 0, or sigma_i outside [S_tmin, S_tmax]) nothing is drawn there and the step is
/// Algorithm 1's, bit for bit.
#[derive(Debug, Clone, PartialEq)]
pub struct StochasticSampler {
    plan: Plan,
}

impl StochasticSampler {
    /// The sampler for `schedule` at `times` (as [`super::OdeSampler::new`]) with `churn`.
    /// Errors where a raised noise level (1 + gamma) sigma_i is beyond the schedule's reach.
    pub fn new<S: Schedule>(
        schedule: &S,
        times: &[f64],
        solver: Solver,
        churn: Churn,
    ) -> Result<Self> {
        Ok(StochasticSampler {
            plan: Plan::new(schedule, times, solver, Some(&churn))?,
        })
    }

    /// The churn of step i, `None` where gamma_i = 0.
    pub fn churn(&self, i: usize) -> Option<&ChurnStep> {
        self.plan.steps().get(i).and_then(|s| s.churn())
    }
}

plan_sampler!(StochasticSampler);
