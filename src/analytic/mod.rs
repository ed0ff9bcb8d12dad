//! Analytic data whose denoiser, score and probability-flow ODE solution are known exactly
//! (I30, I31): the correctness oracle of the crate.
//!
//! For Gaussian data N(mu, Sigma) the noisy density p(x; sigma) = N(mu, Sigma + sigma^2 I), the
//! L2-optimal denoiser D(x; sigma) = mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu) and the PF-ODE
//! solution between any two times are closed forms in the eigenbasis of Sigma (I30); for a
//! Gaussian mixture the density, score and denoiser are exact sums over the components (I31).
//! Samplers, losses and conversions are checked against these rather than against another
//! implementation.
//!
//! ```
//! use elucidated::analytic::Gaussian;
//! use elucidated::denoiser::Denoiser;
//! use elucidated::schedule::Edm;
//! use nalgebra::{DMatrix, DVector};
//!
//! let data = Gaussian::new(DVector::from_vec(vec![1.0, -1.0]), DMatrix::from_diagonal_element(2, 2, 4.0))?;
//! let x = DVector::from_vec(vec![3.0, 1.0]);
//! // D(x; sigma) = mu + lambda / (lambda + sigma^2) (x - mu): here lambda = 4, sigma = 2.
//! let d = data.denoise(&x, 2.0)?;
//! assert!((d[0] - 2.0).abs() < 1e-15 && (d[1] - 0.0).abs() < 1e-15);
//! // The exact PF-ODE solution from t = 2 down to t = 0 under the EDM schedule (s = 1, sigma = t).
//! let x0 = data.flow(&Edm, &x, 2.0, 0.0)?;
//! let expected = 1.0 + (4.0f64 / 8.0).sqrt() * 2.0;
//! assert!((x0[0] - expected).abs() < 1e-15);
//! # Ok::<(), elucidated::Error>(())
//! ```

mod columns;
mod gaussian;
mod mixture;
pub mod problems;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategies;

pub use columns::ColumnState;
pub use gaussian::{EIGEN_TOL_PER_DIM, Gaussian, ORTHOGONALITY_TOL_PER_DIM, SYMMETRY_TOL};
pub use mixture::GaussianMixture;
pub use problems::random_rotation;

/// Largest noise level (and largest covariance eigenvalue) the oracle accepts: below it,
/// lambda + sigma^2 is a finite float64, so no evaluation overflows.
pub const MAX_SIGMA: f64 = 1e150;
