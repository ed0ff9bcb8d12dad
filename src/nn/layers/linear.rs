//! The fully-connected layer of NVlabs's networks.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::LayerInit;

/// Fully-connected layer `x W^T + b`; parameters `weight: (out, in)`, `bias: (out)`.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    /// Creates (or loads, through `vb`) a linear layer.
    pub fn new(
        vb: VarBuilder,
        in_features: usize,
        out_features: usize,
        bias: bool,
        init: LayerInit,
    ) -> Result<Self> {
        let (fi, fo) = (in_features, out_features);
        let weight = vb.get_with_hints((fo, fi), "weight", init.weight_init(fi, fo))?;
        let bias = bias
            .then(|| vb.get_with_hints(fo, "bias", init.bias_init(fi, fo)))
            .transpose()?;
        Ok(Self { weight, bias })
    }

    /// Applies the layer to `x: (N, in)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.matmul(&self.weight.t()?)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}
