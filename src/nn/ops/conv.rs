//! 2-D convolution as im2col followed by one gemm-backed matrix product per chunk of images.
//!
//! Candle's stock CPU convolution runs its backward passes as direct (transposed) convolutions,
//! which dominate a training step. Here the convolution (with its bias) is one custom op.
//! The column matrix of a chunk of images is laid out as `(C·kh·kw, N·H_out·W_out)` — the
//! images side by side — so that the forward pass is the single product `Y = W · cols`, and the
//! backward pass the two products `dW = dY · colsᵀ` (summed over the batch inside the product,
//! its inner dimension) and `dcols = Wᵀ · dY`, followed by col2im. The products are candle's own
//! gemm-backed `matmul`; im2col, col2im and the transposes between `(N, O, HW)` and `(O, N·HW)`
//! are safe loops over contiguous CPU slices, parallel over rows or planes. The bias gradient is
//! summed in f64 while transposing `dY`, instead of by candle's strided reduction. The column
//! matrix is rebuilt in the backward pass instead of being kept alive between the passes, and no
//! column-sized gradient goes through candle's accumulate-by-addition.

use candle_core::{
    CpuStorage, CustomOp2, CustomOp3, DType, Device, Layout, Result, Shape, Storage, Tensor,
    WithDType,
};
use rayon::prelude::*;

use super::{FloatKernel, cpu_slice, run_float, sum_f64};

/// Largest column matrix built at once (below glibc's largest mmap threshold, 32 MiB).
const COLUMN_CHUNK_BYTES: usize = 16 << 20;

/// Geometry of one convolution: input size, kernel size, stride and zero padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geometry {
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride: usize,
    padding: usize,
}

impl Geometry {
    fn out_h(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel_h) / self.stride + 1
    }

    fn out_w(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel_w) / self.stride + 1
    }

    /// Pixels of one output plane.
    fn plane_out(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// Values of one input image (all channels).
    fn image_in(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    fn col_rows(&self) -> usize {
        self.channels * self.kernel_h * self.kernel_w
    }

    /// Columns of the column matrix: one per (image, output pixel).
    fn col_cols(&self) -> usize {
        self.batch * self.plane_out()
    }

    /// The same geometry for a batch of `batch` images.
    fn with_batch(&self, batch: usize) -> Self {
        Self { batch, ..*self }
    }

    /// The batch split into `(start, len)` chunks whose column matrix stays under
    /// [`COLUMN_CHUNK_BYTES`] (at least one image each): small enough that the allocator
    /// reuses the buffer from chunk to chunk instead of mapping fresh zeroed pages from the
    /// kernel each time (which cost a third of a training step).
    fn chunks(&self, elem_bytes: usize) -> impl Iterator<Item = (usize, usize)> + use<> {
        let per_image = self.col_rows() * self.plane_out() * elem_bytes;
        let len = (COLUMN_CHUNK_BYTES / per_image.max(1)).max(1);
        let batch = self.batch;
        (0..batch)
            .step_by(len)
            .map(move |s| (s, len.min(batch - s)))
    }

    /// The output positions `o` whose input coordinate `o * stride + k - padding` lies in
    /// `[0, len)`, for kernel offset `k`.
    fn valid_range(&self, k: usize, len: usize, out_len: usize) -> std::ops::Range<usize> {
        let (s, p) = (self.stride, self.padding);
        let lo = p.saturating_sub(k).div_ceil(s);
        let hi = if len + p > k {
            ((len + p - k - 1) / s + 1).min(out_len)
        } else {
            0
        };
        lo..hi.max(lo)
    }

    /// Calls `f(out_index, in_index, count)` for every output row of one input plane and one
    /// kernel offset `(i, j)` whose taps meet the input: `count` consecutive output pixels from
    /// `out_index` (within the output plane) read the input pixels `in_index`,
    /// `in_index + stride`, ...
    fn for_each_tap(&self, i: usize, j: usize, mut f: impl FnMut(usize, usize, usize)) {
        let (oh, ow) = (self.out_h(), self.out_w());
        let rows = self.valid_range(i, self.height, oh);
        let cols = self.valid_range(j, self.width, ow);
        if cols.is_empty() {
            return;
        }
        for oy in rows {
            let iy = oy * self.stride + i - self.padding;
            let ix0 = cols.start * self.stride + j - self.padding;
            f(oy * ow + cols.start, iy * self.width + ix0, cols.len());
        }
    }
}

/// The contiguous CPU data of `t` as a slice (`t` must be contiguous).
fn with_slice<T: WithDType, R>(t: &Tensor, f: impl FnOnce(&[T]) -> Result<R>) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(s) => f(cpu_slice(s, layout, "conv2d")?),
        _ => candle_core::bail!("conv2d: tensor is not on the CPU"),
    }
}

