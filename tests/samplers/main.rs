//! The samplers' tests: every sampler against the exact flow and law of analytic data (order,
//! determinism, guidance, DDPM/DDIM, the reverse SDE, the stochastic sampler).

#[path = "../common/mod.rs"]
mod common;

mod basic;
mod brownian;
mod ddpm;
mod determinism;
mod dpm;
mod fig2;
mod guidance;
mod law;
mod noise;
mod order;
mod sde;
mod stochastic;
