//! The ULP bounds, one per kind of evaluation, each with its reason.

/// Exact results (a constant, sigma itself, a table entry): no rounding at all.
pub const ULP_EXACT: f64 = 0.0;

/// Evaluated in double-double (about 2^-100 relative) and rounded once: half an ULP plus a
/// hair; the tables' offsets carry six decimals, so 1e-5 covers their rounding too.
pub const ULP_ROUNDED_ONCE: f64 = 0.5 + 1e-5;

/// VP sigma'(t) by forward AD in float64 through sqrt(expm1(x)): about five roundings.
pub const ULP_AD_VP_SIGMA_DOT: f64 = 100.0;

/// VP s'(t) by forward AD in float64 through exp(-x/2).
pub const ULP_AD_VP_SCALE_DOT: f64 = 100.0;

/// VP f = (ln s)' by forward AD in float64.
pub const ULP_AD_VP_F: f64 = 100.0;

/// VP g = s sqrt((sigma^2)') by forward AD in float64.
pub const ULP_AD_VP_G: f64 = 100.0;

/// VE sigma'(t) = 1 / (2 sqrt t) by forward AD in float64.
pub const ULP_AD_VE_SIGMA_DOT: f64 = 100.0;

/// VE g = sqrt((sigma^2)') = 1 by forward AD in float64.
pub const ULP_AD_VE_G: f64 = 100.0;
