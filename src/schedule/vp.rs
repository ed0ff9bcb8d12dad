//! The variance-preserving schedule (I10; EDM Table 1, "VP" column; Song et al. 2021).

use super::{Scalar, Schedule, sqrt_ad};
use crate::dd::{Dd, SQUARE_SAFE, frexp1, recip_hypot_1};
use crate::error::{Error, Result, finite, positive};

/// Above this exponent `expm1(x)` overflows (ln(f64::MAX) = 709.78...).
const EXPM1_LIMIT: f64 = 709.0;

/// Largest ln(d sigma^2/dt) = x(t) + ln x'(t) at t = 1 that `Vp::new` accepts: sigma^2 = e^x - 1
/// has the derivative x' e^x, which automatic differentiation forms on the way to sigma', f and g,
/// and e^709 x' stays below f64::MAX with a margin for rounding.
const DERIVATIVE_EXPONENT_LIMIT: f64 = 709.0;

/// VP: beta(t) = beta_min + beta_d t, sigma(t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1),
/// s(t) = 1 / sqrt(sigma(t)^2 + 1) (I10). Defined on t in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vp {
    beta_d: f64,
    beta_min: f64,
}

impl Vp {
    /// The paper's defaults: beta_d = 19.9, beta_min = 0.1 (I10).
    pub const DEFAULT_BETA_D: f64 = 19.9;
    /// Default beta_min (I10).
    pub const DEFAULT_BETA_MIN: f64 = 0.1;
    /// Default eps_s, the last sampling time (I10, I14).
    pub const DEFAULT_EPS_S: f64 = 1e-3;
    /// Default eps_t, the smallest training time (I10, I23).
    pub const DEFAULT_EPS_T: f64 = 1e-5;

    /// A VP schedule with slope `beta_d >= 0` and intercept `beta_min >= 0`, not both zero, and
    /// with d sigma^2/dt = beta(t) e^x(t) finite in float64 on [0, 1] (beta_d / 2 + beta_min +
    /// ln(beta_d + beta_min) <= 709), so that sigma, s and every derived coefficient are.
    pub fn new(beta_d: f64, beta_min: f64) -> Result<Self> {
        for (name, v) in [("beta_d", beta_d), ("beta_min", beta_min)] {
            finite(name, v)?;
            if v < 0.0 {
                return Err(Error::Negative { name, value: v });
            }
        }
        positive("beta_d + beta_min", beta_d + beta_min)?;
        let exponent = beta_d * 0.5 + beta_min + (beta_d + beta_min).ln();
        if exponent > DERIVATIVE_EXPONENT_LIMIT {
            return Err(Error::OutOfRange {
                name: "beta_d / 2 + beta_min + ln(beta_d + beta_min)",
                value: exponent,
                min: f64::NEG_INFINITY,
                max: DERIVATIVE_EXPONENT_LIMIT,
            });
        }
        Ok(Vp { beta_d, beta_min })
    }

    /// The VP schedule whose sigma(eps_s) = `sigma_min` and sigma(1) = `sigma_max`, as NVlabs's
    /// ablation sampler builds it: beta_d = 2 (ln(sigma_min^2 + 1)/eps_s - ln(sigma_max^2 + 1)) /
    /// (eps_s - 1), beta_min = ln(sigma_max^2 + 1) - beta_d / 2.
    pub fn from_sigma_range(sigma_min: f64, sigma_max: f64, eps_s: f64) -> Result<Self> {
        crate::error::sigma_range(sigma_min, sigma_max)?;
        crate::error::in_range("eps_s", eps_s, f64::MIN_POSITIVE, 1.0 - f64::EPSILON)?;
        let l_min = ln_1p_sq(sigma_min);
        let l_max = ln_1p_sq(sigma_max);
        let beta_d = 2.0 * (l_min / eps_s - l_max) / (eps_s - 1.0);
        let beta_min = l_max - 0.5 * beta_d;
        Self::new(beta_d, beta_min)
    }

    /// The paper's default VP schedule.
    pub fn paper() -> Self {
        Vp {
            beta_d: Self::DEFAULT_BETA_D,
            beta_min: Self::DEFAULT_BETA_MIN,
        }
    }

    /// beta_d, the slope of beta(t).
    pub fn beta_d(&self) -> f64 {
        self.beta_d
    }

