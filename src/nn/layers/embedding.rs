//! The noise-level embeddings: positional (DDPM++, ADM) and random Fourier (NCSN++).

use candle_core::{Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Positional (sinusoidal) embedding of the noise level, `[cos(x f), sin(x f)]` with
/// `f_i = (1 / max_positions)^(i / (C/2 - endpoint))` (DDPM++ and ADM).
pub fn positional_embedding(
    x: &Tensor,
    channels: usize,
    max_positions: f64,
    endpoint: bool,
) -> Result<Tensor> {
    let half = channels / 2;
    let denom = (half - usize::from(endpoint)) as f64;
    let freqs: Vec<f32> = (0..half)
        .map(|i| (1.0 / max_positions).powf(i as f64 / denom) as f32)
        .collect();
    let freqs = Tensor::from_vec(freqs, (1, half), x.device())?.to_dtype(x.dtype())?;
    let x = x.reshape((x.elem_count(), 1))?.broadcast_mul(&freqs)?;
    Tensor::cat(&[x.cos()?, x.sin()?], 1)
}

/// Random Fourier embedding `[cos(2 pi x f), sin(2 pi x f)]` of the noise level (NCSN++); the
/// frequencies `freqs: (C/2)`, drawn from N(0, 16^2), are a buffer, not a trained parameter.
#[derive(Clone, Debug)]
pub struct FourierEmbedding {
    freqs: Tensor,
}

impl FourierEmbedding {
    /// Creates (or loads) the embedding with `channels` output channels.
    pub fn new(vb: VarBuilder, channels: usize) -> Result<Self> {
        let init = Init::Randn {
            mean: 0.0,
            stdev: 16.0,
        };
        let freqs = vb.get_with_hints(channels / 2, "freqs", init)?;
        Ok(Self { freqs })
    }

    /// Embeds `x: (N)` into `(N, C)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let f = (self.freqs.detach() * (2.0 * std::f64::consts::PI))?;
        let f = f.reshape((1, f.elem_count()))?.to_dtype(x.dtype())?;
        let x = x.reshape((x.elem_count(), 1))?.broadcast_mul(&f)?;
        Tensor::cat(&[x.cos()?, x.sin()?], 1)
    }
}
