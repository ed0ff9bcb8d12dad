//! The denoiser a sampler calls: D(x; sigma), the L2-optimal estimate of the clean data y from
//! x = y + n, n ~ N(0, sigma^2 I) (EDM Eq. 2; I05).

use crate::error::Result;
use crate::state::State;

/// A denoiser D(x; sigma) on states of type `S`.
///
/// `x` is the *unscaled* state (x / s(t) in the paper's notation) and `sigma > 0` the noise
/// level; samplers do the scaling (I07). A user denoiser — here the exact one of isotropic
/// Gaussian data N(mu, v I), D = mu + v/(v + sigma^2) (x - mu) (I30) — plugs into every sampler:
///
/// ```
/// use elucidated::denoiser::Denoiser;
/// use elucidated::sampler::{OdeSampler, Sampler, Solver};
/// use elucidated::schedule::Edm;
/// use elucidated::steps::Discretization;
/// use elucidated::Result;
/// use nalgebra::DVector;
///
/// struct Isotropic {
///     mean: f64,
///     variance: f64,
/// }
///
/// impl Denoiser<DVector<f64>> for Isotropic {
///     fn denoise(&self, x: &DVector<f64>, sigma: f64) -> Result<DVector<f64>> {
///         let shrink = self.variance / (self.variance + sigma * sigma);
///         Ok(x.map(|v| self.mean + shrink * (v - self.mean)))
///     }
/// }
///
/// let data = Isotropic { mean: 2.0, variance: 0.0 };
/// assert_eq!(data.denoise(&DVector::from_element(3, 7.0), 1.0)?[0], 2.0);
/// let times = Discretization::edm(0.002, 80.0, 7.0)?.times_for(18, &Edm)?;
/// let heun = OdeSampler::new(&Edm, &times, Solver::HEUN)?;
/// let x = elucidated::sampler::generate(&heun, &data, &DVector::zeros(3), &[5])?;
/// assert!(x.iter().all(|&v| (v - 2.0).abs() < 1e-12));
/// # Ok::<(), elucidated::Error>(())
/// ```
pub trait Denoiser<S: State> {
    /// D(x; sigma).
    fn denoise(&self, x: &S, sigma: f64) -> Result<S>;
}

impl<S: State, D: Denoiser<S> + ?Sized> Denoiser<S> for &D {
    fn denoise(&self, x: &S, sigma: f64) -> Result<S> {
        (**self).denoise(x, sigma)
    }
}

/// A denoiser given by a function `(x, sigma) -> D(x; sigma)`.
///
/// ```
/// use elucidated::denoiser::{Denoiser, FromFn};
/// use nalgebra::DVector;
///
/// // The exact denoiser of data concentrated at the origin: D(x; sigma) = 0.
/// let zero = FromFn(|x: &DVector<f64>, _sigma: f64| Ok(x * 0.0));
/// assert_eq!(zero.denoise(&DVector::from_element(3, 1.0), 2.0).unwrap().sum(), 0.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FromFn<F>(pub F);

impl<S: State, F: Fn(&S, f64) -> Result<S>> Denoiser<S> for FromFn<F> {
    fn denoise(&self, x: &S, sigma: f64) -> Result<S> {
        (self.0)(x, sigma)
    }
}

/// Classifier-free guidance (I29): D_w = D_uncond + w (D_cond - D_uncond).
///
/// Evaluated as (1 - w) D_uncond + w D_cond, so that w = 0 returns D_uncond and w = 1 returns
/// D_cond bit for bit; at those two weights only the one denoiser needed is called. Because the
/// conversions of I27 are affine in D at fixed (x, s, sigma), the same weights applied to eps or
/// to the score give the same guided result.
#[derive(Debug, Clone, Copy)]
pub struct Guided<U, C> {
    uncond: U,
    cond: C,
    w: f64,
}

impl<U, C> Guided<U, C> {
    /// Guidance of weight `w` (finite; w > 1 extrapolates towards the condition).
    pub fn new(uncond: U, cond: C, w: f64) -> Result<Self> {
        crate::error::finite("w", w)?;
        Ok(Guided { uncond, cond, w })
    }

    /// The guidance weight w.
    pub fn weight(&self) -> f64 {
        self.w
    }
}

impl<S: State, U: Denoiser<S>, C: Denoiser<S>> Denoiser<S> for Guided<U, C> {
    fn denoise(&self, x: &S, sigma: f64) -> Result<S> {
        if self.w == 0.0 {
            return self.uncond.denoise(x, sigma);
        }
        if self.w == 1.0 {
            return self.cond.denoise(x, sigma);
        }
        let uncond = self.uncond.denoise(x, sigma)?;
        let cond = self.cond.denoise(x, sigma)?;
        uncond.lin_comb(1.0 - self.w, &cond, self.w)
    }
}
