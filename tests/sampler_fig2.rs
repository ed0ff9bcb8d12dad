//! The paper's Fig. 2 comparison on the oracle: the original VP, VE and DDIM (iDDPM) samplers
//! against EDM's settings, each with Euler, Heun and DPM-Solver++(2M), error against the exact
//! solution of the PF-ODE (I30) at sigma = 0 from the same x_0, on the d = 8 Gaussian whose
//! covariance eigenvalues span 1e-4 to 1. The error is the root mean square of |x_N - x*| over
//! standard normal latents, computed exactly (the samplers are affine in the latent on Gaussian
//! data, so d + 1 runs give it), so no ordering below depends on a draw. Run with `--nocapture`
//! for the table; `edm oracle` writes it for every sampler and setting.
//!
//! Settings (NVlabs ablation names disc/schedule/scaling): vp/vp/vp (the paper's VP schedule and
//! steps, eps_s = 1e-3), ve/ve/none (sigma in [0.02, 100]), iddpm/linear/none (NVlabs's iDDPM
//! selection within [0.002, 81]), edm/linear/none (sigma in [0.002, 80], rho = 7).
//!
//! What the oracle shows, and so what is asserted: with Heun, EDM's settings give the lowest
//! error of the four at every N from 4 to 87 (NFE 7 to 173), and a lower error than VP and VE at
//! every N up to 128 (NFE 255). Not asserted: from N = 88 (NFE 175) to 128, iDDPM's error at
//! sigma = 0 is below EDM's, not because its steps are better (its error at its last level,
//! sigma = 0.0064, is 2.2 to 2.8 times EDM's at sigma = 0.002) but because that error partly
//! cancels the error of its final step into sigma = 0 from a level three times higher (2.0e-3,
//! against EDM's 2.3e-4); at N = 256 the cancellation is past and EDM is again lower (3.0e-4
//! against 1.4e-3), which is asserted. Also not asserted: at low NFE Euler can beat Heun, and
//! DPM-Solver++(2M) can beat both.

mod sampler_common;

use elucidated::noise::NoiseStream;
use elucidated::sampler::{Dpmpp2m, OdeSampler, Sampler, SigmaGrid, Solver};
use elucidated::schedule::{Edm, IddpmTable, Schedule, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};
use sampler_common::{basis_latents, exact_from_latents, expected_rms_error, stiff8};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Euler,
    Heun,
    Dpmpp2m,
}

/// RMS error at sigma = 0 against the exact flow, over the standard normal latents (exactly).
fn error<S: Schedule>(schedule: &S, disc: &Discretization, n: usize, method: Method) -> f64 {
    let times = disc.times_for(n, schedule).unwrap();
    let data = stiff8();
    let latent = basis_latents(data.dim());
    let mut streams = NoiseStream::for_seeds(&vec![0; latent.ncols()]);
    let out = match method {
        Method::Euler => OdeSampler::new(schedule, &times, Solver::Euler)
            .unwrap()
            .sample(&data, &latent, &mut streams),
        Method::Heun => OdeSampler::new(schedule, &times, Solver::HEUN)
            .unwrap()
            .sample(&data, &latent, &mut streams),
        Method::Dpmpp2m => Dpmpp2m::new(&SigmaGrid::from_schedule(schedule, &times).unwrap())
            .sample(&data, &latent, &mut streams),
    }
    .unwrap();
    let sigma0 = schedule.sigma_at(times[0]);
    expected_rms_error(&(out - exact_from_latents(&data, &latent, (sigma0, 0.0, 1.0))))
}

/// Errors of vp, ve, iddpm, edm (in that order) with `n` steps.
fn errors(n: usize, method: Method) -> [f64; 4] {
    let iddpm = Discretization::iddpm(
        IddpmTable::paper(),
        IddpmSelection::Nvlabs {
            sigma_min: 0.002,
            sigma_max: 81.0,
        },
    )
    .unwrap();
    let paper = |name| Discretization::paper(name).unwrap();
    [
        error(&Vp::paper(), &paper("vp"), n, method),
        error(&Ve, &paper("ve"), n, method),
        error(&Edm, &iddpm, n, method),
        error(&Edm, &paper("edm"), n, method),
    ]
}

fn print_row(method: Method, nfe: usize, e: &[f64; 4]) {
    println!(
        "| {method:?} | {nfe} | {:.3e} | {:.3e} | {:.3e} | {:.3e} |",
        e[0], e[1], e[2], e[3]
    );
}

/// Heun: EDM lowest of the four for N = 4..=87 and at N = 256, lower than VP and VE for
/// N = 4..=128.
#[test]
fn fig2_heun_edm_settings_have_lowest_error() {
    println!("| solver | NFE | vp | ve | iddpm | edm |\n|---|---|---|---|---|---|");
    for n in 4..=128 {
        let e = errors(n, Method::Heun);
        if n.is_power_of_two() || n == 87 || n == 88 {
            print_row(Method::Heun, 2 * n - 1, &e);
        }
        assert!(
            e[3] < e[0] && e[3] < e[1],
            "N = {n}: EDM {} not below VP {} and VE {}",
            e[3],
            e[0],
            e[1]
        );
        if n <= 87 {
            assert!(
                e[3] < e[2],
                "N = {n}: EDM {} not below iDDPM {}",
                e[3],
                e[2]
            );
        }
    }
    let e = errors(256, Method::Heun);
    print_row(Method::Heun, 511, &e);
    assert!(
        e[3] < e[2],
        "N = 256: EDM {} not below iDDPM {}",
        e[3],
        e[2]
    );
}

/// Euler and DPM-Solver++(2M) on the same settings: reported, not asserted (orderings change
/// with NFE); every error is finite.
#[test]
fn fig2_euler_and_dpmpp_reported() {
    println!("| solver | NFE | vp | ve | iddpm | edm |\n|---|---|---|---|---|---|");
    for method in [Method::Euler, Method::Dpmpp2m] {
        for n in [4, 8, 16, 32, 64, 128, 256] {
            let e = errors(n, method);
            print_row(method, n, &e);
            assert!(e.iter().all(|v| v.is_finite()));
        }
    }
}
