//! The building blocks of NVlabs/edm `training/networks.py`, with its parameter names, shapes
//! and initialisations: `Linear`, `Conv2d` (with up/downsampling), `GroupNorm`, `UNetBlock`
//! and the positional and Fourier noise embeddings.

use candle_core::{D, DType, Device, Result, Tensor};
use candle_nn::{Init, VarBuilder};

use super::ops::{self, OpImpl};

/// Weight initialisation of NVlabs's `weight_init(shape, mode, fan_in, fan_out)`, times a factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitMode {
    /// Uniform on `±sqrt(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// Uniform on `±sqrt(3 / fan_in)`.
    KaimingUniform,
    /// Normal with standard deviation `sqrt(1 / fan_in)`.
    KaimingNormal,
}

/// An initialisation: a mode and the factors applied to the weight and to the bias
/// (NVlabs's `init_mode`, `init_weight`, `init_bias`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerInit {
    /// Distribution of the unscaled values.
    pub mode: InitMode,
    /// Factor on the weight.
    pub weight: f64,
    /// Factor on the bias.
    pub bias: f64,
}

impl LayerInit {
    /// `mode` with weight factor `weight` and bias factor 0.
    pub fn new(mode: InitMode, weight: f64) -> Self {
        Self {
            mode,
            weight,
            bias: 0.0,
        }
    }

    fn init(mode: InitMode, factor: f64, fan_in: usize, fan_out: usize) -> Init {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        if factor == 0.0 {
            return Init::Const(0.0);
        }
        match mode {
            InitMode::XavierUniform => {
                let b = factor * (6.0 / (fi + fo)).sqrt();
                Init::Uniform { lo: -b, up: b }
            }
            InitMode::KaimingUniform => {
                let b = factor * (3.0 / fi).sqrt();
                Init::Uniform { lo: -b, up: b }
            }
            InitMode::KaimingNormal => Init::Randn {
                mean: 0.0,
                stdev: factor * (1.0 / fi).sqrt(),
            },
        }
    }

    fn weight_init(&self, fan_in: usize, fan_out: usize) -> Init {
        Self::init(self.mode, self.weight, fan_in, fan_out)
    }

    fn bias_init(&self, fan_in: usize, fan_out: usize) -> Init {
        Self::init(self.mode, self.bias, fan_in, fan_out)
    }
}

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

/// Up- or downsampling by 2 of a [`Conv2d`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resample {
    /// No resampling.
    None,
    /// Upsampling by 2 (transposed depthwise convolution with the filter times 4).
    Up,
    /// Downsampling by 2 (strided depthwise convolution with the filter).
    Down,
}

/// The separable resampling filter `f f^T / (sum f)^2` of NVlabs's `Conv2d`.
#[derive(Clone, Debug)]
struct Filter {
    taps: Vec<f64>,
}

impl Filter {
    fn box2(&self) -> bool {
        self.taps == [1.0, 1.0]
    }

    fn pad(&self) -> usize {
        (self.taps.len() - 1) / 2
    }

    fn kernel(&self, gain: f64, dtype: DType, device: &Device) -> Result<Tensor> {
        let k = self.taps.len();
        let s: f64 = self.taps.iter().sum();
        let v: Vec<f64> = (0..k * k)
            .map(|i| gain * self.taps[i / k] * self.taps[i % k] / (s * s))
            .collect();
        Tensor::from_vec(v, (1, 1, k, k), device)?.to_dtype(dtype)
    }

    /// Depthwise convolution with stride 2 and padding `pad`.
    fn down(&self, ops: OpImpl, x: &Tensor, pad: usize) -> Result<Tensor> {
        if self.box2() && pad == 0 {
            return x.avg_pool2d(2);
        }
        let (n, c, h, w) = x.dims4()?;
        let f = self.kernel(1.0, x.dtype(), x.device())?;
        let y = ops::conv2d(ops, &x.reshape((n * c, 1, h, w))?, &f, None, 2, pad)?;
        let (_, _, ho, wo) = y.dims4()?;
        y.reshape((n, c, ho, wo))
    }

