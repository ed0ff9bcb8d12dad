//! Property tests of the analytic oracle over the public strategies (feature `proptest`):
//! random schedules, full-rank and singular Gaussians, mixtures, sigma from 1e-8 to 1e4.
#![cfg(feature = "proptest")]

use crate::common::{denoiser_by_solve, linear_part};
use elucidated::analytic::strategies::{
    AnySchedule, gaussian, gaussian_any_dim, mixture, point_near, schedule, schedule_and_times,
    sigma, sigma_in, spd_gaussian,
};
use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::denoiser::Denoiser;
use elucidated::precond::{EdmPrecond, Preconditioner};
use elucidated::schedule::Schedule;
use elucidated::sde::{Coefficients, OdeCoefficients};
use elucidated::tolerance::{
    FIVE_POINT_STEP, REL_FIVE_POINT_DIFFERENCE, REL_FLOAT, REL_LINALG, rel_diff,
};
use elucidated::vlb::{kl_gaussian, kl_isotropic};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

/// Smallest noise level of the finite-difference property: below it the step FIVE_POINT_STEP * t of VP
/// and VE reaches the scale where sigma(t) ~ sqrt(t) is still resolved, but rounding of x/s
/// against tiny null-space components dominates.
const FD_SIGMA_LO: f64 = 1e-6;

fn data_and_point(
    data: impl Strategy<Value = Gaussian>,
) -> impl Strategy<Value = (Gaussian, DVector<f64>)> {
    data.prop_flat_map(|g| {
        let m = g.mean().clone();
        (Just(g), point_near(m, 5.0))
    })
}

/// The largest per-eigenvalue flow factor sqrt((lambda + sigma1^2) / (lambda + sigma0^2)).
fn max_flow_factor(g: &Gaussian, sigma0: f64, sigma1: f64) -> f64 {
    g.eigenvalues()
        .iter()
        .map(|&l| l.sqrt().hypot(sigma1) / l.sqrt().hypot(sigma0))
        .fold(0.0, f64::max)
}