    /// beta_min = beta(0).
    pub fn beta_min(&self) -> f64 {
        self.beta_min
    }

    /// beta(t) = beta_min + beta_d t (I10).
    pub fn beta(&self, t: f64) -> f64 {
        self.beta_d.mul_add(t, self.beta_min)
    }

    /// The closed-form sigma^-1 of I10 for sigma >= 0 (see [`Schedule::sigma_inv`], which
    /// also rejects negative and NaN input), correctly rounded but for about 2^-95 relative:
    /// t = 2 L / (sqrt(beta_min^2 + 2 beta_d L) + beta_min) with L = ln(1 + sigma^2), free of
    /// cancellation and valid at beta_d = 0, evaluated in double-double.
    pub fn time_of_sigma(&self, sigma: f64) -> f64 {
        let (t, e) = self.time_of_sigma_dd(sigma);
        t.to_f64_scaled(e)
    }

    /// sigma^-1(sigma) = t 2^e in double-double. With lambda = sqrt(L) and rho = beta_min /
    /// lambda the root is t = 2 lambda / (sqrt(rho^2 + 2 beta_d) + rho), whose parts neither
    /// overflow nor underflow for any float64 sigma; where rho > 2^500 it is lambda^2 /
    /// beta_min to 2^-1000, returned scaled (lambda = m 2^k, t = (m^2 / beta_min) 2^2k) so
    /// that a subnormal t and (M - 1) t keep every bit.
    pub(crate) fn time_of_sigma_dd(&self, sigma: f64) -> (Dd, i32) {
        if sigma == 0.0 || sigma.is_infinite() {
            return (Dd::from_f64(sigma), 0);
        }
        let lambda = sqrt_ln_1p_sq(sigma);
        let rho = Dd::from_f64(self.beta_min).div(lambda);
        if rho.hi > SQUARE_SAFE {
            let (_, k) = frexp1(lambda.hi);
            let m = lambda.ldexp(-k);
            return (m.mul(m).div_f64(self.beta_min), 2 * k);
        }
        let root = rho.mul(rho).add_f64(2.0 * self.beta_d).sqrt();
        (lambda.ldexp(1).div(root.add(rho)), 0)
    }

    /// The exponent x = beta_d t^2 / 2 + beta_min t for any scalar (its derivative beta(t) =
    /// beta_d t + beta_min rounded twice), and the residual r = x(t) - x~ of its float64 real
    /// part x~, from double-double. e^x evaluated at x~ is off by the factor e^r, an error
    /// that x amplifies (r is about x u) and that the derivative by automatic differentiation
    /// inherits; multiplying by 1 + r corrects value and derivative alike.
    fn exponent<D: Scalar>(&self, t: D) -> (D, f64) {
        let x = t * t * (self.beta_d * 0.5) + t * self.beta_min;
        let r = self
            .exponent_dd(Dd::from_f64(t.re()))
            .add_f64(-x.re())
            .to_f64();
        (x, r)
    }

    /// The exponent x(t) = beta_d t^2 / 2 + beta_min t = t (beta_min + beta_d t / 2), in
    /// double-double for a double-double t.
    fn exponent_dd(&self, t: Dd) -> Dd {
        t.mul_f64(self.beta_d * 0.5).add_f64(self.beta_min).mul(t)
    }

    /// sigma(t) = sqrt(e^x - 1) for a double-double t (used by the VP time steps, whose exact
    /// t_i are not float64s), within about 2^-100 of the exact value before the one rounding.
    pub(crate) fn sigma_at_dd(&self, t: Dd) -> f64 {
        let x = self.exponent_dd(t);
        if x.hi > EXPM1_LIMIT {
            // sqrt(e^x - 1) = e^(x/2) sqrt(1 - e^-x), without overflow of e^x.
            let tail = x.neg().exp_m1().neg().sqrt();
            x.ldexp(-1).exp().mul(tail).to_f64()
        } else {
            x.exp_m1().sqrt().to_f64()
        }
    }
}

/// sqrt(ln(1 + sigma^2)) in double-double, for 0 < sigma < inf: ln(1 + sigma^2) = sigma^2 to
/// 2^-1000 below 2^-500 and 2 ln(sigma) to 2^-1000 above 2^500.
fn sqrt_ln_1p_sq(sigma: f64) -> Dd {
    if sigma < SQUARE_SAFE.recip() {
        Dd::from_f64(sigma)
    } else if sigma > SQUARE_SAFE {
        Dd::from_f64(sigma).ln().ldexp(1).sqrt()
    } else {
        Dd::sq(sigma).ln_1p().sqrt()
    }
}

