//! The Fréchet distance and sample statistics of `edm evaluate`.

use elucidated::Error;
use elucidated::metrics::{frechet_distance, mean_and_covariance};
use elucidated::tolerance::ABS_EIGEN;
use nalgebra::{DMatrix, DVector};

fn rotation(d: usize, seed: u64) -> DMatrix<f64> {
    let mut s = elucidated::noise::NoiseStream::new(seed);
    let a = DMatrix::from_fn(d, d, |_, _| s.normal());
    a.qr().q()
}

#[test]
fn identical_gaussians_are_at_distance_zero() {
    let q = rotation(6, 1);
    let c = &q
        * DMatrix::from_diagonal(&DVector::from_vec(vec![1e-3, 0.1, 0.5, 1.0, 2.0, 4.0]))
        * q.transpose();
    let mu = DVector::from_vec(vec![0.5, -1.0, 2.0, 0.0, 1.0, 3.0]);
    let fd = frechet_distance(&mu, &c, &mu, &c).unwrap();
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
    let fd = frechet_distance(&v(m1), &d(a), &v(m2), &d(b)).unwrap();
    assert!((fd - exact).abs() <= ABS_EIGEN, "{fd} vs {exact}");
    // Symmetric in its arguments, and invariant under a rotation of both.
    let back = frechet_distance(&v(m2), &d(b), &v(m1), &d(a)).unwrap();
    assert!((back - exact).abs() <= ABS_EIGEN);
    let q = rotation(4, 7);
    let rot = |c: DMatrix<f64>| &q * c * q.transpose();
    let turned = frechet_distance(&(&q * v(m1)), &rot(d(a)), &(&q * v(m2)), &rot(d(b))).unwrap();
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
        frechet_distance(&m2, &c2, &m3, &c3),
        Err(Error::DimensionMismatch { .. })
    ));
    let mut bad = c2.clone();
    bad[(0, 1)] = f64::INFINITY;
    assert!(matches!(
        frechet_distance(&m2, &c2, &m2, &bad),
        Err(Error::NotFinite { .. })
    ));
}
