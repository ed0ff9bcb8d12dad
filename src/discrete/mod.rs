//! Discrete-time models, the Stable Diffusion family (I32–I34): a table of T alpha-bars from
//! betas ([`DiscreteTable`]: `linear`, `scaled_linear`, `squaredcos_cap_v2`, any user table,
//! zero-terminal-SNR rescaling), its noise levels as a continuous [`crate::schedule::Schedule`]
//! ([`DiscreteSchedule`], k-diffusion's log-sigma interpolation, and nearest-timestep
//! quantisation), the eps / v / x0 prediction types and their conversions to and from the
//! denoiser ([`Prediction`], [`DiscreteDenoiser`]), and the timestep spacings of diffusers and
//! the sigma spacings over a table ([`Spacing`], [`SigmaSpacing`]), and DDIM in timestep form
//! ([`DiscreteDdim`]), which starts at sigma = inf on a zero-terminal-SNR table.
//!
//! A discrete model is thereby an ordinary denoiser on an ordinary schedule: every coefficient,
//! sampler and the analytic oracle of the crate apply to it unchanged.

mod ddim;
mod model;
mod prediction;
mod schedule;
mod spacing;
mod table;

pub use ddim::{DiscreteDdim, FinalStep};
pub use model::{DiscreteDenoiser, DiscreteModel, Timestep};
pub use prediction::{Prediction, VpLevel};
pub use schedule::DiscreteSchedule;
pub use spacing::{SigmaSpacing, Spacing};
pub use table::{DiscreteTable, MIN_ALPHA_BAR, MIN_BETA};