/// ln(1 + sigma^2) without overflow of sigma^2 and without loss for small sigma.
pub(crate) fn ln_1p_sq(sigma: f64) -> f64 {
    let lambda = sqrt_ln_1p_sq(sigma);
    lambda.mul(lambda).to_f64()
}

impl Schedule for Vp {
    /// sigma(t) = sqrt(e^x - 1), x = beta_d t^2 / 2 + beta_min t (I10), with the residual r of
    /// x's real part (see `Vp::exponent`): e^x = e^x~ (1 + r).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        let (x, r) = self.exponent(t);
        if x.re() > EXPM1_LIMIT {
            // sqrt(e^x - 1) = e^(x/2) sqrt(1 - e^-x), without overflow of e^x.
            (x * 0.5).exp() * (1.0 + 0.5 * r) * (-(-x).exp_m1()).sqrt()
        } else {
            sqrt_ad(x.exp_m1() + x.exp() * r)
        }
    }

    /// s(t) = exp(-x/2) = 1 / sqrt(sigma(t)^2 + 1) (I10), with e^(-x/2) = e^(-x~/2) (1 - r/2).
    fn scale<D: Scalar>(&self, t: D) -> D {
        let (x, r) = self.exponent(t);
        (x * -0.5).exp() * (1.0 - 0.5 * r)
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, 1.0)
    }

    /// sigma(t) evaluated in double-double and rounded once (I10).
    fn sigma_at(&self, t: f64) -> f64 {
        self.sigma_at_dd(Dd::from_f64(t))
    }

    /// s(t) = exp(-x/2) evaluated in double-double and rounded once (I10).
    fn scale_at(&self, t: f64) -> f64 {
        self.exponent_dd(Dd::from_f64(t))
            .ldexp(-1)
            .neg()
            .exp()
            .to_f64()
    }

    /// sigma^-1(sigma) = (sqrt(beta_min^2 + 2 beta_d ln(sigma^2 + 1)) - beta_min) / beta_d (I10),
    /// rationalised to 2 L / (sqrt(beta_min^2 + 2 beta_d L) + beta_min), L = ln(1 + sigma^2),
    /// which has no cancellation and stays valid at beta_d = 0 (see [`Vp::time_of_sigma`]).
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        if !(sigma >= 0.0 && sigma.is_finite()) {
            return Err(Error::SigmaOutOfSchedule {
                sigma,
                min: 0.0,
                max: f64::MAX,
            });
        }
        Ok(self.time_of_sigma(sigma))
    }
}

/// Any sigma(t) with the VP scaling s(t) = 1 / sqrt(1 + sigma(t)^2), as NVlabs's ablation
/// sampler combines them (`--scaling vp`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpScaled<S> {
    inner: S,
}

impl<S: Schedule> VpScaled<S> {
    /// `inner`'s sigma(t) with the VP scale.
    pub fn new(inner: S) -> Self {
        VpScaled { inner }
    }

    /// The schedule whose sigma(t) this uses.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// s = 1 / sqrt(1 + sigma^2), written so that sigma^2 cannot overflow.
fn vp_scale_of<D: Scalar>(sigma: D) -> D {
    if sigma.re() > 1.0 {
        sigma.recip() / (sigma.powi(-2) + 1.0).sqrt()
    } else {
        (sigma * sigma + 1.0).sqrt().recip()
    }
}

impl<S: Schedule> Schedule for VpScaled<S> {
    fn sigma<D: Scalar>(&self, t: D) -> D {
        self.inner.sigma(t)
    }

    fn scale<D: Scalar>(&self, t: D) -> D {
        vp_scale_of(self.inner.sigma(t))
    }

    fn t_range(&self) -> (f64, f64) {
        self.inner.t_range()
    }

    fn sigma_at(&self, t: f64) -> f64 {
        self.inner.sigma_at(t)
    }

    fn scale_at(&self, t: f64) -> f64 {
        recip_hypot_1(self.inner.sigma_at(t))
    }

    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        self.inner.sigma_inv(sigma)
    }
}
