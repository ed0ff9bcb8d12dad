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

use crate::common::samplers::{basis_latents, exact_from_latents, expected_rms_error};
use elucidated::analytic::problems::stiff_gaussian8;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{Dpmpp2m, OdeSampler, Sampler, SigmaGrid, Solver};
use elucidated::schedule::{Edm, IddpmTable, Schedule, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Euler,
    Heun,
    Dpmpp2m,
}

/// RMS error at sigma = 0 against the exact flow, over the standard normal latents (exactly).
fn error<S: Schedule>(schedule: &S, disc: &Discretization, n: usize, method: Method) -> f64 {
    let times = disc.times_for(n, schedule).unwrap();
    let data = stiff_gaussian8().unwrap();
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
    let paper = |name: &str| Discretization::paper(name.parse().unwrap());
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

/// Euler on the four settings: the error at sigma = 0 falls with every doubling of N from 4 to
/// 256, on every setting (a first-order method with no cancellation between its steps and the
/// final step into 0 at these N).
#[test]
fn fig2_euler_error_falls_with_every_doubling_of_n() {
    println!("| solver | NFE | vp | ve | iddpm | edm |\n|---|---|---|---|---|---|");
    let mut previous = errors(4, Method::Euler);
    print_row(Method::Euler, 4, &previous);
    for n in [8, 16, 32, 64, 128, 256] {
        let e = errors(n, Method::Euler);
        print_row(Method::Euler, n, &e);
        for (k, name) in [Family::Vp, Family::Ve, Family::Iddpm, Family::Edm]
            .iter()
            .enumerate()
        {
            assert!(
                e[k] < previous[k],
                "{name}: Euler error {} at N = {n} not below {} at N = {}",
                e[k],
                previous[k],
                n / 2
            );
        }
        previous = e;
    }
}

/// DPM-Solver++(2M): EDM's settings give the lowest error of the four from N = 64 on, and on
/// them the error falls with every doubling of N from 8 on. Not asserted: below N = 64 VE's
/// error is lower (at N = 16 and 32), and from N = 4 to 8 the error grows on VP and EDM (the
/// first, first-order step dominates there).
#[test]
fn fig2_dpmpp2m_edm_settings_lowest_from_n_64_and_converging_from_n_8() {
    println!("| solver | NFE | vp | ve | iddpm | edm |\n|---|---|---|---|---|---|");
    let mut previous_edm = f64::INFINITY;
    for n in [8, 16, 32, 64, 128, 256] {
        let e = errors(n, Method::Dpmpp2m);
        print_row(Method::Dpmpp2m, n, &e);
        assert!(
            e[3] < previous_edm,
            "N = {n}: EDM error {} not below {previous_edm} at N = {}",
            e[3],
            n / 2
        );
        if n >= 64 {
            assert!(
                e[3] < e[0] && e[3] < e[1] && e[3] < e[2],
                "N = {n}: EDM {} not the lowest of {e:?}",
                e[3]
            );
        }
        previous_edm = e[3];
    }
}
