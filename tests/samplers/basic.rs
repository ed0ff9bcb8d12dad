//! I08, NFE accounting, callbacks and trajectories, the ancestral split, and the typed errors
//! of sampler construction.

use crate::common::samplers::latents;
use elucidated::Error;
use elucidated::analytic::problems::{log_spaced_gaussian, stiff_gaussian8};
use elucidated::ddpm::BetaSchedule;
use elucidated::denoiser::{Denoiser, FromFn};
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    AncestralSplit, Churn, Ddim, Ddpm, DdpmVariance, Dpmpp2m, OdeSampler, Options, ReverseSde,
    Sampler, SigmaGrid, Solver, StepEvent, StochasticSampler,
};
use elucidated::schedule::{Edm, Schedule, ScheduleKind, Vp};
use elucidated::steps::Discretization;
use elucidated::tolerance::REL_FLOAT;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use std::cell::Cell;

/// A denoiser that is not affine in x, so that I08's exactness is not a coincidence of linear
/// data.
fn wiggly(x: &DVector<f64>, sigma: f64) -> elucidated::Result<DVector<f64>> {
    Ok(x.map(|v| (v / (1.0 + sigma)).sin() + 0.25 * v.tanh()))
}

proptest! {
    /// I08: at s = 1, sigma = t one Euler step from t to 0 returns D(x; t) exactly.
    #[test]
    fn i08_euler_step_to_zero_returns_denoiser(
        t in 1e-6f64..1e4,
        latent in proptest::collection::vec(-5.0f64..5.0, 1..6),
    ) {
        let latent = DVector::from_vec(latent);
        let euler = OdeSampler::new(&Edm, &[t, 0.0], Solver::Euler).unwrap();
        let mut streams = [NoiseStream::new(0)];
        let out = euler.sample(&FromFn(wiggly), &latent, &mut streams).unwrap();
        let expected = wiggly(&(&latent * t), t).unwrap();
        prop_assert_eq!(out, expected);
    }

    /// The ancestral split never lets sigma_up exceed sigma_next, never gives NaN, and keeps
    /// sigma_down^2 + sigma_up^2 = sigma_next^2.
    #[test]
    fn ancestral_split_is_bounded_and_consistent(
        sigma in 1e-300f64..1e300,
        frac in 0.0f64..1.0,
        eta in 0.0f64..=1.0,
    ) {
        let next = sigma * frac;
        prop_assume!(next < sigma);
        let split = AncestralSplit::new(sigma, next, eta).unwrap();
        prop_assert!(split.up <= next && split.up >= 0.0);
        prop_assert!(split.down <= next && split.down >= 0.0);
        let total = split.down.hypot(split.up);
        prop_assert!((total - next).abs() <= REL_FLOAT * next);
    }
}

/// A denoiser that counts its calls.
struct Counting<'a, D> {
    inner: D,
    calls: &'a Cell<usize>,
}

impl<S: elucidated::state::State, D: Denoiser<S>> Denoiser<S> for Counting<'_, D> {
    fn denoise(&self, x: &S, sigma: f64) -> elucidated::Result<S> {
        self.calls.set(self.calls.get() + 1);
        self.inner.denoise(x, sigma)
    }
}

fn counted_nfe<P: Sampler>(sampler: &P) -> (usize, usize) {
    let calls = Cell::new(0);
    let data = Counting {
        inner: stiff_gaussian8().unwrap(),
        calls: &calls,
    };
    let (latent, mut streams) = latents(8, &[1, 2]);
    let out = sampler
        .sample_with(&data, &latent, &mut streams, Options::new())
        .unwrap();
    assert_eq!(out.nfe, calls.get());
    (sampler.nfe(), calls.get())
}

