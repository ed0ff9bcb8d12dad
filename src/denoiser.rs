//! The denoiser a sampler calls: D(x; sigma), the L2-optimal estimate of the clean data y from
//! x = y + n, n ~ N(0, sigma^2 I) (EDM Eq. 2; I05).

use crate::error::Result;
use crate::state::State;

/// A denoiser D(x; sigma) on states of type `S`.
///
/// `x` is the *unscaled* state (x / s(t) in the paper's notation) and `sigma > 0` the noise
/// level; samplers do the scaling (I07).
pub trait Denoiser<S: State> {
    /// D(x; sigma).
    fn denoise(&self, x: &S, sigma: f64) -> Result<S>;
}

impl<S: State, D: Denoiser<S> + ?Sized> Denoiser<S> for &D {
    fn denoise(&self, x: &S, sigma: f64) -> Result<S> {
        (**self).denoise(x, sigma)
    }
}
