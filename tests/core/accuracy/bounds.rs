//! The ULP bounds, one per kind of evaluation, each with its reason. Rounding errors are counted
//! to first order: a float64 rounding is at most u = 2^-53 relative, a libm exp or expm1 at most
//! 1 ULP (2u), and a relative error of k u is at most k ULP of the result.

/// Exact results (a constant, sigma itself, a table entry): no rounding at all.
pub const ULP_EXACT: f64 = 0.0;

/// Evaluated in double-double (about 2^-95 relative or better) and rounded once: half an ULP
/// plus at most 2^-40; the tables' offsets carry five decimals, so 1e-5 covers their rounding.
pub const ULP_ROUNDED_ONCE: f64 = 0.5 + 1e-5;

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
