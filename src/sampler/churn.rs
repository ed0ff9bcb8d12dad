//! The churn of Algorithm 2 of EDM (I25): raising the noise level of a step before the ODE step,
//! with the s(t) scaling of NVlabs's ablation sampler.

use super::grid::step_point;
use crate::error::{Error, Result, finite};
use crate::noise::NoiseStream;
use crate::schedule::Schedule;
use crate::sde::Coefficients;
use crate::state::State;
use std::f64::consts::SQRT_2;

fn non_negative(name: &'static str, value: f64) -> Result<f64> {
    finite(name, value)?;
    if value < 0.0 {
        return Err(Error::Negative { name, value });
    }
    Ok(value)
}

/// The churn parameters of Algorithm 2 (EDM Sec. 4): at steps whose noise level lies in
/// [S_tmin, S_tmax], gamma = min(S_churn / N, sqrt(2) - 1) and the noise is raised to
/// sigma_hat = (1 + gamma) sigma with fresh noise of scale S_noise (I25).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Churn {
    s_churn: f64,
    s_tmin: f64,
    s_tmax: f64,
    s_noise: f64,
}

impl Churn {
    /// `s_churn >= 0`, `0 <= s_tmin <= s_tmax` (`s_tmax` may be infinite), `s_noise >= 0`.
    /// The paper's ImageNet-64 settings are `Churn::new(80.0, 0.05, 50.0, 1.003)`.
    pub fn new(s_churn: f64, s_tmin: f64, s_tmax: f64, s_noise: f64) -> Result<Self> {
        non_negative("S_churn", s_churn)?;
        non_negative("S_tmin", s_tmin)?;
        non_negative("S_noise", s_noise)?;
        if s_tmax.is_nan() || s_tmax < s_tmin {
            return Err(Error::OutOfRange {
                name: "S_tmax",
                value: s_tmax,
                min: s_tmin,
                max: f64::INFINITY,
            });
        }
        Ok(Churn {
            s_churn,
            s_tmin,
            s_tmax,
            s_noise,
        })
    }

    /// No churn (S_churn = 0): Algorithm 2 is then Algorithm 1, bit for bit.
    pub fn none() -> Self {
        Churn {
            s_churn: 0.0,
            s_tmin: 0.0,
            s_tmax: f64::INFINITY,
            s_noise: 1.0,
        }
    }

    /// gamma_i = min(S_churn / N, sqrt(2) - 1) if S_tmin <= sigma_i <= S_tmax, else 0 (I25).
    /// As in NVlabs's ablation sampler the window is on the noise level sigma(t_i), which is
    /// t_i itself in the paper's setting sigma = t.
    pub fn gamma(&self, sigma: f64, steps: usize) -> f64 {
        if (self.s_tmin..=self.s_tmax).contains(&sigma) {
            (self.s_churn / steps as f64).min(SQRT_2 - 1.0)
        } else {
            0.0
        }
    }

    /// The churn of the step from `cur` among `steps`; `None` when gamma = 0, so that no
    /// noise is drawn and no time is mapped through sigma^-1 (which would perturb it by
    /// rounding).
    pub(crate) fn step<S: Schedule>(
        &self,
        schedule: &S,
        cur: &Coefficients,
        steps: usize,
    ) -> Result<Option<ChurnStep>> {
        let gamma = self.gamma(cur.sigma, steps);
        if gamma == 0.0 {
            return Ok(None);
        }
        let sigma = cur.sigma;
        let t_hat = schedule.sigma_inv(sigma + gamma * sigma)?;
        let at = step_point(schedule, t_hat)?;
        let var = ((at.sigma - sigma) * (at.sigma + sigma)).max(0.0);
        Ok(Some(ChurnStep {
            at,
            x_factor: at.scale / cur.scale,
            noise: var.sqrt() * self.s_noise,
        }))
    }
}

/// The noise increase of one step of Algorithm 2 with the s(t) scaling of NVlabs's ablation
/// sampler: x_hat = (s(t_hat) / s(t_i)) x_i + sqrt(sigma(t_hat)^2 - sigma(t_i)^2) s(t_hat)
/// S_noise eps (I25); for the unscaled state y = x/s simply y_hat = y + sqrt(sigma(t_hat)^2 -
/// sigma(t_i)^2) S_noise eps. With the exact denoiser and S_noise = 1 it maps p_{t_i} to
/// p_{t_hat}.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChurnStep {
    pub(crate) at: Coefficients,
    x_factor: f64,
    noise: f64,
}

impl ChurnStep {
    /// t_hat, the time the noise is raised to.
    pub fn t_hat(&self) -> f64 {
        self.at.t
    }

    /// sigma(t_hat).
    pub fn sigma_hat(&self) -> f64 {
        self.at.sigma
    }

    /// s(t_hat).
    pub fn scale_hat(&self) -> f64 {
        self.at.scale
    }

    /// s(t_hat) / s(t_i), the factor on x_i.
    pub fn x_factor(&self) -> f64 {
        self.x_factor
    }

    /// sqrt(sigma(t_hat)^2 - sigma(t_i)^2) s(t_hat) S_noise, the factor on eps.
    pub fn noise_std(&self) -> f64 {
        self.noise * self.at.scale
    }

    /// x <- x_factor x + noise_std eps for the scaled state x, eps drawn from each sample's
    /// own stream.
    pub fn apply<S: State>(&self, x: &mut S, streams: &mut [NoiseStream]) -> Result<()> {
        let eps = x.randn_like(streams)?;
        x.lin_comb_assign(self.x_factor, &eps, self.noise_std())
    }

    /// y <- y + sqrt(sigma(t_hat)^2 - sigma(t_i)^2) S_noise eps for the unscaled state y, as
    /// the sampler applies it, with the standard normal `eps`.
    pub(crate) fn apply_unscaled<S: State>(&self, y: &mut S, eps: &S) -> Result<()> {
        y.lin_comb_assign(1.0, eps, self.noise)
    }
}
