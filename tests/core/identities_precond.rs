//! Preconditioning and training identities (I17–I20, I22) on Gaussian data with known moments.

use crate::common::{gaussian_with_eigenvalues, mean_std, normal_vector};
use elucidated::analytic::Gaussian;
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::precond::{
    EdmPrecond, IddpmPrecond, PrecondKind, Preconditioner, VePrecond, VpPrecond,
};
use elucidated::schedule::IddpmTable;
use elucidated::tolerance::{REL_FLOAT, mean_bound, rel_diff, variance_ratio_interval};
use nalgebra::{DMatrix, DVector};

/// Per-dimension data standard deviation of the test data (the paper's 0.5).
const SIGMA_DATA: f64 = 0.5;

/// Noise levels from far below to far above sigma_data.
const SIGMAS: [f64; 8] = [1e-4, 0.002, 0.1, 0.5, 1.0, 10.0, 80.0, 1e4];

/// Monte Carlo draws per statistical test.
const DRAWS: usize = 20_000;

/// Relative change of a coefficient used to show that only the stated value works ("iff").
const PERTURBATION: f64 = 1e-3;

/// Zero-mean data with average per-dimension variance SIGMA_DATA^2 but unequal eigenvalues.
fn anisotropic_data() -> Gaussian {
    let v = SIGMA_DATA * SIGMA_DATA;
    let g = gaussian_with_eigenvalues(&[0.4 * v, 1.6 * v, v, v], 80);
    Gaussian::from_eigen(
        DVector::zeros(4),
        g.eigenvectors().clone(),
        g.eigenvalues().clone(),
    )
    .unwrap()
}

/// Zero-mean isotropic data N(0, SIGMA_DATA^2 I) in 4 dimensions.
fn isotropic_data() -> Gaussian {
    Gaussian::isotropic(DVector::zeros(4), SIGMA_DATA).unwrap()
}

/// Average per-dimension variance tr(C) / d.
fn mean_variance(c: &DMatrix<f64>) -> f64 {
    c.trace() / c.nrows() as f64
}

fn all_preconditioners() -> Vec<PrecondKind> {
    vec![
        PrecondKind::Edm(EdmPrecond::new(SIGMA_DATA).unwrap()),
        PrecondKind::Vp(VpPrecond::paper()),
        PrecondKind::Ve(VePrecond),
        PrecondKind::Iddpm(IddpmPrecond::new(IddpmTable::paper())),
    ]
}

/// I17, exactly: the per-dimension variance of c_in (y + n) is c_in^2 tr(Sigma + sigma^2 I)/d,
/// which is 1 at c_in = 1/sqrt(sigma^2 + sigma_data^2) and not 1 for c_in perturbed either way.
#[test]
fn i17_unit_input_variance_exact() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let g = anisotropic_data();
    for sigma in SIGMAS {
        let v = mean_variance(g.noisy(sigma).unwrap().covariance());
        let c_in = p.c_in(sigma);
        assert!(
            rel_diff(c_in * c_in * v, 1.0) <= REL_FLOAT,
            "sigma = {sigma}"
        );
        for f in [1.0 - PERTURBATION, 1.0 + PERTURBATION] {
            let c = c_in * f;
            assert!((c * c * v - 1.0).abs() > PERTURBATION, "only c_in gives 1");
        }
    }
}

/// I17, statistically: the sample variance of c_in (y + n) on isotropic data is consistent with 1
/// (chi-square interval at the false-alarm rate).
#[test]
fn i17_unit_input_variance_statistical() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let g = isotropic_data();
    let (lo, hi) = variance_ratio_interval(DRAWS).unwrap();
    for sigma in [0.002, 0.5, 80.0] {
        let values: Vec<f64> = (0..DRAWS as u64)
            .map(|k| {
                let mut s = NoiseStream::new(2_000_000 + k);
                let y = g.sample(&mut s);
                p.c_in(sigma) * (y[0] + sigma * s.normal())
            })
            .collect();
        let (_, std) = mean_std(&values);
        let ratio = std * std;
        assert!(
            lo <= ratio && ratio <= hi,
            "sigma = {sigma}: {ratio} not in [{lo}, {hi}]"
        );
    }
}

/// The covariance of F_target = (y - c_skip (y + n)) / c_out:
/// ((1 - c_skip)^2 Sigma + c_skip^2 sigma^2 I) / c_out^2 (zero-mean data).
fn target_covariance(g: &Gaussian, sigma: f64, c_skip: f64, c_out: f64) -> DMatrix<f64> {
    let d = g.dim();
    let a = 1.0 - c_skip;
    (g.covariance() * (a * a) + DMatrix::identity(d, d) * (c_skip * c_skip * sigma * sigma))
        / (c_out * c_out)
}

