//! The variance-preserving schedule (I10; EDM Table 1, "VP" column; Song et al. 2021).

use super::{Scalar, Schedule, sqrt_ad};
use crate::dd::Dd;
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
    /// also rejects negative and NaN input): 2 L / (sqrt(beta_min^2 + 2 beta_d L) + beta_min)
    /// with L = ln(1 + sigma^2), free of cancellation and valid at beta_d = 0.
    pub fn time_of_sigma(&self, sigma: f64) -> f64 {
        let l = ln_1p_sq(sigma);
        2.0 * l / (self.root(l) + self.beta_min)
    }

    /// sqrt(beta_min^2 + 2 beta_d L); where that sum is too small for full relative precision
    /// (tiny betas), as hypot(beta_min, sqrt(2 beta_d) sqrt(L)), which cannot underflow.
    fn root(&self, l: f64) -> f64 {
        let sum = (2.0 * self.beta_d).mul_add(l, self.beta_min * self.beta_min);
        if sum >= f64::MIN_POSITIVE / f64::EPSILON {
            sum.sqrt()
        } else {
            self.beta_min.hypot((2.0 * self.beta_d).sqrt() * l.sqrt())
        }
    }

    /// The exponent x(t) = beta_d t^2 / 2 + beta_min t = t (beta_min + beta_d t / 2), as a
    /// double-double, so that exp(x) - 1 keeps every bit for small t.
    fn exponent_dd(&self, t: f64) -> Dd {
        let half_bd_t = Dd::mul_f64s(self.beta_d * 0.5, t);
        half_bd_t.add(Dd::from_f64(self.beta_min)).mul_f64(t)
    }
}

/// ln(1 + sigma^2) without overflow of sigma^2 and without loss for small sigma.
pub(crate) fn ln_1p_sq(sigma: f64) -> f64 {
    if sigma > 1e150 {
        2.0 * sigma.ln() + (sigma * sigma).recip().ln_1p()
    } else {
        let sq = Dd::mul_f64s(sigma, sigma);
        sq.hi.ln_1p() + sq.lo / (1.0 + sq.hi)
    }
}

impl Schedule for Vp {
    /// sigma(t) = sqrt(e^x - 1), x = beta_d t^2 / 2 + beta_min t (I10).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        let x = t * (t * (self.beta_d * 0.5) + self.beta_min);
        if x.re() > EXPM1_LIMIT {
            (x * 0.5).exp() * (-(-x).exp_m1()).sqrt()
        } else {
            sqrt_ad(x.exp_m1())
        }
    }

    /// s(t) = exp(-x/2) = 1 / sqrt(sigma(t)^2 + 1) (I10).
    fn scale<D: Scalar>(&self, t: D) -> D {
        let x = t * (t * (self.beta_d * 0.5) + self.beta_min);
        (x * -0.5).exp()
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, 1.0)
    }

    /// sigma(t) with the exponent in double-double: expm1(hi + lo) = expm1(hi) + e^hi lo.
    fn sigma_at(&self, t: f64) -> f64 {
        let x = self.exponent_dd(t);
        if x.hi > EXPM1_LIMIT {
            (x.hi * 0.5).exp() * (1.0 + 0.5 * x.lo) * (-(-x.hi).exp_m1()).sqrt()
        } else {
            let em = x.hi.exp_m1();
            em.mul_add(x.lo, em + x.lo).sqrt()
        }
    }

    /// s(t) = exp(-x/2) with x in double-double: e^(-hi/2) (1 - lo/2).
    fn scale_at(&self, t: f64) -> f64 {
        let x = self.exponent_dd(t);
        let e = (-0.5 * x.hi).exp();
        e.mul_add(-0.5 * x.lo, e)
    }

    /// sigma^-1(sigma) = (sqrt(beta_min^2 + 2 beta_d ln(sigma^2 + 1)) - beta_min) / beta_d (I10),
    /// rationalised as in [`Vp::time_of_sigma`], which has no cancellation and stays valid at
    /// beta_d = 0.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        if sigma.is_nan() || sigma < 0.0 {
            return Err(Error::SigmaOutOfSchedule {
                sigma,
                min: 0.0,
                max: f64::INFINITY,
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
        let s = self.inner.sigma_at(t);
        1.0 / s.hypot(1.0)
    }

    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        self.inner.sigma_inv(sigma)
    }
}
