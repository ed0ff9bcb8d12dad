//! Noise sources: a run's draws, recorded with their requests and replayed, reproduce the run bit
//! for bit; the conventions make the draws they promise (where used, or one per step); a missing
//! replayed draw is a typed error.

use crate::common::samplers::latents;
use elucidated::Error;
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    Churn, Ddim, NoiseConvention, Options, Recorder, Replay, ReverseSde, Sampler, SigmaGrid,
    Solver, StochasticSampler,
};
use elucidated::schedule::{Edm, Vp};
use elucidated::steps::Discretization;
use nalgebra::DMatrix;

const SEEDS: [u64; 3] = [4, 8, 15];
const DIM: usize = 3;
const STEPS: usize = 10;

fn bits(m: &DMatrix<f64>) -> Vec<u64> {
    m.iter().map(|v| v.to_bits()).collect()
}

/// Algorithm 2 with churn only inside [S_tmin, S_tmax] = [0.05, 1]: some steps draw, some not.
fn stochastic() -> StochasticSampler {
    let times = Discretization::paper(Family::Edm)
        .times_for(STEPS, &Edm)
        .unwrap();
    let churn = Churn::new(40.0, 0.05, 1.0, 1.003).unwrap();
    StochasticSampler::new(&Edm, &times, Solver::HEUN, churn).unwrap()
}

/// Runs `sampler` from the seeds' latents with `convention`, recording the draws.
fn recorded<P: Sampler>(
    sampler: &P,
    convention: NoiseConvention,
) -> (DMatrix<f64>, DMatrix<f64>, Replay<DMatrix<f64>>, usize) {
    let data = log_spaced_gaussian(DIM, 1e-2, 1.0, 0.3).unwrap();
    let (latent, streams) = latents(DIM, &SEEDS);
    let mut recorder = Recorder::new(streams);
    let options = Options::new().noise_convention(convention);
    let x = sampler
        .sample_with(&data, &latent, &mut recorder, options)
        .unwrap()
        .x;
    let (_, draws) = recorder.into_parts();
    let count = draws.len();
    (latent, x, Replay::from_recorded(draws), count)
}

/// The samplers that draw: Algorithm 2, DDIM at eta = 1 on VP's sigma grid, reverse-SDE
/// Euler–Maruyama on VP.
fn replay_reproduces<P: Sampler>(name: &str, sampler: &P) {
    let data = log_spaced_gaussian(DIM, 1e-2, 1.0, 0.3).unwrap();
    let (latent, x, mut replay, count) = recorded(sampler, NoiseConvention::WhereUsed);
    assert!(count > 0, "{name} made no draw");
    let again = sampler.sample(&data, &latent, &mut replay).unwrap();
    assert_eq!(bits(&again), bits(&x), "{name}: replayed run differs");
}

#[test]
fn replayed_draws_reproduce_a_stochastic_run_bitwise() {
    replay_reproduces("algorithm 2", &stochastic());
    let vp = Vp::paper();
    let times = Discretization::paper(Family::Vp)
        .native_times(STEPS)
        .unwrap();
    let grid = SigmaGrid::from_schedule(&vp, &times).unwrap();
    replay_reproduces("ddim eta 1", &Ddim::new(&grid, 1.0).unwrap());
    replay_reproduces("reverse sde", &ReverseSde::song(&vp, &times).unwrap());
}

/// Where used: one draw per step with churn (gamma > 0), none elsewhere. Every step: one draw
/// at each of the N steps, the extra ones with coefficient 0 — so the draws of an every-step run,
/// replayed where used, give that run's samples bit for bit.
#[test]
fn conventions_make_the_draws_they_promise_and_agree_on_replay() {
    let sampler = stochastic();
    let churned = (0..STEPS).filter(|&i| sampler.churn(i).is_some()).count();
    assert!(
        0 < churned && churned < STEPS,
        "{churned} of {STEPS} steps churn"
    );
    let (_, _, _, used) = recorded(&sampler, NoiseConvention::WhereUsed);
    assert_eq!(used, churned);
    let (latent, x_every, mut replay, every) = recorded(&sampler, NoiseConvention::EveryStep);
    assert_eq!(every, STEPS);
    let data = log_spaced_gaussian(DIM, 1e-2, 1.0, 0.3).unwrap();
    let again = sampler.sample(&data, &latent, &mut replay).unwrap();
    assert_eq!(bits(&again), bits(&x_every));
}

#[test]
fn a_missing_replayed_draw_is_a_typed_error() {
    let data = log_spaced_gaussian(DIM, 1e-2, 1.0, 0.3).unwrap();
    let (latent, _) = latents(DIM, &SEEDS);
    let sampler = stochastic();
    let first = (0..STEPS).find(|&i| sampler.churn(i).is_some()).unwrap();
    let mut empty: Replay<DMatrix<f64>> = Replay::new();
    match sampler.sample(&data, &latent, &mut empty) {
        Err(Error::MissingDraw { step, draw: 0 }) => assert_eq!(step, first),
        other => panic!("expected a missing draw, got {other:?}"),
    }
    let mut wrong = NoiseStream::for_seeds(&SEEDS[..2]);
    assert!(matches!(
        sampler.sample(&data, &latent, &mut wrong),
        Err(Error::DimensionMismatch { .. })
    ));
}
