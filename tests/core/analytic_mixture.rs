//! The Gaussian-mixture oracle (I31): density, responsibilities, denoiser and sampling against
//! naive references and Monte Carlo.

use crate::common::{
    assert_close, denoiser_by_solve, log_normal_pdf, mean_std, mixture, normal_vector,
};
use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::tolerance::{FALSE_ALARM, REL_FLOAT, REL_LINALG, chi_square_bound, mean_bound};
use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

/// Monte Carlo draws per statistical test.
const DRAWS: usize = 20_000;

/// A log-density lead beyond which the other responsibilities are below e^-50 ~ 2e-22, far
/// under REL_FLOAT: the responsibilities are one-hot in float64.
const ONE_HOT_LOG_GAP: f64 = 50.0;

/// Noise levels where the naive references (dense Cholesky, plain exp) are accurate.
const SIGMAS: [f64; 4] = [0.05, 0.3, 1.0, 5.0];

/// ln N(x; mu_k, Sigma_k + sigma^2 I) of every component, densely.
fn component_log_densities(m: &GaussianMixture, x: &DVector<f64>, sigma: f64) -> Vec<f64> {
    m.components()
        .iter()
        .map(|c| {
            let cov = c.covariance() + DMatrix::identity(c.dim(), c.dim()) * (sigma * sigma);
            log_normal_pdf(x, c.mean(), &cov)
        })
        .collect()
}

/// I31: ln p(x; sigma) = ln sum_k w_k N(x; mu_k, Sigma_k + sigma^2 I), against the plain sum of
/// the dense component densities, and against the mixture of the noisy components.
#[test]
fn i31_log_density_is_weighted_sum() {
    let m = mixture(100);
    let mut s = NoiseStream::new(101);
    for sigma in SIGMAS {
        let x = m.sample(&mut s) + normal_vector(m.dim(), &mut s) * sigma;
        let naive: f64 = component_log_densities(&m, &x, sigma)
            .iter()
            .zip(m.weights())
            .map(|(l, w)| w * l.exp())
            .sum::<f64>()
            .ln();
        let ours = m.log_density(&x, sigma).unwrap();
        assert!(
            (ours - naive).abs() <= REL_LINALG * naive.abs().max(1.0),
            "sigma {sigma}"
        );
        let noisy = m.noisy(sigma).unwrap().log_density(&x, 0.0).unwrap();
        assert!((noisy - ours).abs() <= REL_LINALG * ours.abs().max(1.0));
    }
}

/// I31: D(x; sigma) = sum_k r_k D_k(x; sigma) with r_k = w_k p_k / p, against naive
/// responsibilities and the components' dense matrix-formula denoisers (I30).
#[test]
fn i31_denoiser_is_responsibility_weighted_sum() {
    let m = mixture(102);
    let mut s = NoiseStream::new(103);
    for sigma in SIGMAS {
        let x = m.sample(&mut s) + normal_vector(m.dim(), &mut s) * sigma;
        let joint: Vec<f64> = component_log_densities(&m, &x, sigma)
            .iter()
            .zip(m.weights())
            .map(|(l, w)| w * l.exp())
            .collect();
        let total: f64 = joint.iter().sum();
        let r: Vec<f64> = joint.iter().map(|j| j / total).collect();
        let ours_r = m.responsibilities(&x, sigma).unwrap();
        for (a, b) in ours_r.iter().zip(&r) {
            assert!((a - b).abs() <= REL_LINALG, "responsibility {a} vs {b}");
        }
        let naive = m
            .components()
            .iter()
            .zip(&r)
            .fold(DVector::zeros(m.dim()), |acc, (c, rk)| {
                acc + denoiser_by_solve(c, &x, sigma) * *rk
            });
        let ours = m.denoise(&x, sigma).unwrap();
        assert_close(&ours, &naive, REL_LINALG, x.amax(), "mixture denoiser");
    }
}

/// I31: far from every component and at tiny sigma the log-sum-exp keeps everything finite: the
/// responsibilities become one-hot on the component with the largest density, and the denoiser
/// is that component's.
#[test]
fn i31_far_points_and_tiny_sigma_are_finite() {
    let m = mixture(104);
    let mut s = NoiseStream::new(105);
    let far = DVector::from_element(m.dim(), 1e6);
    let near_second = m.components()[1].sample(&mut s) + normal_vector(m.dim(), &mut s) * 1e-3;
    let mut one_hot_cases = 0;
    for x in [far, near_second] {
        for sigma in [1e-8, 1e-4, 1e4] {
            let logs: Vec<f64> = m
                .components()
                .iter()
                .zip(m.weights())
                .map(|(c, w)| w.ln() + c.log_density(&x, sigma).unwrap())
                .collect();
            let best = (0..logs.len())
                .max_by(|&a, &b| logs[a].total_cmp(&logs[b]))
                .unwrap();
            let r = m.responsibilities(&x, sigma).unwrap();
            assert!(r.iter().all(|v| v.is_finite()));
            assert!((r.iter().sum::<f64>() - 1.0).abs() <= REL_FLOAT);
            assert!(m.log_density(&x, sigma).unwrap().is_finite());
            let d = m.denoise(&x, sigma).unwrap();
            assert!(d.iter().all(|v| v.is_finite()), "sigma {sigma}");
            let second = logs
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != best)
                .map(|(_, l)| *l)
                .fold(f64::NEG_INFINITY, f64::max);
            if logs[best] - second > ONE_HOT_LOG_GAP {
                assert!(
                    r[best] >= 1.0 - REL_FLOAT,
                    "one-hot at sigma {sigma}: {r:?}"
                );
                let dk = m.components()[best].denoise(&x, sigma).unwrap();
                assert_close(
                    &d,
                    &dk,
                    REL_FLOAT,
                    x.amax(),
                    "denoiser of the winning component",
                );
                one_hot_cases += 1;
            }
        }
    }
    assert!(
        one_hot_cases >= 4,
        "tiny sigma separates the components at both points"
    );
}

