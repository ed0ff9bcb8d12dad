//! Sample statistics, the Fréchet and Wasserstein-2 distances between Gaussians, and the
//! Kolmogorov–Smirnov distance.

use elucidated::Error;
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::analytic::random_rotation;
use elucidated::metrics::{frechet_distance, ks_distance, mean_and_covariance, wasserstein2};
use elucidated::tolerance::{ABS_EIGEN, REL_FLOAT};
use nalgebra::{DMatrix, DVector};

#[test]
fn identical_gaussians_are_at_distance_zero() {
    let q = random_rotation(6, 1);
    let c = &q
        * DMatrix::from_diagonal(&DVector::from_vec(vec![1e-3, 0.1, 0.5, 1.0, 2.0, 4.0]))
        * q.transpose();
    let mu = DVector::from_vec(vec![0.5, -1.0, 2.0, 0.0, 1.0, 3.0]);
    let fd = frechet_distance((&mu, &c), (&mu, &c)).unwrap();
    assert!(fd.abs() <= ABS_EIGEN, "{fd}");
}

#[test]
fn diagonal_gaussians_match_the_closed_form() {
    let (a, b): ([f64; 4], [f64; 4]) = ([0.3, 1.0, 2.5, 0.0], [1.2, 0.25, 2.5, 0.7]);
    let (m1, m2): ([f64; 4], [f64; 4]) = ([0.0, 1.0, -2.0, 0.5], [1.0, 1.0, 0.0, 0.5]);
    let exact: f64 = (0..4)
        .map(|i| (m1[i] - m2[i]).powi(2) + (a[i].sqrt() - b[i].sqrt()).powi(2))
        .sum();
    let d = |v: [f64; 4]| DMatrix::from_diagonal(&DVector::from_vec(v.to_vec()));
    let v = |v: [f64; 4]| DVector::from_vec(v.to_vec());
    let fd = frechet_distance((&v(m1), &d(a)), (&v(m2), &d(b))).unwrap();
    assert!((fd - exact).abs() <= ABS_EIGEN, "{fd} vs {exact}");
    // Symmetric in its arguments, and invariant under a rotation of both.
    let back = frechet_distance((&v(m2), &d(b)), (&v(m1), &d(a))).unwrap();
    assert!((back - exact).abs() <= ABS_EIGEN);
    let q = random_rotation(4, 7);
    let rot = |c: DMatrix<f64>| &q * c * q.transpose();
    let turned =
        frechet_distance((&(&q * v(m1)), &rot(d(a))), (&(&q * v(m2)), &rot(d(b)))).unwrap();
    assert!((turned - exact).abs() <= ABS_EIGEN, "{turned} vs {exact}");
}

#[test]
fn sample_statistics_are_mean_and_unbiased_covariance() {
    let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 3.0, 6.0, 5.0, 4.0]);
    let (mu, cov) = mean_and_covariance(&x).unwrap();
    assert_eq!(mu, DVector::from_vec(vec![3.0, 4.0]));
    assert_eq!(cov, DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 4.0]));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let one = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
    assert!(matches!(
        mean_and_covariance(&one),
        Err(Error::DimensionMismatch { .. })
    ));
    let nan = DMatrix::from_row_slice(2, 1, &[1.0, f64::NAN]);
    assert!(matches!(
        mean_and_covariance(&nan),
        Err(Error::NotFinite { .. })
    ));
    let (m2, c2) = (DVector::zeros(2), DMatrix::identity(2, 2));
    let (m3, c3) = (DVector::zeros(3), DMatrix::identity(3, 3));
    assert!(matches!(
        frechet_distance((&m2, &c2), (&m3, &c3)),
        Err(Error::DimensionMismatch { .. })
    ));
    let mut bad = c2.clone();
    bad[(0, 1)] = f64::INFINITY;
    assert!(matches!(
        frechet_distance((&m2, &c2), (&m2, &bad)),
        Err(Error::NotFinite { .. })
    ));
}

/// W2 against closed forms: in one dimension sqrt((m1 - m2)^2 + (s1 - s2)^2); for commuting
/// (here diagonal) covariances the same per eigen-direction; zero between equal laws up to the
/// formula's rounding floor, the square root of a rounding error REL_FLOAT of the traces that
/// cancel in it.
#[test]
fn wasserstein2_closed_forms() {
    let one = |v: f64| DVector::from_element(1, v);
    let var = |v: f64| DMatrix::from_element(1, 1, v);
    let w = wasserstein2((&one(1.0), &var(4.0)), (&one(-0.5), &var(0.25))).unwrap();
    let expected = (1.5f64.powi(2) + 1.5f64.powi(2)).sqrt();
    assert!((w - expected).abs() <= REL_FLOAT * expected);
    let (m1, m2) = (
        DVector::from_vec(vec![0.0, 1.0]),
        DVector::from_vec(vec![0.5, 1.0]),
    );
    let c1 = DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 9.0]));
    let c2 = DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 1.0]));
    let w = wasserstein2((&m1, &c1), (&m2, &c2)).unwrap();
    let expected = (0.25f64 + 1.0 + 4.0).sqrt();
    assert!((w - expected).abs() <= REL_FLOAT * expected);
    let data = log_spaced_gaussian(3, 0.1, 2.0, 0.4).unwrap();
    let same = wasserstein2(
        (data.mean(), data.covariance()),
        (data.mean(), data.covariance()),
    )
    .unwrap();
    let trace = 2.0 * data.covariance().trace();
    assert!(same <= (REL_FLOAT * trace).sqrt());
    assert!(wasserstein2((&m1, &c1), (&one(0.0), &var(1.0))).is_err());
}

/// The Fréchet distance is the square of the Wasserstein-2 distance (one formula, two return
/// conventions), on a pair of full covariances.
#[test]
fn frechet_distance_is_wasserstein2_squared() {
    let a = log_spaced_gaussian(5, 1e-3, 2.0, 0.4).unwrap();
    let b = log_spaced_gaussian(5, 0.1, 1.0, -0.2).unwrap();
    let (x, y) = ((a.mean(), a.covariance()), (b.mean(), b.covariance()));
    let (fd, w) = (frechet_distance(x, y).unwrap(), wasserstein2(x, y).unwrap());
    assert!((w * w - fd).abs() <= 2.0 * REL_FLOAT * fd, "{w}^2 vs {fd}");
}

/// sup |F_n - F| at the jumps of F_n: one sample at the median of U(0, 1) is 1/2 from F on
/// both sides; n samples at (i + 1/2)/n are 1/(2n) from F; bad input is an error.
#[test]
fn ks_distance_closed_forms() {
    let uniform = |x: f64| Ok(x.clamp(0.0, 1.0));
    assert_eq!(ks_distance(&[0.5], uniform).unwrap(), 0.5);
    let n = 8;
    let mid: Vec<f64> = (0..n).rev().map(|i| (i as f64 + 0.5) / n as f64).collect();
    let d = ks_distance(&mid, uniform).unwrap();
    assert!((d - 0.5 / n as f64).abs() <= REL_FLOAT, "{d}");
    assert!(matches!(
        ks_distance(&[], uniform),
        Err(Error::CountTooSmall { .. })
    ));
    assert!(matches!(
        ks_distance(&[0.1, f64::NAN], uniform),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        ks_distance(&[0.1], |_| Ok(f64::NAN)),
        Err(Error::NotFinite { .. })
    ));
}
