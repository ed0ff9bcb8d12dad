//! The DDPM variational bound (I28): Gaussian KLs and the prior term against numerical
//! integration and Monte Carlo.

use crate::common::{
    gaussian_with_eigenvalues, integrate, log_normal_pdf, normal_vector, quadrature_rule,
};
use elucidated::analytic::Gaussian;
use elucidated::ddpm::BetaSchedule;
use elucidated::noise::NoiseStream;
use elucidated::tolerance::{
    REL_FLOAT, REL_QUADRATURE, ULP_FEW, mean_bound, rel_diff, ulp_distance,
};
use elucidated::vlb::{
    e_minus_ln_1p, kl_equal_variance, kl_gaussian, kl_isotropic, prior_kl, prior_term,
};
use nalgebra::{DMatrix, DVector};

/// Half-width of the integration interval in standard deviations: the Gaussian tail beyond
/// 14 std is below 1e-44, far under REL_QUADRATURE.
const TAIL: f64 = 14.0;

/// Panels of the composite 5-point Gauss–Legendre rule (a polynomial-times-Gaussian integrand
/// is resolved to ~1e-15 with 28 std / 200 panels per panel).
const PANELS: usize = 200;

/// Monte Carlo draws per statistical test.
const DRAWS: usize = 20_000;

fn ln_normal_1d(x: f64, m: f64, v: f64) -> f64 {
    -0.5 * ((std::f64::consts::TAU * v).ln() + (x - m) * (x - m) / v)
}

/// KL(N(mq, vq) || N(mp, vp)) in one dimension by quadrature of q ln(q/p).
fn kl_by_quadrature_1d(mq: f64, vq: f64, mp: f64, vp: f64) -> f64 {
    let sd = vq.sqrt();
    integrate(
        |x| {
            let lq = ln_normal_1d(x, mq, vq);
            lq.exp() * (lq - ln_normal_1d(x, mp, vp))
        },
        mq - TAIL * sd,
        mq + TAIL * sd,
        PANELS,
    )
}

fn v1(x: f64) -> DVector<f64> {
    DVector::from_element(1, x)
}

/// I28: KL between Gaussians of equal variance sigma_q^2 is ||mu_q - mu_p||^2 / (2 sigma_q^2),
/// against quadrature of q ln(q/p) in one dimension and the sum over dimensions in three.
#[test]
fn i28_equal_variance_kl_matches_quadrature() {
    for (mq, mp, sq) in [
        (0.0, 1.0, 1.0),
        (2.5, -0.5, 0.3),
        (1e-3, 0.0, 1e-2),
        (4.0, 4.5, 10.0),
    ] {
        let closed = kl_equal_variance(&v1(mq), &v1(mp), sq).unwrap();
        let numeric = kl_by_quadrature_1d(mq, sq * sq, mp, sq * sq);
        assert!(
            rel_diff(closed, numeric) <= REL_QUADRATURE,
            "{closed} vs {numeric}"
        );
    }
    let (a, b) = (
        DVector::from_vec(vec![0.1, -2.0, 3.0]),
        DVector::from_vec(vec![1.0, 0.0, 2.5]),
    );
    let closed = kl_equal_variance(&a, &b, 0.7).unwrap();
    let numeric: f64 = (0..3)
        .map(|i| kl_by_quadrature_1d(a[i], 0.49, b[i], 0.49))
        .sum();
    assert!(rel_diff(closed, numeric) <= REL_QUADRATURE);
}

/// I28: the general KL (unequal variances) against one-dimensional quadrature, and the isotropic
/// and equal-variance forms as special cases of the general one.
#[test]
fn i28_general_kl_matches_quadrature() {
    for (mq, vq, mp, vp) in [
        (0.0, 1.0, 0.0, 2.0),
        (1.0, 0.25, -1.0, 4.0),
        (0.3, 3.0, 0.0, 0.5),
    ] {
        let q = Gaussian::new(v1(mq), DMatrix::from_element(1, 1, vq)).unwrap();
        let p = Gaussian::new(v1(mp), DMatrix::from_element(1, 1, vp)).unwrap();
        let numeric = kl_by_quadrature_1d(mq, vq, mp, vp);
        let general = kl_gaussian(&q, &p).unwrap();
        assert!(
            rel_diff(general, numeric) <= REL_QUADRATURE,
            "{general} vs {numeric}"
        );
        let iso = kl_isotropic(&v1(mq), vq, &v1(mp), vp).unwrap();
        assert!(
            rel_diff(iso, numeric) <= REL_QUADRATURE,
            "{iso} vs {numeric}"
        );
    }
    let (a, b) = (
        DVector::from_vec(vec![0.1, -2.0, 3.0]),
        DVector::from_vec(vec![1.0, 0.0, 2.5]),
    );
    let equal = kl_equal_variance(&a, &b, 0.7).unwrap();
    let q = Gaussian::isotropic(a.clone(), 0.7).unwrap();
    let p = Gaussian::isotropic(b.clone(), 0.7).unwrap();
    assert!(rel_diff(kl_gaussian(&q, &p).unwrap(), equal) <= REL_FLOAT);
    assert!(rel_diff(kl_isotropic(&a, 0.49, &b, 0.49).unwrap(), equal) <= REL_FLOAT);
}

