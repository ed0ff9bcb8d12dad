//! The Gaussian oracle (I03, I30): marginals, denoiser, flow and sampling against independent
//! references.

use crate::common::{
    assert_close, chi_square_interval, denoiser_by_solve, linear_part, log_normal_pdf,
    mahalanobis_sum, normal_vector, rel_err, singular_gaussian, spd_gaussian,
};
use elucidated::analytic::{Gaussian, random_rotation};
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::schedule::{Edm, Schedule, Ve, Vp, VpScaled};
use elucidated::sde::Coefficients;
use elucidated::tolerance::{REL_FLOAT, REL_LINALG, ULP_FEW, ulp_distance};
use elucidated::{Error, analytic::MAX_SIGMA};
use nalgebra::{DMatrix, DVector};

/// I30: the eigenbasis denoiser equals mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu) computed by
/// a dense solve, for full-rank and rank-deficient Sigma.
#[test]
fn i30_denoiser_matches_matrix_formula() {
    let mut s = NoiseStream::new(1);
    for g in [spd_gaussian(3), singular_gaussian(4)] {
        for sigma in [1e-3, 0.1, 1.0, 7.0, 100.0] {
            let x = g.mean() + normal_vector(g.dim(), &mut s) * 2.0;
            let d = g.denoise(&x, sigma).unwrap();
            let reference = denoiser_by_solve(&g, &x, sigma);
            assert!(
                rel_err(&d, &reference, 1.0) <= REL_LINALG,
                "sigma = {sigma}"
            );
        }
    }
}

fn check_identity_and_composition<S: Schedule>(schedule: &S, [t0, t1, t2]: [f64; 3]) {
    let g = singular_gaussian(5);
    let x = DVector::from_vec(vec![0.3, -1.0, 2.0, 0.5]);
    let flow = |a, b, x: &DVector<f64>| g.flow(schedule, x, a, b).unwrap();
    assert_eq!(flow(t1, t1, &x), x);
    let direct = flow(t0, t2, &x);
    let composed = flow(t1, t2, &flow(t0, t1, &x));
    assert!(rel_err(&composed, &direct, 1.0) <= REL_FLOAT);
}

/// I30: the exact flow is the identity from a time to itself and composes:
/// flow(t1 -> t2) o flow(t0 -> t1) = flow(t0 -> t2), for VP, VE, EDM and VP-scaled VE.
#[test]
fn i30_flow_identity_and_composition() {
    check_identity_and_composition(&Vp::paper(), [0.9, 0.3, 0.01]);
    check_identity_and_composition(&Ve, [400.0, 2.0, 1e-4]);
    check_identity_and_composition(&Edm, [80.0, 1.0, 0.002]);
    check_identity_and_composition(&VpScaled::new(Ve), [400.0, 2.0, 1e-4]);
}

/// I30: a batch (columns) gives bitwise the results of its samples taken one at a time, for
/// sampling, the denoiser and the flow.
#[test]
fn i30_batch_equals_single_bitwise() {
    let g = spd_gaussian(6);
    let seeds = [11u64, 12, 13];
    let batch = g.sample_batch(&mut NoiseStream::for_seeds(&seeds));
    for (j, &seed) in seeds.iter().enumerate() {
        assert_eq!(batch.column(j), g.sample(&mut NoiseStream::new(seed)));
    }
    let d: DMatrix<f64> = g.denoise(&batch, 0.7).unwrap();
    let f: DMatrix<f64> = g.flow(&Vp::paper(), &batch, 0.5, 0.1).unwrap();
    for j in 0..seeds.len() {
        let col: DVector<f64> = batch.column(j).into();
        assert_eq!(d.column(j), g.denoise(&col, 0.7).unwrap());
        assert_eq!(f.column(j), g.flow(&Vp::paper(), &col, 0.5, 0.1).unwrap());
    }
}

/// Isotropic data: D(x; sigma) = mu + std^2 / (std^2 + sigma^2) (x - mu) (I30).
#[test]
fn i30_isotropic_denoiser() {
    let g = Gaussian::isotropic(DVector::from_vec(vec![1.0, 2.0]), 0.5).unwrap();
    let x = DVector::from_vec(vec![3.0, -1.0]);
    let d = g.denoise(&x, 1.5).unwrap();
    let k = 0.25 / (0.25 + 2.25);
    let expected = g.mean() + (&x - g.mean()) * k;
    assert!(rel_err(&d, &expected, 1.0) <= REL_FLOAT);
}

