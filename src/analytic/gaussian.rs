//! Gaussian data N(mu, Sigma), possibly singular: exact noisy density, score, denoiser and
//! probability-flow ODE solution (I30).

use super::MAX_SIGMA;
use super::columns::ColumnState;
use crate::denoiser::Denoiser;
use crate::error::{Error, Result, in_range};
use crate::noise::NoiseStream;
use crate::schedule::Schedule;
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Largest asymmetry |Sigma_ij - Sigma_ji| accepted, relative to the largest entry of Sigma:
/// covariances computed in float64 (A A^T, sample covariances) are symmetric to a few ULP.
pub const SYMMETRY_TOL: f64 = 1e-12;

/// Eigenvalues of magnitude at most `d * EIGEN_TOL_PER_DIM * lambda_max` are zero (the data lie
/// on a subspace): a symmetric eigensolver's backward error is a small multiple of
/// d eps ||Sigma||, so smaller eigenvalues cannot be told from 0. Below minus that, Sigma is
/// rejected as not positive semi-definite.
pub const EIGEN_TOL_PER_DIM: f64 = 64.0 * f64::EPSILON;

/// Largest |Q^T Q - I|_ij accepted by [`Gaussian::from_eigen`], per dimension: an orthogonal
/// matrix computed by Householder QR is orthogonal to a small multiple of d eps.
pub const ORTHOGONALITY_TOL_PER_DIM: f64 = 64.0 * f64::EPSILON;

/// Gaussian data N(mu, Sigma) in R^d with Sigma symmetric positive semi-definite, stored with its
/// eigendecomposition Sigma = Q diag(lambda) Q^T, zero eigenvalues exactly zero (I30).
///
/// Everything noisy is evaluated in the eigenbasis with per-eigenvalue factors, which is exact
/// for singular Sigma and accurate for sigma from 0 to [`MAX_SIGMA`]:
/// p(x; sigma) = N(mu, Sigma + sigma^2 I), D(x; sigma) = mu + Q diag(lambda_k / (lambda_k +
/// sigma^2)) Q^T (x - mu), and the PF-ODE solution of [`Gaussian::flow`].
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian {
    mean: DVector<f64>,
    covariance: DMatrix<f64>,
    eigenvectors: DMatrix<f64>,
    /// Q^T, so that both Q^T r and Q z run as column sweeps (contiguous, vectorisable).
    eigenvectors_t: DMatrix<f64>,
    eigenvalues: DVector<f64>,
}

fn check_dim(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

fn check_finite(name: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(Error::NotFinite { name, value }),
        None => Ok(()),
    }
}

/// A noise level sigma in [0, MAX_SIGMA].
pub(crate) fn check_sigma(name: &'static str, sigma: f64) -> Result<f64> {
    in_range(name, sigma, 0.0, MAX_SIGMA)
}

fn not_psd() -> Error {
    Error::NotPositiveSemiDefinite { what: "covariance" }
}

impl Gaussian {
    /// N(`mean`, `covariance`). The covariance must be square of the mean's size d >= 1, finite,
    /// symmetric within [`SYMMETRY_TOL`] and positive semi-definite within
    /// [`EIGEN_TOL_PER_DIM`]; eigenvalues within that tolerance of zero are set to zero (the
    /// data then lie on an affine subspace), and all must be at most [`MAX_SIGMA`]^2.
    pub fn new(mean: DVector<f64>, covariance: DMatrix<f64>) -> Result<Self> {
        let d = Self::check_mean(&mean)?;
        check_dim("covariance rows", d, covariance.nrows())?;
        check_dim("covariance columns", d, covariance.ncols())?;
        check_finite("covariance", covariance.as_slice())?;
        let scale = covariance.amax();
        let asymmetry = (&covariance - covariance.transpose()).amax();
        if asymmetry > SYMMETRY_TOL * scale {
            return Err(not_psd());
        }
        let symmetric = (&covariance + covariance.transpose()) * 0.5;
        let eigen = SymmetricEigen::new(symmetric.clone());
        check_finite("covariance eigenvalue", eigen.eigenvalues.as_slice())?;
        let largest = eigen.eigenvalues.amax();
        let zero_below = d as f64 * EIGEN_TOL_PER_DIM * largest;
        if eigen.eigenvalues.iter().any(|&l| l < -zero_below) {
            return Err(not_psd());
        }
        let eigenvalues = eigen
            .eigenvalues
            .map(|l| if l <= zero_below { 0.0 } else { l });
        Self::check_eigenvalue_range(&eigenvalues)?;
        Ok(Self::assemble(
            mean,
            symmetric,
            eigen.eigenvectors,
            eigenvalues,
        ))
    }

