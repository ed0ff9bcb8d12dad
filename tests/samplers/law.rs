//! The exact output law of a sampler on Gaussian data (`GaussianLaw`), checked against the
//! sampler's own runs: exactly for deterministic samplers (the law is affine in the latent),
//! statistically for stochastic ones.

use crate::common::samplers::{basis_latents, exact_from_latents, expected_rms_error};
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{GaussianLaw, Sampler, SamplerKind, generate_columns};
use elucidated::schedule::Schedule;
use elucidated::schedule::Vp;
use elucidated::state::State;
use elucidated::steps::Discretization;
use elucidated::tolerance::{REL_SAMPLER_ROUNDING, mean_bound, variance_ratio_interval};
use nalgebra::DMatrix;

/// The samplers and the grid of the checks: VP (s != 1) along EDM's levels, 12 steps.
fn build(kind: &str) -> elucidated::sampler::AnySampler {
    let vp = Vp::paper();
    let times = Discretization::paper(Family::Edm)
        .times_for(12, &vp)
        .unwrap();
    SamplerKind::from_name(kind)
        .unwrap()
        .build(&vp, &times)
        .unwrap()
}

/// Deterministic samplers: the law's mean is the sample from the zero latent and its
/// coefficient column j the sample from e_j minus that.
#[test]
fn law_of_deterministic_sampler_is_its_affine_map() {
    let data = log_spaced_gaussian(4, 1e-2, 1.0, 0.3).unwrap();
    for kind in ["euler", "heun", "dpmpp2m", "ddim"] {
        let sampler = build(kind);
        let latent = basis_latents(4);
        let runs = sampler
            .sample(&data, &latent, &mut NoiseStream::for_seeds(&[0; 5]))
            .unwrap();
        let law = sampler
            .sample(&data, &GaussianLaw::latent(4), &mut [NoiseStream::new(0)])
            .unwrap();
        let m = runs.column(0);
        assert!(
            (law.mean() - m).amax() <= REL_SAMPLER_ROUNDING * m.amax(),
            "{kind}"
        );
        let a = DMatrix::from_fn(4, 4, |i, j| runs[(i, j + 1)] - runs[(i, 0)]);
        let cov = &a * a.transpose();
        assert!(
            (law.covariance() - &cov).amax() <= REL_SAMPLER_ROUNDING * cov.amax(),
            "{kind}"
        );
    }
}

/// The path error by the law (`GaussianLaw::transport`, `second_moment`) equals the path error
/// from the runs on the latents 0, e_1, ..., e_d against the oracle's flow.
#[test]
fn law_path_error_matches_basis_runs() {
    let data = log_spaced_gaussian(4, 1e-2, 1.0, 0.3).unwrap();
    let vp = Vp::paper();
    let times = Discretization::paper(Family::Edm)
        .times_for(12, &vp)
        .unwrap();
    let sampler = SamplerKind::from_name("heun")
        .unwrap()
        .build(&vp, &times)
        .unwrap();
    let sigma0 = vp.sigma_at(times[0]);
    let latent = GaussianLaw::latent(4);
    let law = sampler
        .sample(&data, &latent, &mut [NoiseStream::new(0)])
        .unwrap();
    let exact = latent
        .scale(sigma0)
        .unwrap()
        .transport(&data, sigma0, 0.0)
        .unwrap();
    let by_law = law
        .lin_comb(1.0, &exact, -1.0)
        .unwrap()
        .second_moment()
        .sqrt();
    let basis = basis_latents(4);
    let runs = sampler
        .sample(&data, &basis, &mut NoiseStream::for_seeds(&[0; 5]))
        .unwrap();
    let by_runs =
        expected_rms_error(&(runs - exact_from_latents(&data, &basis, (sigma0, 0.0, 1.0))));
    assert!(
        (by_law - by_runs).abs() <= REL_SAMPLER_ROUNDING * by_runs,
        "{by_law} {by_runs}"
    );
}

/// Stochastic samplers: 20 000 real runs have the law's mean and variances, coordinate by
/// coordinate, within normal-mean and chi-square bounds at FALSE_ALARM each.
#[test]
fn law_of_stochastic_sampler_matches_its_runs() {
    let data = log_spaced_gaussian(2, 0.05, 1.0, 0.3).unwrap();
    let n = 20_000;
    let seeds: Vec<u64> = (0..n as u64).collect();
    let (lo, hi) = variance_ratio_interval(n).unwrap();
    for kind in ["ancestral", "stochastic", "sde"] {
        let sampler = build(kind);
        let law = sampler
            .sample(&data, &GaussianLaw::latent(2), &mut [NoiseStream::new(0)])
            .unwrap();
        assert!(law.variables() > 2, "{kind} drew no noise");
        let runs = generate_columns(&sampler, &data, 2, &seeds, 2).unwrap();
        let cov = law.covariance();
        for k in 0..2 {
            let row: Vec<f64> = runs.row(k).iter().copied().collect();
            let mean = row.iter().sum::<f64>() / n as f64;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let std = cov[(k, k)].sqrt();
            assert!(
                (mean - law.mean()[k]).abs() <= mean_bound(std, n).unwrap(),
                "{kind} mean {k}"
            );
            let ratio = var / cov[(k, k)];
            assert!(
                lo <= ratio && ratio <= hi,
                "{kind} variance {k}: ratio {ratio}"
            );
        }
    }
}
