//! Convolution and group normalisation, with fast CPU kernels and candle's ops as reference.
//!
//! [`OpImpl::Auto`] uses this module's CPU kernels (gemm-based convolution, fused group norm +
//! SiLU, both with hand-written backward passes) on the CPU and candle's own ops on every other
//! device; [`OpImpl::Stock`] always uses candle's ops, which tests and benches compare against.

mod conv;
mod group_norm;

use candle_core::{Result, Tensor};

/// Which implementation of convolution and group norm a layer uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OpImpl {
    /// This crate's kernels on the CPU, candle's ops on other devices.
    #[default]
    Auto,
    /// Candle's stock ops (`Tensor::conv2d`, `candle_nn::ops` group norm) on every device.
    Stock,
}

impl OpImpl {
    fn native(self, x: &Tensor) -> bool {
        self == OpImpl::Auto && x.device().is_cpu()
    }
}

/// 2-D convolution of `x: (N, C, H, W)` with `weight: (O, C, kh, kw)` and optional
/// `bias: (O)`, with `stride` and symmetric zero `padding` on both axes (as PyTorch's
/// `conv2d(x, w, b, stride, padding)`).
pub fn conv2d(
    ops: OpImpl,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    if ops.native(x) {
        return conv::conv2d_im2col(x, weight, bias, stride, padding);
    }
    let y = x.conv2d(weight, padding, stride, 1, 1)?;
    match bias {
        Some(b) => y.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?),
        None => Ok(y),
    }
}

/// Group normalisation of `x: (N, C, ...)` over `groups` groups of consecutive channels, with
/// biased variance, `eps` added to it, per-channel scale `gamma` and shift `beta` (PyTorch's
/// `group_norm`), followed by SiLU `z · sigmoid(z)` when `silu` is set.
pub fn group_norm(
    ops: OpImpl,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    groups: usize,
    eps: f64,
    silu: bool,
) -> Result<Tensor> {
    if ops.native(x) {
        return group_norm::group_norm_fused(x, gamma, beta, groups, eps, silu);
    }
    let channels = x.dim(1)?;
    let norm = candle_nn::GroupNorm::new(gamma.clone(), beta.clone(), channels, groups, eps)?;
    let y = candle_core::Module::forward(&norm, x)?;
    if silu { y.silu() } else { Ok(y) }
}
