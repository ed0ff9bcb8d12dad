//! Score, denoiser and probability-flow ODE (I05–I09), checked against the analytic oracle.

use crate::common::{
    assert_close, derivative5, gradient5, log_normal_pdf, mean_std, mixture, normal_vector,
    singular_gaussian, spd_gaussian,
};
use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::schedule::{Edm, Schedule, Ve, Vp, VpScaled};
use elucidated::sde::{Coefficients, OdeCoefficients};
use elucidated::tolerance::{
    FIVE_POINT_STEP, REL_FEW_ROUNDINGS, REL_FIVE_POINT_DIFFERENCE, REL_FLOAT, REL_LINALG,
    mean_bound,
};
use nalgebra::{DMatrix, DVector};

/// Noise levels for checks that finite differences can resolve.
const SIGMAS: [f64; 6] = [1e-2, 0.1, 0.5, 2.0, 10.0, 1e3];

/// Noise levels over the whole range the oracle is accurate on.
const SIGMAS_WIDE: [f64; 7] = [1e-8, 1e-5, 1e-2, 1.0, 10.0, 1e3, 1e4];

/// Monte Carlo draws per statistical test.
const DRAWS: usize = 20_000;

fn length_scale(g: &Gaussian, sigma: f64) -> f64 {
    (g.eigenvalues().min() + sigma * sigma).sqrt()
}

/// The smallest length scale of a mixture's noisy density: its narrowest component's.
fn mixture_length_scale(m: &GaussianMixture, sigma: f64) -> f64 {
    m.components()
        .iter()
        .map(|c| length_scale(c, sigma))
        .fold(f64::INFINITY, f64::min)
}

fn point(g: &Gaussian, stream: &mut NoiseStream, spread: f64) -> DVector<f64> {
    g.mean() + normal_vector(g.dim(), stream) * spread
}

/// I05: the score equals the gradient of ln p(x; sigma) by finite differences, for full-rank and
/// singular Gaussians.
#[test]
fn i05_score_matches_finite_differences_gaussian() {
    let mut s = NoiseStream::new(50);
    for g in [spd_gaussian(51), singular_gaussian(52)] {
        for sigma in SIGMAS {
            let x = point(&g, &mut s, 1.0);
            let score = g.score(&x, sigma).unwrap();
            let fd = gradient5(
                |y| g.log_density(y, sigma).unwrap(),
                &x,
                FIVE_POINT_STEP * length_scale(&g, sigma),
            );
            assert_close(
                &score,
                &fd,
                REL_FIVE_POINT_DIFFERENCE,
                score.amax(),
                "score vs FD",
            );
        }
    }
}

/// I05 for a mixture (I31): the score equals the gradient of its log-density.
#[test]
fn i05_score_matches_finite_differences_mixture() {
    let m = mixture(53);
    let mut s = NoiseStream::new(54);
    for sigma in SIGMAS {
        for _ in 0..3 {
            let x = m.sample(&mut s) + normal_vector(m.dim(), &mut s) * sigma;
            let score = m.score(&x, sigma).unwrap();
            let h = FIVE_POINT_STEP * mixture_length_scale(&m, sigma);
            let fd = gradient5(|y| m.log_density(y, sigma).unwrap(), &x, h);
            assert_close(
                &score,
                &fd,
                REL_FIVE_POINT_DIFFERENCE,
                score.amax(),
                "mixture score vs FD",
            );
        }
    }
}

fn check_score_denoiser_relation<D: Denoiser<DVector<f64>>>(
    score: &DVector<f64>,
    denoiser: &D,
    x: &DVector<f64>,
    sigma: f64,
) {
    let d = denoiser.denoise(x, sigma).unwrap();
    let lhs = score * (sigma * sigma);
    let rhs = &d - x;
    // (D - x) is a difference of two values of size |x|, |D|: its rounding bounds the check.
    let scale = x.amax().max(d.amax()).max(lhs.amax());
    assert_close(&lhs, &rhs, REL_FLOAT, scale, "sigma^2 score vs D - x");
}