/// Draws per statistical test (each a d-dimensional sample).
const DRAWS: usize = 5_000;

/// N(s mu, s^2 (Sigma + sigma^2 I)) formed densely from the data's covariance (I01).
fn dense_marginal(g: &Gaussian, s: f64, sigma: f64) -> (DVector<f64>, DMatrix<f64>) {
    let d = g.dim();
    (
        g.mean() * s,
        (g.covariance() + DMatrix::identity(d, d) * (sigma * sigma)) * (s * s),
    )
}

/// Draws of x_t = s(t) (y + sigma(t) n) (I01), one stream per draw.
fn forward_draws<S: Schedule>(g: &Gaussian, schedule: &S, t: f64, seed: u64) -> DMatrix<f64> {
    let c = Coefficients::at(schedule, t);
    let cols: Vec<DVector<f64>> = (0..DRAWS as u64)
        .map(|k| {
            let mut stream = NoiseStream::new(seed + k);
            let y = g.sample(&mut stream);
            (y + normal_vector(g.dim(), &mut stream) * c.sigma) * c.scale
        })
        .collect();
    DMatrix::from_columns(&cols)
}

fn check_marginal_density<S: Schedule>(schedule: &S, times: &[f64]) {
    let g = singular_gaussian(20);
    let mut stream = NoiseStream::new(21);
    for &t in times {
        let c = Coefficients::at(schedule, t);
        let (m, cov) = dense_marginal(&g, c.scale, c.sigma);
        let x = &m + normal_vector(g.dim(), &mut stream) * (c.scale * (1.0 + c.sigma));
        let via_i03 =
            -(g.dim() as f64) * c.scale.ln() + g.log_density(&(&x / c.scale), c.sigma).unwrap();
        let dense = log_normal_pdf(&x, &m, &cov);
        assert!(
            (via_i03 - dense).abs() <= REL_LINALG * dense.abs().max(1.0),
            "t = {t}: {via_i03} vs {dense}"
        );
        let marginal = g
            .marginal(schedule, t)
            .unwrap()
            .log_density(&x, 0.0)
            .unwrap();
        assert!((marginal - dense).abs() <= REL_LINALG * dense.abs().max(1.0));
    }
}

/// I03, exactly: s^-d p(x/s; sigma) equals the density of N(s mu, s^2 (Sigma + sigma^2 I)), the
/// law of x_t = s (y + sigma n), computed by a dense Cholesky factorisation; singular data, for
/// VP, VE, EDM and VP-scaled VE.
#[test]
fn i03_marginal_density_exact() {
    check_marginal_density(&Vp::paper(), &[1e-3, 0.2, 1.0]);
    check_marginal_density(&Ve, &[1e-4, 1.0, 1e4]);
    check_marginal_density(&Edm, &[0.002, 1.0, 80.0]);
    check_marginal_density(&VpScaled::new(Ve), &[1e-4, 1.0, 1e4]);
}

/// I03, statistically: draws of x_t = s (y + sigma n) have, under p_t = s^-d p(x/s; sigma), a
/// summed squared Mahalanobis distance inside the chi-square(draws * d) interval.
#[test]
fn i03_marginal_statistical() {
    let g = singular_gaussian(22);
    let (lo, hi) = chi_square_interval(DRAWS * g.dim());
    for (t, seed) in [(0.05, 10_000_000), (0.5, 20_000_000), (1.0, 30_000_000)] {
        let schedule = Vp::paper();
        let x = forward_draws(&g, &schedule, t, seed);
        let p_t = g.marginal(&schedule, t).unwrap();
        let stat = mahalanobis_sum(&x, p_t.mean(), p_t.covariance());
        assert!(
            lo <= stat && stat <= hi,
            "t = {t}: {stat} not in [{lo}, {hi}]"
        );
    }
}