/// `(N, C, H, W) -> (C·kh·kw, N·H_out·W_out)`: row `(c·kh + i)·kw + j` holds, image after
/// image, the input pixels that kernel tap `(i, j)` of channel `c` meets, zero where it meets
/// padding.
fn im2col<T: WithDType>(x: &[T], g: &Geometry) -> Vec<T> {
    let (plane_out, plane_in) = (g.plane_out(), g.height * g.width);
    let taps = g.kernel_h * g.kernel_w;
    let mut cols = vec![T::zero(); g.col_rows() * g.col_cols()];
    cols.par_chunks_mut(g.col_cols())
        .enumerate()
        .for_each(|(r, row)| {
            let (c, i, j) = (r / taps, r % taps / g.kernel_w, r % g.kernel_w);
            for (n, seg) in row.chunks_exact_mut(plane_out).enumerate() {
                let src = &x[(n * g.channels + c) * plane_in..][..plane_in];
                g.for_each_tap(i, j, |o, x0, len| {
                    if g.stride == 1 {
                        seg[o..o + len].copy_from_slice(&src[x0..x0 + len]);
                    } else {
                        let taps = src[x0..].iter().step_by(g.stride);
                        for (d, s) in seg[o..o + len].iter_mut().zip(taps) {
                            *d = *s;
                        }
                    }
                });
            }
        });
    cols
}

/// The adjoint of [`im2col`]: scatters each column entry back onto its input pixel, summing;
/// `(C·kh·kw, N·H_out·W_out) -> (N, C, H, W)`.
fn col2im<T: WithDType>(cols: &[T], g: &Geometry) -> Vec<T> {
    let (plane_out, plane_in) = (g.plane_out(), g.height * g.width);
    let taps = g.kernel_h * g.kernel_w;
    let width = g.col_cols();
    let mut x = vec![T::zero(); g.batch * g.image_in()];
    x.par_chunks_mut(plane_in)
        .enumerate()
        .for_each(|(plane, dst)| {
            let (n, c) = (plane / g.channels, plane % g.channels);
            for t in 0..taps {
                let row = &cols[(c * taps + t) * width + n * plane_out..][..plane_out];
                g.for_each_tap(t / g.kernel_w, t % g.kernel_w, |o, x0, len| {
                    let src = &row[o..o + len];
                    if g.stride == 1 {
                        for (d, s) in dst[x0..x0 + len].iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else {
                        let targets = dst[x0..].iter_mut().step_by(g.stride);
                        for (d, s) in targets.zip(src) {
                            *d += *s;
                        }
                    }
                });
            }
        });
    x
}

/// `(O, N·P) -> (N, O, P)`, adding `bias[o]` to row `o` when given.
fn rows_to_images<T: WithDType>(y: &[T], batch: usize, plane: usize, bias: Option<&[T]>) -> Vec<T> {
    let out = y.len() / (batch * plane).max(1);
    let mut images = vec![T::zero(); y.len()];
    images
        .par_chunks_mut(plane)
        .enumerate()
        .for_each(|(k, dst)| {
            let (n, o) = (k / out, k % out);
            let src = &y[o * batch * plane + n * plane..][..plane];
            match bias {
                Some(b) => dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s + b[o]),
                None => dst.copy_from_slice(src),
            }
        });
    images
}

/// `(N, O, P) -> (O, N·P)`, with the f64 sum of each row `o` (the bias gradient).
fn images_to_rows<T: WithDType>(dy: &[T], out: usize, plane: usize) -> (Vec<T>, Vec<f64>) {
    let batch = dy.len() / (out * plane).max(1);
    let mut rows = vec![T::zero(); dy.len()];
    let sums = rows
        .par_chunks_mut(batch * plane)
        .enumerate()
        .map(|(o, row)| {
            let mut sum = 0.0;
            for (n, dst) in row.chunks_exact_mut(plane).enumerate() {
                dst.copy_from_slice(&dy[(n * out + o) * plane..][..plane]);
                sum += sum_f64(dst, |v| v.to_f64());
            }
            sum
        })
        .collect();
    (rows, sums)
}

/// `(x, W[, b]) -> W · im2col(x) [+ b]`, reshaped to `(N, O, H_out, W_out)`.
struct Conv(Geometry, usize);

impl Conv {
    fn output_shape(&self) -> Shape {
        let g = &self.0;
        (g.batch, self.1, g.out_h(), g.out_w()).into()
    }

    fn forward<T: WithDType>(&self, x: &[T], w: &[T], b: Option<&[T]>) -> Result<Vec<T>> {
        let (g, o, dev) = (&self.0, self.1, &Device::Cpu);
        let w = Tensor::from_slice(w, (o, g.col_rows()), dev)?;
        let mut y = Vec::with_capacity(g.batch * o * g.plane_out());
        for (start, len) in g.chunks(std::mem::size_of::<T>()) {
            let gc = g.with_batch(len);
            let x = &x[start * g.image_in()..(start + len) * g.image_in()];
            let cols = Tensor::from_vec(im2col(x, &gc), (gc.col_rows(), gc.col_cols()), dev)?;
            let rows = w.matmul(&cols)?;
            with_slice(&rows, |r| {
                y.extend(rows_to_images(r, len, g.plane_out(), b));
                Ok(())
            })?;
        }
        Ok(y)
    }

