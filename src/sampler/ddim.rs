//! DDIM with eta in [0, 1] (Song, Meng, Ermon 2021), taken in x/s (I27), and the ancestral split
//! of a step into a deterministic part and fresh noise.

use super::affine::{AffinePlan, AffineStep, Ends};
use super::grid::SigmaGrid;
use super::run::plan_sampler;
use crate::error::{Error, Result, in_range, positive};

/// A step from sigma to sigma_next split into a deterministic step down to `down` and fresh noise
/// of standard deviation `up`, with down^2 + up^2 = sigma_next^2 (DDIM's sigma_t(eta) in
/// sigma units, I27; the ancestral split of I36):
///
/// up = sigma_next min(1, eta sqrt(1 - sigma_next^2 / sigma^2)),
/// down = sigma_next sqrt(max(0, (1 - eta^2) + eta^2 sigma_next^2 / sigma^2)).
///
/// For eta in [0, 1] (DDIM) the clamps never act; beyond (k-diffusion's ancestral samplers
/// accept any eta >= 0) up reaches sigma_next and down 0. `up` is formed as sigma_next times a
/// factor in [0, 1], so it can never exceed sigma_next and `down` is never the square root of a
/// negative number (the ancestral step of other libraries computes sqrt(sigma_next^2 - up^2),
/// which rounding can make NaN). Both radicands are free of cancellation for eta <= 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AncestralSplit {
    /// sigma_down, the level the deterministic step goes to.
    pub down: f64,
    /// sigma_up, the standard deviation of the noise added (in x/s units).
    pub up: f64,
}

impl AncestralSplit {
    /// The split of the step from `sigma > 0` to `0 <= sigma_next < sigma` at a finite
    /// `eta >= 0`.
    pub fn new(sigma: f64, sigma_next: f64, eta: f64) -> Result<Self> {
        positive("sigma", sigma)?;
        in_range("sigma_next", sigma_next, 0.0, sigma)?;
        if sigma_next == sigma {
            return Err(Error::NotDecreasing {
                index: 1,
                prev: sigma,
                next: sigma_next,
            });
        }
        in_range("eta", eta, 0.0, f64::MAX)?;
        let q = sigma_next / sigma;
        let one_minus_q2 = ((1.0 - q) * (1.0 + q)).min(1.0);
        let up = sigma_next * (eta * one_minus_q2.sqrt()).min(1.0);
        let down_sq = (1.0 - eta) * (1.0 + eta) + (eta * q) * (eta * q);
        Ok(AncestralSplit {
            down: sigma_next * down_sq.clamp(0.0, 1.0).sqrt(),
            up,
        })
    }
}

/// DDIM (Song et al. 2021, Eq. 12) with eta in [0, 1], in the (s, sigma) form of I27: with
/// y = x/s, D = D(y_i; sigma_i) and the split of [`AncestralSplit`],
///
/// y_{i+1} = y_i + (sigma_down - sigma_i) (y_i - D) / sigma_i + sigma_up eps, x_{i+1} = s_{i+1} y_{i+1}.
///
/// At eta = 0 this is one Euler step of the sigma = t, s = 1 ODE (I08) taken in x/s (EDM Sec. 3;
/// not the Euler step of I07 in the schedule's own t); at eta = 1 the noise has DDPM's posterior
/// variance (I27). With s = 1 and eta = 1 it is the "Euler ancestral" sampler. NFE = N; no noise
/// is added on a step into sigma = 0, which returns s_N D.
///
/// ```
/// use elucidated::ddpm::BetaSchedule;
/// use elucidated::sampler::{Ddim, Sampler, SigmaGrid};
///
/// let betas = BetaSchedule::linear(1e-4, 0.02, 1000)?;
/// let steps: Vec<usize> = (1..=1000).rev().step_by(20).collect();
/// let ddim = Ddim::new(&SigmaGrid::from_betas(&betas, &steps)?, 0.0)?;
/// assert_eq!(ddim.nfe(), 50);
/// # Ok::<(), elucidated::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ddim {
    plan: AffinePlan,
}

impl Ddim {
    /// DDIM along `grid` with `eta` in [0, 1].
    pub fn new(grid: &SigmaGrid, eta: f64) -> Result<Self> {
        in_range("eta", eta, 0.0, 1.0)?;
        Self::build(grid, eta, 1.0)
    }

    /// The ancestral Euler sampler of k-diffusion (`sample_euler_ancestral`) along `grid`: the
    /// same step with any finite `eta >= 0` (the split of I36 clamps sigma_up at sigma_next) and
    /// the noise scaled by a finite `s_noise >= 0`. `Ddim::ancestral(grid, eta, 1.0)` is
    /// `Ddim::new(grid, eta)` for eta in [0, 1].
    pub fn ancestral(grid: &SigmaGrid, eta: f64, s_noise: f64) -> Result<Self> {
        in_range("eta", eta, 0.0, f64::MAX)?;
        in_range("s_noise", s_noise, 0.0, f64::MAX)?;
        Self::build(grid, eta, s_noise)
    }

    fn build(grid: &SigmaGrid, eta: f64, s_noise: f64) -> Result<Self> {
        let (sigma, scale) = (grid.sigmas(), grid.scales());
        let steps = (0..grid.steps())
            .map(|i| {
                let (sc, sn) = (sigma[i], sigma[i + 1]);
                let split = AncestralSplit::new(sc, sn, eta)?;
                let r = (split.down - sc) / sc;
                let ends = Ends {
                    sigma: sc,
                    scale: scale[i],
                    sigma_next: sn,
                    scale_next: scale[i + 1],
                };
                Ok(AffineStep::unscaled(
                    ends,
                    [1.0 + r, -r, 0.0, split.up * s_noise],
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Ddim {
            plan: AffinePlan::new(steps),
        })
    }

    /// The standard deviation of the fresh noise of step i in x units, s_{i+1} sigma_up
    /// (`None` past the last step).
    pub fn noise_std(&self, i: usize) -> Option<f64> {
        self.plan.steps.get(i).map(AffineStep::noise_std)
    }
}

plan_sampler!(Ddim);