/// I30: the per-eigenvalue factor lambda / (lambda + sigma^2) keeps every digit from sigma = 1e-8
/// to 1e4 and for lambda = 0 (diagonal data, where the eigenbasis is exact).
#[test]
fn i30_denoiser_accurate_across_sigma_range() {
    let lambdas = [0.0, 1e-6, 1.0, 1e4];
    let mu = DVector::from_vec(vec![1.0, -2.0, 0.5, 3.0]);
    let g = Gaussian::from_eigen(
        mu.clone(),
        DMatrix::identity(4, 4),
        DVector::from_vec(lambdas.to_vec()),
    )
    .unwrap();
    let x = DVector::from_vec(vec![2.0, 5.0, -1.0, 1e3]);
    for sigma in [0.0, 1e-8, 1e-4, 1.0, 1e4, 1e8] {
        let d = g.denoise(&x, sigma).unwrap();
        for k in 0..4 {
            let l = lambdas[k];
            let factor = if l == 0.0 {
                0.0
            } else {
                l / (l + sigma * sigma)
            };
            let expected = mu[k] + factor * (x[k] - mu[k]);
            assert!(
                ulp_distance(d[k], expected) <= ULP_FEW,
                "sigma {sigma}, k {k}"
            );
        }
    }
}

/// I30: a rotated copy of the diagonal data gives the rotated denoiser to float64 rounding at
/// every sigma from 1e-8 to 1e4, including the exactly-zero eigenvalue.
#[test]
fn i30_rotated_denoiser_accurate_across_sigma_range() {
    let lambdas = DVector::from_vec(vec![0.0, 1e-6, 1.0, 1e4]);
    let q = random_rotation(4, 23);
    let diag =
        Gaussian::from_eigen(DVector::zeros(4), DMatrix::identity(4, 4), lambdas.clone()).unwrap();
    let rotated = Gaussian::from_eigen(DVector::zeros(4), q.clone(), lambdas).unwrap();
    let x = DVector::from_vec(vec![2.0, 5.0, -1.0, 30.0]);
    for sigma in [1e-8, 1e-4, 1.0, 1e4] {
        let expected = &q * diag.denoise(&x, sigma).unwrap();
        let ours = rotated.denoise(&(&q * &x), sigma).unwrap();
        assert_close(&ours, &expected, REL_FLOAT, x.amax(), "rotated denoiser");
    }
}

/// I30: for rank-deficient Sigma the denoiser maps onto the data's affine subspace at every
/// sigma (the factor is exactly 0 on the null space) and tends to the orthogonal projection as
/// sigma -> 0.
#[test]
fn i30_singular_denoiser_lands_on_subspace() {
    let g = singular_gaussian(24);
    let q = g.eigenvectors();
    let null: Vec<usize> = (0..g.dim())
        .filter(|&k| g.eigenvalues()[k] == 0.0)
        .collect();
    assert_eq!(null.len(), 2);
    let x = g.mean() + normal_vector(g.dim(), &mut NoiseStream::new(25)) * 3.0;
    let projection = {
        let z = q.transpose() * (&x - g.mean());
        let kept = z.map_with_location(|k, _, v| if null.contains(&k) { 0.0 } else { v });
        g.mean() + q * kept
    };
    for sigma in [1e-8, 1e-3, 1.0, 1e4] {
        let d = g.denoise(&x, sigma).unwrap();
        let z = q.transpose() * (&d - g.mean());
        for &k in &null {
            assert!(
                z[k].abs() <= REL_FLOAT * x.amax(),
                "sigma {sigma}: off-subspace {}",
                z[k]
            );
        }
    }
    let d = g.denoise(&x, 1e-8).unwrap();
    assert_close(
        &d,
        &projection,
        REL_FLOAT,
        x.amax(),
        "D -> projection as sigma -> 0",
    );
}

/// I30: log p(x; sigma) equals the dense Cholesky log-density of N(mu, Sigma + sigma^2 I).
#[test]
fn i30_log_density_matches_cholesky() {
    let mut stream = NoiseStream::new(26);
    for g in [spd_gaussian(27), singular_gaussian(28)] {
        for sigma in [1e-3, 0.1, 1.0, 100.0] {
            let x = g.mean() + normal_vector(g.dim(), &mut stream);
            let c = g.covariance() + DMatrix::identity(g.dim(), g.dim()) * (sigma * sigma);
            let dense = log_normal_pdf(&x, g.mean(), &c);
            let ours = g.log_density(&x, sigma).unwrap();
            assert!(
                (ours - dense).abs() <= REL_LINALG * dense.abs().max(1.0),
                "sigma {sigma}"
            );
        }
    }
}

