//! Helpers shared by the integration tests: random analytic data, reference formulas computed
//! independently of the oracle (dense linear algebra), and tolerances specific to them.
#![allow(dead_code)] // each test file uses only some of the helpers

use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::noise::NoiseStream;
use nalgebra::{DMatrix, DVector};

/// Relative agreement of two float64 evaluations of one linear-algebra expression in d <= 8
/// dimensions by different routes (eigenbasis vs. LU/Cholesky): each route is backward stable
/// with error ~ d eps cond, and the test covariances have condition number <= 1e4.
pub const REL_LINALG: f64 = 1e-10;

/// A standard normal vector of length `d` from `stream`.
pub fn normal_vector(d: usize, stream: &mut NoiseStream) -> DVector<f64> {
    let mut v = DVector::zeros(d);
    stream.fill_normal(v.as_mut_slice());
    v
}

/// A random orthogonal d x d matrix: the Q factor of a matrix of standard normals.
pub fn orthogonal(d: usize, seed: u64) -> DMatrix<f64> {
    let mut s = NoiseStream::new(seed);
    let a = DMatrix::from_fn(d, d, |_, _| s.normal());
    a.qr().q()
}

/// N(mu, Q diag(lambda) Q^T) with random mean, random Q and the given eigenvalues.
pub fn gaussian_with_eigenvalues(eigenvalues: &[f64], seed: u64) -> Gaussian {
    let d = eigenvalues.len();
    let mut s = NoiseStream::new(seed ^ 0x5eed);
    let mean = normal_vector(d, &mut s);
    Gaussian::from_eigen(
        mean,
        orthogonal(d, seed),
        DVector::from_column_slice(eigenvalues),
    )
    .expect("valid Gaussian")
}

/// A full-rank Gaussian in 4 dimensions with condition number 1e3.
pub fn spd_gaussian(seed: u64) -> Gaussian {
    gaussian_with_eigenvalues(&[2.0, 0.5, 0.01, 10.0], seed)
}

/// A rank-2 Gaussian in 4 dimensions (data on a plane).
pub fn singular_gaussian(seed: u64) -> Gaussian {
    gaussian_with_eigenvalues(&[0.0, 1.5, 0.0, 0.3], seed)
}

/// A three-component mixture in 3 dimensions, one component singular.
pub fn mixture(seed: u64) -> GaussianMixture {
    let comps = vec![
        gaussian_with_eigenvalues(&[1.0, 0.2, 0.05], seed),
        gaussian_with_eigenvalues(&[0.5, 0.0, 0.3], seed + 1),
        gaussian_with_eigenvalues(&[0.1, 0.1, 0.1], seed + 2),
    ];
    let shift = [0.0, 3.0, -2.0];
    let comps = comps
        .into_iter()
        .zip(shift)
        .map(|(c, m)| {
            let mean = c.mean().add_scalar(m);
            Gaussian::from_eigen(mean, c.eigenvectors().clone(), c.eigenvalues().clone())
                .expect("valid component")
        })
        .collect();
    GaussianMixture::new(&[0.5, 0.3, 0.2], comps).expect("valid mixture")
}

/// mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu) by a dense LU solve (I30's matrix formula).
pub fn denoiser_by_solve(g: &Gaussian, x: &DVector<f64>, sigma: f64) -> DVector<f64> {
    let c = g.covariance() + DMatrix::identity(g.dim(), g.dim()) * (sigma * sigma);
    let w = c.lu().solve(&(x - g.mean())).expect("nonsingular");
    g.mean() + g.covariance() * w
}

/// ln N(x; m, C) by a dense Cholesky factorisation of C.
pub fn log_normal_pdf(x: &DVector<f64>, m: &DVector<f64>, c: &DMatrix<f64>) -> f64 {
    let chol = c.clone().cholesky().expect("positive definite");
    let l = chol.l();
    let log_det: f64 = 2.0 * l.diagonal().iter().map(|v| v.ln()).sum::<f64>();
    let r = chol.solve(&(x - m));
    let d = x.len() as f64;
    -0.5 * (d * std::f64::consts::TAU.ln() + log_det + (x - m).dot(&r))
}

/// Largest |a_i - b_i| / max(|b|_inf, floor).
pub fn rel_err(a: &DVector<f64>, b: &DVector<f64>, floor: f64) -> f64 {
    (a - b).amax() / b.amax().max(floor)
}
