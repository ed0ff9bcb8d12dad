//! DDPM ancestral sampling (Ho et al. 2020, Algorithm 2) from discrete betas (I27).

use super::affine::{AffinePlan, AffineStep, Ends};
use super::run::plan_sampler;
use crate::ddpm::BetaSchedule;

/// The variance of the fresh noise of a DDPM step t -> t - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DdpmVariance {
    /// sigma_t^2 = beta_t (Ho et al.'s upper bound).
    Beta,
    /// sigma_t^2 = beta_tilde_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t, the variance of the
    /// posterior q(x_{t-1} | x_t, x_0) (Ho et al.'s lower bound); DDIM at eta = 1 has it (I27).
    Posterior,
}

/// DDPM ancestral sampling over the full chain t = T, ..., 1 of a [`BetaSchedule`]:
/// x_{t-1} = mu_theta(x_t) + sigma_t z, with
/// mu_theta = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) (I27) and
/// eps_theta = (x_t/s_t - D(x_t/s_t; sigma_t)) / sigma_t, s_t = sqrt(abar_t),
/// sigma_t = sqrt((1 - abar_t)/abar_t) (I10's DDPM link). No noise is added on the last step.
///
/// Substituting eps gives the posterior mean in terms of D, which is what is evaluated:
/// mu = sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t + sqrt(abar_{t-1}) beta_t / (1 - abar_t) D,
/// every 1 - abar formed by expm1 of ln abar. x_T = sqrt(1 - abar_T) n (= s_T sigma_T n as for every
/// sampler here; Ho et al. start from n, which differs by a factor 1 - O(abar_T)). NFE = T.
#[derive(Debug, Clone, PartialEq)]
pub struct Ddpm {
    plan: AffinePlan,
}

impl Ddpm {
    /// The sampler of `betas` with noise `variance`.
    pub fn new(betas: &BetaSchedule, variance: DdpmVariance) -> Self {
        let b = betas.betas();
        let ln_abar = betas.ln_alpha_bars();
        let sigmas = betas.sigmas();
        let t_max = b.len();
        // 1 - abar_t and sqrt(abar_t) for t = 0..=T (abar_0 = 1).
        let ln_abar_at = |t: usize| if t == 0 { 0.0 } else { ln_abar[t - 1] };
        let one_minus = |t: usize| -ln_abar_at(t).exp_m1();
        let sqrt_abar = |t: usize| (0.5 * ln_abar_at(t)).exp();
        let steps = (1..=t_max)
            .rev()
            .map(|t| {
                let beta = b[t - 1];
                let denom = one_minus(t);
                let var = match (t, variance) {
                    (1, _) => 0.0,
                    (_, DdpmVariance::Beta) => beta,
                    (_, DdpmVariance::Posterior) => one_minus(t - 1) / denom * beta,
                };
                let ends = Ends {
                    sigma: sigmas[t - 1],
                    scale: sqrt_abar(t),
                    sigma_next: if t == 1 { 0.0 } else { sigmas[t - 2] },
                    scale_next: sqrt_abar(t - 1),
                };
                let c = [
                    (1.0 - beta).sqrt() * (one_minus(t - 1) / denom),
                    sqrt_abar(t - 1) * beta / denom,
                    0.0,
                    var.sqrt(),
                ];
                AffineStep::scaled(ends, c)
            })
            .collect();
        Ddpm {
            plan: AffinePlan::new(steps),
        }
    }

    /// The standard deviation sigma_t of the fresh noise of step i (from t = T - i), in x units.
    pub fn noise_std(&self, i: usize) -> Option<f64> {
        self.plan.steps.get(i).map(AffineStep::noise_std)
    }
}

plan_sampler!(Ddpm);
