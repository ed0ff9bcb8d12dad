//! Terms of the DDPM variational bound (Ho et al. 2020, Eq. 5; I28): Kullback–Leibler
//! divergences between Gaussians and the prior term L_T.

use crate::analytic::Gaussian;
use crate::error::{Error, Result, finite, positive};
use nalgebra::{DMatrix, DVector};

/// Below this |e|, e - ln(1 + e) is summed as a power series: the direct difference would lose
/// about -log2(|e|) bits to cancellation.
const SERIES_BELOW: f64 = 0.125;

/// Terms of that series: |e|^26 / 26 < 1e-25 relative to e^2 / 2 at |e| = 1/8.
const SERIES_TERMS: i32 = 26;

/// e - ln(1 + e) >= 0 for e > -1, without cancellation for small |e|: the building block of
/// every Gaussian KL (r - 1 - ln r with r = 1 + e).
pub fn e_minus_ln_1p(e: f64) -> f64 {
    if e.abs() < SERIES_BELOW {
        // sum_{k >= 2} (-e)^k / k, smallest terms first.
        (2..=SERIES_TERMS)
            .rev()
            .map(|k| (-e).powi(k) / f64::from(k))
            .sum()
    } else {
        e - e.ln_1p()
    }
}

fn check_same_len(a: &DVector<f64>, b: &DVector<f64>) -> Result<()> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what: "means",
            expected: a.len(),
            got: b.len(),
        })
    }
}

fn check_finite_vector(name: &'static str, v: &DVector<f64>) -> Result<()> {
    v.iter().try_for_each(|&x| finite(name, x).map(|_| ()))
}

/// KL(N(mu_q, sigma_q^2 I) || N(mu_p, sigma_q^2 I)) = ||mu_q - mu_p||^2 / (2 sigma_q^2): the
/// DDPM bound's L_{t-1} with the reverse variance set to the forward posterior's (I28).
pub fn kl_equal_variance(mu_q: &DVector<f64>, mu_p: &DVector<f64>, sigma_q: f64) -> Result<f64> {
    check_same_len(mu_q, mu_p)?;
    check_finite_vector("mu_q", mu_q)?;
    check_finite_vector("mu_p", mu_p)?;
    positive("sigma_q", sigma_q)?;
    let scaled = (mu_q - mu_p) / sigma_q;
    overflow_checked(0.5 * scaled.norm_squared(), "KL divergence", sigma_q)
}

/// KL(N(mu_q, var_q I) || N(mu_p, var_p I)) = (d/2) (r - 1 - ln r) + ||mu_q - mu_p||^2 /
/// (2 var_p), r = var_q / var_p, with r - 1 - ln r evaluated by [`e_minus_ln_1p`] (I28).
pub fn kl_isotropic(
    mu_q: &DVector<f64>,
    var_q: f64,
    mu_p: &DVector<f64>,
    var_p: f64,
) -> Result<f64> {
    check_same_len(mu_q, mu_p)?;
    check_finite_vector("mu_q", mu_q)?;
    check_finite_vector("mu_p", mu_p)?;
    positive("var_q", var_q)?;
    positive("var_p", var_p)?;
    let e = (var_q - var_p) / var_p;
    let d = mu_q.len() as f64;
    let value = 0.5 * d * e_minus_ln_1p(e) + 0.5 * (mu_q - mu_p).norm_squared() / var_p;
    overflow_checked(value, "KL divergence", var_p)
}

/// KL(q || p) for q = N(m_q, S_q), p = N(m_p, S_p) (I28):
/// (1/2) [tr(S_p^-1 S_q) - d - ln det(S_p^-1 S_q) + (m_q - m_p)^T S_p^-1 (m_q - m_p)],
/// evaluated as (1/2) [sum_i (r_i - 1 - ln r_i) + |z|^2] where r_i are the eigenvalues of the
/// whitened covariance W = L^-1 S_q L^-T, L = Q_p diag(sqrt(lambda_p)), and z = L^-1 (m_q - m_p).
/// Both covariances must be non-singular (otherwise the divergence is infinite or undefined).
pub fn kl_gaussian(q: &Gaussian, p: &Gaussian) -> Result<f64> {
    check_same_len(q.mean(), p.mean())?;
    for (g, name) in [
        (q, "smallest eigenvalue of S_q"),
        (p, "smallest eigenvalue of S_p"),
    ] {
        positive(name, g.eigenvalues().min())?;
    }
    let inv_root = p.eigenvalues().map(|l| 1.0 / l.sqrt());
    let whiten = DMatrix::from_diagonal(&inv_root) * p.eigenvectors().transpose();
    let w = &whiten * q.covariance() * whiten.transpose();
    let w = (&w + w.transpose()) * 0.5;
    let r = w.symmetric_eigenvalues();
    let z = &whiten * (q.mean() - p.mean());
    let trace_terms: f64 = r.iter().map(|&ri| e_minus_ln_1p(ri - 1.0)).sum();
    overflow_checked(0.5 * (trace_terms + z.norm_squared()), "KL divergence", 0.0)
}

/// The DDPM prior term for one data point x_0 (I28):
/// L_T(x_0) = KL(q(x_T | x_0) || N(0, I)), q(x_T | x_0) = N(sqrt(abar_T) x_0, (1 - abar_T) I),
/// = (d/2) (-abar_T - ln(1 - abar_T)) + abar_T ||x_0||^2 / 2. It involves no network: the bound
/// treats it as a constant. abar_T = s(T)^2 for a VP schedule (I10).
pub fn prior_kl(x0: &DVector<f64>, abar_t: f64) -> Result<f64> {
    check_finite_vector("x0", x0)?;
    prior_term(abar_t, x0.len(), x0.norm_squared())
}

/// The DDPM prior term in expectation over the data (I28):
/// E\[L_T\] = (d/2) (-abar_T - ln(1 - abar_T)) + abar_T E||x_0||^2 / 2, a closed-form constant
/// given abar_T in (0, 1), the dimension d >= 1 and the data's second moment E||x_0||^2 =
/// ||E x_0||^2 + tr Cov x_0 >= 0. The first term is evaluated without cancellation for small
/// abar_T (it is abar_T^2 / 2 + O(abar_T^3)).
pub fn prior_term(abar_t: f64, dim: usize, second_moment: f64) -> Result<f64> {
    positive("abar_T", abar_t)?;
    positive("1 - abar_T", 1.0 - abar_t)?;
    if dim == 0 {
        return Err(Error::CountTooSmall {
            name: "dimension",
            value: 0,
            min: 1,
        });
    }
    finite("E||x_0||^2", second_moment)?;
    if second_moment < 0.0 {
        return Err(Error::Negative {
            name: "E||x_0||^2",
            value: second_moment,
        });
    }
    let value = 0.5 * (dim as f64 * e_minus_ln_1p(-abar_t) + abar_t * second_moment);
    overflow_checked(value, "prior term L_T", abar_t)
}

fn overflow_checked(value: f64, what: &'static str, input: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::Overflow { what, value: input })
    }
}
