//! Shared helpers of the sampler tests: small analytic data sets whose denoiser treats every
//! coordinate (and so every column of a batch) independently, exact flows, and tolerances.
#![allow(dead_code)]

use elucidated::Result;
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::state::State;
use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

/// Relative agreement of two sampler runs that differ in rounding at every one of up to a
/// thousand steps (REL_FLOAT per step, accumulated).
pub const REL_RUN_ROUNDING: f64 = 1e-11;

/// A relative difference no accumulation of rounding reaches: two results this far apart come
/// from different methods.
pub const NOT_ROUNDING: f64 = 1e-5;

/// Gaussian data N(mu, diag(var)) in its eigenbasis (I30); the denoiser is exact.
#[derive(Debug, Clone)]
pub struct DiagGaussian {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

impl DiagGaussian {
    /// d dimensions, variances log-spaced from `lo` to `hi`, means alternating +-`mu`.
    pub fn log_spaced(d: usize, lo: f64, hi: f64, mu: f64) -> Self {
        let var = (0..d)
            .map(|k| lo * (hi / lo).powf(k as f64 / (d - 1) as f64))
            .collect();
        let mean = (0..d).map(|k| if k % 2 == 0 { mu } else { -mu }).collect();
        DiagGaussian { mean, var }
    }

    /// The d = 8 Gaussian of the sampler comparisons: eigenvalues 1e-4 ... 1, mean +-0.1.
    pub fn stiff8() -> Self {
        Self::log_spaced(8, 1e-4, 1.0, 0.1)
    }

    pub fn dim(&self) -> usize {
        self.var.len()
    }

    /// D(x; sigma)_k = mu_k + var_k / (var_k + sigma^2) (x_k - mu_k) (I30).
    pub fn denoise_coord(&self, k: usize, x: f64, sigma: f64) -> f64 {
        let (m, v) = (self.mean[k], self.var[k]);
        m + v / (v + sigma * sigma) * (x - m)
    }

    /// The exact PF-ODE flow of the unscaled state y = x/s from sigma0 to sigma1 (I30).
    pub fn flow(&self, y0: &DVector<f64>, sigma0: f64, sigma1: f64) -> DVector<f64> {
        DVector::from_fn(self.dim(), |k, _| {
            let (m, v) = (self.mean[k], self.var[k]);
            let ratio = ((v + sigma1 * sigma1) / (v + sigma0 * sigma0)).sqrt();
            m + ratio * (y0[k] - m)
        })
    }
}

impl Denoiser<DVector<f64>> for DiagGaussian {
    fn denoise(&self, x: &DVector<f64>, sigma: f64) -> Result<DVector<f64>> {
        Ok(DVector::from_fn(x.len(), |k, _| {
            self.denoise_coord(k, x[k], sigma)
        }))
    }
}

impl Denoiser<DMatrix<f64>> for DiagGaussian {
    fn denoise(&self, x: &DMatrix<f64>, sigma: f64) -> Result<DMatrix<f64>> {
        Ok(DMatrix::from_fn(x.nrows(), x.ncols(), |k, j| {
            self.denoise_coord(k, x[(k, j)], sigma)
        }))
    }
}

/// A one-dimensional Gaussian mixture sum_k w_k N(mu_k, v_k) (I31), applied to every
/// coordinate independently.
#[derive(Debug, Clone)]
pub struct Mixture1 {
    pub components: Vec<(f64, f64, f64)>,
}

impl Mixture1 {
    /// Three well separated components of unequal weight and width.
    pub fn three() -> Self {
        Mixture1 {
            components: vec![(0.3, -1.0, 0.04), (0.5, 0.5, 0.01), (0.2, 2.0, 0.09)],
        }
    }

    /// The exact denoiser: responsibility-weighted per-component denoisers, responsibilities by
    /// log-sum-exp (I31).
    pub fn denoise_scalar(&self, x: f64, sigma: f64) -> f64 {
        let s2 = sigma * sigma;
        let logs: Vec<f64> = self
            .components
            .iter()
            .map(|&(w, m, v)| w.ln() - 0.5 * (v + s2).ln() - 0.5 * (x - m).powi(2) / (v + s2))
            .collect();
        let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = weights.iter().sum();
        self.components
            .iter()
            .zip(&weights)
            .map(|(&(_, m, v), r)| r / total * (m + v / (v + s2) * (x - m)))
            .sum()
    }

    /// The CDF of p(x; sigma) = sum_k w_k N(mu_k, v_k + sigma^2) (I31).
    pub fn cdf(&self, x: f64, sigma: f64) -> f64 {
        self.components
            .iter()
            .map(|&(w, m, v)| {
                w * Normal::new(m, (v + sigma * sigma).sqrt())
                    .expect("valid normal")
                    .cdf(x)
            })
            .sum()
    }

    /// n exact draws from p(x; sigma), from one stream.
    pub fn draw(&self, n: usize, sigma: f64, stream: &mut NoiseStream) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u = stream.uniform();
                let mut acc = 0.0;
                let &(_, m, v) = self
                    .components
                    .iter()
                    .find(|c| {
                        acc += c.0;
                        u < acc
                    })
                    .unwrap_or(self.components.last().expect("non-empty"));
                m + (v + sigma * sigma).sqrt() * stream.normal()
            })
            .collect()
    }
}

impl Denoiser<DMatrix<f64>> for Mixture1 {
    fn denoise(&self, x: &DMatrix<f64>, sigma: f64) -> Result<DMatrix<f64>> {
        Ok(x.map(|v| self.denoise_scalar(v, sigma)))
    }
}

/// The Kolmogorov–Smirnov distance sup |F_n - F| of `samples` from `cdf`.
pub fn ks_distance(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// The Dvoretzky–Kiefer–Wolfowitz–Massart bound: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2), so
/// eps = sqrt(ln(2 / alpha) / (2 n)) is exceeded with probability at most alpha, for every n.
pub fn dkw_bound(n: usize, alpha: f64) -> f64 {
    ((2.0 / alpha).ln() / (2.0 * n as f64)).sqrt()
}

/// RMS over columns of the Euclidean distance between two batches, divided by sqrt(d).
pub fn rms_error(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    ((a - b).norm_squared() / (a.len() as f64)).sqrt()
}

/// Standard normal latents of dimension `d`, one column per seed.
pub fn latents(d: usize, seeds: &[u64]) -> (DMatrix<f64>, Vec<NoiseStream>) {
    let mut streams = NoiseStream::for_seeds(seeds);
    let m = DMatrix::zeros(d, seeds.len())
        .randn_like(&mut streams)
        .expect("one stream per column");
    (m, streams)
}
