//! Runtime choice among the samplers that run on a schedule's time grid: [`SamplerName`] is
//! what the CLI parses, [`SamplerKind`] the sampler with its parameters.

use core::fmt;
use core::str::FromStr;

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

/// The name of a sampler of [`SamplerKind`], without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SamplerName {
    /// Euler on the PF-ODE (Algorithm 1, first order).
    Euler,
    /// Heun on the PF-ODE (Algorithm 1).
    Heun,
    /// DPM-Solver++(2M).
    Dpmpp2m,
    /// DDIM, eta = 0 unless given.
    Ddim,
    /// DDIM at eta = 1 (ancestral sampling).
    Ancestral,
    /// Algorithm 2 (Heun with churn).
    Stochastic,
    /// Euler–Maruyama on the reverse SDE.
    Sde,
}

impl SamplerName {
    /// Every name, in the CLI's order.
    pub const ALL: [SamplerName; 7] = [
        SamplerName::Euler,
        SamplerName::Heun,
        SamplerName::Dpmpp2m,
        SamplerName::Ddim,
        SamplerName::Ancestral,
        SamplerName::Stochastic,
        SamplerName::Sde,
    ];

    /// The name as the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SamplerName::Euler => "euler",
            SamplerName::Heun => "heun",
            SamplerName::Dpmpp2m => "dpmpp2m",
            SamplerName::Ddim => "ddim",
            SamplerName::Ancestral => "ancestral",
            SamplerName::Stochastic => "stochastic",
            SamplerName::Sde => "sde",
        }
    }

    /// The sampler with its default parameters: `ddim` is eta = 0, `ancestral` is DDIM at
    /// eta = 1, and `stochastic` is Algorithm 2 with [`SamplerKind::DEFAULT_CHURN`].
    ///
    /// # Errors
    ///
    /// None in practice: the default churn is valid (it is checked like any other).
    pub fn kind(self) -> Result<SamplerKind> {
        let [s_churn, s_tmin, s_tmax, s_noise] = SamplerKind::DEFAULT_CHURN;
        Ok(match self {
            SamplerName::Euler => SamplerKind::Euler,
            SamplerName::Heun => SamplerKind::Heun,
            SamplerName::Dpmpp2m => SamplerKind::Dpmpp2m,
            SamplerName::Ddim => SamplerKind::Ddim { eta: 0.0 },
            SamplerName::Ancestral => SamplerKind::Ddim { eta: 1.0 },
            SamplerName::Stochastic => {
                SamplerKind::Stochastic(Churn::new(s_churn, s_tmin, s_tmax, s_noise)?)
            }
            SamplerName::Sde => SamplerKind::ReverseSde,
        })
    }
}

impl fmt::Display for SamplerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SamplerName {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        SamplerName::ALL
            .into_iter()
            .find(|n| n.as_str() == name)
            .ok_or_else(|| Error::UnknownName {
                what: "sampler",
                name: name.to_owned(),
            })
    }
}

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
    /// Algorithm 2's S_churn, S_tmin, S_tmax, S_noise when none are given: 40, 0.05, 50, 1.
    pub const DEFAULT_CHURN: [f64; 4] = [40.0, 0.05, 50.0, 1.0];

    /// The sampler named `name` with its default parameters ([`SamplerName::kind`]).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownName`] for a name not in [`SamplerName::ALL`].
    pub fn from_name(name: &str) -> Result<Self> {
        name.parse::<SamplerName>()?.kind()
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
