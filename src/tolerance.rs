//! Named tolerances, each with the reason for its size (as statrs's `prec` module does), and the
//! statistical bounds of the tests at a stated false-alarm probability.
//!
//! Tests and checks use these constants, never bare literals, so that every bound can be read,
//! justified and tightened in one place. Rounding errors are counted to first order: a float64
//! rounding is at most u = 2^-53 relative, a libm exp or expm1 at most 1 ULP (2u), and a
//! relative error of k u is at most k ULP of the result. (The golden-vector thresholds a port
//! must meet are part of that format and documented with it: `vectors::ULP_COEFFICIENTS`,
//! `vectors::ULP_STEPS`, `vectors::REL_TRAJECTORY`.)

use crate::error::{Error, Result};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

// ULP bounds of float64 evaluations.

/// Results that involve no rounding at all (a constant, sigma itself, a table entry, the EDM
/// step at i = N - 1, which is sigma_min exactly): bitwise equal.
pub const ULP_BITWISE: f64 = 0.0;

/// A value evaluated in double-double (about 2^-95 relative or better) and rounded once: half an
/// ULP plus at most 2^-40; the mpmath tables' offsets carry five decimals, so 1e-5 covers their
/// rounding.
pub const ULP_ROUNDED_ONCE: f64 = 0.5 + 1e-5;

/// A formula whose float64 evaluation has a handful of correctly rounded operations: each adds
/// at most half an ULP, so a few ULP bound the total.
pub const ULP_FEW: f64 = 4.0;

/// A discrete beta table from its formula: linear and scaled_linear round i/(T-1), the
/// difference (and the square roots) once each and the FMA once (a few ULP); the cosine's
/// sin/cos evaluations add about 2 ULP each on top, amplified by the conditioning of
/// 1 - f(i+1)/f(i) near i = 0.
pub const ULP_BETA_FORMULA: f64 = 8.0;

/// Absolute accuracy of a double-double value of magnitude at most 1 (a table entry 1 - abar):
/// the elementary functions and operations of the double-double arithmetic are good to about
/// 2^-100 relative.
pub const ABS_DOUBLE_DOUBLE: f64 = 7.888609052210118e-31;

/// VP sigma'(t) by forward AD in float64 through sqrt(expm1(x) + e^x r) (src/schedule/vp.rs):
/// x' (2u), e^x (2u) and its product (u), the sum (u), the derivative of sqrt, 1 / (2 sqrt(re))
/// (3 roundings and half the 3u of its argument), the last product (u): 11.5u.
pub const ULP_AD_VP_SIGMA_DOT: f64 = 11.5;

/// VP s'(t) = (e^(-x/2) (1 - r/2))': x' (2u), e^(-x/2) (2u), two products (2u): 6u.
pub const ULP_AD_VP_SCALE_DOT: f64 = 6.0;

/// VP f = s'/s: s' without the exp and (1 - r/2) it shares with s (4u), s (u), division (u): 6u.
pub const ULP_AD_VP_F: f64 = 6.0;

/// VP g = s sqrt(2 sigma sigma'): sigma' (11.5u), sigma and s (u each), 2 sigma sigma' (u),
/// half of that under sqrt (6.75u), sqrt and product (2u): 9.75u.
pub const ULP_AD_VP_G: f64 = 9.75;

/// VE sigma'(t) = 1 / (2 sqrt t) by forward AD: sqrt(t) (u), 1/t (u), their product (u): 3u.
pub const ULP_AD_VE_SIGMA_DOT: f64 = 3.0;

/// VE g = sqrt(2 sigma sigma') = 1: sigma (u), sigma' (3u), product (u), half under sqrt
/// (2.5u), sqrt (u): 3.5u.
pub const ULP_AD_VE_G: f64 = 3.5;

// Relative agreement in float64.

/// A few correctly rounded operations on values of magnitude 1, in units of that magnitude:
/// 4 eps bounds them (the "exact" of an identity evaluated in float64).
pub const REL_FEW_ROUNDINGS: f64 = 4.0 * f64::EPSILON;

/// Relative error of a composed float64 expression of moderate length (tens of operations,
/// each contributing about 1.1e-16), well below any effect a test looks for.
pub const REL_FLOAT: f64 = 1e-13;

/// Two sampler runs that differ in rounding at every one of up to a thousand steps: REL_FLOAT
/// per step, accumulated.
pub const REL_SAMPLER_ROUNDING: f64 = 1e-11;

/// A relative difference no accumulation of rounding reaches: two results this far apart come
/// from different methods (the converse of [`REL_SAMPLER_ROUNDING`]).
pub const REL_BEYOND_ROUNDING: f64 = 1e-5;

/// Two float64 evaluations of one linear-algebra expression in d <= 8 dimensions by different
/// routes (eigenbasis vs. LU/Cholesky): each route is backward stable with error ~ d eps cond,
/// and the test covariances have condition number <= 1e4.
pub const REL_LINALG: f64 = 1e-10;

/// Absolute error of the eigendecomposition of a well-conditioned d <= 8 matrix with entries of
/// order 1: a few hundred roundings of about 1.1e-16 each.
pub const ABS_EIGEN: f64 = 1e-10;

/// Relative error of a composite numerical quadrature (Gauss–Legendre over many panels) of a
/// smooth integrand, far below the 1e-10 scale of the quantities it checks.
pub const REL_QUADRATURE: f64 = 1e-10;