fn sigma_and_scale(s: &AnySchedule, t: f64) -> (f64, f64) {
    (s.sigma_at(t), s.scale_at(t))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// I05: sigma^2 score = D - x for random Gaussians at every sigma in [1e-8, 1e4].
    #[test]
    fn i05_score_denoiser_relation_random_gaussians(
        (g, x) in data_and_point(gaussian_any_dim()),
        s in sigma(),
    ) {
        let d = g.denoise(&x, s).unwrap();
        let lhs = g.score(&x, s).unwrap() * (s * s);
        let scale = x.amax().max(d.amax()).max(lhs.amax());
        prop_assert!((lhs - (&d - &x)).amax() <= REL_FLOAT * scale);
    }

    /// I05 with I31: sigma^2 score = D - x for random mixtures at every sigma in [1e-8, 1e4].
    #[test]
    fn i05_score_denoiser_relation_random_mixtures(
        m in mixture(3, 3),
        offset in prop::collection::vec(-5.0..5.0f64, 3),
        s in sigma(),
    ) {
        let x = m.components()[0].mean() + DVector::from_vec(offset);
        let d = m.denoise(&x, s).unwrap();
        let lhs = m.score(&x, s).unwrap() * (s * s);
        let spread = m.components().iter().map(|c| (c.mean() - &x).amax()).fold(0.0, f64::max);
        let scale = x.amax().max(d.amax()).max(lhs.amax()).max(spread);
        prop_assert!((lhs - (&d - &x)).amax() <= REL_FLOAT * scale);
    }

    /// I30: the eigenbasis denoiser equals the dense matrix formula for random data where the
    /// dense solve is well conditioned (sigma >= 0.05 with eigenvalues <= 100).
    #[test]
    fn i30_denoiser_matches_matrix_formula_random(
        (g, x) in data_and_point(gaussian_any_dim()),
        s in sigma_in(0.05, 1e3),
    ) {
        let ours = g.denoise(&x, s).unwrap();
        let dense = denoiser_by_solve(&g, &x, s);
        prop_assert!((&ours - &dense).amax() <= REL_LINALG * x.amax().max(1.0));
    }

    /// I30: flow(t1 -> t2) o flow(t0 -> t1) = flow(t0 -> t2) for random schedules, times and
    /// data, up to the rounding of the intermediate state amplified by the second map.
    #[test]
    fn i30_flow_composes_random(
        (g, x) in data_and_point(gaussian(3)),
        (sch, t) in schedule_and_times(3),
    ) {
        let (t0, t1, t2) = (t[0], t[1], t[2]);
        prop_assume!(sch.sigma_at(t0) > 0.0);
        let x0 = x * sch.scale_at(t0);
        let mid = g.flow(&sch, &x0, t0, t1).unwrap();
        prop_assume!(sch.sigma_at(t1) > 0.0);
        let composed = g.flow(&sch, &mid, t1, t2).unwrap();
        let direct = g.flow(&sch, &x0, t0, t2).unwrap();
        let ((s1, c1), (s2, c2)) = (sigma_and_scale(&sch, t1), sigma_and_scale(&sch, t2));
        let gain = max_flow_factor(&g, s1, s2) * c2 / c1;
        let mean_part = g.mean().amax() * (c1 + c2);
        let scale = direct.amax() + gain * (mid.amax() + mean_part) + mean_part;
        prop_assert!((&composed - &direct).amax() <= REL_FLOAT * scale,
            "{:?} {t:?}: {} vs scale {scale}", sch, (&composed - &direct).amax());
    }

    /// I30: the flow's linear part carries the marginal covariance at t0 onto the one at t1.
    #[test]
    fn i30_flow_carries_marginal_covariance_random(
        g in gaussian(3),
        (sch, t) in schedule_and_times(2),
    ) {
        prop_assume!(sch.sigma_at(t[0]) > 0.0);
        // The linear part does not depend on the mean; centring the data lets it be read off
        // at the origin without differencing two outputs of the size of the mean.
        let g = Gaussian::from_eigen(
            DVector::zeros(g.dim()),
            g.eigenvectors().clone(),
            g.eigenvalues().clone(),
        )
        .unwrap();
        let (p0, p1) = (g.marginal(&sch, t[0]).unwrap(), g.marginal(&sch, t[1]).unwrap());
        let map = linear_part(|x| g.flow(&sch, x, t[0], t[1]).unwrap(), p0.mean());
        let pushed = &map * p0.covariance() * map.transpose();
        let scale = p1.covariance().amax() + map.amax().powi(2) * p0.covariance().amax();
        prop_assert!((pushed - p1.covariance()).amax() <= REL_LINALG * scale);
    }

    /// I07: the ODE velocity a x - b D(x/s; sigma) equals the time derivative of the exact flow
    /// for random schedules, times and data.
    #[test]
    fn i07_ode_matches_flow_derivative_random(
        (g, x) in data_and_point(gaussian(3)),
        sch in schedule(),
        u in 0.0..=1.0f64,
    ) {
        let hi = 0.5 * sch.sigma_hi();
        let sig = (FD_SIGMA_LO.ln() + u * (hi.ln() - FD_SIGMA_LO.ln())).exp();
        let t = sch.sigma_inv(sig).unwrap();
        let c = Coefficients::at(&sch, t);
        let xt = (x + DVector::from_element(g.dim(), c.sigma)) * c.scale;
        let ode = OdeCoefficients::at(&sch, t);
        let den = g.denoise(&(&xt / c.scale), c.sigma).unwrap();
        let velocity = xt.zip_map(&den, |xi, di| ode.dxdt(xi, di));
        let fd = crate::common::derivative5(|dt| g.flow(&sch, &xt, t, t + dt).unwrap(), FIVE_POINT_STEP * t);
        let scale = (&xt * ode.a).amax() + (&den * ode.b).amax();
        prop_assert!((&velocity - &fd).amax() <= REL_FIVE_POINT_DIFFERENCE * scale,
            "{sch:?} t = {t}: {} vs scale {scale}", (&velocity - &fd).amax());
    }

    /// I03: s^-d p(x/s; sigma) equals the density of the marginal N(s mu, s^2 (Sigma + sigma^2 I))
    /// for random schedules, times and data.
    #[test]
    fn i03_marginal_density_random(
        (g, x) in data_and_point(gaussian(3)),
        (sch, t) in schedule_and_times(1),
    ) {
        let (sig, s) = sigma_and_scale(&sch, t[0]);
        let xt = &x * s;
        let via_i03 = -(g.dim() as f64) * s.ln() + g.log_density(&x, sig).unwrap();
        let marginal = g.marginal(&sch, t[0]).unwrap().log_density(&xt, 0.0).unwrap();
        let quadratic = g.eigenvalues().iter().map(|l| 1.0 / (l + sig * sig)).fold(0.0, f64::max)
            * (&x - g.mean()).norm_squared();
        let scale = via_i03.abs() + quadratic + (g.dim() as f64) * (1.0 + s.ln().abs());
        prop_assert!((via_i03 - marginal).abs() <= REL_FLOAT * scale);
    }

    /// I30: batches are bitwise equal to their samples taken one at a time (denoiser, score).
    #[test]
    fn i30_batch_equals_single_random(
        g in gaussian(3),
        cols in prop::collection::vec(prop::collection::vec(-4.0..4.0f64, 3), 1..5),
        s in sigma(),
    ) {
        let x = DMatrix::from_fn(3, cols.len(), |i, j| cols[j][i]);
        let d: DMatrix<f64> = g.denoise(&x, s).unwrap();
        for (j, c) in cols.iter().enumerate() {
            let col = DVector::from_vec(c.clone());
            prop_assert_eq!(d.column(j).clone_owned(), g.denoise(&col, s).unwrap());
        }
    }

    /// I31: a one-component mixture is bitwise its Gaussian.
    #[test]
    fn i31_single_component_mixture_is_the_gaussian(
        (g, x) in data_and_point(gaussian_any_dim()),
        w in 0.01..10.0f64,
        s in sigma(),
    ) {
        let m = GaussianMixture::new(&[w], vec![g.clone()]).unwrap();
        prop_assert_eq!(m.denoise(&x, s).unwrap(), g.denoise(&x, s).unwrap());
    }

    /// I31: responsibilities are a probability vector and the denoiser is finite and inside the
    /// components' denoisers' convex hull, for random mixtures, far points and any sigma.
    #[test]
    fn i31_responsibilities_are_probabilities(
        m in mixture(2, 4),
        x in prop::collection::vec(-1e3..1e3f64, 2),
        s in sigma(),
    ) {
        let x = DVector::from_vec(x);
        let r = m.responsibilities(&x, s).unwrap();
        prop_assert!(r.iter().all(|&v| (0.0..=1.0).contains(&v)));
        prop_assert!((r.iter().sum::<f64>() - 1.0).abs() <= REL_FLOAT);
        let d = m.denoise(&x, s).unwrap();
        let per: Vec<DVector<f64>> = m.components().iter().map(|c| c.denoise(&x, s).unwrap()).collect();
        for i in 0..2 {
            let lo = per.iter().map(|p| p[i]).fold(f64::INFINITY, f64::min);
            let hi = per.iter().map(|p| p[i]).fold(f64::NEG_INFINITY, f64::max);
            let slack = REL_FLOAT * lo.abs().max(hi.abs()).max(1.0);
            prop_assert!(d[i] >= lo - slack && d[i] <= hi + slack);
        }
    }

    /// I28: the general Gaussian KL is non-negative, zero for identical arguments, and agrees
    /// with the isotropic closed form on isotropic arguments.
    #[test]
    fn i28_kl_properties_random(
        q in spd_gaussian(3),
        p in spd_gaussian(3),
        vq in sigma_in(0.1, 10.0),
        vp in sigma_in(0.1, 10.0),
    ) {
        prop_assert!(kl_gaussian(&q, &p).unwrap() >= 0.0);
        prop_assert!(kl_gaussian(&q, &q).unwrap() <= REL_FLOAT);
        let a = Gaussian::isotropic(q.mean().clone(), vq.sqrt()).unwrap();
        let b = Gaussian::isotropic(p.mean().clone(), vp.sqrt()).unwrap();
        let iso = kl_isotropic(a.mean(), vq, b.mean(), vp).unwrap();
        prop_assert!(rel_diff(kl_gaussian(&a, &b).unwrap(), iso) <= REL_FIVE_POINT_DIFFERENCE);
    }

    /// I22: with F = 0 the expected EDM loss per dimension is 1 for isotropic data of any
    /// sigma_data and any sigma (closed form on the oracle's covariance).
    #[test]
    fn i22_zero_network_unit_loss_random(sd in sigma_in(0.05, 5.0), s in sigma()) {
        let g = Gaussian::isotropic(DVector::zeros(2), sd).unwrap();
        let p = EdmPrecond::new(sd).unwrap();
        let c = p.c_skip(s);
        let cov = g.covariance() * (1.0 - c).powi(2)
            + DMatrix::identity(2, 2) * (c * s).powi(2);
        let loss = p.loss_weight(s) * cov.trace() / 2.0;
        prop_assert!(rel_diff(loss, 1.0) <= REL_FLOAT, "{loss}");
    }
}
