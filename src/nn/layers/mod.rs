//! The building blocks of NVlabs/edm `training/networks.py`, with its parameter names, shapes
//! and initialisations: `Linear`, `Conv2d` (with up/downsampling), `GroupNorm`, `UNetBlock`
//! and the positional and Fourier noise embeddings.

mod conv;
mod embedding;
mod group_norm;
mod linear;
mod unet_block;
mod weight_init;

pub use conv::{Conv2d, ConvOptions, Resample};
pub use embedding::{FourierEmbedding, positional_embedding};
pub use group_norm::GroupNorm;
pub use linear::Linear;
pub use unet_block::{BlockOptions, UNetBlock};
pub use weight_init::{InitMode, LayerInit};
