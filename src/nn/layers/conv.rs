//! NVlabs's `Conv2d`: a convolution with optional up/downsampling by its separable resampling
//! filter.

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::VarBuilder;

use super::LayerInit;
use crate::nn::ops::{self, OpImpl};

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
