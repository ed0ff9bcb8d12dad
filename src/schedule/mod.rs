//! Noise schedules: the two functions sigma(t) and s(t) from which everything else is derived.
//!
//! A [`Schedule`] defines the noise level sigma(t) and the scale s(t) once, generically over
//! [`num_dual::DualNum`], so that sigma'(t), s'(t), the drift f(t), the diffusion g(t) (I02) and
//! the probability-flow ODE coefficients (I07) all come from automatic differentiation of that
//! one definition (see [`crate::sde`]). A user schedule gets every derived coefficient for free.
//!
//! Built in: [`Vp`] (I10), [`Ve`] (I11), [`Iddpm`] (I12), [`Edm`] (I13), the VP scaling of any
//! sigma(t) ([`VpScaled`]), the checked wrapper for user schedules ([`Checked`]), and user
//! schedules given as a table of knots ([`KnotSchedule`]).

mod checked;
mod edm;
mod iddpm;
mod invert;
mod kind;
mod knots;
mod ve;
mod vp;

pub use checked::Checked;
pub use edm::Edm;
pub use iddpm::{Iddpm, IddpmTable};
pub use invert::invert_sigma;
pub use kind::ScheduleKind;
pub use knots::KnotSchedule;
pub use ve::Ve;
pub use vp::{Vp, VpScaled};

use crate::error::Result;
use num_dual::DualNum;

/// A real number type a schedule can be evaluated in: `f64` itself, or a dual number over
/// `f64` for automatic differentiation.
pub trait Scalar: DualNum<Primitive = f64> + Copy {}
impl<T: DualNum<Primitive = f64> + Copy> Scalar for T {}

/// sqrt(x) for a dual number whose value may be subnormal: num-dual forms the derivative of
/// sqrt as sqrt(x) / x / 2, and 1/x overflows below 1/f64::MAX. Scaling x by 2^104 first (and
/// the root back by 2^-52) is exact and keeps every derivative order finite where it is.
pub(crate) fn sqrt_ad<D: Scalar>(x: D) -> D {
    const UP: f64 = 20282409603651670423947251286016.0; // 2^104
    const DOWN: f64 = 2.220446049250313e-16; // 2^-52
    if x.re() < f64::MIN_POSITIVE {
        (x * UP).sqrt() * DOWN
    } else {
        x.sqrt()
    }
}

/// A diffusion schedule: noise level sigma(t) >= 0 and scale s(t) > 0 (EDM, Eq. 4 and Table 1).
///
/// Implement [`Schedule::sigma`] and [`Schedule::scale`]; every other quantity is derived.
/// sigma must be strictly increasing on [`Schedule::t_range`]. Wrap a user schedule in
/// [`Checked`] to have that verified on a grid.
///
/// ```
/// use elucidated::schedule::{Checked, Scalar, Schedule};
/// use elucidated::sde::Coefficients;
///
/// /// A cosine schedule: abar(t) = cos^2(pi t / 2), sigma = tan(pi t / 2), s = cos(pi t / 2).
/// struct Cosine;
/// impl Schedule for Cosine {
///     fn sigma<D: Scalar>(&self, t: D) -> D {
///         (t * std::f64::consts::FRAC_PI_2).tan()
///     }
///     fn scale<D: Scalar>(&self, t: D) -> D {
///         (t * std::f64::consts::FRAC_PI_2).cos()
///     }
///     fn t_range(&self) -> (f64, f64) {
///         (0.0, 0.99)
///     }
/// }
///
/// let cosine = Checked::new(Cosine, 256).unwrap();
/// let c = Coefficients::at(&cosine, 0.5);
/// // f = s'/s = -(pi/2) tan(pi t/2); at t = 1/2 that is -pi/2.
/// assert!((c.f + std::f64::consts::FRAC_PI_2).abs() < 1e-15);
/// // g^2 = s^2 d(sigma^2)/dt = pi tan(pi t / 2) (I02), which is pi at t = 1/2.
/// assert!((c.g * c.g - std::f64::consts::PI).abs() < 1e-14);
/// // sigma^-1 comes from safeguarded Newton iteration when no closed form is given.
/// assert!((cosine.sigma_inv(1.0).unwrap() - 0.5).abs() < 1e-15);
/// ```
pub trait Schedule {
    /// The noise level sigma(t).
    fn sigma<D: Scalar>(&self, t: D) -> D;

    /// The scale s(t).
    fn scale<D: Scalar>(&self, t: D) -> D;

    /// The interval of times on which the schedule is defined, finite and strictly increasing.
    fn t_range(&self) -> (f64, f64) {
        (0.0, 1.0)
    }

    /// sigma(t) as accurately as float64 allows. Built-in schedules override this with a
    /// formula accurate to about 1 ULP; the default evaluates [`Schedule::sigma`] at `f64`.
    fn sigma_at(&self, t: f64) -> f64 {
        self.sigma(t)
    }

    /// s(t) as accurately as float64 allows (see [`Schedule::sigma_at`]).
    fn scale_at(&self, t: f64) -> f64 {
        self.scale(t)
    }

    /// The inverse sigma^-1(sigma): the time at which the schedule reaches noise level `sigma`.
    ///
    /// Built-in schedules use a closed form; the default is a safeguarded Newton iteration on
    /// [`Schedule::t_range`] using the derivative from automatic differentiation
    /// ([`invert_sigma`]). Errors when `sigma` is outside the range the schedule reaches.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        invert_sigma(self, sigma)
    }
}
