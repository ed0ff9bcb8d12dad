//! The (s, sigma) <-> (f, g) correspondence (I02), the probability-flow ODE (I07) and the
//! reverse-SDE terms (I26), all derived by automatic differentiation of a [`Schedule`].

use crate::schedule::Schedule;
use num_dual::Dual64;

/// Every time-dependent coefficient of a schedule at one time t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    /// The time.
    pub t: f64,
    /// sigma(t).
    pub sigma: f64,
    /// s(t).
    pub scale: f64,
    /// sigma'(t), by automatic differentiation.
    pub sigma_dot: f64,
    /// s'(t), by automatic differentiation.
    pub scale_dot: f64,
    /// Drift f(t) = s'(t)/s(t) (I02), the derivative of ln s(t).
    pub f: f64,
    /// Diffusion g(t) = s(t) sqrt(2 sigma'(t) sigma(t)) = s(t) sqrt(d sigma^2 / dt) (I02).
    pub g: f64,
}

impl Coefficients {
    /// The coefficients of `schedule` at `t` (I02). sigma and s are the schedule's accurate
    /// float64 values ([`Schedule::sigma_at`]); derivatives come from dual numbers.
    pub fn at<S: Schedule>(schedule: &S, t: f64) -> Self {
        let td = Dual64::from(t).derivative();
        let sigma_dual = schedule.sigma(td);
        let scale_dual = schedule.scale(td);
        let (sigma, scale) = (schedule.sigma_at(t), schedule.scale_at(t));
        Coefficients {
            t,
            sigma,
            scale,
            sigma_dot: sigma_dual.eps,
            scale_dot: scale_dual.eps,
            f: scale_dual.eps / scale_dual.re,
            g: scale * sqrt_two_product(sigma, sigma_dual.eps),
        }
    }

    /// The probability-flow ODE at this time (I07).
    pub fn ode(&self) -> OdeCoefficients {
        OdeCoefficients::from_coefficients(self)
    }
}

/// sqrt(2 sigma sigma') = sqrt(d sigma^2 / dt) (I02), also where the product overflows or
/// loses precision to underflow: there as sqrt(2) sqrt(sigma) sqrt(sigma'). A negative factor
/// (rounding at a flat point) counts as 0.
fn sqrt_two_product(sigma: f64, sigma_dot: f64) -> f64 {
    let (a, b) = (sigma.max(0.0), sigma_dot.max(0.0));
    let p = 2.0 * a * b;
    if (f64::MIN_POSITIVE / f64::EPSILON..=f64::MAX).contains(&p) {
        p.sqrt()
    } else {
        std::f64::consts::SQRT_2 * a.sqrt() * b.sqrt()
    }
}

/// The probability-flow ODE (EDM Eq. 4, I07) in the form dx/dt = a x - b D(x/s; sigma), with
/// a = sigma'/sigma + s'/s and b = sigma' s / sigma.
///
/// Equivalently dx/dt = f x - g^2/2 grad log p_t(x) with f, g from I02 and the score of I06.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OdeCoefficients {
    /// Coefficient of x: sigma'/sigma + s'/s.
    pub a: f64,
    /// Coefficient of D(x/s; sigma): sigma' s / sigma.
    pub b: f64,
}

impl OdeCoefficients {
    /// a and b at time `t` of `schedule` (I07).
    pub fn at<S: Schedule>(schedule: &S, t: f64) -> Self {
        Coefficients::at(schedule, t).ode()
    }

    fn from_coefficients(c: &Coefficients) -> Self {
        let ratio = c.sigma_dot / c.sigma;
        OdeCoefficients {
            a: ratio + c.f,
            b: ratio * c.scale,
        }
    }

    /// dx/dt given x and the denoiser's output D(x/s; sigma), elementwise.
    pub fn dxdt(&self, x: f64, denoised: f64) -> f64 {
        self.a * x - self.b * denoised
    }
}