/// I05: sigma^2 grad log p(x; sigma) = D(x; sigma) - x, Gaussians and a mixture, sigma from 1e-8
/// to 1e4.
#[test]
fn i05_score_denoiser_relation() {
    let mut s = NoiseStream::new(55);
    for g in [spd_gaussian(56), singular_gaussian(57)] {
        for sigma in SIGMAS_WIDE {
            let x = point(&g, &mut s, 1.0 + sigma);
            check_score_denoiser_relation(&g.score(&x, sigma).unwrap(), &g, &x, sigma);
        }
    }
    let m = mixture(58);
    for sigma in SIGMAS_WIDE {
        let x = m.sample(&mut s) + normal_vector(m.dim(), &mut s) * sigma;
        check_score_denoiser_relation(&m.score(&x, sigma).unwrap(), &m, &x, sigma);
    }
}

/// I05, exactly on Gaussian data: D(x) = mu + K (x - mu) is E[y | y + n = x] iff the residual
/// y - D(y + n) is uncorrelated with x, i.e. Sigma - K (Sigma + sigma^2 I) = 0.
#[test]
fn i05_denoiser_is_conditional_mean_exact() {
    for g in [spd_gaussian(59), singular_gaussian(60)] {
        for sigma in SIGMAS {
            let k = crate::common::linear_part(|x| g.denoise(x, sigma).unwrap(), g.mean());
            let c = g.noisy(sigma).unwrap();
            let residual = g.covariance() - &k * c.covariance();
            let scale = g.covariance().amax() + sigma * sigma;
            assert!(residual.amax() <= REL_LINALG * scale, "sigma = {sigma}");
        }
    }
}

/// I05, statistically: for y ~ data and x = y + n, the residual y - D(x; sigma) has mean zero
/// and is uncorrelated with every coordinate of x (Gaussian data, where E[y | x] is affine).
/// Each mean is checked against the normal-mean bound with its sample standard deviation
/// (central limit theorem, 20 000 draws).
#[test]
fn i05_denoiser_is_conditional_mean_statistical() {
    let g = singular_gaussian(61);
    let d = g.dim();
    for sigma in [0.1, 1.0, 5.0] {
        let mut rows: Vec<Vec<f64>> = vec![Vec::with_capacity(DRAWS); d * (d + 1)];
        for k in 0..DRAWS as u64 {
            let mut stream = NoiseStream::new(1_000_000 + k);
            let y = g.sample(&mut stream);
            let x = &y + normal_vector(d, &mut stream) * sigma;
            let e = &y - g.denoise(&x, sigma).unwrap();
            for i in 0..d {
                rows[i].push(e[i]);
                for j in 0..d {
                    rows[d + i * d + j].push(e[i] * (x[j] - g.mean()[j]));
                }
            }
        }
        for r in &rows {
            let (mean, std) = mean_std(r);
            assert!(
                mean.abs() <= mean_bound(std, DRAWS).unwrap(),
                "sigma = {sigma}: mean {mean}"
            );
        }
    }
}

/// The marginal p_t of x_t = s (y + sigma n) for Gaussian data, computed densely:
/// N(s mu, s^2 (Sigma + sigma^2 I)).
fn marginal_dense(g: &Gaussian, s: f64, sigma: f64) -> (DVector<f64>, DMatrix<f64>) {
    let d = g.dim();
    let c = (g.covariance() + DMatrix::identity(d, d) * (sigma * sigma)) * (s * s);
    (g.mean() * s, c)
}

fn check_scaled_score<S: Schedule>(schedule: &S, times: &[f64]) {
    let g = singular_gaussian(62);
    let mut stream = NoiseStream::new(63);
    for &t in times {
        let c = Coefficients::at(schedule, t);
        let (s, sigma) = (c.scale, c.sigma);
        let x = (point(&g, &mut stream, 1.0) + normal_vector(g.dim(), &mut stream) * sigma) * s;
        let u = &x / s;
        let ours = (g.denoise(&u, sigma).unwrap() - &u) / (s * sigma * sigma);
        let (m, cov) = marginal_dense(&g, s, sigma);
        let exact = -cov.clone().cholesky().unwrap().solve(&(&x - &m));
        assert_close(&ours, &exact, REL_LINALG, exact.amax(), "I06 vs dense");
        let h = FIVE_POINT_STEP * s * length_scale(&g, sigma);
        let fd = gradient5(|y| log_normal_pdf(y, &m, &cov), &x, h);
        assert_close(
            &ours,
            &fd,
            REL_FIVE_POINT_DIFFERENCE,
            exact.amax(),
            "I06 vs FD",
        );
    }
}