/// I18, exactly: F_target has unit per-dimension variance for every preconditioning of Table 1
/// (each satisfies c_out^2 = (1 - c_skip)^2 sigma_data^2 + c_skip^2 sigma^2), for any c_skip with
/// c_out from that formula, and for no other c_out.
#[test]
fn i18_unit_target_variance_exact() {
    let g = anisotropic_data();
    for sigma in SIGMAS {
        for p in all_preconditioners() {
            let (cs, co) = (p.c_skip(sigma), p.c_out(sigma));
            let v = mean_variance(&target_covariance(&g, sigma, cs, co));
            assert!(
                rel_diff(v, 1.0) <= REL_FLOAT,
                "{p:?} at sigma = {sigma}: {v}"
            );
        }
        for c_skip in [0.0f64, 0.3, 0.9, 1.0] {
            let c_out =
                ((1.0 - c_skip).powi(2) * SIGMA_DATA.powi(2) + (c_skip * sigma).powi(2)).sqrt();
            let v = mean_variance(&target_covariance(&g, sigma, c_skip, c_out));
            assert!(
                rel_diff(v, 1.0) <= REL_FLOAT,
                "c_skip = {c_skip}, sigma = {sigma}"
            );
            let off = mean_variance(&target_covariance(
                &g,
                sigma,
                c_skip,
                c_out * (1.0 + PERTURBATION),
            ));
            assert!((off - 1.0).abs() > PERTURBATION, "only that c_out gives 1");
        }
    }
}

/// I18, statistically: the sample variance of F_target with EDM's c_skip, c_out on isotropic data.
#[test]
fn i18_unit_target_variance_statistical() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let g = isotropic_data();
    let (lo, hi) = variance_ratio_interval(DRAWS).unwrap();
    for sigma in [0.002, 0.5, 80.0] {
        let (cs, co) = (p.c_skip(sigma), p.c_out(sigma));
        let values: Vec<f64> = (0..DRAWS as u64)
            .map(|k| {
                let mut s = NoiseStream::new(3_000_000 + k);
                let y = g.sample(&mut s)[0];
                (y - cs * (y + sigma * s.normal())) / co
            })
            .collect();
        let (_, std) = mean_std(&values);
        let ratio = std * std;
        assert!(
            lo <= ratio && ratio <= hi,
            "sigma = {sigma}: {ratio} not in [{lo}, {hi}]"
        );
    }
}

/// c_out^2 as a function of c_skip (I18).
fn c_out_sq(c_skip: f64, sigma: f64) -> f64 {
    (1.0 - c_skip).powi(2) * SIGMA_DATA.powi(2) + (c_skip * sigma).powi(2)
}

/// I19: EDM's c_skip = sigma_d^2 / (sigma^2 + sigma_d^2) is the minimiser of c_out^2(c_skip): the
/// derivative -2 (1 - c) sigma_d^2 + 2 c sigma^2 vanishes there (up to rounding), c_out^2 is
/// larger on both sides, and the minimum is EDM's c_out = sigma sigma_d / sqrt(sigma^2 + sigma_d^2).
#[test]
fn i19_c_skip_minimises_c_out() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let d2 = SIGMA_DATA * SIGMA_DATA;
    for sigma in SIGMAS {
        let c = p.c_skip(sigma);
        let slope = -2.0 * (1.0 - c) * d2 + 2.0 * c * sigma * sigma;
        // The slope changes by 2 (sigma_d^2 + sigma^2) per unit of c, and c is rounded to float64.
        let slope_scale = 2.0 * (d2 + sigma * sigma);
        assert!(
            slope.abs() <= REL_FLOAT * slope_scale,
            "sigma = {sigma}: slope {slope}"
        );
        let min = c_out_sq(c, sigma);
        for delta in [-PERTURBATION, PERTURBATION] {
            let other = (c + delta * c.max(1.0 - c)).clamp(0.0, 1.0);
            assert!(c_out_sq(other, sigma) > min, "sigma = {sigma}");
        }
        assert!(
            rel_diff(min.sqrt(), p.c_out(sigma)) <= REL_FLOAT,
            "sigma = {sigma}"
        );
    }
}

/// A fixed non-linear "network" F(u; c_noise), the same for every preconditioning.
fn network(u: &DVector<f64>, c_noise: f64) -> DVector<f64> {
    let w = DMatrix::from_fn(u.len(), u.len(), |i, j| ((i * 3 + j) as f64).sin());
    (w * u).map(|v| (v + 0.1 * c_noise).tanh())
}

