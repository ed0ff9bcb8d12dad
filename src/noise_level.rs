//! Training noise-level distributions p_train (I23; EDM Table 1, "Training" rows).

use crate::error::{Result, finite, positive, sigma_range};
use crate::noise::NoiseStream;
use crate::schedule::{IddpmTable, Schedule, Vp};

/// A distribution of training noise levels sigma (I23).
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseLevels {
    /// EDM: ln sigma ~ N(P_mean, P_std^2).
    Edm {
        /// P_mean (default -1.2).
        p_mean: f64,
        /// P_std (default 1.2).
        p_std: f64,
    },
    /// VP: t ~ U(eps_t, 1), sigma = sigma_VP(t).
    Vp {
        /// The VP schedule.
        schedule: Vp,
        /// Smallest training time eps_t (default 1e-5).
        eps_t: f64,
    },
    /// VE: ln sigma ~ U(ln sigma_min, ln sigma_max).
    Ve {
        /// Smallest noise level (default 0.02).
        sigma_min: f64,
        /// Largest noise level (default 100).
        sigma_max: f64,
    },
    /// iDDPM: sigma = u_j, j ~ U{0, ..., M-1}.
    Iddpm {
        /// The u-table.
        table: IddpmTable,
    },
}

impl NoiseLevels {
    /// Default P_mean of EDM (I23).
    pub const DEFAULT_P_MEAN: f64 = -1.2;
    /// Default P_std of EDM (I23).
    pub const DEFAULT_P_STD: f64 = 1.2;

    /// EDM's log-normal p_train.
    pub fn edm(p_mean: f64, p_std: f64) -> Result<Self> {
        finite("P_mean", p_mean)?;
        positive("P_std", p_std)?;
        Ok(NoiseLevels::Edm { p_mean, p_std })
    }

    /// VP's p_train: t uniform on [eps_t, 1].
    pub fn vp(schedule: Vp, eps_t: f64) -> Result<Self> {
        crate::error::in_range("eps_t", eps_t, f64::MIN_POSITIVE, 1.0 - f64::EPSILON)?;
        Ok(NoiseLevels::Vp { schedule, eps_t })
    }

    /// VE's p_train: ln sigma uniform.
    pub fn ve(sigma_min: f64, sigma_max: f64) -> Result<Self> {
        sigma_range(sigma_min, sigma_max)?;
        Ok(NoiseLevels::Ve {
            sigma_min,
            sigma_max,
        })
    }

    /// iDDPM's p_train: a uniformly chosen table entry u_0, ..., u_{M-1}.
    pub fn iddpm(table: IddpmTable) -> Self {
        NoiseLevels::Iddpm { table }
    }

    /// Draws one sigma from `stream` (one normal or one uniform number per draw).
    pub fn sample(&self, stream: &mut NoiseStream) -> f64 {
        match self {
            NoiseLevels::Edm { p_mean, p_std } => stream.normal().mul_add(*p_std, *p_mean).exp(),
            NoiseLevels::Vp { schedule, eps_t } => {
                schedule.sigma_at(stream.uniform().mul_add(eps_t - 1.0, 1.0))
            }
            NoiseLevels::Ve {
                sigma_min,
                sigma_max,
            } => sigma_min * (sigma_max / sigma_min).powf(stream.uniform()),
            NoiseLevels::Iddpm { table } => {
                let m = table.m();
                let j = ((stream.uniform() * m as f64) as usize).min(m - 1);
                table.u()[j]
            }
        }
    }
}
