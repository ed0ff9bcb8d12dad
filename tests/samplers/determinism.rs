//! Determinism: every sampler gives bitwise the same samples for any batch split and thread
//! count; Algorithm 2 with no churn is Algorithm 1 bit for bit and draws no noise (I25).

use crate::common::samplers::latents;
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::ddpm::BetaSchedule;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    Churn, Ddim, Ddpm, DdpmVariance, Dpm2, Dpmpp2m, Dpmpp2sAncestral, DpmppMultistepSde, DpmppSde,
    Lms, OdeSampler, ReverseSde, Sampler, SecondOrder, SigmaGrid, Solver, StochasticSampler,
    generate, generate_columns,
};
use elucidated::schedule::{Edm, Schedule, ScheduleKind, Vp};
use elucidated::steps::Discretization;
use nalgebra::{DMatrix, DVector};

const SEEDS: [u64; 7] = [11, 5, 7, 2, 99, 3, 42];

/// Odd, so that Box–Muller pairs straddle the draws of consecutive calls.
const DIM: usize = 5;

fn bits(m: &DMatrix<f64>) -> Vec<u64> {
    m.iter().map(|v| v.to_bits()).collect()
}

/// The batch equals each sample drawn alone, any split into sub-batches, and every thread count.
fn assert_batch_independent<P: Sampler + Sync>(name: &str, sampler: &P) {
    let data = log_spaced_gaussian(DIM, 1e-3, 1.0, 0.2).unwrap();
    let batch = generate(sampler, &data, &DMatrix::zeros(DIM, SEEDS.len()), &SEEDS).unwrap();
    for (k, &seed) in SEEDS.iter().enumerate() {
        let alone: DVector<f64> = generate(sampler, &data, &DVector::zeros(DIM), &[seed]).unwrap();
        let col: Vec<u64> = batch.column(k).iter().map(|v| v.to_bits()).collect();
        let one: Vec<u64> = alone.iter().map(|v| v.to_bits()).collect();
        assert_eq!(col, one, "{name}: sample {k} alone differs from the batch");
    }
    let (a, b) = SEEDS.split_at(3);
    let first = generate(sampler, &data, &DMatrix::zeros(DIM, a.len()), a).unwrap();
    let second = generate(sampler, &data, &DMatrix::zeros(DIM, b.len()), b).unwrap();
    let joined: Vec<_> = first.column_iter().chain(second.column_iter()).collect();
    assert_eq!(
        bits(&DMatrix::from_columns(&joined)),
        bits(&batch),
        "{name}: split"
    );
    for threads in 1..=4 {
        let par = generate_columns(sampler, &data, DIM, &SEEDS, threads).unwrap();
        assert_eq!(bits(&par), bits(&batch), "{name}: {threads} threads");
    }
}

#[test]
fn batch_size_and_thread_count_independence_bitwise() {
    let vp = Vp::paper();
    let times = Discretization::paper(Family::Vp).native_times(12).unwrap();
    let grid = SigmaGrid::from_schedule(&vp, &times).unwrap();
    let churn = Churn::new(40.0, 0.05, 50.0, 1.003).unwrap();
    let half = Solver::Heun { alpha: 0.5 };
    assert_batch_independent(
        "euler",
        &OdeSampler::new(&vp, &times, Solver::Euler).unwrap(),
    );
    assert_batch_independent("heun", &OdeSampler::new(&vp, &times, Solver::HEUN).unwrap());
    assert_batch_independent("alpha 0.5", &OdeSampler::new(&vp, &times, half).unwrap());
    assert_batch_independent(
        "stochastic",
        &StochasticSampler::new(&vp, &times, Solver::HEUN, churn).unwrap(),
    );
    assert_batch_independent("reverse sde", &ReverseSde::song(&vp, &times).unwrap());
    assert_batch_independent("ddim", &Ddim::new(&grid, 0.7).unwrap());
    assert_batch_independent("dpm++2m", &Dpmpp2m::new(&grid));
    assert_batch_independent(
        "euler ancestral",
        &Ddim::ancestral(&grid, 1.3, 1.003).unwrap(),
    );
    assert_batch_independent("dpm2", &Dpm2::new(&grid));
    assert_batch_independent("dpm2 ancestral", &Dpm2::ancestral(&grid, 1.0, 1.0).unwrap());
    assert_batch_independent("dpm++ sde", &DpmppSde::new(&grid, 1.0, 1.0).unwrap());
    assert_batch_independent(
        "dpm++ 2s ancestral",
        &Dpmpp2sAncestral::new(&grid, 1.0, 1.0).unwrap(),
    );
    let heun_form = SecondOrder::Heun;
    assert_batch_independent(
        "dpm++ 2m sde",
        &DpmppMultistepSde::two_m(&grid, 1.0, 1.0, heun_form).unwrap(),
    );
    assert_batch_independent(
        "dpm++ 3m sde",
        &DpmppMultistepSde::three_m(&grid, 1.0, 1.0).unwrap(),
    );
    assert_batch_independent("lms 4", &Lms::new(&grid, 4).unwrap());
    let betas = BetaSchedule::linear(1e-4, 0.02, 40).unwrap();
    assert_batch_independent("ddpm", &Ddpm::new(&betas, DdpmVariance::Posterior));
}