    /// Depthwise transposed convolution with stride 2 and padding `pad` of the filter times 4:
    /// zero insertion, then a convolution with padding `k - 1 - pad` (the filter is symmetric).
    fn up(&self, ops: OpImpl, x: &Tensor, pad: usize) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        if self.box2() && pad == 0 {
            return ops::upsample_nearest2x(ops, x);
        }
        let k = self.taps.len();
        if pad + 1 > k {
            candle_core::bail!("conv2d: transposed padding {pad} exceeds filter size {k}");
        }
        let x = x.reshape((n * c, 1, h, w))?;
        let z = x.zeros_like()?;
        let x = Tensor::stack(&[&x, &z], 4)?.reshape((n * c, 1, h, 2 * w))?;
        let z = x.zeros_like()?;
        let x = Tensor::stack(&[&x, &z], 3)?.reshape((n * c, 1, 2 * h, 2 * w))?;
        let x = x.narrow(2, 0, 2 * h - 1)?.narrow(3, 0, 2 * w - 1)?;
        let f = self.kernel(4.0, x.dtype(), x.device())?;
        let y = ops::conv2d(ops, &x, &f, None, 1, k - 1 - pad)?;
        let (_, _, ho, wo) = y.dims4()?;
        y.reshape((n, c, ho, wo))
    }
}

/// Convolution with optional up/downsampling (NVlabs's `Conv2d`); parameters
/// `weight: (out, in, k, k)` and `bias: (out)`, absent when `kernel` is 0 (pure resampling).
#[derive(Clone, Debug)]
pub struct Conv2d {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    resample: Resample,
    filter: Filter,
    fused: bool,
    ops: OpImpl,
}

/// Options of a [`Conv2d`] beyond its channel counts and kernel size.
#[derive(Clone, Debug)]
pub struct ConvOptions {
    /// Whether the layer has a bias (when it has a kernel).
    pub bias: bool,
    /// Up- or downsampling.
    pub resample: Resample,
    /// Taps of the 1-D resampling filter (`[1, 1]` or `[1, 3, 3, 1]`).
    pub resample_filter: Vec<f64>,
    /// Fuse the resampling into the convolution's padding (NVlabs's `fused_resample`).
    pub fused_resample: bool,
    /// Initialisation.
    pub init: LayerInit,
    /// Which op implementations to use.
    pub ops: OpImpl,
}

impl ConvOptions {
    /// No resampling, with bias, filter `[1, 1]`.
    pub fn new(init: LayerInit, ops: OpImpl) -> Self {
        Self {
            bias: true,
            resample: Resample::None,
            resample_filter: vec![1.0, 1.0],
            fused_resample: false,
            init,
            ops,
        }
    }
}

impl Conv2d {
    /// Creates (or loads, through `vb`) a convolution layer.
    pub fn new(
        vb: VarBuilder,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        opts: &ConvOptions,
    ) -> Result<Self> {
        let (fi, fo) = (
            in_channels * kernel * kernel,
            out_channels * kernel * kernel,
        );
        let shape = (out_channels, in_channels, kernel, kernel);
        let weight = (kernel > 0)
            .then(|| vb.get_with_hints(shape, "weight", opts.init.weight_init(fi, fo)))
            .transpose()?;
        let bias = (kernel > 0 && opts.bias)
            .then(|| vb.get_with_hints(out_channels, "bias", opts.init.bias_init(fi, fo)))
            .transpose()?;
        Ok(Self {
            weight,
            bias,
            resample: opts.resample,
            filter: Filter {
                taps: opts.resample_filter.clone(),
            },
            fused: opts.fused_resample,
            ops: opts.ops,
        })
    }

    fn conv(&self, x: &Tensor, w: &Tensor, pad: usize, bias: Option<&Tensor>) -> Result<Tensor> {
        ops::conv2d(self.ops, x, w, bias, 1, pad)
    }

    /// Applies the layer to `x: (N, in, H, W)`. The bias goes into the convolution (one fused op
    /// on the CPU) unless a downsampling follows it.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (ops, f, bias) = (self.ops, &self.filter, self.bias.as_ref());
        let w_pad = self.weight.as_ref().map_or(Ok(0), |w| w.dim(3))? / 2;
        let y = match (&self.weight, self.resample, self.fused) {
            (Some(w), Resample::Up, true) => {
                return self.conv(&f.up(ops, x, w_pad + f.pad())?, w, 0, bias);
            }
            (Some(w), Resample::Down, true) => {
                f.down(ops, &self.conv(x, w, w_pad + f.pad(), None)?, 0)?
            }
            (w, resample, _) => {
                let x = match resample {
                    Resample::Up => f.up(ops, x, f.pad())?,
                    Resample::Down => f.down(ops, x, f.pad())?,
                    Resample::None => x.clone(),
                };
                match w {
                    Some(w) => return self.conv(&x, w, w_pad, bias),
                    None => x,
                }
            }
        };
        match bias {
            Some(b) => y.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?),
            None => Ok(y),
        }
    }
}

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