    /// N(`mean`, Q diag(`eigenvalues`) Q^T) from an orthonormal `eigenvectors` matrix Q (columns,
    /// orthonormal within [`ORTHOGONALITY_TOL_PER_DIM`]) and eigenvalues in [0, MAX_SIGMA^2].
    /// Zero eigenvalues stay exactly zero: the way to build data on a given subspace.
    pub fn from_eigen(
        mean: DVector<f64>,
        eigenvectors: DMatrix<f64>,
        eigenvalues: DVector<f64>,
    ) -> Result<Self> {
        let d = Self::check_mean(&mean)?;
        check_dim("eigenvector rows", d, eigenvectors.nrows())?;
        check_dim("eigenvector columns", d, eigenvectors.ncols())?;
        check_dim("eigenvalues", d, eigenvalues.len())?;
        check_finite("eigenvectors", eigenvectors.as_slice())?;
        check_finite("eigenvalues", eigenvalues.as_slice())?;
        if let Some(&value) = eigenvalues.iter().find(|&&l| l < 0.0) {
            return Err(Error::Negative {
                name: "eigenvalue",
                value,
            });
        }
        Self::check_eigenvalue_range(&eigenvalues)?;
        let gram = eigenvectors.tr_mul(&eigenvectors) - DMatrix::identity(d, d);
        if gram.amax() > d as f64 * ORTHOGONALITY_TOL_PER_DIM {
            return Err(Error::NotPositiveSemiDefinite {
                what: "Q diag(lambda) Q^T (Q is not orthogonal)",
            });
        }
        let scaled = DMatrix::from_fn(d, d, |i, k| eigenvectors[(i, k)] * eigenvalues[k]);
        let product = &scaled * eigenvectors.transpose();
        let covariance = (&product + product.transpose()) * 0.5;
        Ok(Self::assemble(mean, covariance, eigenvectors, eigenvalues))
    }

    fn assemble(
        mean: DVector<f64>,
        covariance: DMatrix<f64>,
        eigenvectors: DMatrix<f64>,
        eigenvalues: DVector<f64>,
    ) -> Self {
        Gaussian {
            mean,
            covariance,
            eigenvectors_t: eigenvectors.transpose(),
            eigenvectors,
            eigenvalues,
        }
    }

    /// N(`mean`, std^2 I), every coordinate with standard deviation `std` in [0, MAX_SIGMA].
    pub fn isotropic(mean: DVector<f64>, std: f64) -> Result<Self> {
        let d = Self::check_mean(&mean)?;
        check_sigma("std", std)?;
        Self::from_eigen(
            mean,
            DMatrix::identity(d, d),
            DVector::from_element(d, std * std),
        )
    }

    fn check_mean(mean: &DVector<f64>) -> Result<usize> {
        if mean.is_empty() {
            return Err(Error::CountTooSmall {
                name: "dimension",
                value: 0,
                min: 1,
            });
        }
        check_finite("mean", mean.as_slice())?;
        Ok(mean.len())
    }

    fn check_eigenvalue_range(eigenvalues: &DVector<f64>) -> Result<()> {
        for &l in eigenvalues.iter() {
            in_range("covariance eigenvalue", l, 0.0, MAX_SIGMA * MAX_SIGMA)?;
        }
        Ok(())
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The mean mu.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mean
    }

    /// The covariance Sigma (symmetrised).
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// The eigenvalues lambda_k >= 0 of Sigma, zero ones exactly zero.
    pub fn eigenvalues(&self) -> &DVector<f64> {
        &self.eigenvalues
    }

    /// The orthonormal eigenvectors Q of Sigma, as columns, in the order of
    /// [`Gaussian::eigenvalues`].
    pub fn eigenvectors(&self) -> &DMatrix<f64> {
        &self.eigenvectors
    }

    /// The rank of Sigma: the number of non-zero eigenvalues.
    pub fn rank(&self) -> usize {
        self.eigenvalues.iter().filter(|&&l| l > 0.0).count()
    }

