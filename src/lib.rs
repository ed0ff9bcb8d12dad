//! # elucidated
//!
//! A verified numerical reference implementation of the EDM framework for diffusion models
//! (Karras, Aittala, Aila, Laine, "Elucidating the Design Space of Diffusion-Based Generative
//! Models", NeurIPS 2022, arXiv:2206.00364).
//!
//! Every coefficient is derived from two functions of a [`schedule::Schedule`]: the noise level
//! sigma(t) and the scale s(t). Identities are catalogued as I01–I31; each is cited by the code
//! that relies on it, proved in `proofs/`, and tested by a test named after it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analytic;
#[cfg(feature = "candle")]
pub mod classifier;
pub mod conversions;
pub mod data;
pub(crate) mod dd;
pub mod ddpm;
pub mod denoiser;
pub mod discrete;
pub mod error;
pub mod family;
pub mod io;
pub mod metrics;
#[cfg(feature = "candle")]
pub mod nn;
pub mod noise;
pub mod noise_level;
pub mod pickle;
pub mod precond;
pub mod sampler;
pub mod schedule;
pub mod sde;
pub mod state;
pub mod steps;
pub mod tolerance;
pub mod vectors;
pub mod vlb;

pub use error::{Error, Result};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