/// I06: grad log p_t(x) = (D(x/s; sigma) - x/s) / (s sigma^2), against the dense marginal's score
/// and finite differences of its log-density, for VP, VE, EDM and VP-scaled VE.
#[test]
fn i06_score_of_scaled_marginal() {
    check_scaled_score(&Vp::paper(), &[1e-3, 0.1, 0.5, 1.0]);
    check_scaled_score(&Ve, &[1e-4, 1.0, 100.0, 1e4]);
    check_scaled_score(&Edm, &[0.002, 0.5, 2.0, 80.0]);
    check_scaled_score(&VpScaled::new(Ve), &[1e-4, 1.0, 100.0, 1e4]);
}

/// I06 for a mixture: the score of p_t(x) = s^-d p(x/s; sigma) by finite differences.
#[test]
fn i06_score_of_scaled_marginal_mixture() {
    let m = mixture(64);
    let schedule = Vp::paper();
    let mut stream = NoiseStream::new(65);
    for t in [0.05, 0.3, 0.8] {
        let c = Coefficients::at(&schedule, t);
        let (s, sigma) = (c.scale, c.sigma);
        let x = (m.sample(&mut stream) + normal_vector(m.dim(), &mut stream) * sigma) * s;
        let u = &x / s;
        let ours = (m.denoise(&u, sigma).unwrap() - &u) / (s * sigma * sigma);
        let log_pt =
            |y: &DVector<f64>| -(m.dim() as f64) * s.ln() + m.log_density(&(y / s), sigma).unwrap();
        let fd = gradient5(
            log_pt,
            &x,
            FIVE_POINT_STEP * s * mixture_length_scale(&m, sigma),
        );
        assert_close(
            &ours,
            &fd,
            REL_FIVE_POINT_DIFFERENCE,
            ours.amax(),
            "mixture I06 vs FD",
        );
    }
}

fn check_ode_matches_flow<S: Schedule>(schedule: &S, times: &[f64]) {
    let g = singular_gaussian(66);
    let mut stream = NoiseStream::new(67);
    for &t in times {
        let c = Coefficients::at(schedule, t);
        let x =
            (point(&g, &mut stream, 1.0) + normal_vector(g.dim(), &mut stream) * c.sigma) * c.scale;
        let ode = OdeCoefficients::at(schedule, t);
        let denoised = g.denoise(&(&x / c.scale), c.sigma).unwrap();
        let velocity = x.zip_map(&denoised, |xi, di| ode.dxdt(xi, di));
        let h = FIVE_POINT_STEP * t;
        let fd = derivative5(|dt| g.flow(schedule, &x, t, t + dt).unwrap(), h);
        assert_close(
            &velocity,
            &fd,
            REL_FIVE_POINT_DIFFERENCE,
            fd.amax(),
            "dx/dt vs d/dt flow",
        );
        // The same velocity as f x - g^2/2 grad log p_t(x) (I07 with I02 and I06).
        let score = (&denoised - &x / c.scale) / (c.scale * c.sigma * c.sigma);
        let drift = &x * c.f - score * (0.5 * c.g * c.g);
        let scale = (&x * ode.a).amax() + (&denoised * ode.b).amax();
        assert_close(
            &velocity,
            &drift,
            REL_FLOAT,
            scale,
            "a x - b D vs f x - g^2/2 score",
        );
    }
}

/// I07: the PF-ODE velocity (sigma'/sigma + s'/s) x - (sigma' s / sigma) D(x/s; sigma) equals the
/// time derivative (fourth-order finite differences) of the exact Gaussian flow (I30), and
/// f x - g^2/2 grad log p_t(x), for VP.
#[test]
fn i07_ode_matches_exact_flow_vp() {
    check_ode_matches_flow(&Vp::paper(), &[0.01, 0.2, 0.5, 0.9]);
    check_ode_matches_flow(&Vp::new(5.0, 1.0).unwrap(), &[0.05, 0.5, 0.9]);
}

/// I07 for VE (see `i07_ode_matches_exact_flow_vp`).
#[test]
fn i07_ode_matches_exact_flow_ve() {
    check_ode_matches_flow(&Ve, &[1e-4, 0.01, 1.0, 100.0, 1e4]);
}

/// I07 for EDM (see `i07_ode_matches_exact_flow_vp`).
#[test]
fn i07_ode_matches_exact_flow_edm() {
    check_ode_matches_flow(&Edm, &[0.002, 0.1, 1.0, 80.0]);
}

/// I07 for VE's sigma with the VP scaling (see `i07_ode_matches_exact_flow_vp`).
#[test]
fn i07_ode_matches_exact_flow_vp_scaled_ve() {
    check_ode_matches_flow(&VpScaled::new(Ve), &[1e-4, 0.01, 1.0, 100.0, 1e4]);
}

