//! Euler–Maruyama for the reverse SDE of EDM Eq. 6 (I26), for any (s, sigma) and any beta(t).

use super::affine::{AffinePlan, AffineStep, Ends};
use super::grid::TimeGrid;
use super::plan::euler_coefficients;
use super::run::plan_sampler;
use crate::error::{Error, Result};
use crate::schedule::Schedule;
use crate::sde::Coefficients;

/// The affine map of one Euler–Maruyama step, x_{i+1} = x x_i + denoised D(x_i/s_i; sigma_i)
/// + noise eps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmStep {
    /// Coefficient of x_i.
    pub x: f64,
    /// Coefficient of D(x_i / s_i; sigma_i).
    pub denoised: f64,
    /// Standard deviation of the fresh noise.
    pub noise: f64,
}

/// Euler–Maruyama for the reverse SDE (EDM Eq. 6, with the scaling of Appendix B.5; I26):
///
/// dx = [(s'/s + sigma'/sigma) x - (sigma' s / sigma) D] dt - beta(t) (s D - x) dt
///      + s sigma sqrt(2 beta(t)) dw,
///
/// the PF-ODE (I07) plus Langevin dynamics of rate beta(t) sigma^2 s^2 on p_t (I06), solved
/// backwards in t. With beta = 0 it is Euler on the PF-ODE; with beta(t) = sigma'(t) / sigma(t)
/// ([`ReverseSde::song`]) it is Song et al.'s reverse SDE dx = [f x - g^2 grad log p_t] dt + g dw
/// for any (s, sigma), in particular their VP and VE SDEs (I10, I11). A step of size h = t_{i+1} -
/// t_i < 0 maps x to (1 + h a + h beta) x - (h b + h beta s) D + s sigma sqrt(2 beta |h|) eps. The
/// step into sigma = 0 is the PF-ODE's Euler step without noise. NFE = N.
#[derive(Debug, Clone, PartialEq)]
pub struct ReverseSde {
    plan: AffinePlan,
    maps: Vec<EmStep>,
}

impl ReverseSde {
    /// The sampler for `schedule` at `times` (as [`super::OdeSampler::new`]) with Langevin rate
    /// `beta`, evaluated at the start of each step; it must be finite and non-negative there.
    pub fn new<S: Schedule>(
        schedule: &S,
        times: &[f64],
        beta: impl Fn(&Coefficients) -> f64,
    ) -> Result<Self> {
        let grid = TimeGrid::new(schedule, times)?;
        let maps: Vec<EmStep> = grid
            .points()
            .windows(2)
            .map(|w| em_step(&w[0], &w[1], beta(&w[0])))
            .collect::<Result<_>>()?;
        let steps = grid
            .points()
            .windows(2)
            .zip(&maps)
            .map(|(w, m)| {
                let ends = Ends {
                    sigma: w[0].sigma,
                    scale: w[0].scale,
                    sigma_next: w[1].sigma,
                    scale_next: w[1].scale,
                };
                AffineStep::scaled(ends, [m.x, m.denoised, 0.0, m.noise])
            })
            .collect();
        Ok(ReverseSde {
            plan: AffinePlan::new(steps),
            maps,
        })
    }

    /// Song et al.'s reverse SDE: beta(t) = sigma'(t) / sigma(t), which makes the Langevin term
    /// g^2/2 grad log p_t (I02, I06).
    pub fn song<S: Schedule>(schedule: &S, times: &[f64]) -> Result<Self> {
        Self::new(schedule, times, |c| c.sigma_dot / c.sigma)
    }

    /// The affine map of step i in x (`None` past the last step).
    pub fn step(&self, i: usize) -> Option<EmStep> {
        self.maps.get(i).copied()
    }
}

fn em_step(cur: &Coefficients, next: &Coefficients, beta: f64) -> Result<EmStep> {
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(Error::OutOfRange {
            name: "beta(t)",
            value: beta,
            min: 0.0,
            max: f64::MAX,
        });
    }
    let h = next.t - cur.t;
    let (cx, cd) = euler_coefficients(cur, h);
    let (langevin, noise) = if next.sigma == 0.0 {
        (0.0, 0.0)
    } else {
        let noise = cur.scale * cur.sigma * (2.0 * beta * -h).sqrt();
        (h * beta, noise)
    };
    Ok(EmStep {
        x: cx + langevin,
        denoised: cd - langevin * cur.scale,
        noise,
    })
}

plan_sampler!(ReverseSde);
