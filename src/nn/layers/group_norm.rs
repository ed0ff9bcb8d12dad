//! NVlabs's `GroupNorm`.

use candle_core::{Result, Tensor};
use candle_nn::{Init, VarBuilder};

use crate::nn::ops::{self, OpImpl};

/// Group normalisation with `min(32, C / 4)` groups (NVlabs's `GroupNorm`); parameters
/// `weight` and `bias: (C)`.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    weight: Tensor,
    bias: Tensor,
    groups: usize,
    eps: f64,
    ops: OpImpl,
}

impl GroupNorm {
    /// Creates (or loads) a group norm over `channels` channels.
    pub fn new(vb: VarBuilder, channels: usize, eps: f64, ops: OpImpl) -> Result<Self> {
        let weight = vb.get_with_hints(channels, "weight", Init::Const(1.0))?;
        let bias = vb.get_with_hints(channels, "bias", Init::Const(0.0))?;
        let groups = 32.min(channels / 4).max(1);
        Ok(Self {
            weight,
            bias,
            groups,
            eps,
            ops,
        })
    }

    /// `group_norm(x)`, followed by SiLU when `silu` is set (one fused op on the CPU).
    pub fn forward(&self, x: &Tensor, silu: bool) -> Result<Tensor> {
        let (w, b) = (&self.weight, &self.bias);
        ops::group_norm(self.ops, x, w, b, self.groups, self.eps, silu)
    }
}
