//! The neural-network half (feature `candle`): ops, networks, preconditioned models, checkpoints,
//! training, the digits data and classifier; `cuda` runs only with the `cuda` feature on a GPU.
#![cfg(feature = "candle")]

#[path = "../common/mod.rs"]
mod common;

mod checkpoint;
mod classifier;
mod convert;
#[cfg(feature = "cuda")]
mod cuda;
mod data_mnist;
mod networks;
mod ops;
mod precond;
mod train;
