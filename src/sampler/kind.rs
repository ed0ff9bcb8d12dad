//! Runtime choice among the samplers that run on a schedule's time grid: [`SamplerName`] is
//! what the CLI parses, [`SamplerKind`] the sampler with its parameters.

use core::fmt;
use core::str::FromStr;

use super::churn::Churn;
use super::ddim::Ddim;
use super::dpm2::Dpm2;
use super::dpmpp::Dpmpp2m;
use super::dpmpp_2s::Dpmpp2sAncestral;
use super::dpmpp_msde::{DpmppMultistepSde, SecondOrder};
use super::dpmpp_sde::DpmppSde;
use super::grid::SigmaGrid;
use super::lms::{Lms, MAX_LMS_ORDER};
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
    /// k-diffusion's DPM-2 (second order, 2N - 1 evaluations).
    Dpm2,
    /// DPM-2 ancestral, eta = 1, s_noise = 1.
    Dpm2Ancestral,
    /// Linear multistep in sigma, order 4.
    Lms,
    /// DPM-Solver++(2S) ancestral, eta = 1, s_noise = 1.
    Dpmpp2sAncestral,
    /// DPM-Solver++ SDE (r = 1/2), eta = 1, s_noise = 1.
    DpmppSde,
    /// DPM-Solver++(2M) SDE (midpoint form), eta = 1, s_noise = 1.
    Dpmpp2mSde,
    /// DPM-Solver++(3M) SDE as k-diffusion computes it, eta = 1, s_noise = 1.
    Dpmpp3mSde,
}

