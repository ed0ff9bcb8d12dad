//! Runtime choice among the samplers that run on a schedule's time grid (the CLI's names).

use super::churn::Churn;
use super::ddim::Ddim;
use super::dpmpp::Dpmpp2m;
use super::grid::SigmaGrid;
use super::noise::NoiseSource;
use super::ode::OdeSampler;
use super::plan::Solver;
use super::run::{Options, Sample, Sampler};
use super::sde::ReverseSde;
use super::stochastic::StochasticSampler;
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::schedule::Schedule;
use crate::state::State;

/// A sampler chosen by name, with its parameters. [`crate::sampler::Ddpm`] is not among them:
/// it runs on a discrete beta schedule rather than on a schedule's times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerKind {
    /// Euler on the PF-ODE (Algorithm 1, first order).
    Euler,
    /// Heun on the PF-ODE (Algorithm 1).
    Heun,
    /// DPM-Solver++(2M).
    Dpmpp2m,
    /// DDIM with the given eta in [0, 1].
    Ddim {
        /// eta.
        eta: f64,
    },
    /// Algorithm 2 (Heun with churn).
    Stochastic(Churn),
    /// Euler–Maruyama on Song et al.'s reverse SDE (beta = sigma'/sigma).
    ReverseSde,
}

impl SamplerKind {
    /// The names [`SamplerKind::from_name`] accepts.
    pub const NAMES: [&'static str; 7] = [
        "euler",
        "heun",
        "dpmpp2m",
        "ddim",
        "ancestral",
        "stochastic",
        "sde",
    ];

    /// The sampler named `name`: `ddim` is eta = 0, `ancestral` is DDIM at eta = 1, and
    /// `stochastic` is Algorithm 2 with S_churn = 40, S_tmin = 0.05, S_tmax = 50, S_noise = 1.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "euler" => SamplerKind::Euler,
            "heun" => SamplerKind::Heun,
            "dpmpp2m" => SamplerKind::Dpmpp2m,
            "ddim" => SamplerKind::Ddim { eta: 0.0 },
            "ancestral" => SamplerKind::Ddim { eta: 1.0 },
            "stochastic" => SamplerKind::Stochastic(Churn::new(40.0, 0.05, 50.0, 1.0)?),
            "sde" => SamplerKind::ReverseSde,
            _ => {
                return Err(Error::UnknownName {
                    what: "sampler",
                    name: name.to_owned(),
                });
            }
        })
    }

    /// Whether the sampler draws noise after the latent (so that it samples a distribution
    /// rather than following the PF-ODE from its x_0).
    pub fn is_stochastic(&self) -> bool {
        match self {
            SamplerKind::Ddim { eta } => *eta > 0.0,
            SamplerKind::Stochastic(_) | SamplerKind::ReverseSde => true,
            _ => false,
        }
    }

    /// The number of steps N whose NFE is at most `nfe` and closest to it: (nfe + 1) / 2 for
    /// the Heun-based samplers (2N - 1 evaluations), nfe for the others. At least 1.
    pub fn steps_for_nfe(&self, nfe: usize) -> usize {
        match self {
            SamplerKind::Heun | SamplerKind::Stochastic(_) => nfe.div_ceil(2),
            _ => nfe,
        }
        .max(1)
    }

    /// The sampler for `schedule` at `times`.
    pub fn build<S: Schedule>(&self, schedule: &S, times: &[f64]) -> Result<AnySampler> {
        Ok(match *self {
            SamplerKind::Euler => AnySampler::Ode(OdeSampler::new(schedule, times, Solver::Euler)?),
            SamplerKind::Heun => AnySampler::Ode(OdeSampler::new(schedule, times, Solver::HEUN)?),
            SamplerKind::Dpmpp2m => {
                AnySampler::Dpmpp2m(Dpmpp2m::new(&SigmaGrid::from_schedule(schedule, times)?))
            }
            SamplerKind::Ddim { eta } => {
                AnySampler::Ddim(Ddim::new(&SigmaGrid::from_schedule(schedule, times)?, eta)?)
            }
            SamplerKind::Stochastic(churn) => AnySampler::Stochastic(StochasticSampler::new(
                schedule,
                times,
                Solver::HEUN,
                churn,
            )?),
            SamplerKind::ReverseSde => AnySampler::ReverseSde(ReverseSde::song(schedule, times)?),
        })
    }
}

/// Any of the samplers of [`SamplerKind`], built.
#[derive(Debug, Clone, PartialEq)]
pub enum AnySampler {
    /// Euler or Heun.
    Ode(OdeSampler),
    /// Algorithm 2.
    Stochastic(StochasticSampler),
    /// Reverse-SDE Euler–Maruyama.
    ReverseSde(ReverseSde),
    /// DDIM.
    Ddim(Ddim),
    /// DPM-Solver++(2M).
    Dpmpp2m(Dpmpp2m),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnySampler::Ode($s) => $e,
            AnySampler::Stochastic($s) => $e,
            AnySampler::ReverseSde($s) => $e,
            AnySampler::Ddim($s) => $e,
            AnySampler::Dpmpp2m($s) => $e,
        }
    };
}

impl Sampler for AnySampler {
    fn steps(&self) -> usize {
        dispatch!(self, s => s.steps())
    }

    fn nfe(&self) -> usize {
        dispatch!(self, s => s.nfe())
    }

    fn sample_with<S, D, N>(
        &self,
        denoiser: &D,
        latent: &S,
        noise: &mut N,
        options: Options<'_, S>,
    ) -> Result<Sample<S>>
    where
        S: State,
        D: Denoiser<S> + ?Sized,
        N: NoiseSource<S> + ?Sized,
    {
        dispatch!(self, s => s.sample_with(denoiser, latent, noise, options))
    }
}