    /// p(x; sigma) = N(mu, Sigma + sigma^2 I) as a Gaussian (I30): the law of y + n.
    pub fn noisy(&self, sigma: f64) -> Result<Self> {
        check_sigma("sigma", sigma)?;
        let s2 = sigma * sigma;
        let d = self.dim();
        Ok(Gaussian {
            mean: self.mean.clone(),
            covariance: &self.covariance + DMatrix::from_diagonal_element(d, d, s2),
            eigenvectors: self.eigenvectors.clone(),
            eigenvectors_t: self.eigenvectors_t.clone(),
            eigenvalues: self.eigenvalues.map(|l| l + s2),
        })
    }

    /// The marginal of x_t = s(t) (y + sigma(t) n) under `schedule` at time `t` (I01, I03):
    /// N(s mu, s^2 (Sigma + sigma^2 I)).
    pub fn marginal<S: Schedule>(&self, schedule: &S, t: f64) -> Result<Self> {
        let (sigma, s) = noise_and_scale(schedule, "t", t)?;
        let noisy = self.noisy(sigma)?;
        let s2 = s * s;
        let eigenvalues = noisy.eigenvalues.map(|l| s2 * l);
        Self::check_eigenvalue_range(&eigenvalues)?;
        Ok(Gaussian {
            mean: noisy.mean * s,
            covariance: noisy.covariance * s2,
            eigenvectors: noisy.eigenvectors,
            eigenvectors_t: noisy.eigenvectors_t,
            eigenvalues,
        })
    }

    /// One draw y = mu + Q diag(sqrt(lambda)) z, z ~ N(0, I) from `stream` (d normals).
    pub fn sample(&self, stream: &mut NoiseStream) -> DVector<f64> {
        let mut z = vec![0.0; self.dim()];
        stream.fill_normal(&mut z);
        for (zk, l) in z.iter_mut().zip(self.eigenvalues.iter()) {
            *zk *= l.sqrt();
        }
        let mut y = DVector::zeros(self.dim());
        self.combine(&z, true, y.as_mut_slice());
        y
    }

    /// One draw per stream, as columns: column j is bitwise [`Gaussian::sample`] of `streams[j]`.
    pub fn sample_batch(&self, streams: &mut [NoiseStream]) -> DMatrix<f64> {
        let columns: Vec<DVector<f64>> = streams.iter_mut().map(|s| self.sample(s)).collect();
        DMatrix::from_fn(self.dim(), columns.len(), |i, j| columns[j][i])
    }

    /// ln p(x; sigma), p(x; sigma) = N(mu, Sigma + sigma^2 I) (I30):
    /// -(d ln(2 pi) + sum_k ln(lambda_k + sigma^2) + sum_k z_k^2 / (lambda_k + sigma^2)) / 2 with
    /// z = Q^T (x - mu). An error where Sigma + sigma^2 I is singular or the value overflows.
    pub fn log_density(&self, x: &DVector<f64>, sigma: f64) -> Result<f64> {
        Ok(self.log_densities(x, sigma)?[0])
    }

    /// ln p(x; sigma) of every sample (column) of `x` (see [`Gaussian::log_density`]).
    pub fn log_densities<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<Vec<f64>> {
        let terms = self.density_terms(x, sigma)?;
        let mut z = vec![0.0; self.dim()];
        x.samples()
            .map(|col| {
                let value = terms.log_density(self, col, &mut z);
                if value.is_finite() {
                    Ok(value)
                } else {
                    Err(Error::Overflow {
                        what: "log p(x; sigma)",
                        value: sigma,
                    })
                }
            })
            .collect()
    }

    /// The score grad_x ln p(x; sigma) = -(Sigma + sigma^2 I)^-1 (x - mu), evaluated as
    /// -Q diag(1 / (lambda_k + sigma^2)) Q^T (x - mu) (I05, I30): no cancellation of D(x) - x.
    /// An error where Sigma + sigma^2 I is singular or 1 / (lambda_k + sigma^2) overflows.
    pub fn score<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<X> {
        self.check_state(x)?;
        let terms = self.density_terms(x, sigma)?;
        let factors: Vec<f64> = terms.inverse_variances.iter().map(|w| -w).collect();
        Ok(self.map_in_eigenbasis(x, &factors, false))
    }

