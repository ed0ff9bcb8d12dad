//! The exact law of a sampler's output on Gaussian data: a [`State`] that carries an affine
//! function of all the standard normal variables drawn so far.
//!
//! On Gaussian data the exact denoiser is affine (I30) and every sampler step is an affine
//! combination of states, the denoiser's output and fresh noise, so the output is
//! x = m + C z with z ~ N(0, I): Gaussian with mean m and covariance C C^T, computed exactly by
//! running the sampler once on [`GaussianLaw`]. Its Wasserstein-2 distance to the data
//! ([`crate::metrics::wasserstein2`]) is the exact Fréchet distance (the FID of the oracle),
//! for deterministic and stochastic samplers alike.

use crate::analytic::Gaussian;
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::noise::NoiseStream;
use crate::state::State;
use nalgebra::{DMatrix, DVector};

/// The random vector x = m + C z, z ~ N(0, I_k), of one sample: the law of a sampler's state.
///
/// Variables are numbered in the order they are drawn. [`State::randn_like`] appends d fresh
/// variables after the k that `self` depends on, so it must be called on a state that depends
/// on every variable drawn so far, as every sampler here does (it draws from its current
/// state, which has absorbed all earlier noise).
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianLaw {
    mean: DVector<f64>,
    coef: DMatrix<f64>,
}

impl GaussianLaw {
    /// The standard normal latent n ~ N(0, I_d): variables 0..d.
    pub fn latent(d: usize) -> Self {
        GaussianLaw {
            mean: DVector::zeros(d),
            coef: DMatrix::identity(d, d),
        }
    }

    /// The mean m.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mean
    }

    /// The covariance C C^T.
    pub fn covariance(&self) -> DMatrix<f64> {
        &self.coef * self.coef.transpose()
    }

    /// The number of variables k the state depends on.
    pub fn variables(&self) -> usize {
        self.coef.ncols()
    }

    /// E |x|^2 = |m|^2 + |C|_F^2; for the difference of two laws over the same variables, the
    /// mean squared distance between the two random vectors.
    pub fn second_moment(&self) -> f64 {
        self.mean.norm_squared() + self.coef.norm_squared()
    }

    /// The law of the exact PF-ODE solution for Gaussian `data` (I30) from this unscaled state
    /// at noise level `sigma0` to `sigma1`: mu + Q diag(sqrt((lambda_k + sigma1^2) /
    /// (lambda_k + sigma0^2))) Q^T (x - mu), as [`Gaussian::transport`] maps one sample.
    pub fn transport(&self, data: &Gaussian, sigma0: f64, sigma1: f64) -> Result<GaussianLaw> {
        let mean = data.transport(&self.mean, sigma0, sigma1)?;
        let q = data.eigenvectors();
        let factors = data.eigenvalues().map(|l| {
            let root = l.sqrt();
            root.hypot(sigma1) / root.hypot(sigma0)
        });
        let t = q * DMatrix::from_diagonal(&factors) * q.transpose();
        Ok(GaussianLaw {
            mean,
            coef: t * &self.coef,
        })
    }

    /// `coef` with zero columns appended up to `k` columns.
    fn padded(&self, k: usize) -> DMatrix<f64> {
        self.coef.clone().resize_horizontally(k, 0.0)
    }
}

impl State for GaussianLaw {
    fn batch_size(&self) -> usize {
        1
    }

    fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self> {
        let mean = self.mean.lin_comb(a, &other.mean, b)?;
        let k = self.variables().max(other.variables());
        let coef = self.padded(k) * a + other.padded(k) * b;
        Ok(GaussianLaw { mean, coef })
    }

    fn scale(&self, a: f64) -> Result<Self> {
        Ok(GaussianLaw {
            mean: &self.mean * a,
            coef: &self.coef * a,
        })
    }

    fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self> {
        if streams.len() != 1 {
            return Err(Error::DimensionMismatch {
                what: "noise streams per sample",
                expected: 1,
                got: streams.len(),
            });
        }
        let (d, k) = (self.mean.len(), self.variables());
        let mut coef = DMatrix::zeros(d, k + d);
        coef.view_mut((0, k), (d, d)).fill_with_identity();
        Ok(GaussianLaw {
            mean: DVector::zeros(d),
            coef,
        })
    }
}

/// The exact denoiser of Gaussian data applied to a law: D is affine (I30), D(x) = mu +
/// Q diag(lambda_k / (lambda_k + sigma^2)) Q^T (x - mu), so D(m + C z) = D(m) + A C z.
impl Denoiser<GaussianLaw> for Gaussian {
    fn denoise(&self, x: &GaussianLaw, sigma: f64) -> Result<GaussianLaw> {
        let mean = self.denoise(&x.mean, sigma)?;
        let q = self.eigenvectors();
        let s2 = sigma * sigma;
        let factors = self
            .eigenvalues()
            .map(|l| if l == 0.0 { 0.0 } else { l / (l + s2) });
        let a = q * DMatrix::from_diagonal(&factors) * q.transpose();
        Ok(GaussianLaw {
            mean,
            coef: a * &x.coef,
        })
    }
}
