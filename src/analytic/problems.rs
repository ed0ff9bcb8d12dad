//! The named benchmark problems of the sampler comparisons (`edm oracle` and the sampler
//! tests): a stiff Gaussian in d = 8 with a full covariance (I30) and a one-dimensional
//! mixture of three unequal components (I31), with the fixed random rotation they are built
//! from.

use super::{Gaussian, GaussianMixture};
use crate::error::Result;
use crate::noise::NoiseStream;
use nalgebra::{DMatrix, DVector};

/// The seed of the rotation of [`log_spaced_gaussian`].
pub const ROTATION_SEED: u64 = 17;

/// A random rotation of R^d, fixed by `seed`: the Q factor (Householder QR) of a d x d matrix
/// of standard normals drawn from `NoiseStream::new(seed)` in column-major order. Orthogonal to
/// a small multiple of d eps (see [`super::ORTHOGONALITY_TOL_PER_DIM`]).
pub fn random_rotation(d: usize, seed: u64) -> DMatrix<f64> {
    let mut s = NoiseStream::new(seed);
    DMatrix::from_fn(d, d, |_, _| s.normal()).qr().q()
}

/// N(mu, Q diag(lambda) Q^T) in `d` dimensions with eigenvalues lambda_k log-spaced from `lo`
/// to `hi` (k = 0, ..., d - 1), mean entries alternating +`mu`, -`mu`, and Q the
/// [`random_rotation`] of [`ROTATION_SEED`]: a full covariance, not a diagonal one.
///
/// # Errors
///
/// Those of [`Gaussian::from_eigen`] (for instance `lo` <= 0 or `d` = 0).
pub fn log_spaced_gaussian(d: usize, lo: f64, hi: f64, mu: f64) -> Result<Gaussian> {
    let span = d.saturating_sub(1).max(1) as f64;
    let eigenvalues = DVector::from_fn(d, |k, _| lo * (hi / lo).powf(k as f64 / span));
    let mean = DVector::from_fn(d, |k, _| if k % 2 == 0 { mu } else { -mu });
    Gaussian::from_eigen(mean, random_rotation(d, ROTATION_SEED), eigenvalues)
}

/// The d = 8 Gaussian of the sampler comparisons: eigenvalues log-spaced 1e-4 ... 1 (condition
/// number 1e4, so that a sampler's error at small sigma shows), mean entries +-0.1.
///
/// # Errors
///
/// None in practice (the parameters are valid); those of [`log_spaced_gaussian`].
pub fn stiff_gaussian8() -> Result<Gaussian> {
    log_spaced_gaussian(8, 1e-4, 1.0, 0.1)
}

/// 0.3 N(-1, 0.2^2) + 0.5 N(0.5, 0.1^2) + 0.2 N(2, 0.3^2): a one-dimensional mixture of three
/// well separated components of unequal weight and width.
///
/// # Errors
///
/// None in practice (the parameters are valid); those of [`GaussianMixture::new`].
pub fn mixture3() -> Result<GaussianMixture> {
    let components = [(-1.0, 0.2), (0.5, 0.1), (2.0, 0.3)]
        .iter()
        .map(|&(m, s)| Gaussian::isotropic(DVector::from_element(1, m), s))
        .collect::<Result<Vec<_>>>()?;
    GaussianMixture::new(&[0.3, 0.5, 0.2], components)
}
