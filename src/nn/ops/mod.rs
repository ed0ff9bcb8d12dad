//! Convolution, group normalisation and 2x upsampling, with fast CPU kernels and candle's ops as
//! reference.
//!
//! [`OpImpl::Auto`] uses this module's CPU kernels (gemm-based convolution with its bias, fused
//! group norm + SiLU, nearest 2x upsampling, all with hand-written backward passes) on the CPU and candle's own ops on every other
//! device; [`OpImpl::Stock`] always uses candle's ops, which tests and benches compare against.

mod conv;
mod group_norm;
mod upsample;

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, Layout, Result, Tensor, WithDType};

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

/// Nearest-neighbour 2x upsampling of `x: (N, C, H, W)` (PyTorch's
/// `interpolate(x, scale_factor=2)`): each pixel repeated over a 2x2 block.
pub fn upsample_nearest2x(ops: OpImpl, x: &Tensor) -> Result<Tensor> {
    if ops.native(x) {
        return upsample::upsample2x(x);
    }
    // A broadcast: its backward is a sum, while that of candle's `upsample_nearest2d` is a
    // grouped convolution.
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h, 1, w, 1))?
        .broadcast_as((n, c, h, 2, w, 2))?
        .reshape((n, c, 2 * h, 2 * w))
}

/// The data of a CPU storage that the contiguous `layout` covers.
fn cpu_slice<'a, T: WithDType>(s: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [T]> {
    let data = s.as_slice::<T>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

/// A CPU computation written once for f32 and f64 data.
trait FloatKernel {
    /// The op's name, for error messages.
    const NAME: &'static str;

    /// The output from the contiguous inputs, all of one float type.
    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>>;
}

/// Runs `kernel` on the contiguous f32 or f64 CPU storages `args` (all of one dtype).
fn run_float<K: FloatKernel>(kernel: &K, args: &[(&CpuStorage, &Layout)]) -> Result<CpuStorage> {
    fn slices<'a, T: WithDType>(
        args: &[(&'a CpuStorage, &Layout)],
        op: &str,
    ) -> Result<Vec<&'a [T]>> {
        args.iter().map(|(s, l)| cpu_slice(s, l, op)).collect()
    }
    match args.first().map(|a| a.0) {
        Some(CpuStorage::F32(_)) => Ok(CpuStorage::F32(kernel.run(&slices(args, K::NAME)?)?)),
        Some(CpuStorage::F64(_)) => Ok(CpuStorage::F64(kernel.run(&slices(args, K::NAME)?)?)),
        Some(s) => candle_core::bail!("{}: unsupported dtype {:?}", K::NAME, s.dtype()),
        None => candle_core::bail!("{}: no input", K::NAME),
    }
}

/// Lanes of [`sum_f64`]: independent partial sums that break the dependency chain of one
/// running sum (4 cycles per element) and let the compiler vectorise.
const SUM_LANES: usize = 8;

/// The f64 sum of `f` over `x`, in [`SUM_LANES`] interleaved partial sums (a fixed order, so
/// the result depends on `x` only).
fn sum_f64<T: Copy>(x: &[T], f: impl Fn(T) -> f64) -> f64 {
    let mut acc = [0.0f64; SUM_LANES];
    let chunks = x.chunks_exact(SUM_LANES);
    let rest: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    acc.iter().sum::<f64>() + rest
}
