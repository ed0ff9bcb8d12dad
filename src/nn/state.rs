//! Samplers on candle tensors: [`State`] for a batch of images `(N, ...)` on any device, and the
//! preconditioned network as a [`Denoiser`] with class labels.
//!
//! Coefficients stay float64 and are applied as scalars in the tensor's element type (float64
//! for sampling, as NVlabs's `generate.py`). Sample k's noise comes from `streams[k]` only,
//! drawn in float64 on the CPU and moved to the device, and the network sees batches of a
//! fixed shape off the CPU ([`super::DEVICE_MICRO_BATCH`]), so a sample is bitwise the same for
//! any batch size on a given device.

use candle_core::{Device, Tensor};

use super::Network;
use super::precond::{Preconditioned, candle};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::noise::NoiseStream;
use crate::precond::Preconditioner;
use crate::state::State;

fn same_shape(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dims() == b.dims() {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what: "state",
            expected: a.dims().to_vec(),
            got: b.dims().to_vec(),
        })
    }
}

/// A batch of samples along the first dimension.
impl State for Tensor {
    fn batch_size(&self) -> usize {
        self.dims().first().copied().unwrap_or(1)
    }

    fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self> {
        same_shape(self, other)?;
        candle(
            "state linear combination",
            (|| self.affine(a, 0.0)? + other.affine(b, 0.0)?)(),
        )
    }

    fn scale(&self, a: f64) -> Result<Self> {
        candle("state scaling", self.affine(a, 0.0))
    }

    fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self> {
        let n = self.batch_size();
        if streams.len() != n {
            return Err(Error::DimensionMismatch {
                what: "noise streams per sample",
                expected: n,
                got: streams.len(),
            });
        }
        let per_sample = self.elem_count() / n.max(1);
        let mut v = vec![0.0f64; self.elem_count()];
        for (chunk, stream) in v.chunks_exact_mut(per_sample.max(1)).zip(streams) {
            stream.fill_normal(chunk);
        }
        candle(
            "drawing noise",
            Tensor::from_vec(v, self.dims(), &Device::Cpu)
                .and_then(|t| t.to_dtype(self.dtype()))
                .and_then(|t| t.to_device(self.device())),
        )
    }
}

/// The preconditioned network as a [`Denoiser`] on tensors, with fixed class labels (one row
/// per sample, one-hot for a class, zeros for the unconditional model of classifier-free
/// guidance, I29) or none.
#[derive(Debug, Clone)]
pub struct NetDenoiser<'a, N, P> {
    model: &'a Preconditioned<N, P>,
    labels: Option<Tensor>,
}

impl<'a, N: Network, P: Preconditioner> NetDenoiser<'a, N, P> {
    /// `model` evaluated with `labels` `(N, label_dim)`, or without labels.
    pub fn new(model: &'a Preconditioned<N, P>, labels: Option<Tensor>) -> Self {
        Self { model, labels }
    }
}

impl<N: Network, P: Preconditioner> Denoiser<Tensor> for NetDenoiser<'_, N, P> {
    fn denoise(&self, x: &Tensor, sigma: f64) -> Result<Tensor> {
        self.model.denoise(x, sigma, self.labels.as_ref())
    }
}
