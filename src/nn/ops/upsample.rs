//! Nearest-neighbour 2x upsampling with a one-pass backward.
//!
//! Written as a broadcast, the backward pass of the upsampling is candle's reduction over two
//! interleaved axes of a 6-D tensor, whose CPU path costs a few integer divisions per element;
//! here the backward is a sum over each 2x2 block, one pass over the gradient.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, WithDType};

use super::{FloatKernel, run_float};
use rayon::prelude::*;

/// `(N, C, H, W) -> (N, C, 2H, 2W)`, each pixel repeated over a 2x2 block.
struct Up2 {
    width: usize,
}

/// The adjoint of [`Up2`]: `(N, C, 2H, 2W) -> (N, C, H, W)`, each 2x2 block summed.
struct Down2Sum {
    width: usize,
}

fn up2<T: WithDType>(x: &[T], w: usize) -> Vec<T> {
    let mut y = vec![T::zero(); 4 * x.len()];
    y.par_chunks_mut(4 * w)
        .zip(x.par_chunks(w))
        .for_each(|(rows, src)| {
            let (top, bottom) = rows.split_at_mut(2 * w);
            for (pair, v) in top.chunks_exact_mut(2).zip(src) {
                pair.fill(*v);
            }
            bottom.copy_from_slice(top);
        });
    y
}

fn down2_sum<T: WithDType>(dy: &[T], w: usize) -> Vec<T> {
    let mut dx = vec![T::zero(); dy.len() / 4];
    dx.par_chunks_mut(w)
        .zip(dy.par_chunks(4 * w))
        .for_each(|(dst, rows)| {
            let (top, bottom) = rows.split_at(2 * w);
            let pairs = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (d, (t, b)) in dst.iter_mut().zip(pairs) {
                *d = (t[0] + t[1]) + (b[0] + b[1]);
            }
        });
    dx
}

/// `dims` with its last two axes scaled by `num / den`.
fn scaled(dims: &[usize], num: usize, den: usize) -> Shape {
    let mut d = dims.to_vec();
    let r = d.len();
    d[r - 2] = d[r - 2] * num / den;
    d[r - 1] = d[r - 1] * num / den;
    d.into()
}

impl CustomOp1 for Up2 {
    fn name(&self) -> &'static str {
        "elucidated-upsample2x"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        Ok((run_float(self, &[(s, l)])?, scaled(l.dims(), 2, 1)))
    }

    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let op = Down2Sum { width: self.width };
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&op)?))
    }
}

impl CustomOp1 for Down2Sum {
    fn name(&self) -> &'static str {
        "elucidated-upsample2x-bwd"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        Ok((run_float(self, &[(s, l)])?, scaled(l.dims(), 1, 2)))
    }
}

impl FloatKernel for Up2 {
    const NAME: &'static str = "upsample2x";

    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>> {
        Ok(up2(inputs[0], self.width))
    }
}

impl FloatKernel for Down2Sum {
    const NAME: &'static str = "upsample2x backward";

    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>> {
        Ok(down2_sum(inputs[0], self.width))
    }
}

/// Nearest-neighbour 2x upsampling of `x: (N, C, H, W)` on the CPU (f32 or f64).
pub(crate) fn upsample2x(x: &Tensor) -> Result<Tensor> {
    let (_, _, _, w) = x.dims4()?;
    x.contiguous()?.apply_op1(Up2 { width: w })
}
