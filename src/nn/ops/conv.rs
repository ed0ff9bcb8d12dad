//! 2-D convolution as im2col followed by one gemm-backed matrix product.
//!
//! Candle's stock CPU convolution runs its backward passes as direct (transposed) convolutions,
//! which dominate a training step. Here the convolution is one custom op computing
//! `W · im2col(x)` per image, whose backward is `dW = Σ_n dY_n · im2col(x_n)^T` and
//! `dx = col2im(W^T · dY)`. The matrix products are candle's own gemm-backed `matmul`; im2col and
//! col2im are safe loops over contiguous CPU slices, parallel over (image, channel). The column
//! matrix is rebuilt in the backward pass instead of being kept alive between the passes, and no
//! column-sized gradient goes through candle's accumulate-by-addition.

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, DType, Device, Layout, Result, Shape, Storage, Tensor,
    WithDType,
};
use rayon::prelude::*;

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

    /// Rows of the column matrix per image: one per (channel, kernel row, kernel column).
    fn col_rows(&self) -> usize {
        self.channels * self.kernel_h * self.kernel_w
    }

    fn col_shape(&self) -> Shape {
        (self.batch, self.col_rows(), self.out_h() * self.out_w()).into()
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
        let per_image = self.col_rows() * self.out_h() * self.out_w() * elem_bytes;
        let len = (COLUMN_CHUNK_BYTES / per_image.max(1)).max(1);
        let batch = self.batch;
        (0..batch)
            .step_by(len)
            .map(move |s| (s, len.min(batch - s)))
    }

    fn image_shape(&self) -> Shape {
        (self.batch, self.channels, self.height, self.width).into()
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

    /// Calls `f(out_index, in_index)` for every valid (output, input) pair of one input plane
    /// and one kernel offset `(i, j)`; `out_index` is within the output plane.
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

fn contiguous<'a, T: WithDType>(data: &'a [T], layout: &Layout, op: &str) -> Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

fn im2col<T: WithDType>(x: &[T], g: &Geometry) -> Vec<T> {
    let plane_out = g.out_h() * g.out_w();
    let taps = g.kernel_h * g.kernel_w;
    let plane_in = g.height * g.width;
    let mut cols = vec![T::zero(); g.batch * g.col_rows() * plane_out];
    cols.par_chunks_mut(taps * plane_out)
        .zip(x.par_chunks(plane_in))
        .for_each(|(dst, src)| {
            for i in 0..g.kernel_h {
                for j in 0..g.kernel_w {
                    let row = &mut dst[(i * g.kernel_w + j) * plane_out..][..plane_out];
                    g.for_each_tap(i, j, |o, x0, n| {
                        if g.stride == 1 {
                            row[o..o + n].copy_from_slice(&src[x0..x0 + n]);
                        } else {
                            let taps = src[x0..].iter().step_by(g.stride);
                            for (d, s) in row[o..o + n].iter_mut().zip(taps) {
                                *d = *s;
                            }
                        }
                    });
                }
            }
        });
    cols
}

fn col2im<T: WithDType>(cols: &[T], g: &Geometry) -> Vec<T> {
    let plane_out = g.out_h() * g.out_w();
    let taps = g.kernel_h * g.kernel_w;
    let plane_in = g.height * g.width;
    let mut x = vec![T::zero(); g.batch * g.channels * plane_in];
    x.par_chunks_mut(plane_in)
        .zip(cols.par_chunks(taps * plane_out))
        .for_each(|(dst, src)| {
            for i in 0..g.kernel_h {
                for j in 0..g.kernel_w {
                    let row = &src[(i * g.kernel_w + j) * plane_out..][..plane_out];
                    g.for_each_tap(i, j, |o, x0, n| {
                        let targets = dst[x0..].iter_mut().step_by(g.stride);
                        for (d, s) in targets.zip(&row[o..o + n]) {
                            *d += *s;
                        }
                    });
                }
            }
        });
    x
}

/// Dispatches `f` on the dtype of a contiguous CPU storage (f32 and f64 only).
fn map_float(
    storage: &CpuStorage,
    layout: &Layout,
    op: &str,
    f32_fn: impl FnOnce(&[f32]) -> Vec<f32>,
    f64_fn: impl FnOnce(&[f64]) -> Vec<f64>,
) -> Result<CpuStorage> {
    match storage {
        CpuStorage::F32(v) => Ok(CpuStorage::F32(f32_fn(contiguous(v, layout, op)?))),
        CpuStorage::F64(v) => Ok(CpuStorage::F64(f64_fn(contiguous(v, layout, op)?))),
        s => candle_core::bail!("{op}: unsupported dtype {:?}", s.dtype()),
    }
}

