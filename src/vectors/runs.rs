//! The reference trajectories: the crate's samplers run on the analytic oracle (I30, I31), with
//! the noise they draw replayed from the same streams so that it can be written out.

use super::params::ScheduleSpec;
use super::trajectories::{ProblemSpec, SamplerSpec, TrajectoryCase};
use crate::analytic::{Gaussian, GaussianMixture};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::family::Family;
use crate::noise::NoiseStream;
use crate::sampler::{
    Churn, Ddim, Dpmpp2m, OdeSampler, Options, Sampler, SigmaGrid, Solver, StochasticSampler,
};
use crate::schedule::ScheduleKind;
use crate::state::State;
use crate::steps::Discretization;
use nalgebra::{DMatrix, DVector};

/// The seeds of the samples of every trajectory: a batch of four.
const SEEDS: [u64; 4] = [11, 12, 13, 14];

/// Steps N of every trajectory: enough for every sampler's structure (Algorithm 2's churn
/// window, DPM-Solver++'s multistep, the final Euler step into sigma = 0), small enough to read.
const STEPS: usize = 12;

/// The oracle of a problem: the exact denoiser of its data.
enum Oracle {
    Gaussian(Gaussian),
    Mixture(GaussianMixture),
}

impl Denoiser<DMatrix<f64>> for Oracle {
    fn denoise(&self, x: &DMatrix<f64>, sigma: f64) -> Result<DMatrix<f64>> {
        match self {
            Oracle::Gaussian(g) => g.denoise(x, sigma),
            Oracle::Mixture(m) => m.denoise(x, sigma),
        }
    }
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), rows.first().map_or(0, Vec::len), |i, j| {
        rows[i][j]
    })
}

fn gaussian(mean: &[f64], covariance: &[Vec<f64>]) -> Result<Gaussian> {
    Gaussian::new(DVector::from_column_slice(mean), matrix(covariance))
}

impl ProblemSpec {
    fn oracle(&self) -> Result<Oracle> {
        Ok(match self {
            ProblemSpec::Gaussian { mean, covariance } => {
                Oracle::Gaussian(gaussian(mean, covariance)?)
            }
            ProblemSpec::Mixture {
                weights,
                means,
                covariances,
            } => {
                let components = means
                    .iter()
                    .zip(covariances)
                    .map(|(m, c)| gaussian(m, c))
                    .collect::<Result<_>>()?;
                Oracle::Mixture(GaussianMixture::new(weights, components)?)
            }
        })
    }
}

/// Gaussian data in R^3 with a full covariance (eigenvalues about 0.4, 0.8, 2.3).
fn gaussian_problem() -> ProblemSpec {
    ProblemSpec::Gaussian {
        mean: vec![0.5, -1.0, 2.0],
        covariance: vec![
            vec![2.0, 0.6, -0.3],
            vec![0.6, 1.0, 0.2],
            vec![-0.3, 0.2, 0.5],
        ],
    }
}

/// Two well-separated correlated components in R^2, weights 1/4 and 3/4 (exact in binary, so
/// the oracle's normalisation leaves them unchanged).
fn mixture_problem() -> ProblemSpec {
    ProblemSpec::Mixture {
        weights: vec![0.25, 0.75],
        means: vec![vec![-2.0, 1.0], vec![1.5, -0.5]],
        covariances: vec![
            vec![vec![0.3, 0.1], vec![0.1, 0.2]],
            vec![vec![0.5, -0.2], vec![-0.2, 0.4]],
        ],
    }
}

/// The samplers of the reference: Euler, Heun, Algorithm 2 with the paper's ImageNet churn
/// window and noise inflation (S_churn = 40 gives gamma = sqrt(2) - 1 at N = 12), DDIM at
/// eta = 0 and 1, DPM-Solver++(2M).
const SAMPLERS: [SamplerSpec; 6] = [
    SamplerSpec::Euler,
    SamplerSpec::Heun,
    SamplerSpec::Alg2 {
        s_churn: 40.0,
        s_tmin: 0.05,
        s_tmax: 50.0,
        s_noise: 1.003,
    },
    SamplerSpec::Ddim { eta: 0.0 },
    SamplerSpec::Ddim { eta: 1.0 },
    SamplerSpec::Dpmpp2m,
];

/// The time grid of `schedule`: EDM's paper steps (t = sigma), or VP's own times.
fn times(schedule: &ScheduleSpec) -> Result<Vec<f64>> {
    match schedule {
        ScheduleSpec::Vp { .. } => Discretization::paper(Family::Vp).native_times(STEPS),
        _ => Discretization::paper(Family::Edm).times_for(STEPS, &schedule.build()?),
    }
}