/// I28: the general KL of correlated two-dimensional Gaussians against a tensor-product
/// quadrature of q ln(q/p) over q's whitened coordinates.
#[test]
fn i28_correlated_kl_matches_quadrature() {
    let q = gaussian_with_eigenvalues(&[0.5, 2.0], 90);
    let p = gaussian_with_eigenvalues(&[1.0, 0.3], 91);
    let root = q.eigenvectors() * DMatrix::from_diagonal(&q.eigenvalues().map(f64::sqrt));
    let rule = quadrature_rule(-TAIL, TAIL, PANELS / 2);
    let mut numeric = 0.0;
    for &(u, wu) in &rule {
        for &(v, wv) in &rule {
            let x = q.mean() + &root * DVector::from_vec(vec![u, v]);
            let std_normal = (-0.5 * (u * u + v * v)).exp() / std::f64::consts::TAU;
            let diff = log_normal_pdf(&x, q.mean(), q.covariance())
                - log_normal_pdf(&x, p.mean(), p.covariance());
            numeric += wu * wv * std_normal * diff;
        }
    }
    let closed = kl_gaussian(&q, &p).unwrap();
    assert!(
        rel_diff(closed, numeric) <= REL_QUADRATURE,
        "{closed} vs {numeric}"
    );
}

/// I28, statistically: the Monte Carlo mean of ln q(x) - ln p(x), x ~ q, for equal variances:
/// that log-ratio is Delta^T (x - mu_q) / s^2 + |Delta|^2 / (2 s^2), normal with standard
/// deviation |Delta| / s, so its mean is within the normal-mean bound of the closed form.
#[test]
fn i28_equal_variance_kl_monte_carlo() {
    let (mq, mp, s) = (
        DVector::from_vec(vec![0.5, -1.0]),
        DVector::from_vec(vec![0.0, 0.2]),
        0.8,
    );
    let q = Gaussian::isotropic(mq.clone(), s).unwrap();
    let p = Gaussian::isotropic(mp.clone(), s).unwrap();
    let total: f64 = (0..DRAWS as u64)
        .map(|k| {
            let x = q.sample(&mut NoiseStream::new(5_000_000 + k));
            q.log_density(&x, 0.0).unwrap() - p.log_density(&x, 0.0).unwrap()
        })
        .sum();
    let closed = kl_equal_variance(&mq, &mp, s).unwrap();
    let std = (&mq - &mp).norm() / s;
    assert!((total / DRAWS as f64 - closed).abs() <= mean_bound(std, DRAWS).unwrap());
}

/// I28: L_T for one x_0 is KL(N(sqrt(abar) x_0, (1 - abar) I) || N(0, I)), the general KL of the
/// forward process's end point against the prior; no network enters it.
#[test]
fn i28_prior_term_is_kl_of_forward_end_point() {
    let x0 = DVector::from_vec(vec![0.3, -1.2, 0.8]);
    for abar in [4e-5f64, 1e-3, 0.1, 0.5, 0.9] {
        let q = Gaussian::isotropic(&x0 * abar.sqrt(), (1.0 - abar).sqrt()).unwrap();
        let prior = Gaussian::isotropic(DVector::zeros(3), 1.0).unwrap();
        let general = kl_gaussian(&q, &prior).unwrap();
        let closed = prior_kl(&x0, abar).unwrap();
        assert!(
            rel_diff(closed, general) <= REL_FLOAT * 1e3,
            "abar = {abar}: {closed} vs {general}"
        );
    }
}

