//! Shared helpers of the sampler tests: the analytic data of the comparisons (built on the
//! oracle, src/analytic), exact flows, the Kolmogorov–Smirnov test, and sampler tolerances.

use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::noise::NoiseStream;
use elucidated::state::State;
use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

/// A fixed random rotation of R^d: the Q factor of a matrix of standard normals.
fn rotation(d: usize, seed: u64) -> DMatrix<f64> {
    let mut s = NoiseStream::new(seed);
    DMatrix::from_fn(d, d, |_, _| s.normal()).qr().q()
}

/// N(mu, Q diag(lambda) Q^T) in d dimensions with eigenvalues log-spaced from `lo` to `hi`,
/// mean entries alternating +-`mu`, and a fixed random rotation Q: a full covariance, not a
/// diagonal one.
pub fn log_spaced(d: usize, lo: f64, hi: f64, mu: f64) -> Gaussian {
    let eigenvalues = DVector::from_fn(d, |k, _| lo * (hi / lo).powf(k as f64 / (d - 1) as f64));
    let mean = DVector::from_fn(d, |k, _| if k % 2 == 0 { mu } else { -mu });
    Gaussian::from_eigen(mean, rotation(d, 17), eigenvalues).expect("valid Gaussian")
}

/// The d = 8 Gaussian of the sampler comparisons: eigenvalues 1e-4 ... 1, mean +-0.1.
pub fn stiff8() -> Gaussian {
    log_spaced(8, 1e-4, 1.0, 0.1)
}

/// The exact PF-ODE solution (I30) from the unscaled x_0 = sigma0 n of every latent column to
/// noise level `sigma1`, scaled by `scale1`.
pub fn exact_from_latents(
    data: &Gaussian,
    latent: &DMatrix<f64>,
    (sigma0, sigma1, scale1): (f64, f64, f64),
) -> DMatrix<f64> {
    data.transport(&(latent * sigma0), sigma0, sigma1)
        .expect("finite flow")
        * scale1
}

/// A one-dimensional mixture of three well separated components of unequal weight and width
/// (I31).
pub fn mixture3() -> GaussianMixture {
    let comps = [(-1.0, 0.2), (0.5, 0.1), (2.0, 0.3)]
        .iter()
        .map(|&(m, s)| Gaussian::isotropic(DVector::from_element(1, m), s).expect("valid"))
        .collect();
    GaussianMixture::new(&[0.3, 0.5, 0.2], comps).expect("valid mixture")
}

/// The CDF of a one-dimensional mixture's p(x; sigma) = sum_k w_k N(mu_k, v_k + sigma^2) (I31).
pub fn mixture_cdf(mixture: &GaussianMixture, x: f64, sigma: f64) -> f64 {
    mixture
        .weights()
        .iter()
        .zip(mixture.components())
        .map(|(w, c)| {
            let std = (c.covariance()[(0, 0)] + sigma * sigma).sqrt();
            w * Normal::new(c.mean()[0], std).expect("valid normal").cdf(x)
        })
        .sum()
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

/// The latents 0, e_1, ..., e_d (columns) of [`expected_rms_error`].
pub fn basis_latents(d: usize) -> DMatrix<f64> {
    let mut m = DMatrix::zeros(d, d + 1);
    for j in 0..d {
        m[(j, j + 1)] = 1.0;
    }
    m
}

/// The root of E |err|^2 over standard normal latents n, exactly, for an error affine in n
/// (every deterministic sampler on Gaussian data, whose denoiser is affine): with err(n) =
/// err(0) + A n, E |err|^2 = |err(0)|^2 + sum_j |err(e_j) - err(0)|^2. `errors` holds err at
/// the columns of [`basis_latents`]. (`edm oracle`'s path error is the same quantity, computed
/// by another route, `GaussianLaw`.)
pub fn expected_rms_error(errors: &DMatrix<f64>) -> f64 {
    let d = errors.nrows();
    let e0 = errors.column(0);
    let spread: f64 = (1..=d)
        .map(|j| (errors.column(j) - e0).norm_squared())
        .sum();
    (e0.norm_squared() + spread).sqrt()
}

/// Standard normal latents of dimension `d`, one column per seed, and the streams after them.
pub fn latents(d: usize, seeds: &[u64]) -> (DMatrix<f64>, Vec<NoiseStream>) {
    let mut streams = NoiseStream::for_seeds(seeds);
    let m = DMatrix::zeros(d, seeds.len())
        .randn_like(&mut streams)
        .expect("one stream per column");
    (m, streams)
}
