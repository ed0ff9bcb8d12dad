//! The traits and types needed to define a schedule, derive its coefficients and run a sampler
//! on analytic data: `use elucidated::prelude::*;`.
//!
//! The crate's `Result` alias is left out on purpose: a glob import of it would shadow
//! `std::result::Result` in the importing module. Write `elucidated::Result` where it is wanted.

pub use crate::analytic::{ColumnState, Gaussian, GaussianMixture};
pub use crate::denoiser::{Denoiser, FromFn, Guided};
pub use crate::error::Error;
pub use crate::noise::NoiseStream;
pub use crate::precond::{EdmPrecond, Preconditioner};
pub use crate::sampler::{
    Ddim, Ddpm, Dpmpp2m, NoiseSource, OdeSampler, Options, ReverseSde, Sample, Sampler, Solver,
    StochasticSampler, generate,
};
pub use crate::schedule::{Checked, Edm, Iddpm, KnotSchedule, Scalar, Schedule, Ve, Vp, VpScaled};
pub use crate::sde::Coefficients;
pub use crate::state::State;
pub use crate::steps::Discretization;
