//! Training a preconditioned SongUNet on the digits with the EDM loss (I20–I23), Adam with
//! learning-rate warm-up, an exponential moving average of the weights, and label dropout for
//! classifier-free guidance (I29).
//!
//! The loss of a batch is the mean over samples and pixels of
//! lambda(sigma) |D(y + n; sigma) - y|^2 with sigma ~ p_train (I23), n ~ N(0, sigma^2 I), and
//! lambda and the preconditioning from the core (I20, I21); with the output layer initialised
//! (almost) to zero its value at initialisation is ~1 for EDM (I22).
//!
//! Every random number comes from a ChaCha20 stream keyed by the seed and the step (data order:
//! one permutation per epoch; per sample: sigma, label dropout and noise), and a checkpoint
//! holds the whole state (weights, EMA, Adam moments, step), so training is deterministic on
//! the CPU and a resumed run is bitwise the run that was not interrupted.
//!
//! The files: `config` (hyper-parameters, the paper's defaults, their JSON), `run` (a run:
//! creation, a step, Adam's warm-up), `batch` (data order, noise and the EDM loss), `ema` (the
//! moving average) and `state` (model files and training states on disk).

mod batch;
mod config;
mod ema;
mod run;
mod state;

use candle_core::{Tensor, Var};

use crate::error::Error;
use crate::nn::SongUNet;
use crate::nn::adam::Adam;
use crate::nn::precond::Preconditioned;
use crate::noise_level::NoiseLevels;
use crate::precond::PrecondKind;

pub use config::{TRAIN_KEY, TrainConfig};

/// What one training step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// The step's index (0 for the first).
    pub step: u64,
    /// Mean of lambda(sigma) |D - y|^2 over the batch's samples and pixels, before the update.
    pub loss: f64,
    /// The learning rate used.
    pub lr: f64,
}

/// A training run on digits: the network's variables, their EMA and Adam moments, and the
/// training data.
pub struct Trainer {
    config: TrainConfig,
    model: Preconditioned<SongUNet, PrecondKind>,
    levels: NoiseLevels,
    names: Vec<String>,
    vars: Vec<Var>,
    ema: Vec<Tensor>,
    adam: Adam,
    step: u64,
    images: Tensor,
    labels: Vec<u8>,
    epoch: Option<(u64, Vec<usize>)>,
}

/// An error about the run as a whole (its network, data or state), not one hyper-parameter.
fn invalid(reason: &str) -> Error {
    Error::InvalidField {
        file: "training configuration".to_owned(),
        field: "(run)".to_owned(),
        reason: reason.to_owned(),
    }
}