/// NFE: Euler N, Heun 2N - 1 (no correction into sigma = 0), every one-evaluation sampler N;
/// a grid that stops above sigma = 0 gives Heun 2N. The predicted count is the counted one.
#[test]
fn nfe_accounting() {
    let n = 12;
    let times = Discretization::paper(Family::Edm)
        .times_for(n, &Edm)
        .unwrap();
    let grid = SigmaGrid::from_schedule(&Edm, &times).unwrap();
    let churn = Churn::new(40.0, 0.05, 50.0, 1.003).unwrap();
    let cases = [
        (
            counted_nfe(&OdeSampler::new(&Edm, &times, Solver::Euler).unwrap()),
            n,
        ),
        (
            counted_nfe(&OdeSampler::new(&Edm, &times, Solver::HEUN).unwrap()),
            2 * n - 1,
        ),
        (
            counted_nfe(&OdeSampler::new(&Edm, &times[..n], Solver::HEUN).unwrap()),
            2 * (n - 1),
        ),
        (
            counted_nfe(&StochasticSampler::new(&Edm, &times, Solver::HEUN, churn).unwrap()),
            2 * n - 1,
        ),
        (counted_nfe(&ReverseSde::song(&Edm, &times).unwrap()), n),
        (counted_nfe(&Ddim::new(&grid, 0.5).unwrap()), n),
        (counted_nfe(&Dpmpp2m::new(&grid)), n),
    ];
    for ((predicted, counted), expected) in cases {
        assert_eq!((predicted, counted), (expected, expected));
    }
    let betas = BetaSchedule::linear(1e-4, 0.02, 50).unwrap();
    let ddpm = Ddpm::new(&betas, DdpmVariance::Beta);
    assert_eq!(counted_nfe(&ddpm), (50, 50));
}

/// The callback sees every step in order with the grid's noise levels; the trajectory holds
/// x_0 = sigma_0 s_0 n, ..., x_N, and ends at the returned sample.
#[test]
fn callback_and_trajectory() {
    let vp = Vp::paper();
    let n = 9;
    let times = Discretization::paper(Family::Vp).native_times(n).unwrap();
    let heun = OdeSampler::new(&vp, &times, Solver::HEUN).unwrap();
    let data = stiff_gaussian8().unwrap();
    let (latent, mut streams) = latents(8, &[3]);
    let mut seen: Vec<(usize, f64, f64, usize)> = Vec::new();
    let mut observer = |e: &StepEvent<'_, DMatrix<f64>>| {
        assert_eq!(e.steps, n);
        seen.push((e.step, e.sigma, e.sigma_next, e.nfe));
    };
    let out = heun
        .sample_with(
            &data,
            &latent,
            &mut streams,
            Options::new().observe(&mut observer).record(),
        )
        .unwrap();
    let sigmas: Vec<f64> = times.iter().map(|&t| vp.sigma_at(t)).collect();
    for (i, &(step, sigma, next, nfe)) in seen.iter().enumerate() {
        assert_eq!((step, sigma, next), (i, sigmas[i], sigmas[i + 1]));
        assert_eq!(nfe, (2 * (i + 1)).min(2 * n - 1));
    }
    assert_eq!(seen.len(), n);
    assert_eq!(out.trajectory.len(), n + 1);
    let x0 = &latent * (sigmas[0] * vp.scale_at(times[0]));
    assert!((&out.trajectory[0] - &x0).amax() <= REL_FLOAT * x0.amax());
    assert_eq!(out.trajectory[n], out.x);
}