/// The linear part of the flow's affine map x(t0) -> x(t1) must carry Cov x(t0) onto Cov x(t1).
fn check_flow_covariance<S: Schedule>(schedule: &S, t0: f64, t1: f64) {
    let g = singular_gaussian(29);
    let (c0, c1) = (
        Coefficients::at(schedule, t0),
        Coefficients::at(schedule, t1),
    );
    let (m0, cov0) = dense_marginal(&g, c0.scale, c0.sigma);
    let (_, cov1) = dense_marginal(&g, c1.scale, c1.sigma);
    let map = linear_part(|x| g.flow(schedule, x, t0, t1).unwrap(), &m0);
    let pushed = &map * cov0 * map.transpose();
    let err = (&pushed - &cov1).amax();
    assert!(err <= REL_LINALG * cov1.amax(), "{t0} -> {t1}: {err}");
}

/// I30, exactly: the flow maps the marginal N(s0 mu, s0^2 (Sigma + sigma0^2 I)) onto
/// N(s1 mu, s1^2 (Sigma + sigma1^2 I)): its linear part M satisfies M C0 M^T = C1, forwards and
/// backwards in time, singular data, for VP, VE, EDM and VP-scaled VE.
#[test]
fn i30_flow_maps_marginals_exactly() {
    for (t0, t1) in [(1.0, 0.01), (0.01, 0.7)] {
        check_flow_covariance(&Vp::paper(), t0, t1);
    }
    for (t0, t1) in [(1e4, 1e-4), (0.1, 100.0)] {
        check_flow_covariance(&Ve, t0, t1);
        check_flow_covariance(&VpScaled::new(Ve), t0, t1);
    }
    for (t0, t1) in [(80.0, 0.002), (0.5, 3.0)] {
        check_flow_covariance(&Edm, t0, t1);
    }
}

/// I30, statistically: draws from p_t0 (I01) carried by the flow to t1 pass the chi-square test
/// against p_t1.
#[test]
fn i30_flow_maps_marginals_statistical() {
    let g = singular_gaussian(30);
    let (lo, hi) = chi_square_interval(DRAWS * g.dim());
    let schedule = Vp::paper();
    for (t0, t1, seed) in [(1.0, 0.05, 40_000_000), (0.02, 0.6, 50_000_000)] {
        let x0 = forward_draws(&g, &schedule, t0, seed);
        let x1 = g.flow(&schedule, &x0, t0, t1).unwrap();
        let p1 = g.marginal(&schedule, t1).unwrap();
        let stat = mahalanobis_sum(&x1, p1.mean(), p1.covariance());
        assert!(
            lo <= stat && stat <= hi,
            "{t0} -> {t1}: {stat} not in [{lo}, {hi}]"
        );
    }
}

/// I30: the flow down to sigma = 0 puts singular data exactly back on its subspace, distributed
/// as the data (chi-square test in the whitened coordinates of the non-zero eigenvalues).
#[test]
fn i30_flow_to_zero_recovers_the_data() {
    let g = singular_gaussian(31);
    let q = g.eigenvectors();
    let range: Vec<usize> = (0..g.dim()).filter(|&k| g.eigenvalues()[k] > 0.0).collect();
    let x0 = forward_draws(&g, &Edm, 80.0, 60_000_000);
    let y = g.flow(&Edm, &x0, 80.0, 0.0).unwrap();
    let mut stat = 0.0;
    for col in y.column_iter() {
        let z = q.transpose() * (col - g.mean());
        for k in 0..g.dim() {
            if range.contains(&k) {
                stat += z[k] * z[k] / g.eigenvalues()[k];
            } else {
                assert!(
                    z[k].abs() <= REL_FLOAT * col.amax(),
                    "off the subspace: {}",
                    z[k]
                );
            }
        }
    }
    let (lo, hi) = chi_square_interval(DRAWS * range.len());
    assert!(lo <= stat && stat <= hi, "{stat} not in [{lo}, {hi}]");
}

