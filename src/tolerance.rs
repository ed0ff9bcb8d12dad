//! Named tolerances, each with the reason for its size (as statrs's `prec` module does).
//!
//! Tests and checks use these constants, never bare literals, so that every bound can be read,
//! justified and tightened in one place.

/// Exact agreement in float64 (bitwise, or a difference of at most half a unit in the last
/// place from a single rounding).
pub const ULP_EXACT: f64 = 0.5;

/// A formula whose float64 evaluation has a handful of correctly rounded operations: each adds
/// at most half an ULP, so a few ULP bound the total.
pub const ULP_FEW: f64 = 4.0;

/// Relative error of a composed float64 expression of moderate length (tens of operations,
/// each contributing about 1.1e-16), well below any effect a test looks for.
pub const REL_FLOAT: f64 = 1e-13;

/// Relative error of a composite numerical quadrature (Gauss–Legendre over many panels) of a
/// smooth integrand, far below the 1e-10 scale of the quantities it checks.
pub const REL_QUADRATURE: f64 = 1e-10;

/// Relative error of a central finite difference with step h ~ 1e-5 relative: truncation
/// O(h^2) ~ 1e-10 plus rounding ~ 1e-16 / h ~ 1e-11.
pub const REL_FINITE_DIFFERENCE: f64 = 1e-8;

/// False-alarm probability of every statistical test: a correct implementation fails one
/// given test with at most this probability (per assertion, before the fixed seed makes it
/// deterministic).
pub const FALSE_ALARM: f64 = 1e-6;

/// Distance in ULPs between two float64 values (0 when equal, including both zero; infinite if
/// either is NaN or they differ in sign).
pub fn ulp_distance(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    if a.is_nan() || b.is_nan() || a.signum() != b.signum() {
        return f64::INFINITY;
    }
    let (ia, ib) = (a.abs().to_bits() as i128, b.abs().to_bits() as i128);
    (ia - ib).unsigned_abs() as f64
}

/// Relative difference |a - b| / |b| (0 when both are zero).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / b.abs() }
}

/// Two-sided bound on |mean - mu| for the mean of `n` independent draws of standard deviation
/// `std`: z_{1 - FALSE_ALARM/2} std / sqrt(n), from the normal quantile (exact for normal draws,
/// the central-limit approximation otherwise).
pub fn mean_bound(std: f64, n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let z = Normal::standard().inverse_cdf(1.0 - FALSE_ALARM / 2.0);
    z * std / (n as f64).sqrt()
}

/// Interval [lo, hi] that the ratio s^2 / sigma^2 of the unbiased sample variance of `n`
/// independent normal draws to the true variance leaves with probability FALSE_ALARM:
/// (n - 1) s^2 / sigma^2 ~ chi-square(n - 1).
pub fn variance_ratio_interval(n: usize) -> (f64, f64) {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let k = (n - 1) as f64;
    let chi = ChiSquared::new(k).expect("n >= 2 draws give positive degrees of freedom");
    (
        chi.inverse_cdf(FALSE_ALARM / 2.0) / k,
        chi.inverse_cdf(1.0 - FALSE_ALARM / 2.0) / k,
    )
}

/// The value a chi-square(`dof`) statistic exceeds with probability FALSE_ALARM.
pub fn chi_square_bound(dof: usize) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(dof as f64)
        .expect("dof >= 1")
        .inverse_cdf(1.0 - FALSE_ALARM)
}