/// Relative step of the five-point central differences of the tests, in units of the local
/// length scale (sqrt(lambda_min + sigma^2) in space, t in time).
pub const FIVE_POINT_STEP: f64 = 1e-3;

/// Relative error of a five-point (fourth-order) central difference with step
/// [`FIVE_POINT_STEP`] = h L: truncation ~ h^4 = 1e-12 relative, rounding ~ eps |f| / (h L),
/// which stays below the bound while |f| (a log-density) is under ~4e4 L |grad f|.
pub const REL_FIVE_POINT_DIFFERENCE: f64 = 1e-8;

/// Step of the central differences (f(x + h) - f(x - h)) / 2h of the network ops' tests, on
/// inputs of order 1.
pub const CENTRAL_DIFFERENCE_STEP: f64 = 1e-5;

/// Relative error (to the largest gradient entry) of a central difference with step
/// [`CENTRAL_DIFFERENCE_STEP`] = h of a float64 loss L = sum_j f_j p_j: rounding ~ u
/// sum_j |f_j p_j| / h, where the tests' terms sum to at most ~100 times the largest gradient
/// entry, so ~1e-9; truncation h^2 |L'''| / 6 ~ 1e-11 (zero for the linear ops). A tenfold
/// margin over the rounding.
pub const REL_CENTRAL_DIFFERENCE: f64 = 1e-8;

/// Allowed distance of a fitted convergence order from p: two grids fit log2(err(h)/err(h/2)) =
/// p + O(h C_{p+1}/C_p), and on the tests' grids the next term of the expansion is under 0.1.
pub const ORDER_FIT: f64 = 0.1;

/// [`ORDER_FIT`] for methods of order 3 and 4, whose next error term decays more slowly
/// relative to the leading one on the tests' grids: 0.15, as the oracle's order table uses for
/// nominal orders.
pub const ORDER_FIT_HIGH: f64 = 0.15;

// Networks in float32.

/// f32 sums of up to ~10^4 products taken in another order than candle's: the error is a few
/// units of 2^-24 times sqrt(terms) relative to the largest magnitude, far below this bound.
pub const REL_F32_REORDER: f64 = 1e-4;

/// Whole-network f32 forward passes through ~20 layers, each summing up to ~10^3 products in
/// another order than candle's: differences grow to a few 1e-6 relative, kept well below this.
pub const REL_F32_NETWORK: f64 = 1e-4;

/// A network's output and gradients on two devices (max |a - b| / max |b|): the ops sum in different orders (gemm
/// blocking, reduction trees), each layer adding a few float32 roundings (~1e-7 relative) that
/// ~30 layers and group normalisations can amplify by a few hundred at most.
pub const REL_F32_DEVICES: f64 = 1e-4;

/// Final pixels in [-1, 1] after a 9-step Heun run on two devices: the per-evaluation
/// differences of [`REL_F32_DEVICES`], propagated through 17 evaluations of a contracting flow.
pub const ABS_PIXEL_DEVICES: f64 = 1e-3;

// Statistics.

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

fn at_least(name: &'static str, value: usize, min: usize) -> Result<f64> {
    if value < min {
        return Err(Error::CountTooSmall { name, value, min });
    }
    Ok(value as f64)
}

/// The chi-square distribution with `dof` > 0 degrees of freedom.
fn chi_squared(dof: f64) -> Result<ChiSquared> {
    ChiSquared::new(dof).map_err(|_| Error::NotFinite {
        name: "degrees of freedom",
        value: dof,
    })
}

/// Two-sided bound on |mean - mu| for the mean of `n` >= 1 independent draws of standard
/// deviation `std` >= 0: z_{1 - FALSE_ALARM/2} std / sqrt(n), from the normal quantile (exact
/// for normal draws, the central-limit approximation otherwise).
pub fn mean_bound(std: f64, n: usize) -> Result<f64> {
    let n = at_least("draws", n, 1)?;
    if !std.is_finite() {
        return Err(Error::NotFinite {
            name: "std",
            value: std,
        });
    }
    if std < 0.0 {
        return Err(Error::Negative {
            name: "std",
            value: std,
        });
    }
    let z = Normal::standard().inverse_cdf(1.0 - FALSE_ALARM / 2.0);
    Ok(z * std / n.sqrt())
}

/// Interval [lo, hi] that the ratio s^2 / sigma^2 of the unbiased sample variance of `n` >= 2
/// independent normal draws to the true variance leaves with probability FALSE_ALARM:
/// (n - 1) s^2 / sigma^2 ~ chi-square(n - 1).
pub fn variance_ratio_interval(n: usize) -> Result<(f64, f64)> {
    let k = at_least("draws", n, 2)? - 1.0;
    let chi = chi_squared(k)?;
    Ok((
        chi.inverse_cdf(FALSE_ALARM / 2.0) / k,
        chi.inverse_cdf(1.0 - FALSE_ALARM / 2.0) / k,
    ))
}

/// The value a chi-square statistic with `dof` >= 1 degrees of freedom exceeds with
/// probability FALSE_ALARM.
pub fn chi_square_bound(dof: usize) -> Result<f64> {
    let k = at_least("degrees of freedom", dof, 1)?;
    Ok(chi_squared(k)?.inverse_cdf(1.0 - FALSE_ALARM))
}
