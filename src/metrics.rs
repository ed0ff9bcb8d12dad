//! Distances between distributions, in the core (no network code): sample mean and
//! covariance, the Wasserstein-2 distance between Gaussians (whose square is the Fréchet
//! distance behind FID, Heusel et al. 2017) and the Kolmogorov–Smirnov distance of samples from
//! a CDF. `edm evaluate` measures generated digits with them, `edm oracle` samplers against the
//! analytic data.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::error::{Error, Result, finite};

/// Mean and unbiased covariance of the rows of `features` (one sample per row), accumulated
/// in float64.
///
/// # Errors
///
/// [`Error::DimensionMismatch`] with fewer than 2 rows, [`Error::NotFinite`] for a non-finite
/// entry.
pub fn mean_and_covariance(features: &DMatrix<f64>) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let n = features.nrows();
    if n < 2 {
        return Err(Error::DimensionMismatch {
            what: "samples for a covariance (at least)",
            expected: 2,
            got: n,
        });
    }
    if let Some(v) = features.iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite {
            name: "feature",
            value: *v,
        });
    }
    let mean = features.row_mean().transpose();
    let mut centred = features.clone();
    for mut row in centred.row_iter_mut() {
        row -= mean.transpose();
    }
    let cov = centred.transpose() * &centred / (n - 1) as f64;
    Ok((mean, cov))
}

/// The principal square root of a symmetric positive semi-definite matrix: `a` symmetrised as
/// (a + a^T) / 2 (a product such as c1^{1/2} c2 c1^{1/2} is symmetric only up to rounding),
/// then square roots of its eigenvalues, those below 0 (rounding of a singular matrix) set
/// to 0.
fn sqrt_psd(a: &DMatrix<f64>) -> DMatrix<f64> {
    let sym = (a + a.transpose()) * 0.5;
    let eig = SymmetricEigen::new(sym);
    let roots = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

/// A Gaussian given by its mean and covariance.
pub type MeanCov<'a> = (&'a DVector<f64>, &'a DMatrix<f64>);

/// The Fréchet distance between N(mu1, c1) and N(mu2, c2), the *squared* Wasserstein-2
/// distance (the convention of FID):
/// |mu1 - mu2|^2 + tr c1 + tr c2 - 2 tr (c1^{1/2} c2 c1^{1/2})^{1/2}, with both square roots
/// of symmetric matrices taken by eigendecomposition (no non-symmetric matrix function), and
/// the result clamped at 0 against rounding. Its rounding floor is about eps (tr c1 + tr c2).
///
/// # Errors
///
/// [`Error::DimensionMismatch`] when the shapes disagree, [`Error::NotFinite`] for a
/// non-finite entry.
pub fn frechet_distance((mu1, c1): MeanCov<'_>, (mu2, c2): MeanCov<'_>) -> Result<f64> {
    let d = mu1.len();
    for (what, got) in [
        ("second mean", mu2.len()),
        ("first covariance rows", c1.nrows()),
        ("first covariance columns", c1.ncols()),
        ("second covariance rows", c2.nrows()),
        ("second covariance columns", c2.ncols()),
    ] {
        if got != d {
            return Err(Error::DimensionMismatch {
                what,
                expected: d,
                got,
            });
        }
    }
    let all = mu1
        .iter()
        .chain(mu2.iter())
        .chain(c1.iter())
        .chain(c2.iter());
    if let Some(v) = all.into_iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite {
            name: "Fréchet distance input",
            value: *v,
        });
    }
    let s1 = sqrt_psd(c1);
    let cross = sqrt_psd(&(&s1 * c2 * &s1)).trace();
    Ok(((mu1 - mu2).norm_squared() + c1.trace() + c2.trace() - 2.0 * cross).max(0.0))
}

/// The Wasserstein-2 distance between N(mu1, c1) and N(mu2, c2): the square root of
/// [`frechet_distance`], in the units of the data. Its rounding floor is about
/// sqrt(eps (tr c1 + tr c2)), 1e-8 for unit covariances.
///
/// # Errors
///
/// Those of [`frechet_distance`].
pub fn wasserstein2(first: MeanCov<'_>, second: MeanCov<'_>) -> Result<f64> {
    frechet_distance(first, second).map(f64::sqrt)
}

/// The Kolmogorov–Smirnov distance sup_x |F_n(x) - F(x)| between the empirical CDF F_n of
/// `samples` and `cdf`: with the samples sorted, the largest of |F(x_i) - i/n| and
/// |(i + 1)/n - F(x_i)| (the supremum is reached at a jump of F_n, F being nondecreasing).
///
/// # Errors
///
/// [`Error::CountTooSmall`] without samples, [`Error::NotFinite`] for a non-finite sample or
/// CDF value, and any error of `cdf` (such as [`GaussianMixture::cdf_1d`]'s).
///
/// [`GaussianMixture::cdf_1d`]: crate::analytic::GaussianMixture::cdf_1d
pub fn ks_distance(samples: &[f64], cdf: impl Fn(f64) -> Result<f64>) -> Result<f64> {
    if samples.is_empty() {
        return Err(Error::CountTooSmall {
            name: "samples for a Kolmogorov–Smirnov distance",
            value: 0,
            min: 1,
        });
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mut sup = 0.0f64;
    for (i, &x) in sorted.iter().enumerate() {
        let f = finite("Kolmogorov–Smirnov CDF value", cdf(finite("sample", x)?)?)?;
        sup = sup
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    Ok(sup)
}