/// `(N, C, H, W) -> (N, C·kh·kw, H_out·W_out)`; row `(c·kh + i)·kw + j` holds the input pixels
/// that kernel tap `(i, j)` of channel `c` meets, zero where it meets padding.
struct Im2Col(Geometry);

/// The adjoint of [`Im2Col`]: scatters each column entry back onto its input pixel, summing.
struct Col2Im(Geometry);

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "elucidated-im2col"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = &self.0;
        let out = map_float(
            storage,
            layout,
            self.name(),
            |x| im2col(x, g),
            |x| im2col(x, g),
        )?;
        Ok((out, g.col_shape()))
    }
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "elucidated-col2im"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = &self.0;
        let out = map_float(
            storage,
            layout,
            self.name(),
            |c| col2im(c, g),
            |c| col2im(c, g),
        )?;
        Ok((out, g.image_shape()))
    }
}

/// `(x, W) -> W · im2col(x)`, reshaped to `(N, O, H_out, W_out)`.
struct Conv(Geometry, usize);

impl Conv {
    /// `W (O, C·kh·kw)` broadcast over the batch, times the columns `(N, C·kh·kw, HW_out)`.
    fn product(&self, w: &Tensor, cols: &Tensor) -> Result<Tensor> {
        let (g, o) = (&self.0, self.1);
        w.reshape((o, g.col_rows()))?
            .broadcast_as((g.batch, o, g.col_rows()))?
            .matmul(cols)
    }

    fn forward<T: WithDType>(&self, x: &[T], w: &[T]) -> Result<CpuStorage> {
        let (g, dev) = (&self.0, &Device::Cpu);
        let w = Tensor::from_slice(w, (self.1, g.col_rows()), dev)?;
        let plane_in = g.channels * g.height * g.width;
        let mut parts = Vec::new();
        for (start, len) in g.chunks(std::mem::size_of::<T>()) {
            let gc = g.with_batch(len);
            let x = &x[start * plane_in..(start + len) * plane_in];
            let cols = Tensor::from_vec(im2col(x, &gc), gc.col_shape(), dev)?;
            parts.push(Conv(gc, self.1).product(&w, &cols)?);
        }
        let y = Tensor::cat(&parts, 0)?;
        let (storage, _) = y.storage_and_layout();
        match &*storage {
            Storage::Cpu(s) => Ok(s.clone()),
            _ => candle_core::bail!("conv2d: product left the CPU"),
        }
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
        let g = &self.0;
        let out = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => {
                self.forward(contiguous(x, l1, "conv2d")?, contiguous(w, l2, "conv2d")?)?
            }
            (CpuStorage::F64(x), CpuStorage::F64(w)) => {
                self.forward(contiguous(x, l1, "conv2d")?, contiguous(w, l2, "conv2d")?)?
            }
            _ => candle_core::bail!("conv2d: input and weight must both be f32 or both f64"),
        };
        Ok((out, (g.batch, self.1, g.out_h(), g.out_w()).into()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (g, o) = (&self.0, self.1);
        let grad = grad
            .contiguous()?
            .reshape((g.batch, o, g.out_h() * g.out_w()))?;
        let wt = w.reshape((o, g.col_rows()))?.t()?;
        let (mut dw, mut dx) = (None::<Tensor>, Vec::new());
        for (start, len) in g.chunks(x.dtype().size_in_bytes()) {
            let gc = g.with_batch(len);
            let grad = grad.narrow(0, start, len)?;
            let cols = x.narrow(0, start, len)?.apply_op1_no_bwd(&Im2Col(gc))?;
            let part = grad.matmul(&cols.t()?)?.sum(0)?;
            dw = Some(match dw {
                Some(acc) => (acc + part)?,
                None => part,
            });
            let dcols = wt.broadcast_as((len, g.col_rows(), o))?.matmul(&grad)?;
            dx.push(dcols.apply_op1_no_bwd(&Col2Im(gc))?);
        }
        let dw = match dw {
            Some(dw) => dw.reshape(w.shape())?,
            None => w.zeros_like()?,
        };
        let dx = Tensor::cat(&dx, 0)?;
        Ok((Some(dx), Some(dw)))
    }
}

/// Convolution of `x: (N, C, H, W)` with `weight: (O, C, kh, kw)`, plus `bias: (O)`, with the
/// given stride and symmetric zero padding, as `W · im2col(x)` on the CPU.
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
    let y = x
        .contiguous()?
        .apply_op2(&weight.contiguous()?, Conv(g, out_channels))?;
    match bias {
        Some(b) => y.broadcast_add(&b.reshape((1, out_channels, 1, 1))?),
        None => Ok(y),
    }
}