/// Churn settings under which gamma = 0 at every step: S_churn = 0 (with any window and
/// S_noise), or a window above every noise level.
fn no_churn() -> [Churn; 4] {
    [
        Churn::none(),
        Churn::new(0.0, 0.0, f64::INFINITY, 1.0).unwrap(),
        Churn::new(0.0, 0.05, 50.0, 1.007).unwrap(),
        Churn::new(80.0, 1e6, 1e7, 1.0).unwrap(),
    ]
}

/// I25: with gamma = 0 everywhere, Algorithm 2 draws no noise and equals Algorithm 1 bitwise,
/// for every schedule (with its own steps and with EDM's), every solver and every such churn.
#[test]
fn i25_zero_churn_is_algorithm_1_bitwise() {
    let data = log_spaced_gaussian(DIM, 1e-3, 1.0, 0.2).unwrap();
    let seeds = [4, 8];
    for name in Family::ALL {
        let schedule = ScheduleKind::paper(name);
        for disc in [name, Family::Edm] {
            let times = Discretization::paper(disc)
                .times_for(10, &schedule)
                .unwrap();
            for solver in [Solver::Euler, Solver::HEUN, Solver::Heun { alpha: 0.6 }] {
                let (latent, streams) = latents(DIM, &seeds);
                let mut det_streams = streams.clone();
                let det = OdeSampler::new(&schedule, &times, solver)
                    .unwrap()
                    .sample(&data, &latent, &mut det_streams)
                    .unwrap();
                for churn in no_churn() {
                    let sampler = StochasticSampler::new(&schedule, &times, solver, churn).unwrap();
                    assert!((0..10).all(|i| sampler.churn(i).is_none()));
                    let mut st = streams.clone();
                    let out = sampler.sample(&data, &latent, &mut st).unwrap();
                    assert_eq!(bits(&out), bits(&det), "{name}/{disc} {solver:?} {churn:?}");
                    assert_untouched(&mut st, &streams);
                }
            }
        }
    }
}

/// The streams after a run continue exactly where `before` stood: nothing was drawn.
fn assert_untouched(after: &mut [NoiseStream], before: &[NoiseStream]) {
    for (a, b) in after.iter_mut().zip(before) {
        let mut b = b.clone();
        for _ in 0..4 {
            assert_eq!(
                a.normal().to_bits(),
                b.normal().to_bits(),
                "noise was drawn"
            );
        }
    }
}

/// The contrast: with churn inside the window, noise is drawn and the result differs.
#[test]
fn churn_inside_the_window_draws_noise() {
    let data = log_spaced_gaussian(DIM, 1e-3, 1.0, 0.2).unwrap();
    let times = Discretization::paper(Family::Edm)
        .times_for(10, &Edm)
        .unwrap();
    let churn = Churn::new(10.0, 0.05, 50.0, 1.0).unwrap();
    let sampler = StochasticSampler::new(&Edm, &times, Solver::HEUN, churn).unwrap();
    let (latent, streams) = latents(DIM, &[1]);
    let mut st = streams.clone();
    let out = sampler.sample(&data, &latent, &mut st).unwrap();
    let det = OdeSampler::new(&Edm, &times, Solver::HEUN)
        .unwrap()
        .sample(&data, &latent, &mut streams.clone())
        .unwrap();
    assert_ne!(bits(&out), bits(&det));
    let churned = (0..10).filter(|&i| sampler.churn(i).is_some()).count();
    let in_window = times[..10]
        .iter()
        .filter(|&&t| (0.05..=50.0).contains(&Edm.sigma_at(t)))
        .count();
    assert_eq!(churned, in_window);
    assert_ne!(
        st[0].normal().to_bits(),
        streams[0].clone().normal().to_bits()
    );
}
