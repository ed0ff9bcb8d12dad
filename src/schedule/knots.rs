//! A user schedule given as a table of knots: sigma(t) piecewise linear through (t_k, sigma_k),
//! s(t) = 1.

use super::{Checked, Scalar, Schedule};
use crate::error::{Error, Result, finite};

/// sigma(t) linear between knots (t_0, sigma_0), ..., (t_n, sigma_n) with strictly increasing
/// t_k and strictly increasing sigma_k >= 0, and s(t) = 1, on [t_0, t_n].
///
/// The form a user supplies a tabulated schedule in; every derived coefficient (I02, I07) then
/// comes from [`crate::sde`] as for any [`Schedule`]. sigma'(t) is the slope of the segment that
/// contains t (the right one at an inner knot).
///
/// ```
/// use elucidated::schedule::{KnotSchedule, Schedule};
///
/// let s = KnotSchedule::new(&[(0.0, 0.0), (1.0, 2.0), (2.0, 10.0)]).unwrap();
/// assert_eq!(s.sigma_at(0.5), 1.0);
/// assert_eq!(s.sigma_inv(6.0).unwrap(), 1.5);
/// assert!(KnotSchedule::new(&[(0.0, 1.0), (1.0, 1.0)]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KnotSchedule {
    t: Vec<f64>,
    sigma: Vec<f64>,
    /// slope[k] = (sigma_{k+1} - sigma_k) / (t_{k+1} - t_k), finite and >= 0.
    slope: Vec<f64>,
}

impl KnotSchedule {
    /// The schedule through `knots` = [(t_0, sigma_0), ...], checked: at least 2 knots, every
    /// value finite, t_k and sigma_k strictly increasing, sigma_0 >= 0, t_n - t_0 and every
    /// segment's slope finite. Errors name the first knot that breaks a rule.
    ///
    /// The knot checks establish that sigma is strictly increasing on the whole of [t_0, t_n],
    /// so the [`Checked`] wrapper needs only its end-point grid to confirm the rest.
    pub fn new(knots: &[(f64, f64)]) -> Result<Checked<Self>> {
        validate(knots)?;
        let (t, sigma): (Vec<f64>, Vec<f64>) = knots.iter().copied().unzip();
        let slope = knots
            .windows(2)
            .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
            .collect();
        Checked::new(KnotSchedule { t, sigma, slope }, 2)
    }

    /// The knot times t_k.
    pub fn times(&self) -> &[f64] {
        &self.t
    }

    /// The knot noise levels sigma_k.
    pub fn sigmas(&self) -> &[f64] {
        &self.sigma
    }

    /// The segment k with t_k <= t < t_{k+1}, clamped to the first and last segments.
    fn segment(&self, t: f64) -> usize {
        self.t
            .partition_point(|&tk| tk <= t)
            .clamp(1, self.t.len() - 1)
            - 1
    }

    /// sigma on segment k as sigma_k + w (sigma_{k+1} - sigma_k), w = (t - t_k)/(t_{k+1} - t_k):
    /// every operation is monotone in t, the knots are hit exactly, and the clamp keeps a
    /// rounded-up value at the segment's end from passing sigma_{k+1}.
    fn value(&self, k: usize, t: f64) -> f64 {
        let (t0, t1) = (self.t[k], self.t[k + 1]);
        let (s0, s1) = (self.sigma[k], self.sigma[k + 1]);
        if t == t1 {
            return s1;
        }
        let v = ((t - t0) / (t1 - t0)).mul_add(s1 - s0, s0);
        if t < t1 { v.min(s1) } else { v }
    }
}

/// The checks of [`KnotSchedule::new`].
fn validate(knots: &[(f64, f64)]) -> Result<()> {
    if knots.len() < 2 {
        return Err(Error::CountTooSmall {
            name: "knots",
            value: knots.len(),
            min: 2,
        });
    }
    for &(t, sigma) in knots {
        finite("knot t", t)?;
        finite("knot sigma", sigma)?;
    }
    let (first, last) = (knots[0], knots[knots.len() - 1]);
    if first.1 < 0.0 {
        return Err(Error::Negative {
            name: "knot sigma",
            value: first.1,
        });
    }
    let bad = |t, reason| Err(Error::InvalidSchedule { t, reason });
    for w in knots.windows(2) {
        let ((t0, s0), (t1, s1)) = (w[0], w[1]);
        if t1 <= t0 {
            return bad(t1, "knot times are not strictly increasing");
        }
        if s1 <= s0 {
            return bad(t1, "knot sigmas are not strictly increasing");
        }
    }
    if !(last.0 - first.0).is_finite() {
        return Err(Error::InvalidTimeRange {
            min: first.0,
            max: last.0,
        });
    }
    for w in knots.windows(2) {
        let ((t0, s0), (t1, s1)) = (w[0], w[1]);
        if !((s1 - s0) / (t1 - t0)).is_finite() {
            return bad(t1, "slope between knots overflows float64");
        }
    }
    Ok(())
}

impl Schedule for KnotSchedule {
    /// sigma(t), piecewise linear; the derivative parts of `t` are carried through the
    /// segment's slope, so that AD gives sigma'(t) = slope_k.
    fn sigma<D: Scalar>(&self, t: D) -> D {
        let tr = t.re();
        let k = self.segment(tr);
        (t - tr) * self.slope[k] + self.value(k, tr)
    }

    /// s(t) = 1.
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }

    fn t_range(&self) -> (f64, f64) {
        (self.t[0], self.t[self.t.len() - 1])
    }

    fn sigma_at(&self, t: f64) -> f64 {
        self.value(self.segment(t), t)
    }

    /// The time on the segment with sigma_k <= sigma <= sigma_{k+1}:
    /// t_k + (sigma - sigma_k)/(sigma_{k+1} - sigma_k) (t_{k+1} - t_k), kept in [t_k, t_{k+1}].
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        let n = self.sigma.len();
        let (lo, hi) = (self.sigma[0], self.sigma[n - 1]);
        if sigma.is_nan() || sigma < lo || sigma > hi {
            return Err(Error::SigmaOutOfSchedule {
                sigma,
                min: lo,
                max: hi,
            });
        }
        let k = self.sigma.partition_point(|&s| s <= sigma).clamp(1, n - 1) - 1;
        let (t0, t1) = (self.t[k], self.t[k + 1]);
        let (s0, s1) = (self.sigma[k], self.sigma[k + 1]);
        if sigma == s1 {
            return Ok(t1);
        }
        let t = ((sigma - s0) / (s1 - s0)).mul_add(t1 - t0, t0);
        Ok(t.clamp(t0, t1))
    }
}