    /// The exact denoiser D(x; sigma) = mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu) (I30), as
    /// mu + Q diag(lambda_k / (lambda_k + sigma^2)) Q^T (x - mu); the factor is exactly 0 for
    /// lambda_k = 0 and 1 - O(sigma^2) for small sigma, so any sigma in [0, MAX_SIGMA] is fine.
    fn denoise_columns<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<X> {
        self.check_state(x)?;
        check_sigma("sigma", sigma)?;
        let factors = self.denoiser_factors(sigma);
        Ok(self.map_in_eigenbasis(x, &factors, true))
    }

    /// The per-eigenvalue denoiser factors lambda_k / (lambda_k + sigma^2) (I30), sigma checked.
    pub(crate) fn denoiser_factors(&self, sigma: f64) -> Vec<f64> {
        let s2 = sigma * sigma;
        self.eigenvalues
            .iter()
            .map(|&l| if l == 0.0 { 0.0 } else { l / (l + s2) })
            .collect()
    }

    /// The exact probability-flow ODE solution (EDM Eq. 4, I07) for Gaussian data under any
    /// `schedule`: the scaled state `x` = x(t0) (one sample per column) mapped to x(t1), forwards
    /// or backwards in time (I30):
    /// x(t1)/s(t1) = mu + Q diag(sqrt((lambda_k + sigma(t1)^2) / (lambda_k + sigma(t0)^2))) Q^T
    /// (x(t0)/s(t0) - mu).
    ///
    /// The flow from a time to itself returns `x` unchanged. Both times must lie in the
    /// schedule's `t_range()`; an error where sigma(t0) = 0 and Sigma
    /// is singular (the flow out of a point mass in some direction is not defined).
    pub fn flow<S: Schedule, X: ColumnState>(
        &self,
        schedule: &S,
        x: &X,
        t0: f64,
        t1: f64,
    ) -> Result<X> {
        let (sigma0, s0) = noise_and_scale(schedule, "t0", t0)?;
        let (sigma1, s1) = noise_and_scale(schedule, "t1", t1)?;
        if t0 == t1 {
            self.check_state(x)?;
            return Ok(x.clone());
        }
        let unscaled = x.scale(1.0 / s0)?;
        self.transport(&unscaled, sigma0, sigma1)?.scale(s1)
    }

    /// The probability-flow ODE solution in the unscaled state x/s, which depends on the noise
    /// levels only (I30): x at noise level `sigma0` mapped to noise level `sigma1`,
    /// mu + Q diag(sqrt((lambda_k + sigma1^2) / (lambda_k + sigma0^2))) Q^T (x - mu).
    /// It maps p(x; sigma0) onto p(x; sigma1); equal noise levels return `x` unchanged.
    pub fn transport<X: ColumnState>(&self, x: &X, sigma0: f64, sigma1: f64) -> Result<X> {
        self.check_state(x)?;
        check_sigma("sigma0", sigma0)?;
        check_sigma("sigma1", sigma1)?;
        if sigma0 == sigma1 {
            return Ok(x.clone());
        }
        let mut factors = Vec::with_capacity(self.dim());
        for &l in self.eigenvalues.iter() {
            let root = l.sqrt();
            let from = root.hypot(sigma0);
            if from == 0.0 {
                return Err(Error::NotPositive {
                    name: "lambda_k + sigma0^2 (flow out of a singular Gaussian)",
                    value: 0.0,
                });
            }
            factors.push(root.hypot(sigma1) / from);
        }
        Ok(self.map_in_eigenbasis(x, &factors, true))
    }

    /// Rejects a state whose samples do not have length d.
    pub(crate) fn check_state<X: ColumnState>(&self, x: &X) -> Result<()> {
        check_dim("sample length", self.dim(), x.sample_len())?;
        match x.samples().flatten().find(|v| !v.is_finite()) {
            Some(&value) => Err(Error::NotFinite { name: "x", value }),
            None => Ok(()),
        }
    }

    /// The per-eigenvalue terms of p(x; sigma), for every column of `x`, after checking it.
    pub(crate) fn density_terms<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<DensityTerms> {
        self.check_state(x)?;
        DensityTerms::new(self, sigma)
    }

    /// z = Q^T (x - mu), the coordinates of x - mu in the eigenbasis, accumulated as
    /// sum_i (x_i - mu_i) (Q^T)_{:, i} in a fixed order.
    pub(crate) fn coordinates(&self, x: &[f64], z: &mut [f64]) {
        z.fill(0.0);
        let rows = self.eigenvectors_t.as_slice().chunks_exact(self.dim());
        for ((xi, mi), q_row) in x.iter().zip(self.mean.iter()).zip(rows) {
            let r = xi - mi;
            for (zk, q) in z.iter_mut().zip(q_row) {
                *zk += r * q;
            }
        }
    }