fn check_euler_to_zero<D: Denoiser<DVector<f64>>>(denoiser: &D, x: &DVector<f64>, t: f64) {
    let ode = OdeCoefficients::at(&Edm, t);
    assert_eq!((ode.a, ode.b), (1.0 / t, 1.0 / t), "EDM a = b = 1/t");
    let d = denoiser.denoise(x, t).unwrap();
    let slope = x.zip_map(&d, |xi, di| ode.dxdt(xi, di));
    let expected = (x - &d) / t;
    let magnitude = x.amax().max(d.amax());
    assert_close(
        &slope,
        &expected,
        REL_FEW_ROUNDINGS,
        magnitude / t,
        "dx/dt = (x - D)/t",
    );
    let stepped = x + &slope * (0.0 - t);
    assert_close(
        &stepped,
        &d,
        REL_FEW_ROUNDINGS,
        magnitude,
        "Euler step to 0 = D(x; t)",
    );
}

/// I08: with s = 1, sigma = t the ODE is dx/dt = (x - D(x; t)) / t and one Euler step from t to 0
/// lands on D(x; t) (up to the rounding of x - t (x - D)/t).
#[test]
fn i08_edm_ode_and_euler_step_to_zero() {
    let (g, m) = (singular_gaussian(68), mixture(69));
    let mut stream = NoiseStream::new(70);
    for t in [0.002, 0.1, 1.0, 10.0, 80.0] {
        let x = point(&g, &mut stream, 1.0 + t);
        check_euler_to_zero(&g, &x, t);
        let y = m.sample(&mut stream) + normal_vector(m.dim(), &mut stream) * t;
        check_euler_to_zero(&m, &y, t);
    }
}

/// ln N(x; mu, C) without its normalising constant, by a dense Cholesky solve.
fn unnormalised_log_gaussian(x: &DVector<f64>, g: &Gaussian, sigma: f64) -> f64 {
    let d = g.dim();
    let c = g.covariance() + DMatrix::identity(d, d) * (sigma * sigma);
    let r = x - g.mean();
    -0.5 * r.dot(&c.cholesky().unwrap().solve(&r))
}

/// I09: the score does not depend on the normalising constant: the gradient of ln p + c (p
/// scaled by e^c) and of the unnormalised Gaussian exponent both equal the score.
#[test]
fn i09_score_independent_of_normalisation() {
    let g = spd_gaussian(71);
    let mut stream = NoiseStream::new(72);
    for sigma in [0.1, 1.0, 10.0] {
        let x = point(&g, &mut stream, 1.0);
        let score = g.score(&x, sigma).unwrap();
        let h = FIVE_POINT_STEP * length_scale(&g, sigma);
        for c in [7f64.ln(), -50.0] {
            let fd = gradient5(|y| g.log_density(y, sigma).unwrap() + c, &x, h);
            assert_close(
                &score,
                &fd,
                REL_FIVE_POINT_DIFFERENCE,
                score.amax(),
                "ln p + c",
            );
        }
        let fd = gradient5(|y| unnormalised_log_gaussian(y, &g, sigma), &x, h);
        assert_close(
            &score,
            &fd,
            REL_FIVE_POINT_DIFFERENCE,
            score.amax(),
            "unnormalised",
        );
    }
}

/// I09 for mixtures: weights given up to a common factor (an unnormalised density) give the same
/// score and denoiser.
#[test]
fn i09_mixture_score_independent_of_weight_scale() {
    let m = mixture(73);
    let scaled = GaussianMixture::new(
        &m.weights().iter().map(|w| w * 1e6).collect::<Vec<_>>(),
        m.components().to_vec(),
    )
    .unwrap();
    let mut stream = NoiseStream::new(74);
    for sigma in [0.01, 0.5, 3.0] {
        let x = m.sample(&mut stream) + normal_vector(m.dim(), &mut stream) * sigma;
        let (a, b) = (
            m.score(&x, sigma).unwrap(),
            scaled.score(&x, sigma).unwrap(),
        );
        assert_close(&a, &b, REL_FLOAT, a.amax(), "score");
        let (a, b) = (
            m.denoise(&x, sigma).unwrap(),
            scaled.denoise(&x, sigma).unwrap(),
        );
        assert_close(&a, &b, REL_FLOAT, a.amax(), "denoiser");
    }
}