fn rows_of(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    m.column_iter()
        .map(|c| c.iter().copied().collect())
        .collect()
}

/// Runs `sampler` from the streams of [`SEEDS`], recording the trajectory, and replays the
/// streams to write out the latent and the noise of the steps where `draws` says the sampler
/// draws. The replay is verified: after it, the streams must be where the sampler left them.
fn record<P: Sampler>(
    sampler: &P,
    draws: impl Fn(usize) -> bool,
    oracle: &Oracle,
    dim: usize,
) -> Result<Recorded> {
    let template = DMatrix::<f64>::zeros(dim, SEEDS.len());
    let mut streams = NoiseStream::for_seeds(&SEEDS);
    let latent = template.randn_like(&mut streams)?;
    let sample = sampler.sample_with(oracle, &latent, &mut streams, Options::new().record())?;
    let mut replay = NoiseStream::for_seeds(&SEEDS);
    template.randn_like(&mut replay)?;
    let noise = (0..sampler.steps())
        .map(|i| {
            Ok(if draws(i) {
                Some(rows_of(&template.randn_like(&mut replay)?))
            } else {
                None
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let in_step = streams
        .iter_mut()
        .zip(&mut replay)
        .all(|(a, b)| a.normal().to_bits() == b.normal().to_bits());
    if !in_step {
        return Err(Error::InvalidField {
            file: "reference".to_owned(),
            field: "trajectories.noise".to_owned(),
            reason: "the sampler drew noise at other steps than the export replays".to_owned(),
        });
    }
    let trajectory = sample.trajectory.iter().map(rows_of).collect();
    Ok((rows_of(&latent), noise, trajectory))
}

impl TrajectoryCase {
    /// The reference trajectory of `sampler` on `problem` under `schedule` at `times`, from the
    /// noise streams of the seeds 11, 12, 13, 14 (one sample each).
    pub fn compute(
        problem: ProblemSpec,
        schedule: ScheduleSpec,
        sampler: SamplerSpec,
        times: Vec<f64>,
    ) -> Result<Self> {
        let oracle = problem.oracle()?;
        let kind = schedule.build()?;
        let d = problem.dim();
        let (latent, noise, trajectory) = run(&kind, sampler, &times, &oracle, d)?;
        Ok(TrajectoryCase {
            problem,
            schedule,
            sampler,
            t: times,
            latent,
            noise,
            trajectory: Some(trajectory),
        })
    }
}

type Recorded = (
    Vec<Vec<f64>>,
    Vec<Option<Vec<Vec<f64>>>>,
    Vec<Vec<Vec<f64>>>,
);

fn run(
    schedule: &ScheduleKind,
    sampler: SamplerSpec,
    times: &[f64],
    oracle: &Oracle,
    d: usize,
) -> Result<Recorded> {
    let never = |_| false;
    match sampler {
        SamplerSpec::Euler => {
            let s = OdeSampler::new(schedule, times, Solver::Euler)?;
            record(&s, never, oracle, d)
        }
        SamplerSpec::Heun => {
            let s = OdeSampler::new(schedule, times, Solver::HEUN)?;
            record(&s, never, oracle, d)
        }
        SamplerSpec::Alg2 {
            s_churn,
            s_tmin,
            s_tmax,
            s_noise,
        } => {
            let churn = Churn::new(s_churn, s_tmin, s_tmax, s_noise)?;
            let s = StochasticSampler::new(schedule, times, Solver::HEUN, churn)?;
            record(&s, |i| s.churn(i).is_some(), oracle, d)
        }
        SamplerSpec::Ddim { eta } => {
            let s = Ddim::new(&SigmaGrid::from_schedule(schedule, times)?, eta)?;
            record(&s, |i| s.noise_std(i).is_some_and(|n| n > 0.0), oracle, d)
        }
        SamplerSpec::Dpmpp2m => {
            let s = Dpmpp2m::new(&SigmaGrid::from_schedule(schedule, times)?);
            record(&s, never, oracle, d)
        }
    }
}

/// The reference trajectories: every sampler on the Gaussian and the mixture problem, under the
/// EDM and the VP schedule.
pub(crate) fn reference() -> Result<Vec<TrajectoryCase>> {
    let mut cases = Vec::new();
    for problem in [gaussian_problem(), mixture_problem()] {
        for schedule in [
            ScheduleSpec::paper(Family::Edm),
            ScheduleSpec::paper(Family::Vp),
        ] {
            let t = times(&schedule)?;
            for sampler in SAMPLERS {
                cases.push(TrajectoryCase::compute(
                    problem.clone(),
                    schedule,
                    sampler,
                    t.clone(),
                )?);
            }
        }
    }
    Ok(cases)
}
