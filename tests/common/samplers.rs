//! Shared helpers of the sampler tests: exact flows, the Kolmogorov–Smirnov bound, and sampler
//! tolerances. The data of the comparisons are the library's benchmark problems
//! (`elucidated::analytic::problems`).

use elucidated::analytic::Gaussian;
use elucidated::noise::NoiseStream;
use elucidated::state::State;
use nalgebra::DMatrix;

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

/// The Dvoretzky–Kiefer–Wolfowitz–Massart bound of the Kolmogorov–Smirnov distance:
/// P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2), so eps = sqrt(ln(2 / alpha) / (2 n)) is
/// exceeded with probability at most alpha, for every n.
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