    /// Gradients of the input, the weight and the bias (row sums of `dY`) for `dY = grad`.
    fn backward<T: WithDType>(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let (g, o, dev) = (&self.0, self.1, &Device::Cpu);
        let w2 = w.reshape((o, g.col_rows()))?;
        let wt = w2.t()?;
        let (mut dw, mut db) = (None::<Tensor>, vec![0.0; o]);
        let mut dx = Vec::with_capacity(g.batch * g.image_in());
        for (start, len) in g.chunks(std::mem::size_of::<T>()) {
            let gc = g.with_batch(len);
            let (dy, sums) = with_slice(grad, |gy: &[T]| {
                let part = o * g.plane_out();
                Ok(images_to_rows(
                    &gy[start * part..(start + len) * part],
                    o,
                    g.plane_out(),
                ))
            })?;
            db.iter_mut().zip(sums).for_each(|(d, s)| *d += s);
            let dy = Tensor::from_vec(dy, (o, gc.col_cols()), dev)?;
            let cols = with_slice(x, |x: &[T]| {
                let x = &x[start * g.image_in()..(start + len) * g.image_in()];
                Ok(im2col(x, &gc))
            })?;
            let cols = Tensor::from_vec(cols, (gc.col_rows(), gc.col_cols()), dev)?;
            let part = dy.matmul(&cols.t()?)?;
            dw = Some(match dw {
                Some(acc) => (acc + part)?,
                None => part,
            });
            drop(cols);
            let dcols = wt.matmul(&dy)?;
            with_slice(&dcols, |c: &[T]| {
                dx.extend(col2im(c, &gc));
                Ok(())
            })?;
        }
        let dw = match dw {
            Some(dw) => dw.reshape(w.shape())?,
            None => w.zeros_like()?,
        };
        let dx = Tensor::from_vec(dx, x.shape(), dev)?;
        let db = Tensor::from_vec(db, o, dev)?.to_dtype(x.dtype())?;
        Ok((dx, dw, db))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, grad: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let grad = grad.contiguous()?;
        match x.dtype() {
            DType::F32 => self.backward::<f32>(x, w, &grad),
            DType::F64 => self.backward::<f64>(x, w, &grad),
            d => candle_core::bail!("conv2d: unsupported dtype {d:?}"),
        }
    }
}

impl FloatKernel for Conv {
    const NAME: &'static str = "conv2d";

    /// `inputs`: x, the weight and optionally the bias.
    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>> {
        self.forward(inputs[0], inputs[1], inputs.get(2).copied())
    }
}

impl CustomOp2 for Conv {
    fn name(&self) -> &'static str {
        "elucidated-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        Ok((run_float(self, &[(s1, l1), (s2, l2)])?, self.output_shape()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, _) = Conv::bwd(self, x, w, grad)?;
        Ok((Some(dx), Some(dw)))
    }
}

impl CustomOp3 for Conv {
    fn name(&self) -> &'static str {
        "elucidated-conv2d-bias"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let out = run_float(self, &[(s1, l1), (s2, l2), (s3, l3)])?;
        Ok((out, self.output_shape()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, db) = Conv::bwd(self, x, w, grad)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// Convolution of `x: (N, C, H, W)` with `weight: (O, C, kh, kw)`, plus `bias: (O)`, with the
/// given stride and symmetric zero padding, as `W · im2col(x) + b` on the CPU.
///
/// Differentiable in `x`, `weight` and `bias`; values agree with `Tensor::conv2d` up to f32
/// summation order.
pub(crate) fn conv2d_im2col(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    let (out_channels, w_channels, kernel_h, kernel_w) = weight.dims4()?;
    if w_channels != channels {
        candle_core::bail!("conv2d: input has {channels} channels, weight expects {w_channels}");
    }
    if height + 2 * padding < kernel_h || width + 2 * padding < kernel_w || stride == 0 {
        candle_core::bail!("conv2d: kernel {kernel_h}x{kernel_w} does not fit {height}x{width}");
    }
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        candle_core::bail!("conv2d: unsupported dtype {:?}", x.dtype());
    }
    let g = Geometry {
        batch,
        channels,
        height,
        width,
        kernel_h,
        kernel_w,
        stride,
        padding,
    };
    let op = Conv(g, out_channels);
    let (x, weight) = (x.contiguous()?, weight.contiguous()?);
    match bias {
        Some(b) => {
            if b.dims() != [out_channels] {
                candle_core::bail!(
                    "conv2d: bias of shape {:?}, expected ({out_channels})",
                    b.dims()
                );
            }
            x.apply_op3(&weight, &b.contiguous()?, op)
        }
        None => x.apply_op2(&weight, op),
    }
}
