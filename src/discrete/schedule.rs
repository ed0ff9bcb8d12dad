//! A discrete table as a continuous [`Schedule`]: k-diffusion's time convention, t in [0, T-1]
//! with ln sigma linear between table entries (I33), and nearest-timestep quantisation.

use super::DiscreteTable;
use crate::error::{Error, Result};
use crate::schedule::{Scalar, Schedule, VpScaled};

/// The noise levels of a [`DiscreteTable`] as a function of a continuous time t in [0, T'-1]
/// (k-diffusion's `DiscreteSchedule`): sigma(k) = sigma_k at every integer k and ln sigma
/// linear in t between them (I33), with the scale s(t) = 1.
///
/// T' is the number of finite entries: T, or T - 1 for a zero-terminal-SNR table (I34), whose
/// last entry (sigma = inf) no continuous time reaches. This is the s = 1 form in which
/// k-diffusion's discrete wrappers sample; for the VP-scaled state of the table
/// (s(t) = 1/sqrt(1 + sigma(t)^2), s_k = sqrt(abar_k)) use [`DiscreteSchedule::vp`]. Both are
/// ordinary [`Schedule`]s: every coefficient of [`crate::sde`], every sampler and the analytic
/// oracle work on them unchanged.
///
/// The slope of ln sigma jumps at every entry, and automatic differentiation takes the right
/// segment's there. Samplers that read only sigma and s on the grid (DDIM, DPM-Solver++) are
/// unaffected; Euler and Heun in t, which use sigma'(t) at the ends of each step, level off at a
/// bias from these jumps (about 1e-3 on Gaussian data for the linear table, however fine the
/// grid of entries): sample such a model in sigma (EDM's sigma = t) and use this schedule for
/// the model's timesteps.
///
/// ```
/// use elucidated::discrete::{DiscreteSchedule, DiscreteTable};
/// use elucidated::schedule::Schedule;
///
/// let table = DiscreteTable::linear(1e-4, 0.02, 1000).unwrap();
/// let schedule = DiscreteSchedule::new(table.clone());
/// assert_eq!(schedule.sigma_at(500.0), table.sigmas()[500]);
/// assert_eq!(schedule.sigma_inv(table.sigmas()[250]).unwrap(), 250.0);
/// let between = schedule.sigma_at(250.5);
/// assert!(between > table.sigmas()[250] && between < table.sigmas()[251]);
/// let vp = DiscreteSchedule::vp(table.clone());
/// assert!((vp.scale_at(10.0) - table.scales()[10]).abs() < 1e-16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteSchedule {
    table: DiscreteTable,
    /// ln sigma_k of the finite entries.
    ln_sigma: Vec<f64>,
}

impl DiscreteSchedule {
    /// The s = 1 schedule of `table`'s noise levels.
    pub fn new(table: DiscreteTable) -> Self {
        let ln_sigma = table
            .sigmas()
            .iter()
            .take_while(|s| s.is_finite())
            .map(|s| s.ln())
            .collect();
        DiscreteSchedule { table, ln_sigma }
    }

    /// The VP-scaled schedule of `table`: the same sigma(t) with s(t) = 1/sqrt(1 + sigma(t)^2),
    /// the state x = sqrt(abar) y + sqrt(1 - abar) n in which discrete models are trained (I32).
    pub fn vp(table: DiscreteTable) -> VpScaled<Self> {
        VpScaled::new(Self::new(table))
    }

    /// The table this schedule interpolates.
    pub fn table(&self) -> &DiscreteTable {
        &self.table
    }

    /// The largest time, T' - 1 (see [`DiscreteSchedule`]).
    pub fn t_max(&self) -> f64 {
        (self.ln_sigma.len() - 1) as f64
    }

    /// The segment k with k <= t <= k + 1, clamped to the table (t may be any finite value).
    fn segment(&self, t: f64) -> usize {
        let last = self.ln_sigma.len() - 2;
        if t >= 0.0 {
            (t.floor() as usize).min(last)
        } else {
            0
        }
    }

