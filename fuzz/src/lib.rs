//! What the fuzz targets share: the named bounds they assert and helpers to decode inputs and
//! check outcomes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use elucidated::Error;
use elucidated::schedule::Schedule;
use elucidated::sde::Coefficients;

/// Bound, in units of f64::EPSILON, on |c_in sqrt(sigma^2 + sigma_data^2) - 1| (I16, I17):
/// c_in is a hypot (< 1 ULP) and a reciprocal (1/2 ULP) after an exact power-of-two scaling, the
/// reference a hypot (< 1 ULP) and two roundings (1/2 ULP each): at most 3.5 ULPs together.
pub const C_IN_EPS: f64 = 4.0;

/// Error of sigma^-1 itself, in units of f64::EPSILON relative to t: the closed forms take at
/// most six correctly rounded operations (VP: ln_1p of a double-double square, a fused
/// multiply-add, a square root, a sum, a quotient) of about one ULP each.
pub const INVERSE_EPS: f64 = 8.0;

/// Error of an accurate sigma(t) ([`Schedule::sigma_at`], "about 1 ULP"), in units of
/// f64::EPSILON relative to sigma; sigma^-1 amplifies it by its condition number.
pub const SIGMA_EPS: f64 = 2.0;

/// Smallest sigma at which the round trip sigma^-1(sigma(t)) = t is checked to relative
/// accuracy: below it sigma^2 (the VP exponent ln(1 + sigma^2)) is no longer a normal float64,
/// and relative accuracy is lost to underflow, not to the formulas.
pub const SIGMA_FLOOR: f64 = 1e-150;

/// `raw` if it lies in [lo, hi]; otherwise a point of [lo, hi] chosen by `raw`'s bits, so that
/// every input exercises the range.
pub fn time_in(raw: f64, lo: f64, hi: f64) -> f64 {
    if (lo..=hi).contains(&raw) {
        return raw;
    }
    let frac = (raw.to_bits() >> 11) as f64 / (1u64 << 53) as f64;
    (lo + (hi - lo) * frac).clamp(lo, hi)
}

/// |a - b| / |b| in units of f64::EPSILON (0 when a == b).
pub fn rel_eps(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs() / f64::EPSILON
    }
}

/// Panics (the fuzzer's crash) unless `v` is finite.
pub fn assert_finite(what: &str, v: f64, context: &dyn std::fmt::Debug) {
    assert!(
        v.is_finite(),
        "{what} = {v:?} is not finite for {context:?}"
    );
}

/// Panics unless `e` is one of the variants `allowed` accepts; names the call that failed.
pub fn assert_error(call: &str, e: &Error, allowed: fn(&Error) -> bool) {
    assert!(
        allowed(e),
        "{call} returned an unexpected error variant: {e:?}"
    );
}

/// The schedule's values on its `t_range()` at time `t`: sigma and s finite, sigma >= 0, s > 0,
/// and, where sigma(t) > 0, every coefficient of I02 finite (returned; `None` where sigma = 0).
pub fn check_values_at<S: Schedule + std::fmt::Debug>(
    schedule: &S,
    t: f64,
) -> Option<Coefficients> {
    let sigma = schedule.sigma_at(t);
    let scale = schedule.scale_at(t);
    let ctx = (schedule, t);
    assert_finite("sigma(t)", sigma, &ctx);
    assert!(sigma >= 0.0, "sigma(t) = {sigma:?} < 0 for {ctx:?}");
    assert!(
        scale.is_finite() && scale > 0.0,
        "s(t) = {scale:?} for {ctx:?}"
    );
    if sigma == 0.0 {
        return None;
    }
    let c = Coefficients::at(schedule, t);
    for (what, v) in [
        ("sigma'(t)", c.sigma_dot),
        ("s'(t)", c.scale_dot),
        ("f(t)", c.f),
        ("g(t)", c.g),
    ] {
        assert_finite(what, v, &ctx);
    }
    Some(c)
}

/// [`check_values_at`], and the round trip sigma^-1(sigma(t)) = t to (INVERSE_EPS + kappa
/// SIGMA_EPS) eps relative, kappa = sigma / (t sigma') being the condition number of sigma^-1,
/// where sigma >= SIGMA_FLOOR and t is normal (for closed-form inverses, accurate relative to t).
pub fn check_schedule_at<S: Schedule + std::fmt::Debug>(schedule: &S, t: f64) {
    let Some(c) = check_values_at(schedule, t) else {
        return;
    };
    let ctx = (schedule, t);
    let back = schedule
        .sigma_inv(c.sigma)
        .unwrap_or_else(|e| panic!("sigma^-1(sigma(t)) failed: {e:?} for {ctx:?}"));
    if c.sigma >= SIGMA_FLOOR && t >= f64::MIN_POSITIVE && c.sigma_dot > 0.0 {
        let kappa = (c.sigma.ln() - c.sigma_dot.ln() - t.ln()).exp();
        let bound = INVERSE_EPS + kappa * SIGMA_EPS;
        let err = rel_eps(back, t);
        assert!(
            err <= bound,
            "sigma^-1(sigma(t)) = {back:?}, {err} eps from t (bound {bound}) for {ctx:?}"
        );
    }
}
