//! NVlabs's `UNetBlock`: GroupNorm, SiLU, convolutions, the embedding's scale and shift, an
//! optional resampling skip and multi-head self-attention.

use candle_core::{D, DType, Result, Tensor};
use candle_nn::VarBuilder;

use super::{Conv2d, ConvOptions, GroupNorm, LayerInit, Linear, Resample};
use crate::nn::ops::OpImpl;

/// Options of a [`UNetBlock`] (NVlabs's `UNetBlock` keyword arguments).
#[derive(Clone, Debug)]
pub struct BlockOptions {
    /// Width of the embedding vector.
    pub emb_channels: usize,
    /// Attention heads, when `num_heads` is given (SongUNet: 1).
    pub num_heads: Option<usize>,
    /// Channels per attention head otherwise (ADM: 64).
    pub channels_per_head: usize,
    /// Dropout probability before `conv1`.
    pub dropout: f32,
    /// Factor applied after each residual sum.
    pub skip_scale: f64,
    /// Group norm epsilon.
    pub eps: f64,
    /// Taps of the resampling filter.
    pub resample_filter: Vec<f64>,
    /// Whether the skip path of a resampling block has a 1x1 convolution.
    pub resample_proj: bool,
    /// Embedding as scale and shift (`true`, ADM) or as an added bias (`false`, DDPM++).
    pub adaptive_scale: bool,
    /// Initialisation of most layers.
    pub init: LayerInit,
    /// Initialisation of `conv1` and `proj`.
    pub init_zero: LayerInit,
    /// Initialisation of `qkv`.
    pub init_attn: LayerInit,
    /// Which op implementations to use.
    pub ops: OpImpl,
}

/// Residual U-Net block with optional up/downsampling and self-attention (NVlabs's
/// `UNetBlock`): parameters `norm0`, `conv0`, `affine`, `norm1`, `conv1`, `skip`, and with
/// attention `norm2`, `qkv`, `proj`.
#[derive(Clone, Debug)]
pub struct UNetBlock {
    in_channels: usize,
    norm0: GroupNorm,
    conv0: Conv2d,
    affine: Linear,
    norm1: GroupNorm,
    conv1: Conv2d,
    skip: Option<Conv2d>,
    attention: Option<(GroupNorm, Conv2d, Conv2d, usize)>,
    dropout: f32,
    skip_scale: f64,
    adaptive_scale: bool,
}

impl UNetBlock {
    /// Creates (or loads) a block.
    pub fn new(
        vb: VarBuilder,
        in_channels: usize,
        out_channels: usize,
        resample: Resample,
        attention: bool,
        o: &BlockOptions,
    ) -> Result<Self> {
        let conv_opts = |init: LayerInit, resample: Resample| ConvOptions {
            resample,
            resample_filter: o.resample_filter.clone(),
            ..ConvOptions::new(init, o.ops)
        };
        let affine_out = out_channels * if o.adaptive_scale { 2 } else { 1 };
        let needs_skip = out_channels != in_channels || resample != Resample::None;
        let skip_kernel = usize::from(o.resample_proj || out_channels != in_channels);
        let num_heads = match (attention, o.num_heads) {
            (false, _) => 0,
            (true, Some(h)) => h,
            (true, None) => out_channels / o.channels_per_head,
        };
        let attention = (num_heads > 0)
            .then(|| -> Result<_> {
                let c = out_channels;
                Ok((
                    GroupNorm::new(vb.pp("norm2"), c, o.eps, o.ops)?,
                    Conv2d::new(
                        vb.pp("qkv"),
                        c,
                        3 * c,
                        1,
                        &conv_opts(o.init_attn, Resample::None),
                    )?,
                    Conv2d::new(
                        vb.pp("proj"),
                        c,
                        c,
                        1,
                        &conv_opts(o.init_zero, Resample::None),
                    )?,
                    num_heads,
                ))
            })
            .transpose()?;
        Ok(Self {
            in_channels,
            norm0: GroupNorm::new(vb.pp("norm0"), in_channels, o.eps, o.ops)?,
            conv0: Conv2d::new(
                vb.pp("conv0"),
                in_channels,
                out_channels,
                3,
                &conv_opts(o.init, resample),
            )?,
            affine: Linear::new(vb.pp("affine"), o.emb_channels, affine_out, true, o.init)?,
            norm1: GroupNorm::new(vb.pp("norm1"), out_channels, o.eps, o.ops)?,
            conv1: Conv2d::new(
                vb.pp("conv1"),
                out_channels,
                out_channels,
                3,
                &conv_opts(o.init_zero, Resample::None),
            )?,
            skip: needs_skip
                .then(|| {
                    let opts = conv_opts(o.init, resample);
                    Conv2d::new(vb.pp("skip"), in_channels, out_channels, skip_kernel, &opts)
                })
                .transpose()?,
            attention,
            dropout: o.dropout,
            skip_scale: o.skip_scale,
            adaptive_scale: o.adaptive_scale,
        })
    }

    /// Number of input channels.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// Applies the block to `x: (N, in, H, W)` with embedding `emb: (N, emb_channels)`;
    /// dropout is active when `train` is set.
    pub fn forward(&self, x: &Tensor, emb: &Tensor, train: bool) -> Result<Tensor> {
        let orig = x;
        let x = self.conv0.forward(&self.norm0.forward(x, true)?)?;
        let params = self.affine.forward(emb)?.unsqueeze(2)?.unsqueeze(3)?;
        let x = if self.adaptive_scale {
            let half = params.dim(1)? / 2;
            let (scale, shift) = (params.narrow(1, 0, half)?, params.narrow(1, half, half)?);
            let x = self
                .norm1
                .forward(&x, false)?
                .broadcast_mul(&(scale + 1.0)?)?;
            x.broadcast_add(&shift)?.silu()?
        } else {
            self.norm1.forward(&x.broadcast_add(&params)?, true)?
        };
        let x = if train && self.dropout > 0.0 {
            candle_nn::ops::dropout(&x, self.dropout)?
        } else {
            x
        };
        let x = self.conv1.forward(&x)?;
        let x = match &self.skip {
            Some(s) => (x + s.forward(orig)?)?,
            None => (x + orig)?,
        };
        let x = (x * self.skip_scale)?;
        match &self.attention {
            Some((norm2, qkv, proj, heads)) => {
                let a = attention(&qkv.forward(&norm2.forward(&x, false)?)?, *heads)?;
                (proj.forward(&a.reshape(x.shape())?)? + x)? * self.skip_scale
            }
            None => Ok(x),
        }
    }
}

/// Multi-head self-attention of NVlabs's `UNetBlock` on `qkv: (N, 3C, H, W)`, laid out as
/// `(N·heads, C/heads, 3, HW)`; returns `(N·heads, C/heads, HW)`.
fn attention(qkv: &Tensor, heads: usize) -> Result<Tensor> {
    let (n, c3, h, w) = qkv.dims4()?;
    let c = c3 / 3 / heads;
    let qkv = qkv.reshape((n * heads, c, 3, h * w))?;
    // CUDA's batched matmul needs each matrix dense (leading dimension = its width); the CPU
    // gemm takes the strided views as they are.
    let part = |i| {
        let t = qkv.narrow(2, i, 1)?.squeeze(2)?;
        if qkv.device().is_cpu() {
            Ok(t)
        } else {
            t.contiguous()
        }
    };
    let (q, k, v) = (part(0)?, part(1)?, part(2)?);
    let logits = (q.t()?.matmul(&k)? / (c as f64).sqrt())?;
    let weights = candle_nn::ops::softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
    v.matmul(&weights.to_dtype(v.dtype())?.t()?)
}