impl SamplerName {
    /// Every name, in the CLI's order.
    pub const ALL: [SamplerName; 14] = [
        SamplerName::Euler,
        SamplerName::Heun,
        SamplerName::Dpmpp2m,
        SamplerName::Ddim,
        SamplerName::Ancestral,
        SamplerName::Stochastic,
        SamplerName::Sde,
        SamplerName::Dpm2,
        SamplerName::Dpm2Ancestral,
        SamplerName::Lms,
        SamplerName::Dpmpp2sAncestral,
        SamplerName::DpmppSde,
        SamplerName::Dpmpp2mSde,
        SamplerName::Dpmpp3mSde,
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
            SamplerName::Dpm2 => "dpm2",
            SamplerName::Dpm2Ancestral => "dpm2-ancestral",
            SamplerName::Lms => "lms",
            SamplerName::Dpmpp2sAncestral => "dpmpp2s-ancestral",
            SamplerName::DpmppSde => "dpmpp-sde",
            SamplerName::Dpmpp2mSde => "dpmpp2m-sde",
            SamplerName::Dpmpp3mSde => "dpmpp3m-sde",
        }
    }

    /// The sampler with its default parameters: `ddim` is eta = 0, `ancestral` is DDIM at
    /// eta = 1, `stochastic` is Algorithm 2 with [`SamplerKind::DEFAULT_CHURN`], `lms` is of
    /// order 4, and k-diffusion's stochastic samplers take its defaults eta = 1, s_noise = 1.
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
            SamplerName::Dpm2 => SamplerKind::Dpm2,
            SamplerName::Dpm2Ancestral => SamplerKind::Dpm2Ancestral { eta: 1.0 },
            SamplerName::Lms => SamplerKind::Lms {
                order: MAX_LMS_ORDER,
            },
            SamplerName::Dpmpp2sAncestral => SamplerKind::Dpmpp2sAncestral { eta: 1.0 },
            SamplerName::DpmppSde => SamplerKind::DpmppSde { eta: 1.0 },
            SamplerName::Dpmpp2mSde => SamplerKind::Dpmpp2mSde { eta: 1.0 },
            SamplerName::Dpmpp3mSde => SamplerKind::Dpmpp3mSde { eta: 1.0 },
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
    /// DPM-2 ([`Dpm2::new`]).
    Dpm2,
    /// DPM-2 ancestral with the given eta ([`Dpm2::ancestral`], s_noise = 1).
    Dpm2Ancestral {
        /// eta.
        eta: f64,
    },
    /// Linear multistep of the given order ([`Lms`]).
    Lms {
        /// Order, 1 to 4.
        order: usize,
    },
    /// DPM-Solver++(2S) ancestral with the given eta (s_noise = 1).
    Dpmpp2sAncestral {
        /// eta.
        eta: f64,
    },
    /// DPM-Solver++ SDE with the given eta (s_noise = 1).
    DpmppSde {
        /// eta.
        eta: f64,
    },
    /// DPM-Solver++(2M) SDE, midpoint form, with the given eta (s_noise = 1).
    Dpmpp2mSde {
        /// eta.
        eta: f64,
    },
    /// DPM-Solver++(3M) SDE as k-diffusion computes it, with the given eta (s_noise = 1).
    Dpmpp3mSde {
        /// eta.
        eta: f64,
    },
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
            SamplerKind::Ddim { eta }
            | SamplerKind::Dpm2Ancestral { eta }
            | SamplerKind::Dpmpp2sAncestral { eta }
            | SamplerKind::DpmppSde { eta }
            | SamplerKind::Dpmpp2mSde { eta }
            | SamplerKind::Dpmpp3mSde { eta } => *eta > 0.0,
            SamplerKind::Stochastic(_) | SamplerKind::ReverseSde => true,
            SamplerKind::Euler
            | SamplerKind::Heun
            | SamplerKind::Dpmpp2m
            | SamplerKind::Dpm2
            | SamplerKind::Lms { .. } => false,
        }
    }

    /// The number of steps N whose NFE is at most `nfe` and closest to it: (nfe + 1) / 2 for
    /// the samplers with two evaluations per step but one on the step into sigma = 0 (Heun,
    /// Algorithm 2, DPM-2 and DPM-2 ancestral, DPM-Solver++(2S) ancestral and SDE: 2N - 1
    /// evaluations), nfe for the others. At least 1.
    pub fn steps_for_nfe(&self, nfe: usize) -> usize {
        match self {
            SamplerKind::Heun
            | SamplerKind::Stochastic(_)
            | SamplerKind::Dpm2
            | SamplerKind::Dpm2Ancestral { .. }
            | SamplerKind::Dpmpp2sAncestral { .. }
            | SamplerKind::DpmppSde { .. } => nfe.div_ceil(2),
            _ => nfe,
        }
        .max(1)
    }

    /// The sampler for `schedule` at `times`.
    pub fn build<S: Schedule>(&self, schedule: &S, times: &[f64]) -> Result<AnySampler> {
        let grid = || SigmaGrid::from_schedule(schedule, times);
        Ok(match *self {
            SamplerKind::Euler => AnySampler::Ode(OdeSampler::new(schedule, times, Solver::Euler)?),
            SamplerKind::Heun => AnySampler::Ode(OdeSampler::new(schedule, times, Solver::HEUN)?),
            SamplerKind::Dpmpp2m => AnySampler::Dpmpp2m(Dpmpp2m::new(&grid()?)),
            SamplerKind::Ddim { eta } => AnySampler::Ddim(Ddim::new(&grid()?, eta)?),
            SamplerKind::Stochastic(churn) => AnySampler::Stochastic(StochasticSampler::new(
                schedule,
                times,
                Solver::HEUN,
                churn,
            )?),
            SamplerKind::ReverseSde => AnySampler::ReverseSde(ReverseSde::song(schedule, times)?),
            SamplerKind::Dpm2 => AnySampler::Dpm2(Dpm2::new(&grid()?)),
            SamplerKind::Dpm2Ancestral { eta } => {
                AnySampler::Dpm2(Dpm2::ancestral(&grid()?, eta, 1.0)?)
            }
            SamplerKind::Lms { order } => AnySampler::Lms(Lms::new(&grid()?, order)?),
            SamplerKind::Dpmpp2sAncestral { eta } => {
                AnySampler::Dpmpp2sAncestral(Dpmpp2sAncestral::new(&grid()?, eta, 1.0)?)
            }
            SamplerKind::DpmppSde { eta } => {
                AnySampler::DpmppSde(DpmppSde::new(&grid()?, eta, 1.0)?)
            }
            SamplerKind::Dpmpp2mSde { eta } => AnySampler::DpmppMultistepSde(
                DpmppMultistepSde::two_m(&grid()?, eta, 1.0, SecondOrder::Midpoint)?,
            ),
            SamplerKind::Dpmpp3mSde { eta } => {
                AnySampler::DpmppMultistepSde(DpmppMultistepSde::three_m(&grid()?, eta, 1.0)?)
            }
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
    /// DPM-2, deterministic or ancestral.
    Dpm2(Dpm2),
    /// Linear multistep.
    Lms(Lms),
    /// DPM-Solver++(2S) ancestral.
    Dpmpp2sAncestral(Dpmpp2sAncestral),
    /// DPM-Solver++ SDE.
    DpmppSde(DpmppSde),
    /// DPM-Solver++(2M) or (3M) SDE.
    DpmppMultistepSde(DpmppMultistepSde),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnySampler::Ode($s) => $e,
            AnySampler::Stochastic($s) => $e,
            AnySampler::ReverseSde($s) => $e,
            AnySampler::Ddim($s) => $e,
            AnySampler::Dpmpp2m($s) => $e,
            AnySampler::Dpm2($s) => $e,
            AnySampler::Lms($s) => $e,
            AnySampler::Dpmpp2sAncestral($s) => $e,
            AnySampler::DpmppSde($s) => $e,
            AnySampler::DpmppMultistepSde($s) => $e,
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