/// Every bad parameter is a typed error at construction.
#[test]
fn construction_errors_are_typed() {
    let times = [80.0, 1.0, 0.0];
    for alpha in [0.0, -1.0, 1.5] {
        let r = OdeSampler::new(&Edm, &times, Solver::Heun { alpha });
        assert!(
            matches!(r, Err(Error::OutOfRange { name: "alpha", .. })),
            "{r:?}"
        );
    }
    assert!(matches!(
        OdeSampler::new(&Edm, &times, Solver::Heun { alpha: f64::NAN }),
        Err(Error::NotFinite { name: "alpha", .. })
    ));
    assert!(matches!(
        OdeSampler::new(&Edm, &[1.0, 2.0, 0.0], Solver::Euler),
        Err(Error::NotDecreasing { index: 1, .. })
    ));
    assert!(matches!(
        OdeSampler::new(&Edm, &[1.0], Solver::Euler),
        Err(Error::CountTooSmall { .. })
    ));
    assert!(matches!(
        OdeSampler::new(&Vp::paper(), &[1.5, 0.5, 0.0], Solver::Euler),
        Err(Error::OutOfRange { name: "t", .. })
    ));
    assert!(matches!(
        Churn::new(-1.0, 0.0, 1.0, 1.0),
        Err(Error::Negative {
            name: "S_churn",
            ..
        })
    ));
    assert!(matches!(
        Churn::new(1.0, 2.0, 1.0, 1.0),
        Err(Error::OutOfRange { name: "S_tmax", .. })
    ));
    let grid = SigmaGrid::from_schedule(&Edm, &times).unwrap();
    assert!(matches!(
        Ddim::new(&grid, 1.5),
        Err(Error::OutOfRange { name: "eta", .. })
    ));
    assert!(matches!(
        SigmaGrid::new(vec![2.0, 1.0, 0.0], vec![1.0, 1.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        SigmaGrid::new(vec![2.0, 0.0, 0.0], vec![1.0; 3]),
        Err(Error::NotPositive { .. })
    ));
    let betas = BetaSchedule::linear(1e-4, 0.02, 10).unwrap();
    assert!(matches!(
        SigmaGrid::from_betas(&betas, &[11, 5]),
        Err(Error::CountOutOfRange {
            name: "DDPM step",
            value: 11,
            min: 1,
            max: 10
        })
    ));
    assert!(matches!(
        ReverseSde::new(&Edm, &times, |_| -1.0),
        Err(Error::OutOfRange {
            name: "beta(t)",
            ..
        })
    ));
    let sampler = OdeSampler::new(&Edm, &times, Solver::Euler).unwrap();
    let (latent, _) = latents(4, &[1, 2]);
    let mut one = [NoiseStream::new(1)];
    assert!(matches!(
        sampler.sample(
            &log_spaced_gaussian(4, 0.1, 1.0, 0.0).unwrap(),
            &latent,
            &mut one
        ),
        Err(Error::DimensionMismatch { .. })
    ));
}

/// The grid of an ablation combination is its discretisation's noise levels in the chosen
/// schedule's time: the sampler reports them back.
#[test]
fn ablation_grid_reaches_discretisation_levels() {
    for disc in [Family::Vp, Family::Ve, Family::Iddpm, Family::Edm] {
        for sched in Family::ALL {
            let schedule = ScheduleKind::paper(sched);
            let d = Discretization::paper(disc);
            let times = d.times_for(16, &schedule).unwrap();
            let grid = SigmaGrid::from_schedule(&schedule, &times).unwrap();
            for (got, want) in grid.sigmas().iter().zip(d.sigmas(16).unwrap()) {
                assert!((got - want).abs() <= REL_FLOAT * want, "{disc}/{sched}");
            }
        }
    }
}

/// Every sampler the CLI names builds on EDM's grid with the step count `steps_for_nfe` picks:
/// its NFE is at most the budget and within one evaluation per step of it (2N - 1 for the
/// two-evaluation samplers, N for the others), the name round-trips through its spelling, and
/// a run on the oracle's Gaussian gives finite samples.
#[test]
fn every_named_sampler_builds_within_its_nfe_budget() {
    let data = stiff_gaussian8().unwrap();
    let disc = Discretization::paper(Family::Edm);
    for name in elucidated::sampler::SamplerName::ALL {
        assert_eq!(
            name.as_str()
                .parse::<elucidated::sampler::SamplerName>()
                .unwrap(),
            name
        );
        let kind = name.kind().unwrap();
        for budget in [5, 9, 17, 35] {
            let n = kind.steps_for_nfe(budget);
            let times = disc.times_for(n, &Edm).unwrap();
            let sampler = kind.build(&Edm, &times).unwrap();
            let nfe = sampler.nfe();
            assert!(
                nfe <= budget && nfe + 1 >= budget.min(2 * n - 1),
                "{name}: NFE {nfe} for a budget of {budget} with N = {n}"
            );
            let (latent, mut streams) = latents(8, &[1, 2]);
            let x = sampler.sample(&data, &latent, &mut streams).unwrap();
            assert!(x.iter().all(|v| v.is_finite()), "{name}");
        }
    }
}
