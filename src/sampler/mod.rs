//! Samplers (EDM Sec. 3 and 4, Algorithms 1 and 2; I24–I27), generic over the [`State`] they
//! move and the [`Denoiser`] they call, so that the code tested here in float64 on analytic data
//! is the code that drives a network.
//!
//! - [`OdeSampler`]: Euler and Heun (and NVlabs's alpha variant) on the PF-ODE for any (s, sigma)
//!   (Algorithm 1, I07, I24).
//! - [`StochasticSampler`]: Algorithm 2 with churn (I25).
//! - [`ReverseSde`]: Euler–Maruyama for the reverse SDE of Eq. 6 with any beta(t) (I26).
//! - [`Ddim`] with eta in [0, 1] and [`Ddpm`] ancestral sampling from discrete betas (I27).
//! - [`Dpmpp2m`]: the multistep DPM-Solver++(2M) in the (s, sigma) formulation.
//! - k-diffusion's samplers (I35, I36): [`Dpm2`] (deterministic and ancestral), [`Lms`],
//!   [`Dpmpp2sAncestral`], [`DpmppSde`], [`DpmppMultistepSde`] (2M SDE, midpoint and Heun; 3M
//!   SDE); [`Ddim::ancestral`] is its Euler ancestral with eta and s_noise.
//! - Noise sources ([`NoiseSource`]): the per-sample streams, [`Replay`] of given draws,
//!   [`Recorder`], and one Brownian path per sample ([`BrownianNoise`], I37).
//! - [`SamplerKind`] and [`AnySampler`]: the choice by name at run time.
//! - [`GaussianLaw`]: the exact law of any sampler's output on Gaussian data, and its
//!   [`crate::metrics::wasserstein2`] distance to the data.
//!
//! Every sampler starts from x_0 = sigma_0 s_0 n with a standard normal latent n, counts its
//! denoiser evaluations ([`Sampler::nfe`]), reports each step to an optional callback and can
//! record its trajectory ([`Options`]). Sample k's noise comes only from the stream of its seed
//! ([`NoiseStream`]), so a batch is bitwise the same as its samples drawn one at a time
//! ([`generate`], [`generate_columns`]).
//!
//! [`State`]: crate::state::State
//! [`Denoiser`]: crate::denoiser::Denoiser
//! [`NoiseStream`]: crate::noise::NoiseStream

mod affine;
mod brownian;
mod churn;
mod ddim;
mod ddpm;
mod dpm2;
mod dpmpp;
mod dpmpp_2s;
mod dpmpp_msde;
mod dpmpp_sde;
mod grid;
mod kind;
mod law;
mod lms;
mod noise;
mod ode;
mod parallel;
mod plan;
mod run;
mod sde;
mod stochastic;

pub use brownian::BrownianNoise;
pub use churn::{Churn, ChurnStep};
pub use ddim::{AncestralSplit, Ddim};
pub use ddpm::{Ddpm, DdpmVariance};
pub use dpm2::Dpm2;
pub use dpmpp::Dpmpp2m;
pub use dpmpp_2s::Dpmpp2sAncestral;
pub use dpmpp_msde::{DpmppMultistepSde, SecondOrder};
pub use dpmpp_sde::DpmppSde;
pub use grid::SigmaGrid;
pub use kind::{AnySampler, SamplerKind, SamplerName};
pub use law::GaussianLaw;
pub use lms::{Lms, MAX_LMS_ORDER};
pub use noise::{NoiseConvention, NoiseRequest, NoiseSource, Recorder, Replay};
pub use ode::OdeSampler;
pub use parallel::generate_columns;
pub use plan::Solver;
pub use run::{Observer, Options, Run, Sample, Sampler, StepEvent, generate};
pub use sde::{EmStep, ReverseSde};
pub use stochastic::StochasticSampler;