    /// out = [mu +] Q z, accumulated column by column in a fixed order.
    pub(crate) fn combine(&self, z: &[f64], add_mean: bool, out: &mut [f64]) {
        if add_mean {
            out.copy_from_slice(self.mean.as_slice());
        } else {
            out.fill(0.0);
        }
        let columns = self.eigenvectors.as_slice().chunks_exact(self.dim());
        for (&zk, q_col) in z.iter().zip(columns) {
            for (o, q) in out.iter_mut().zip(q_col) {
                *o += zk * q;
            }
        }
    }

    /// out = [mu +] Q diag(factors) Q^T (x - mu) for one sample; `z` is scratch of length d.
    pub(crate) fn apply(
        &self,
        factors: &[f64],
        add_mean: bool,
        x: &[f64],
        out: &mut [f64],
        z: &mut [f64],
    ) {
        self.coordinates(x, z);
        for (zk, f) in z.iter_mut().zip(factors) {
            *zk *= f;
        }
        self.combine(z, add_mean, out);
    }

    fn map_in_eigenbasis<X: ColumnState>(&self, x: &X, factors: &[f64], add_mean: bool) -> X {
        let mut z = vec![0.0; self.dim()];
        x.map_samples(|_, col, out| self.apply(factors, add_mean, col, out, &mut z))
    }
}

/// sigma(t) and s(t) of `schedule`, with t in its range and both usable by the oracle.
pub(crate) fn noise_and_scale<S: Schedule>(
    schedule: &S,
    name: &'static str,
    t: f64,
) -> Result<(f64, f64)> {
    let (lo, hi) = schedule.t_range();
    in_range(name, t, lo, hi)?;
    let sigma = check_sigma("sigma(t)", schedule.sigma_at(t))?;
    let s = crate::error::positive("s(t)", schedule.scale_at(t))?;
    Ok((sigma, s))
}

/// The per-eigenvalue quantities of p(x; sigma) = N(mu, Sigma + sigma^2 I) at one sigma.
#[derive(Debug, Clone)]
pub(crate) struct DensityTerms {
    /// 1 / (lambda_k + sigma^2).
    pub(crate) inverse_variances: Vec<f64>,
    /// -(d ln(2 pi) + sum_k ln(lambda_k + sigma^2)) / 2.
    pub(crate) log_normaliser: f64,
}

impl DensityTerms {
    /// The terms at noise level `sigma` (checked); an error where 1/(lambda_k + sigma^2)
    /// overflows.
    pub(crate) fn new(g: &Gaussian, sigma: f64) -> Result<Self> {
        check_sigma("sigma", sigma)?;
        let s2 = sigma * sigma;
        let mut inverse_variances = Vec::with_capacity(g.dim());
        let mut log_det = 0.0;
        for &l in g.eigenvalues.iter() {
            let v = l + s2;
            let w = 1.0 / v;
            if !w.is_finite() {
                return Err(Error::Overflow {
                    what: "(Sigma + sigma^2 I)^-1",
                    value: sigma,
                });
            }
            inverse_variances.push(w);
            log_det += v.ln();
        }
        let d = g.dim() as f64;
        Ok(DensityTerms {
            inverse_variances,
            log_normaliser: -0.5 * (d * std::f64::consts::TAU.ln() + log_det),
        })
    }

    /// ln p(x; sigma) of one sample; -inf where the quadratic form overflows.
    pub(crate) fn log_density(&self, g: &Gaussian, x: &[f64], z: &mut [f64]) -> f64 {
        g.coordinates(x, z);
        self.log_density_at(z)
    }

    /// ln p(x; sigma) from the eigenbasis coordinates z = Q^T (x - mu) of the sample.
    pub(crate) fn log_density_at(&self, z: &[f64]) -> f64 {
        let quadratic: f64 = z
            .iter()
            .zip(&self.inverse_variances)
            .map(|(zk, w)| zk * zk * w)
            .sum();
        self.log_normaliser - 0.5 * quadratic
    }
}

/// The exact denoiser of Gaussian data (I30), for one sample or a batch.
impl<X: ColumnState> Denoiser<X> for Gaussian {
    fn denoise(&self, x: &X, sigma: f64) -> Result<X> {
        self.denoise_columns(x, sigma)
    }
}