/// I28: E[L_T] over one-dimensional Gaussian data N(m, v) against a double integral over x_0 and
/// x_T of p(x_0) q(x_T | x_0) ln(q(x_T | x_0) / N(x_T; 0, 1)).
#[test]
fn i28_prior_term_matches_quadrature() {
    let (m, v) = (0.4f64, 0.3f64);
    for abar in [1e-2f64, 0.2, 0.7] {
        let s = 1.0 - abar;
        let inner = |x0: f64| {
            let mean = abar.sqrt() * x0;
            integrate(
                |xt| {
                    let lq = ln_normal_1d(xt, mean, s);
                    lq.exp() * (lq - ln_normal_1d(xt, 0.0, 1.0))
                },
                mean - TAIL * s.sqrt(),
                mean + TAIL * s.sqrt(),
                PANELS / 4,
            )
        };
        let sd = v.sqrt();
        let numeric = integrate(
            |x0| ln_normal_1d(x0, m, v).exp() * inner(x0),
            m - TAIL * sd,
            m + TAIL * sd,
            PANELS / 4,
        );
        let closed = prior_term(abar, 1, m * m + v).unwrap();
        assert!(
            rel_diff(closed, numeric) <= REL_QUADRATURE,
            "abar = {abar}: {closed} vs {numeric}"
        );
    }
}

/// I28, statistically: the Monte Carlo mean of L_T(x_0) over Gaussian data x_0 ~ N(mu, Sigma)
/// matches E[L_T]; L_T(x_0) = c + abar |x_0|^2 / 2 has variance abar^2 (2 tr Sigma^2 +
/// 4 mu^T Sigma mu) / 4.
#[test]
fn i28_prior_term_monte_carlo() {
    let g = gaussian_with_eigenvalues(&[0.2, 1.0, 0.5], 92);
    let abar = 0.3;
    let total: f64 = (0..DRAWS as u64)
        .map(|k| prior_kl(&g.sample(&mut NoiseStream::new(6_000_000 + k)), abar).unwrap())
        .sum();
    let c = g.covariance();
    let second_moment = g.mean().norm_squared() + c.trace();
    let var_norm = 2.0 * (c * c).trace() + 4.0 * g.mean().dot(&(c * g.mean()));
    let std = 0.5 * abar * var_norm.sqrt();
    let closed = prior_term(abar, 3, second_moment).unwrap();
    assert!((total / DRAWS as f64 - closed).abs() <= mean_bound(std, DRAWS).unwrap());
}

/// I28: the prior term keeps every digit for the tiny abar_T of DDPM's linear schedule
/// (-abar - ln(1 - abar) = sum_{k >= 2} abar^k / k, reference summed in the test).
#[test]
fn i28_prior_term_accurate_for_tiny_abar() {
    let linear = BetaSchedule::linear(
        BetaSchedule::DEFAULT_BETA_1,
        BetaSchedule::DEFAULT_BETA_T,
        BetaSchedule::DEFAULT_T,
    )
    .unwrap();
    let abar_t = *linear.alpha_bars().last().unwrap();
    for abar in [abar_t, 1e-12, 1e-6, 0.01, 0.1] {
        let series: f64 = (2..40).rev().map(|k| abar.powi(k) / k as f64).sum();
        assert!(
            ulp_distance(e_minus_ln_1p(-abar), series) <= ULP_FEW,
            "abar = {abar}"
        );
        let expected = 0.5 * (3.0 * series + abar * 2.0);
        assert!(ulp_distance(prior_term(abar, 3, 2.0).unwrap(), expected) <= ULP_FEW);
    }
    let x0 = normal_vector(3, &mut NoiseStream::new(93));
    assert!(prior_kl(&x0, abar_t).unwrap() > 0.0);
}

/// I28: invalid arguments are errors.
#[test]
fn i28_rejects_bad_input() {
    let a = DVector::from_vec(vec![1.0, 2.0]);
    assert!(kl_equal_variance(&a, &v1(0.0), 1.0).is_err());
    assert!(kl_equal_variance(&a, &a, 0.0).is_err());
    assert!(kl_equal_variance(&a, &a.map(|_| f64::NAN), 1.0).is_err());
    assert!(kl_isotropic(&a, -1.0, &a, 1.0).is_err());
    for abar in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(prior_term(abar, 2, 1.0).is_err(), "abar = {abar}");
    }
    assert!(prior_term(0.5, 0, 1.0).is_err());
    assert!(prior_term(0.5, 2, -1.0).is_err());
    let singular = gaussian_with_eigenvalues(&[0.0, 1.0], 94);
    let regular = gaussian_with_eigenvalues(&[1.0, 1.0], 95);
    assert!(kl_gaussian(&singular, &regular).is_err());
    assert!(kl_gaussian(&regular, &singular).is_err());
}
