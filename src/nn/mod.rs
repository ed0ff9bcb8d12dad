//! Neural networks for EDM on candle (feature `candle`): fast CPU ops and the NVlabs networks.
//!
//! The networks here are the raw denoiser networks `F(x_in, c_noise, class_labels)` of
//! Karras et al. (2022), Table 1; the preconditioning `D = c_skip x + c_out F(c_in x, c_noise)`
//! is applied by the core, which computes every coefficient. Parameter names, shapes and
//! initialisations follow NVlabs/edm `training/networks.py`, so that converted checkpoints load
//! unchanged.

pub mod adam;
pub mod checkpoint;
pub mod convert;
pub mod dhariwal_unet;
pub mod init;
pub mod layers;
pub mod model;
pub mod ops;
pub mod precond;
pub mod resample;
pub mod sample;
pub mod song_unet;
pub mod state;

use candle_core::{Result, Tensor};

pub use dhariwal_unet::{DhariwalUNet, DhariwalUNetConfig};
pub use precond::{CoefficientTensors, DEVICE_MICRO_BATCH, NETWORK_DTYPE, Preconditioned};
pub use song_unet::{SongUNet, SongUNetConfig};
pub use state::NetDenoiser;

/// A raw EDM network `F(x_in, c_noise, class_labels)`, without preconditioning.
pub trait Network {
    /// Evaluates `F` on `x: (N, C, H, W)` (already scaled by c_in) at noise labels
    /// `c_noise: (N)`, with optional one-hot (or soft) `class_labels: (N, label_dim)` and
    /// augmentation labels `(N, augment_dim)`; dropout is active when `train` is set.
    fn forward_with(
        &self,
        x: &Tensor,
        c_noise: &Tensor,
        class_labels: Option<&Tensor>,
        augment_labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor>;

    /// Evaluates `F(x_in, c_noise, class_labels)` for inference (no dropout, no augmentation).
    fn forward(
        &self,
        x: &Tensor,
        c_noise: &Tensor,
        class_labels: Option<&Tensor>,
    ) -> Result<Tensor> {
        self.forward_with(x, c_noise, class_labels, None, false)
    }

    /// Number of class labels, 0 for an unconditional network.
    fn label_dim(&self) -> usize;
}

/// Whether a tensor name denotes a buffer rather than a trained parameter in NVlabs's networks:
/// the Fourier frequencies `map_noise.freqs` (random, stored in checkpoints, never trained).
pub fn is_buffer(name: &str) -> bool {
    name == "map_noise.freqs"
}
