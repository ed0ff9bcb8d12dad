//! The EDM schedule (I13; EDM Table 1, "Ours" column): sigma(t) = t, s(t) = 1.

use super::{Scalar, Schedule};
use crate::error::{Error, Result};

/// EDM: sigma(t) = t, s(t) = 1 (I13). Defined for all t >= 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Edm;

impl Edm {
    /// Default smallest noise level, 0.002 (I13).
    pub const DEFAULT_SIGMA_MIN: f64 = 0.002;
    /// Default largest noise level, 80 (I13).
    pub const DEFAULT_SIGMA_MAX: f64 = 80.0;
    /// Default data standard deviation, 0.5 (I13).
    pub const DEFAULT_SIGMA_DATA: f64 = 0.5;
    /// Default time-step exponent, 7 (I13, I14).
    pub const DEFAULT_RHO: f64 = 7.0;
}

/// sigma^-1 of the identity schedule sigma = t, shared by EDM and iDDPM.
pub(crate) fn identity_inverse(sigma: f64) -> Result<f64> {
    if sigma.is_nan() || sigma < 0.0 || sigma.is_infinite() {
        return Err(Error::SigmaOutOfSchedule {
            sigma,
            min: 0.0,
            max: f64::MAX,
        });
    }
    Ok(sigma)
}

impl Schedule for Edm {
    /// sigma(t) = t (I13).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        t
    }

    /// s(t) = 1 (I13).
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, f64::MAX)
    }

    /// sigma^-1(sigma) = sigma.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        identity_inverse(sigma)
    }
}