/// I20: lambda ||D(y + n) - y||^2 = lambda c_out^2 ||F(c_in (y + n)) - F_target||^2 for each
/// sample, for every preconditioning of Table 1, with D built from F by I16.
#[test]
fn i20_loss_rewrite() {
    let g = anisotropic_data();
    let mut s = NoiseStream::new(81);
    for p in all_preconditioners() {
        for sigma in SIGMAS {
            let c = p.coefficients(sigma).unwrap();
            let y = g.sample(&mut s);
            let x = &y + normal_vector(g.dim(), &mut s) * sigma;
            let f = network(&(&x * c.c_in), c.c_noise);
            let d = &x * c.c_skip + &f * c.c_out;
            let lhs = c.loss_weight * (&d - &y).norm_squared();
            let target = (&y - &x * c.c_skip) / c.c_out;
            let rhs = c.loss_weight * c.c_out * c.c_out * (&f - &target).norm_squared();
            // F_target = (y - c_skip x)/c_out cancels when c_skip x ~ y; the bound is the
            // rounding of that difference, relative to the terms' size.
            let terms = (y.norm() + (&x * c.c_skip).norm()) / c.c_out.abs() + f.norm();
            let scale = c.loss_weight * c.c_out * c.c_out * terms * terms;
            assert!(
                (lhs - rhs).abs() <= REL_FLOAT * scale,
                "{p:?} sigma {sigma}: {lhs} vs {rhs}"
            );
        }
    }
}

/// I20 with the exact denoiser of the data as the network's target: F = (D - c_skip x)/c_out
/// reproduces D through I16, and the two losses agree.
#[test]
fn i20_loss_rewrite_with_exact_denoiser() {
    let g = anisotropic_data();
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let mut s = NoiseStream::new(82);
    for sigma in SIGMAS {
        let c = p.coefficients(sigma).unwrap();
        let y = g.sample(&mut s);
        let x = &y + normal_vector(g.dim(), &mut s) * sigma;
        let d = g.denoise(&x, sigma).unwrap();
        let f = (&d - &x * c.c_skip) / c.c_out;
        let lhs = c.loss_weight * (&d - &y).norm_squared();
        let target = (&y - &x * c.c_skip) / c.c_out;
        let rhs = c.loss_weight * c.c_out * c.c_out * (&f - &target).norm_squared();
        let terms = (y.norm() + (&x * c.c_skip).norm() + d.norm()) / c.c_out.abs();
        let scale = c.loss_weight * c.c_out * c.c_out * terms * terms;
        assert!(
            (lhs - rhs).abs() <= REL_FLOAT * scale,
            "sigma {sigma}: {lhs} vs {rhs}"
        );
    }
}

/// E[lambda ||c_skip (y + n) - y||^2] / d for zero-mean data of covariance Sigma:
/// lambda ((1 - c_skip)^2 tr(Sigma) + c_skip^2 d sigma^2) / d.
fn zero_network_loss(g: &Gaussian, p: &EdmPrecond, sigma: f64) -> f64 {
    let c = p.coefficients(sigma).unwrap();
    let cov = target_covariance(g, sigma, c.c_skip, 1.0);
    c.loss_weight * mean_variance(&cov)
}

/// I22, exactly: with F = 0 and Var[y] = sigma_data^2 the expected EDM loss per dimension is 1 at
/// every sigma.
#[test]
fn i22_zero_network_unit_loss_exact() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    for g in [anisotropic_data(), isotropic_data()] {
        for sigma in SIGMAS {
            let loss = zero_network_loss(&g, &p, sigma);
            assert!(rel_diff(loss, 1.0) <= REL_FLOAT, "sigma = {sigma}: {loss}");
        }
    }
}

/// I22, statistically: on isotropic data lambda ||D - y||^2 / d with F = 0 is chi-square(d)/d
/// distributed (mean 1, standard deviation sqrt(2/d)); its Monte Carlo mean is within the
/// normal-mean bound of 1.
#[test]
fn i22_zero_network_unit_loss_statistical() {
    let p = EdmPrecond::new(SIGMA_DATA).unwrap();
    let g = isotropic_data();
    let d = g.dim();
    let std = (2.0 / d as f64).sqrt();
    for sigma in [0.002, 0.5, 80.0] {
        let c = p.coefficients(sigma).unwrap();
        let total: f64 = (0..DRAWS as u64)
            .map(|k| {
                let mut s = NoiseStream::new(4_000_000 + k);
                let y = g.sample(&mut s);
                let x = &y + normal_vector(d, &mut s) * sigma;
                c.loss_weight * (&x * c.c_skip - &y).norm_squared() / d as f64
            })
            .sum();
        let mean = total / DRAWS as f64;
        assert!(
            (mean - 1.0).abs() <= mean_bound(std, DRAWS).unwrap(),
            "sigma = {sigma}: {mean}"
        );
    }
}