    /// ln sigma on segment k at offset w = t - k: ln sigma_k + w (ln sigma_{k+1} - ln sigma_k),
    /// rounded once (FMA), hence monotone in w.
    fn ln_sigma_on(&self, k: usize, w: f64) -> f64 {
        let (a, b) = (self.ln_sigma[k], self.ln_sigma[k + 1]);
        w.mul_add(b - a, a)
    }

    /// The timestep k whose noise level is nearest to `sigma` in log distance (k-diffusion's
    /// quantised `sigma_to_t`), the smaller k on a tie; sigma = inf picks a zero-terminal-SNR
    /// table's last entry. Errors for NaN or sigma <= 0.
    ///
    /// Quantisation makes sigma piecewise constant in t, which is not a strictly increasing
    /// schedule: it is applied where a model is called (see [`super::Timestep::Nearest`]), not as
    /// a [`Schedule`].
    pub fn nearest_timestep(&self, sigma: f64) -> Result<usize> {
        if sigma.is_nan() || sigma <= 0.0 {
            return Err(Error::NotPositive {
                name: "sigma",
                value: sigma,
            });
        }
        let n = self.ln_sigma.len();
        if sigma.is_infinite() {
            return Ok(self.table.len() - 1);
        }
        let l = sigma.ln();
        let k = self.ln_sigma.partition_point(|&x| x <= l);
        Ok(if k == 0 {
            0
        } else if k == n {
            n - 1
        } else if l - self.ln_sigma[k - 1] <= self.ln_sigma[k] - l {
            k - 1
        } else {
            k
        })
    }
}

impl Schedule for DiscreteSchedule {
    /// sigma(t) = sigma_k exp((t - k) (ln sigma_{k+1} - ln sigma_k)) on [k, k+1] (I33); automatic
    /// differentiation sees the exponential, so that every derivative order is that of the
    /// segment (the right one at an inner knot).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        let tr = t.re();
        let k = self.segment(tr);
        let slope = self.ln_sigma[k + 1] - self.ln_sigma[k];
        ((t - tr) * slope).exp() * self.sigma_at(tr)
    }

    /// s(t) = 1.
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, self.t_max())
    }

    /// sigma_k exactly at an integer k, else exp of the interpolated ln sigma, kept inside
    /// [sigma_k, sigma_{k+1}].
    fn sigma_at(&self, t: f64) -> f64 {
        let k = self.segment(t);
        let sigmas = self.table.sigmas();
        let w = t - k as f64;
        if w == 0.0 {
            return sigmas[k];
        }
        if w == 1.0 {
            return sigmas[k + 1];
        }
        self.ln_sigma_on(k, w).exp().clamp(sigmas[k], sigmas[k + 1])
    }

    /// k + (ln sigma - ln sigma_k)/(ln sigma_{k+1} - ln sigma_k) on the segment with
    /// sigma_k <= sigma <= sigma_{k+1} (k-diffusion's `sigma_to_t`), exact at table entries.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        let sigmas = self.table.sigmas();
        let n = self.ln_sigma.len();
        let (lo, hi) = (sigmas[0], sigmas[n - 1]);
        if sigma.is_nan() || sigma < lo || sigma > hi {
            return Err(Error::SigmaOutOfSchedule {
                sigma,
                min: lo,
                max: hi,
            });
        }
        let k = sigmas[..n].partition_point(|&s| s <= sigma).clamp(1, n - 1) - 1;
        if sigma == sigmas[k + 1] {
            return Ok((k + 1) as f64);
        }
        let (a, b) = (self.ln_sigma[k], self.ln_sigma[k + 1]);
        let w = ((sigma.ln() - a) / (b - a)).clamp(0.0, 1.0);
        Ok(k as f64 + w)
    }
}
