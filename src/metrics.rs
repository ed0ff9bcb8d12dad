//! Sample statistics and the Fréchet distance between Gaussians fitted to features (the
//! distance behind FID, Heusel et al. 2017), used by `edm evaluate`.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::error::{Error, Result};

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

/// The principal square root of a symmetric positive semi-definite matrix, with eigenvalues
/// below 0 (rounding of a singular matrix) set to 0.
fn sqrt_psd(a: &DMatrix<f64>) -> DMatrix<f64> {
    let sym = (a + a.transpose()) * 0.5;
    let eig = SymmetricEigen::new(sym);
    let roots = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

/// The Fréchet (Wasserstein-2 squared) distance between N(mu1, c1) and N(mu2, c2):
/// |mu1 - mu2|^2 + tr c1 + tr c2 - 2 tr (c1^{1/2} c2 c1^{1/2})^{1/2}, with both square roots
/// of symmetric matrices taken by eigendecomposition (no non-symmetric matrix function), and
/// the result clamped at 0 against rounding.
///
/// # Errors
///
/// [`Error::DimensionMismatch`] when the shapes disagree, [`Error::NotFinite`] for a
/// non-finite entry.
pub fn frechet_distance(
    mu1: &DVector<f64>,
    c1: &DMatrix<f64>,
    mu2: &DVector<f64>,
    c2: &DMatrix<f64>,
) -> Result<f64> {
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
