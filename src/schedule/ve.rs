//! The variance-exploding schedule (I11; EDM Table 1, "VE" column; Song et al. 2021).

use super::{Scalar, Schedule, sqrt_ad};
use crate::error::{Error, Result};

/// VE: s(t) = 1, sigma(t) = sqrt(t) (I11). Defined for all t >= 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ve;

impl Ve {
    /// Default smallest noise level, 0.02 (I11).
    pub const DEFAULT_SIGMA_MIN: f64 = 0.02;
    /// Default largest noise level, 100 (I11).
    pub const DEFAULT_SIGMA_MAX: f64 = 100.0;
}

impl Schedule for Ve {
    /// sigma(t) = sqrt(t) (I11).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        sqrt_ad(t)
    }

    /// s(t) = 1 (I11).
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, f64::MAX)
    }

    /// sigma^-1(sigma) = sigma^2; an error where that overflows.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        if sigma.is_nan() || sigma < 0.0 {
            return Err(Error::SigmaOutOfSchedule {
                sigma,
                min: 0.0,
                max: f64::INFINITY,
            });
        }
        let t = sigma * sigma;
        if t.is_finite() {
            Ok(t)
        } else {
            Err(Error::Overflow {
                what: "VE sigma^-1(sigma) = sigma^2",
                value: sigma,
            })
        }
    }
}