/// I30: draws of full-rank data pass the chi-square test against N(mu, Sigma); draws of singular
/// data lie on the subspace.
#[test]
fn i30_sampling_statistics() {
    let g = spd_gaussian(32);
    let seeds: Vec<u64> = (70_000_000..70_000_000 + DRAWS as u64).collect();
    let y = g.sample_batch(&mut NoiseStream::for_seeds(&seeds));
    let stat = mahalanobis_sum(&y, g.mean(), g.covariance());
    let (lo, hi) = chi_square_interval(DRAWS * g.dim());
    assert!(lo <= stat && stat <= hi, "{stat} not in [{lo}, {hi}]");
    let h = singular_gaussian(33);
    for col in h
        .sample_batch(&mut NoiseStream::for_seeds(&seeds[..100]))
        .column_iter()
    {
        let z = h.eigenvectors().transpose() * (col - h.mean());
        for k in (0..h.dim()).filter(|&k| h.eigenvalues()[k] == 0.0) {
            assert!(
                z[k].abs() <= REL_FLOAT * col.amax(),
                "off the subspace: {}",
                z[k]
            );
        }
    }
}

/// I30: a covariance A A^T of rank 2 in 4 dimensions, decomposed by the constructor, gets exactly
/// two zero eigenvalues, and its denoiser agrees with the matrix formula.
#[test]
fn i30_rank_deficient_covariance_from_a_factor() {
    let a = DMatrix::from_fn(4, 2, |i, j| ((i + 2 * j) as f64 * 0.7).cos());
    let g = Gaussian::new(
        DVector::from_vec(vec![1.0, 0.0, -1.0, 2.0]),
        &a * a.transpose(),
    )
    .unwrap();
    assert_eq!(g.rank(), 2);
    let x = DVector::from_vec(vec![0.5, 1.5, -2.0, 0.0]);
    let d = g.denoise(&x, 0.3).unwrap();
    assert!(rel_err(&d, &denoiser_by_solve(&g, &x, 0.3), 1.0) <= REL_LINALG);
}

/// I30: invalid data and arguments are typed errors, never NaN.
#[test]
fn i30_rejects_bad_input() {
    let m = DVector::from_vec(vec![0.0, 0.0]);
    let bad = |c: DMatrix<f64>| Gaussian::new(m.clone(), c).unwrap_err();
    let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.4, 1.0]);
    assert!(matches!(bad(asym), Error::NotPositiveSemiDefinite { .. }));
    let indefinite = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    assert!(matches!(
        bad(indefinite),
        Error::NotPositiveSemiDefinite { .. }
    ));
    let nan = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, f64::NAN, 1.0]);
    assert!(matches!(bad(nan), Error::NotFinite { .. }));
    assert!(matches!(
        bad(DMatrix::identity(3, 3)),
        Error::DimensionMismatch { .. }
    ));
    let huge = DMatrix::from_diagonal_element(2, 2, MAX_SIGMA * MAX_SIGMA * 4.0);
    assert!(matches!(bad(huge), Error::OutOfRange { .. }));
    assert!(Gaussian::new(DVector::zeros(0), DMatrix::zeros(0, 0)).is_err());
    let skew = DMatrix::from_row_slice(2, 2, &[1.0, 0.1, 0.0, 1.0]);
    assert!(Gaussian::from_eigen(m.clone(), skew, DVector::from_element(2, 1.0)).is_err());
    let neg = DVector::from_vec(vec![1.0, -1e-3]);
    assert!(Gaussian::from_eigen(m.clone(), DMatrix::identity(2, 2), neg).is_err());
    assert!(Gaussian::isotropic(m.clone(), -1.0).is_err());

    let g = singular_gaussian(34);
    let x = g.mean().clone();
    for sigma in [-1.0, f64::NAN, f64::INFINITY, MAX_SIGMA * 2.0] {
        assert!(g.denoise(&x, sigma).is_err(), "sigma = {sigma}");
    }
    assert!(g.denoise(&DVector::zeros(3), 1.0).is_err());
    assert!(g.denoise(&x.map(|_| f64::NAN), 1.0).is_err());
    assert!(
        g.score(&x, 0.0).is_err(),
        "score of singular data at sigma = 0"
    );
    assert!(g.log_density(&x, 0.0).is_err());
    assert!(
        g.flow(&Edm, &x, 0.0, 1.0).is_err(),
        "flow out of sigma = 0, singular"
    );
    assert!(
        g.flow(&Vp::paper(), &x, 0.5, 1.5).is_err(),
        "t outside [0, 1]"
    );
    assert!(g.flow(&Edm, &x, -1.0, 1.0).is_err());
}
