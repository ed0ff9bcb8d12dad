//! # elucidated
//!
//! A verified numerical reference implementation of the EDM framework for diffusion models
//! (Karras, Aittala, Aila, Laine, "Elucidating the Design Space of Diffusion-Based Generative
//! Models", NeurIPS 2022, arXiv:2206.00364).
//!
//! Every coefficient is derived from two functions of a [`schedule::Schedule`]: the noise level
//! sigma(t) and the scale s(t). Identities are catalogued as I01–I39; each one implemented is
//! cited by the code that relies on it, tested by a test named after it, and proved in `proofs/`
//! where a proof is within reach (`proofs/README.md` says which).
//!
//! ## A schedule, its coefficients and a sampler, checked against the exact solution
//!
//! A user schedule defines sigma(t) and s(t) once; its derivatives, the drift f = s'/s and the
//! diffusion g come from automatic differentiation (I02). Heun's method (Algorithm 1) then runs
//! on Gaussian data, whose probability-flow ODE has a closed-form solution (I30) to compare with:
//!
//! ```
//! use elucidated::nalgebra::DVector;
//! use elucidated::prelude::*;
//! use std::f64::consts::FRAC_PI_2;
//!
//! struct Cosine; // sigma(t) = tan(pi t / 2), s(t) = cos(pi t / 2)
//! impl Schedule for Cosine {
//!     fn sigma<D: Scalar>(&self, t: D) -> D { (t * FRAC_PI_2).tan() }
//!     fn scale<D: Scalar>(&self, t: D) -> D { (t * FRAC_PI_2).cos() }
//!     fn t_range(&self) -> (f64, f64) { (0.0, 0.9) }
//! }
//! let cosine = Checked::new(Cosine, 256)?; // sigma increasing, s positive on a grid
//! assert!((Coefficients::at(&cosine, 0.5).f + FRAC_PI_2).abs() < 1e-15); // f = -(pi/2) tan
//!
//! let data = Gaussian::isotropic(DVector::from_vec(vec![1.0, -1.0]), 0.5)?;
//! let times: Vec<f64> = (0..=64).map(|i| 0.9 * (1.0 - i as f64 / 64.0)).collect();
//! let heun = OdeSampler::new(&cosine, &times, Solver::HEUN)?;
//! let latent = DVector::from_vec(vec![0.3, -1.2]);
//! let x = heun.sample(&data, &latent, &mut NoiseStream::for_seeds(&[0]))?;
//!
//! let x_0 = &latent * (cosine.sigma_at(0.9) * cosine.scale_at(0.9)); // where Heun starts
//! let exact = data.flow(&cosine, &x_0, 0.9, 0.0)?;
//! assert!((x - exact).norm() < 1e-3); // Heun's O(h^2) error, then an Euler step into sigma = 0
//! # Ok::<(), elucidated::Error>(())
//! ```
//!
//! [`prelude`] gathers what that example uses. The public traits speak of [`nalgebra`] vectors
//! and [`num_dual`] numbers; both crates are re-exported, so a user needs no version of their
//! own.
//!
//! ## Features
//!
//! `candle` (default) adds the neural networks (`nn`), the digits data and the classifier;
//! `cli` (default) the `edm` binary; `proptest` the crate's proptest strategies; `cuda` candle's
//! CUDA backend. `--no-default-features` builds the math core alone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analytic;
pub mod conversions;
pub(crate) mod dd;
pub mod ddpm;
pub mod denoiser;
#[cfg(feature = "candle")]
#[cfg_attr(docsrs, doc(cfg(feature = "candle")))]
pub mod digits;
pub mod discrete;
pub mod error;
pub mod family;
pub mod io;
pub(crate) mod json;
pub mod metrics;
#[cfg(feature = "candle")]
#[cfg_attr(docsrs, doc(cfg(feature = "candle")))]
pub mod nn;
pub mod noise;
pub mod noise_level;
pub mod pickle;
pub mod precond;
pub mod prelude;
pub mod sampler;
pub mod schedule;
pub mod sde;
pub mod state;
pub mod steps;
pub mod tolerance;
pub mod vectors;
pub mod vlb;

pub use error::{Error, Result};
pub use nalgebra;
pub use num_dual;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
