//! Numerical sigma^-1 for schedules without a closed-form inverse.

use super::Schedule;
use crate::error::{Error, Result};
use num_dual::Dual64;

/// Iterations after which bisection alone has certainly converged on a float64 interval.
const MAX_ITERATIONS: usize = 2200;

/// Solves sigma(t) = `sigma` on `schedule.t_range()` by Newton's method with the derivative
/// from automatic differentiation, safeguarded by bisection: every iterate stays inside a
/// bracket that shrinks at each step, so the iteration converges for any strictly increasing
/// sigma(t), and fast (quadratically) where sigma is smooth.
///
/// Returns the float64 `t` whose sigma(t) is closest to `sigma` among the last bracket's ends,
/// or [`Error::SigmaOutOfSchedule`] when `sigma` lies outside [sigma(t_min), sigma(t_max)].
pub fn invert_sigma<S: Schedule + ?Sized>(schedule: &S, sigma: f64) -> Result<f64> {
    let (mut lo, mut hi) = schedule.t_range();
    let (s_lo, s_hi) = (schedule.sigma_at(lo), schedule.sigma_at(hi));
    if sigma.is_nan() || sigma < s_lo || sigma > s_hi {
        return Err(Error::SigmaOutOfSchedule {
            sigma,
            min: s_lo,
            max: s_hi,
        });
    }
    if sigma == s_lo {
        return Ok(lo);
    }
    if sigma == s_hi {
        return Ok(hi);
    }
    let mut t = lo + (hi - lo) * 0.5;
    for _ in 0..MAX_ITERATIONS {
        let v = schedule.sigma(Dual64::from(t).derivative());
        let r = v.re - sigma;
        if r == 0.0 {
            return Ok(t);
        }
        if r < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let mid = lo + (hi - lo) * 0.5;
        if mid <= lo || mid >= hi {
            break;
        }
        let newton = t - r / v.eps;
        t = if newton == t {
            // Newton has stalled on one float: step to the neighbour on the root's side.
            if r < 0.0 { t.next_up() } else { t.next_down() }
        } else {
            newton
        };
        if !(t.is_finite() && t > lo && t < hi) {
            t = mid;
        }
    }
    let (e_lo, e_hi) = (
        (schedule.sigma_at(lo) - sigma).abs(),
        (schedule.sigma_at(hi) - sigma).abs(),
    );
    Ok(if e_lo <= e_hi { lo } else { hi })
}