/// I31, statistically: D(x; sigma) = E[y | x]: the residual y - D(x) has mean zero and is
/// uncorrelated with x_j and with the non-linear tanh(x_j) (a mixture's E[y | x] is not affine).
/// Each mean is checked against the normal-mean bound with its sample standard deviation
/// (central limit theorem, 20 000 draws).
#[test]
fn i31_denoiser_is_conditional_mean_statistical() {
    let m = mixture(106);
    let d = m.dim();
    for (sigma, seed) in [(0.3, 80_000_000u64), (1.5, 90_000_000)] {
        let mut rows: Vec<Vec<f64>> = vec![Vec::with_capacity(DRAWS); d * (2 * d + 1)];
        for k in 0..DRAWS as u64 {
            let mut stream = NoiseStream::new(seed + k);
            let y = m.sample(&mut stream);
            let x = &y + normal_vector(d, &mut stream) * sigma;
            let e = &y - m.denoise(&x, sigma).unwrap();
            for i in 0..d {
                rows[i].push(e[i]);
                for j in 0..d {
                    rows[d + i * d + j].push(e[i] * x[j]);
                    rows[d + d * d + i * d + j].push(e[i] * x[j].tanh());
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

/// The exact CDF of u^T x, x ~ p(x; sigma): a mixture of one-dimensional normals.
fn projected_cdf(m: &GaussianMixture, u: &DVector<f64>, sigma: f64, v: f64) -> f64 {
    m.components()
        .iter()
        .zip(m.weights())
        .map(|(c, w)| {
            let var = u.dot(&(c.covariance() * u)) + sigma * sigma * u.norm_squared();
            w * Normal::new(u.dot(c.mean()), var.sqrt()).unwrap().cdf(v)
        })
        .sum()
}

/// I31, statistically: draws of y + n, y from the mixture, follow the exact marginal
/// p(x; sigma) = sum_k w_k N(mu_k, Sigma_k + sigma^2 I) along a projection: the Kolmogorov
/// distance stays below the Dvoretzky–Kiefer–Wolfowitz–Massart bound
/// sqrt(ln(2 / FALSE_ALARM) / (2 n)).
#[test]
fn i31_noisy_marginal_statistical() {
    let m = mixture(107);
    let u = DVector::from_vec(vec![0.6, -0.3, 0.74]);
    let bound = ((2.0 / FALSE_ALARM).ln() / (2.0 * DRAWS as f64)).sqrt();
    for (sigma, seed) in [
        (0.0, 100_000_000u64),
        (0.2, 110_000_000),
        (2.0, 120_000_000),
    ] {
        let mut v: Vec<f64> = (0..DRAWS as u64)
            .map(|k| {
                let mut stream = NoiseStream::new(seed + k);
                let x = m.sample(&mut stream) + normal_vector(m.dim(), &mut stream) * sigma;
                u.dot(&x)
            })
            .collect();
        v.sort_by(f64::total_cmp);
        let n = DRAWS as f64;
        let ks = v
            .iter()
            .enumerate()
            .map(|(i, &vi)| {
                let f = projected_cdf(&m, &u, sigma, vi);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max);
        assert!(ks <= bound, "sigma = {sigma}: KS distance {ks} > {bound}");
    }
}

/// I31: component labels of the draws follow the weights (Pearson chi-square with K - 1 degrees
/// of freedom, below its FALSE_ALARM quantile).
#[test]
fn i31_component_frequencies() {
    let m = mixture(108);
    let mut counts = vec![0usize; m.weights().len()];
    for k in 0..DRAWS as u64 {
        counts[m.sample_labelled(&mut NoiseStream::new(130_000_000 + k)).0] += 1;
    }
    let stat: f64 = counts
        .iter()
        .zip(m.weights())
        .map(|(&c, w)| {
            let e = w * DRAWS as f64;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    assert!(
        stat <= chi_square_bound(counts.len() - 1).unwrap(),
        "{stat}"
    );
}

/// I31: the mixture's mean and covariance are sum_k w_k mu_k and E[y y^T] - m m^T.
#[test]
fn i31_moments() {
    let m = mixture(109);
    let mean = m.mean();
    let second = m
        .components()
        .iter()
        .zip(m.weights())
        .fold(DMatrix::zeros(m.dim(), m.dim()), |acc, (c, w)| {
            acc + (c.covariance() + c.mean() * c.mean().transpose()) * *w
        });
    let cov = second - &mean * mean.transpose();
    assert!((m.covariance() - &cov).amax() <= REL_LINALG * cov.amax());
}

/// I31: batches give bitwise the per-sample results, for sampling, the denoiser and the score.
#[test]
fn i31_batch_equals_single_bitwise() {
    let m = mixture(110);
    let seeds = [1u64, 2, 3, 4];
    let batch = m.sample_batch(&mut NoiseStream::for_seeds(&seeds));
    let noisy = &batch + DMatrix::from_fn(m.dim(), 4, |i, j| ((i + j) as f64).sin());
    let d: DMatrix<f64> = m.denoise(&noisy, 0.4).unwrap();
    let sc = m.score(&noisy, 0.4).unwrap();
    for (j, &seed) in seeds.iter().enumerate() {
        assert_eq!(batch.column(j), m.sample(&mut NoiseStream::new(seed)));
        let col: DVector<f64> = noisy.column(j).into();
        assert_eq!(d.column(j), m.denoise(&col, 0.4).unwrap());
        assert_eq!(sc.column(j), m.score(&col, 0.4).unwrap());
    }
}

/// I31: a one-component mixture is its Gaussian, bitwise (the responsibility is exactly 1).
#[test]
fn i31_single_component_is_the_gaussian() {
    let g = crate::common::singular_gaussian(111);
    let m = GaussianMixture::new(&[2.0], vec![g.clone()]).unwrap();
    let x = g.mean() + normal_vector(g.dim(), &mut NoiseStream::new(112));
    for sigma in [1e-8, 0.5, 1e4] {
        assert_eq!(m.denoise(&x, sigma).unwrap(), g.denoise(&x, sigma).unwrap());
        assert_eq!(m.score(&x, sigma).unwrap(), g.score(&x, sigma).unwrap());
        assert_eq!(
            m.log_density(&x, sigma).unwrap(),
            g.log_density(&x, sigma).unwrap()
        );
    }
}

/// I31: invalid mixtures and arguments are typed errors.
#[test]
fn i31_rejects_bad_input() {
    let a = Gaussian::isotropic(DVector::zeros(2), 1.0).unwrap();
    let b = Gaussian::isotropic(DVector::zeros(3), 1.0).unwrap();
    assert!(GaussianMixture::new(&[], vec![]).is_err());
    assert!(GaussianMixture::new(&[1.0], vec![a.clone(), a.clone()]).is_err());
    assert!(GaussianMixture::new(&[1.0, 1.0], vec![a.clone(), b]).is_err());
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            GaussianMixture::new(&[1.0, w], vec![a.clone(), a.clone()]).is_err(),
            "w = {w}"
        );
    }
    let m = GaussianMixture::new(&[1.0], vec![a]).unwrap();
    assert!(m.denoise(&DVector::zeros(3), 1.0).is_err());
    assert!(m.denoise(&DVector::zeros(2), -1.0).is_err());
    assert!(m.denoise(&DVector::from_element(2, f64::NAN), 1.0).is_err());
}

/// I31 in one dimension: the CDF of p(x; sigma) is sum_k w_k Phi((x - mu_k) / sqrt(v_k +
/// sigma^2)), against statrs's normal CDFs, on the benchmark mixture over a grid of x and the
/// noise levels SIGMAS and 0; it tends to 0 and 1 in the tails, and a mixture in more than one
/// dimension or a negative sigma is an error.
#[test]
fn i31_cdf_1d_is_weighted_sum_of_normal_cdfs() {
    let m = elucidated::analytic::problems::mixture3().unwrap();
    for sigma in std::iter::once(0.0).chain(SIGMAS) {
        for i in 0..=40 {
            let x = -3.0 + 0.15 * i as f64;
            let naive: f64 = m
                .weights()
                .iter()
                .zip(m.components())
                .map(|(w, c)| {
                    let sd = (c.covariance()[(0, 0)] + sigma * sigma).sqrt();
                    w * Normal::new(c.mean()[0], sd).unwrap().cdf(x)
                })
                .sum();
            let cdf = m.cdf_1d(x, sigma).unwrap();
            assert!(
                (cdf - naive).abs() <= 4.0 * REL_FLOAT,
                "x {x} sigma {sigma}: {cdf} vs {naive}"
            );
        }
    }
    assert_eq!(m.cdf_1d(f64::NEG_INFINITY, 0.0).unwrap(), 0.0);
    assert_eq!(m.cdf_1d(f64::INFINITY, 0.0).unwrap(), 1.0);
    assert!(m.cdf_1d(0.0, -1.0).is_err());
    assert!(m.cdf_1d(f64::NAN, 0.0).is_err());
    assert!(mixture(7).cdf_1d(0.0, 0.0).is_err());
}
