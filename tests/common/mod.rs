//! Helpers shared by the integration tests: random analytic data, reference formulas computed
//! independently of the oracle (dense linear algebra), and tolerances specific to them.
#![allow(dead_code)] // each test file uses only some of the helpers

pub mod samplers;

use elucidated::analytic::{Gaussian, GaussianMixture, random_rotation};
use elucidated::noise::NoiseStream;
use nalgebra::{DMatrix, DVector};

/// A standard normal vector of length `d` from `stream`.
pub fn normal_vector(d: usize, stream: &mut NoiseStream) -> DVector<f64> {
    let mut v = DVector::zeros(d);
    stream.fill_normal(v.as_mut_slice());
    v
}

/// N(mu, Q diag(lambda) Q^T) with random mean, random Q and the given eigenvalues.
pub fn gaussian_with_eigenvalues(eigenvalues: &[f64], seed: u64) -> Gaussian {
    let d = eigenvalues.len();
    let mut s = NoiseStream::new(seed ^ 0x5eed);
    let mean = normal_vector(d, &mut s);
    Gaussian::from_eigen(
        mean,
        random_rotation(d, seed),
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

/// |a - b|_inf <= `rel` * |scale|_inf, with a message naming the check.
pub fn assert_close(a: &DVector<f64>, b: &DVector<f64>, rel: f64, scale: f64, what: &str) {
    let err = (a - b).amax();
    assert!(
        err <= rel * scale,
        "{what}: |a - b| = {err:e} > {rel:e} * {scale:e}\n a = {a}\n b = {b}"
    );
}

/// Interval that a chi-square(`dof`) statistic leaves with probability FALSE_ALARM (two-sided).
pub fn chi_square_interval(dof: usize) -> (f64, f64) {
    use elucidated::tolerance::FALSE_ALARM;
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let chi = ChiSquared::new(dof as f64).expect("dof >= 1");
    (
        chi.inverse_cdf(FALSE_ALARM / 2.0),
        chi.inverse_cdf(1.0 - FALSE_ALARM / 2.0),
    )
}

/// Sum over the columns of `x` of the squared Mahalanobis distance to N(m, c), by Cholesky:
/// chi-square with (columns * d) degrees of freedom when the columns are draws from N(m, c).
pub fn mahalanobis_sum(x: &DMatrix<f64>, m: &DVector<f64>, c: &DMatrix<f64>) -> f64 {
    let chol = c.clone().cholesky().expect("positive definite");
    x.column_iter()
        .map(|col| {
            let r = col - m;
            let w = chol.l().solve_lower_triangular(&r).expect("nonsingular");
            w.norm_squared()
        })
        .sum()
}

/// Mean and unbiased standard deviation of `values`.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Nodes and weights of 5-point Gauss–Legendre quadrature on [-1, 1].
const GAUSS_LEGENDRE_5: [(f64, f64); 5] = [
    (0.0, 0.568_888_888_888_888_9),
    (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (-0.906_179_845_938_664, 0.236_926_885_056_189_1),
    (0.906_179_845_938_664, 0.236_926_885_056_189_1),
];

/// The nodes and weights of composite 5-point Gauss–Legendre quadrature on [a, b] with
/// `panels` equal panels.
pub fn quadrature_rule(a: f64, b: f64, panels: usize) -> Vec<(f64, f64)> {
    let h = (b - a) / panels as f64;
    (0..panels)
        .flat_map(|p| {
            let mid = a + (p as f64 + 0.5) * h;
            GAUSS_LEGENDRE_5
                .iter()
                .map(move |&(x, w)| (mid + 0.5 * h * x, 0.5 * h * w))
        })
        .collect()
}

/// int_a^b f by composite 5-point Gauss–Legendre quadrature.
pub fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    quadrature_rule(a, b, panels)
        .into_iter()
        .map(|(x, w)| w * f(x))
        .sum()
}

/// The derivative of `f` at 0 by the fourth-order central difference with step `h`:
/// (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / (12 h), truncation error O(h^4).
pub fn derivative5(f: impl Fn(f64) -> DVector<f64>, h: f64) -> DVector<f64> {
    (f(-2.0 * h) - f(-h) * 8.0 + f(h) * 8.0 - f(2.0 * h)) / (12.0 * h)
}

/// The gradient of a scalar `f` at `x` by fourth-order central differences with step `h`.
pub fn gradient5(f: impl Fn(&DVector<f64>) -> f64, x: &DVector<f64>, h: f64) -> DVector<f64> {
    DVector::from_fn(x.len(), |i, _| {
        let at = |t: f64| {
            let mut y = x.clone();
            y[i] += t;
            DVector::from_element(1, f(&y))
        };
        derivative5(at, h)[0]
    })
}

/// The matrix of the affine map x -> f(x) about `origin`: column j is f(origin + e_j) - f(origin).
pub fn linear_part(
    f: impl Fn(&DVector<f64>) -> DVector<f64>,
    origin: &DVector<f64>,
) -> DMatrix<f64> {
    let d = origin.len();
    let base = f(origin);
    let cols: Vec<DVector<f64>> = (0..d)
        .map(|j| {
            let mut e = origin.clone();
            e[j] += 1.0;
            f(&e) - &base
        })
        .collect();
    DMatrix::from_columns(&cols)
}

/// A scratch directory under the system's temporary directory, unique to this process and
/// `name`, created empty and removed with everything in it when dropped (also when the test
/// fails), so that no test leaves files behind.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A fresh, empty directory `elucidated-NAME-PID`.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("elucidated-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// A path inside the directory.
    pub fn join(&self, name: impl AsRef<std::path::Path>) -> std::path::PathBuf {
        self.0.join(name)
    }

    /// The names in the directory, sorted.
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read the scratch directory")
            .map(|e| {
                e.expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    /// Removes the directory, first making it and its entries writable again (tests make some
    /// of them read-only).
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let writable = || std::fs::Permissions::from_mode(0o755);
        let _ = std::fs::set_permissions(&self.0, writable());
        for entry in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
            let _ = std::fs::set_permissions(entry.path(), writable());
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
