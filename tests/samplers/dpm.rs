//! I35, I36: DPM-2, DPM-Solver++ SDE and the ancestral samplers on the exact Gaussian oracle:
//! second order where deterministic, an ancestral split that keeps the marginal exact, and output
//! laws (exact, via `GaussianLaw`) that converge to the data as N grows.

use crate::common::samplers::{basis_latents, exact_from_latents, expected_rms_error, stiff8};
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    AncestralSplit, Ddim, Dpm2, DpmppSde, GaussianLaw, Options, Sampler, SigmaGrid, wasserstein2,
};
use elucidated::schedule::Edm;
use elucidated::state::State;
use elucidated::steps::Discretization;
use elucidated::tolerance::{REL_FLOAT, ulp_distance};
use nalgebra::DMatrix;

/// Allowed distance of a fitted order from p (as tests/samplers/order.rs): on the grids below
/// the next term of the error expansion moves log2(err(h)/err(h/2)) by less than 0.1.
const ORDER_TOL: f64 = 0.1;

/// EDM's grid with N steps.
fn grid(n: usize) -> SigmaGrid {
    let times = Discretization::paper("edm")
        .unwrap()
        .times_for(n, &Edm)
        .unwrap();
    SigmaGrid::from_schedule(&Edm, &times).unwrap()
}

/// RMS error of x_{N-1} (the last level above 0) against the exact flow from the same x_0,
/// over the standard normal latents exactly (the samplers are affine in the latent).
fn error_at_last_level<P: Sampler>(sampler: &P, n: usize) -> f64 {
    let data = stiff8();
    let latent = basis_latents(data.dim());
    let mut streams = NoiseStream::for_seeds(&vec![0; latent.ncols()]);
    let run = sampler
        .sample_with(&data, &latent, &mut streams, Options::new().record())
        .unwrap();
    let g = grid(n);
    let exact = exact_from_latents(&data, &latent, (g.sigmas()[0], g.sigmas()[n - 1], 1.0));
    expected_rms_error(&(&run.trajectory[n - 1] - exact))
}

/// DPM-2 and the deterministic DPM-Solver++(2S) (DPM-Solver++ SDE at eta = 0) are second order
/// on EDM's settings: N = 257 -> 513, as Heun in i24_fitted_orders_edm.
#[test]
fn i35_dpm2_and_dpmpp_2s_are_second_order() {
    let n = 257;
    let orders = [
        (
            "dpm2",
            error_at_last_level(&Dpm2::new(&grid(n)), n)
                / error_at_last_level(&Dpm2::new(&grid(2 * n - 1)), 2 * n - 1),
        ),
        (
            "dpmpp 2s",
            error_at_last_level(&DpmppSde::new(&grid(n), 0.0, 1.0).unwrap(), n)
                / error_at_last_level(
                    &DpmppSde::new(&grid(2 * n - 1), 0.0, 1.0).unwrap(),
                    2 * n - 1,
                ),
        ),
    ];
    for (name, ratio) in orders {
        let p = ratio.log2();
        println!("{name}: N = {n} -> {}: order {p:.3}", 2 * n - 1);
        assert!((p - 2.0).abs() <= ORDER_TOL, "{name}: fitted order {p}");
    }
    assert_eq!(Dpm2::new(&grid(18)).nfe(), 35);
    assert_eq!(DpmppSde::new(&grid(18), 1.0, 1.0).unwrap().nfe(), 35);
}

/// I36: down^2 + up^2 = sigma_to^2 (to a few ULPs), up <= sigma_to, for eta below, at and above
/// 1 (where the clamp makes up = sigma_to, down = 0); and on Gaussian data, the exact flow to
/// sigma_down followed by N(0, up^2) noise maps the marginal at sigma to the marginal at
/// sigma_to exactly: covariance Sigma + sigma_to^2 I, computed as a law (the mean is carried by
/// the flow alone, which the noise does not touch).
#[test]
fn i36_ancestral_split_keeps_the_marginal_exact() {
    let data = stiff8();
    let far = 1e8;
    for (sigma, to) in [(80.0, 40.0), (1.0, 0.9), (0.5, 0.002)] {
        for eta in [0.0, 0.3, 1.0, 2.5] {
            let split = AncestralSplit::new(sigma, to, eta).unwrap();
            assert!(split.up <= to && split.down <= to && split.down >= 0.0);
            let sum = split.down.mul_add(split.down, split.up * split.up);
            assert!(
                ulp_distance(sum, to * to) <= 4.0,
                "{sigma} -> {to}, eta {eta}: {sum} vs {}",
                to * to
            );
            // The marginal at sigma (from far above, where it is sigma_far^2 I to 1e-16),
            // carried by the exact flow to sigma_down, plus fresh noise of std up.
            let at_sigma = GaussianLaw::latent(data.dim())
                .scale(far)
                .unwrap()
                .transport(&data, far, sigma)
                .unwrap();
            let moved = at_sigma.transport(&data, sigma, split.down).unwrap();
            let fresh = moved.randn_like(&mut [NoiseStream::new(0)]).unwrap();
            let after = moved.lin_comb(1.0, &fresh, split.up).unwrap();
            let target = data.covariance() + DMatrix::identity(8, 8) * (to * to);
            let scale = target.amax();
            assert!(
                (after.covariance() - &target).amax() <= 64.0 * REL_FLOAT * scale,
                "{sigma} -> {to}, eta {eta}"
            );
        }
    }
}

/// The exact output law of each stochastic sampler (affine in the latent and the draws on
/// Gaussian data, I36) approaches the data law as N grows: the Wasserstein-2 distance falls with
/// every doubling of N from 8 to 128.
#[test]
fn i36_stochastic_samplers_converge_in_law() {
    let data = stiff8();
    let truth = (data.mean(), data.covariance());
    for name in ["euler ancestral", "dpm2 ancestral", "dpmpp sde"] {
        let mut previous = f64::INFINITY;
        for n in [8, 16, 32, 64, 128] {
            let latent = GaussianLaw::latent(data.dim());
            let g = grid(n);
            let law = match name {
                "euler ancestral" => run_law(&Ddim::ancestral(&g, 1.0, 1.0).unwrap(), &latent),
                "dpm2 ancestral" => run_law(&Dpm2::ancestral(&g, 1.0, 1.0).unwrap(), &latent),
                _ => run_law(&DpmppSde::new(&g, 1.0, 1.0).unwrap(), &latent),
            };
            let w2 = wasserstein2((law.mean(), &law.covariance()), truth).unwrap();
            println!("{name}: N = {n}: W2 {w2:.3e}");
            assert!(
                w2 < previous,
                "{name}: W2 {w2} at N = {n} not below {previous}"
            );
            previous = w2;
        }
    }
}

fn run_law<P: Sampler>(sampler: &P, latent: &GaussianLaw) -> GaussianLaw {
    sampler
        .sample(&stiff8(), latent, &mut [NoiseStream::new(0)])
        .unwrap()
}
