//! Validation of user-defined schedules.

use super::{Scalar, Schedule};
use crate::error::{Error, Result};
use num_dual::Dual64;

/// A user schedule whose sigma(t) was verified to be finite, non-negative and strictly
/// increasing, and whose s(t) finite and positive, with finite derivatives, on a grid over its
/// `t_range()`.
///
/// The check finds a schedule written wrongly (a decreasing sigma, a zero scale, a pole inside
/// the range) once, at construction, and names the time where it fails. It is a diagnosis, not
/// a guarantee the crate depends on: a finite grid cannot prove monotonicity between its
/// points, so no function requires a `Checked` schedule. What each consumer relies on is
/// checked where it is used instead: a sampler validates sigma(t_i) and s(t_i) at its own times
/// (finite, s > 0, sigma > 0 and strictly decreasing along the grid) and returns a typed error
/// otherwise, and the numerical sigma^-1 keeps a bracket on which sigma crosses the value asked
/// for.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<S> {
    inner: S,
}

impl<S: Schedule> Checked<S> {
    /// Checks `inner` at `grid_points >= 2` equally spaced times covering its `t_range()`.
    pub fn new(inner: S, grid_points: usize) -> Result<Self> {
        if grid_points < 2 {
            return Err(Error::CountTooSmall {
                name: "grid_points",
                value: grid_points,
                min: 2,
            });
        }
        let (t0, t1) = inner.t_range();
        if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
            return Err(Error::InvalidTimeRange { min: t0, max: t1 });
        }
        let bad = |t: f64, reason| Err(Error::InvalidSchedule { t, reason });
        let mut prev = f64::NEG_INFINITY;
        for i in 0..grid_points {
            let t = if i + 1 == grid_points {
                t1
            } else {
                t0 + (t1 - t0) * (i as f64 / (grid_points - 1) as f64)
            };
            let sigma = inner.sigma(Dual64::from(t).derivative());
            let scale = inner.scale(Dual64::from(t).derivative());
            if !sigma.re.is_finite() || sigma.re < 0.0 {
                return bad(t, "sigma(t) is not a finite non-negative number");
            }
            if !sigma.eps.is_finite() {
                return bad(t, "sigma'(t) is not finite");
            }
            if !(scale.re.is_finite() && scale.re > 0.0) {
                return bad(t, "s(t) is not a finite positive number");
            }
            if !scale.eps.is_finite() {
                return bad(t, "s'(t) is not finite");
            }
            if sigma.re <= prev {
                return bad(t, "sigma(t) is not strictly increasing");
            }
            prev = sigma.re;
        }
        Ok(Checked { inner })
    }

    /// The schedule that was checked.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Schedule> Schedule for Checked<S> {
    fn sigma<D: Scalar>(&self, t: D) -> D {
        self.inner.sigma(t)
    }

    fn scale<D: Scalar>(&self, t: D) -> D {
        self.inner.scale(t)
    }

    fn t_range(&self) -> (f64, f64) {
        self.inner.t_range()
    }

    fn sigma_at(&self, t: f64) -> f64 {
        self.inner.sigma_at(t)
    }

    fn scale_at(&self, t: f64) -> f64 {
        self.inner.scale_at(t)
    }

    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        self.inner.sigma_inv(sigma)
    }
}
