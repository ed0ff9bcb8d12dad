//! Group normalisation with an optional fused SiLU, forward and backward in one pass each.
//!
//! `y = act(gamma_c · (x - mu_g) / sqrt(var_g + eps) + beta_c)` with per-(image, group) mean and
//! (biased) variance, `act` the identity or SiLU `z · sigmoid(z)`. Candle-nn builds group norm
//! from a dozen elementwise and reduction ops, each with its own backward; here the statistics are
//! accumulated in f64 and the whole backward is one pass over the input per group.

use candle_core::{CpuStorage, CustomOp3, DType, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;

use super::{FloatKernel, run_float, sum_f64};

/// Shape of a normalisation: `batch` images of `channels` channels of `plane` pixels each,
/// channels split into `groups` consecutive groups.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Norm {
    batch: usize,
    channels: usize,
    plane: usize,
    groups: usize,
    eps: f64,
    silu: bool,
}

impl Norm {
    fn per_group(&self) -> usize {
        self.channels / self.groups
    }

    /// Mean and reciprocal standard deviation of one group's values.
    fn stats<T: WithDType>(&self, x: &[T]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = sum_f64(x, |v| v.to_f64()) / n;
        let var = sum_f64(x, |v| (v.to_f64() - mean).powi(2)) / n;
        (mean, 1.0 / (var + self.eps).sqrt())
    }
}

/// The logistic sigmoid, evaluated in `T`'s precision: in f32 for f32 data (whose result is
/// rounded to f32 anyway; `expf` costs half of `exp`), in f64 otherwise.
fn sigmoid<T: WithDType>(z: f64) -> f64 {
    if T::DTYPE == DType::F32 {
        let z = z as f32;
        f64::from(1.0 / (1.0 + (-z).exp()))
    } else {
        1.0 / (1.0 + (-z).exp())
    }
}

fn forward<T: WithDType>(nm: &Norm, x: &[T], gamma: &[T], beta: &[T]) -> Vec<T> {
    let group_len = nm.per_group() * nm.plane;
    let mut y = vec![T::zero(); x.len()];
    y.par_chunks_mut(group_len)
        .zip(x.par_chunks(group_len))
        .enumerate()
        .for_each(|(ng, (yg, xg))| {
            let (mean, rstd) = nm.stats(xg);
            let c0 = (ng % nm.groups) * nm.per_group();
            for (c, (yc, xc)) in yg.chunks_mut(nm.plane).zip(xg.chunks(nm.plane)).enumerate() {
                let scale = gamma[c0 + c].to_f64() * rstd;
                let shift = beta[c0 + c].to_f64() - mean * scale;
                for (yv, xv) in yc.iter_mut().zip(xc) {
                    let z = xv.to_f64() * scale + shift;
                    *yv = T::from_f64(if nm.silu { z * sigmoid::<T>(z) } else { z });
                }
            }
        });
    y
}

/// Gradients, packed as `[dx (N·C·HW), dgamma (C), dbeta (C)]`.
fn backward<T: WithDType>(nm: &Norm, x: &[T], gb: &[T], dy: &[T]) -> Vec<T> {
    let (gamma, beta) = gb.split_at(nm.channels);
    let group_len = nm.per_group() * nm.plane;
    let mut out = vec![T::zero(); x.len() + 2 * nm.channels];
    let (dx, _) = out.split_at_mut(x.len());
    // Per (image, channel): (sum of dz · xhat, sum of dz), reduced over images afterwards.
    let mut partial = vec![(0.0f64, 0.0f64); nm.batch * nm.channels];
    dx.par_chunks_mut(group_len)
        .zip(x.par_chunks(group_len))
        .zip(dy.par_chunks(group_len))
        .zip(partial.par_chunks_mut(nm.per_group()))
        .enumerate()
        .for_each(|(ng, (((dxg, xg), dyg), part))| {
            let (mean, rstd) = nm.stats(xg);
            let c0 = (ng % nm.groups) * nm.per_group();
            // dz = dy · act'(z); dxhat = gamma · dz. Store dxhat in dx for now.
            let (mut sum_dxhat, mut sum_dxhat_xhat) = (0.0, 0.0);
            let chunks = dxg.chunks_mut(nm.plane).zip(xg.chunks(nm.plane));
            for (c, ((dxc, xc), dyc)) in chunks.zip(dyg.chunks(nm.plane)).enumerate() {
                let (g, b) = (gamma[c0 + c].to_f64(), beta[c0 + c].to_f64());
                let (mut dg, mut db) = (0.0, 0.0);
                for ((d, xv), dyv) in dxc.iter_mut().zip(xc).zip(dyc) {
                    let xhat = (xv.to_f64() - mean) * rstd;
                    let mut dz = dyv.to_f64();
                    if nm.silu {
                        let s = sigmoid::<T>(xhat * g + b);
                        dz *= s * (1.0 + (xhat * g + b) * (1.0 - s));
                    }
                    dg += dz * xhat;
                    db += dz;
                    let dxhat = dz * g;
                    sum_dxhat += dxhat;
                    sum_dxhat_xhat += dxhat * xhat;
                    *d = T::from_f64(dxhat);
                }
                part[c] = (dg, db);
            }
            let n = group_len as f64;
            let (m1, m2) = (sum_dxhat / n, sum_dxhat_xhat / n);
            for (d, xv) in dxg.iter_mut().zip(xg) {
                let xhat = (xv.to_f64() - mean) * rstd;
                *d = T::from_f64(rstd * (d.to_f64() - m1 - xhat * m2));
            }
        });
    let (_, dgb) = out.split_at_mut(x.len());
    for c in 0..nm.channels {
        let (dg, db) = (0..nm.batch)
            .map(|n| partial[n * nm.channels + c])
            .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        dgb[c] = T::from_f64(dg);
        dgb[nm.channels + c] = T::from_f64(db);
    }
    out
}

/// Forward op: `(x, gamma, beta) -> y`.
struct GroupNormFwd(Norm);

/// Backward op: `(x, [gamma; beta], dy) -> [dx, dgamma, dbeta]` (flat).
struct GroupNormBwd(Norm);

impl CustomOp3 for GroupNormFwd {
    fn name(&self) -> &'static str {
        "elucidated-group-norm"
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
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let c = self.0.channels;
        let gb = Tensor::cat(&[gamma, beta], 0)?;
        let packed = x.apply_op3_no_bwd(&gb, &grad_res.contiguous()?, &GroupNormBwd(self.0))?;
        let dx = packed.narrow(0, 0, x.elem_count())?.reshape(x.shape())?;
        let dgamma = packed.narrow(0, x.elem_count(), c)?;
        let dbeta = packed.narrow(0, x.elem_count() + c, c)?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

impl CustomOp3 for GroupNormBwd {
    fn name(&self) -> &'static str {
        "elucidated-group-norm-bwd"
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
        let len = l1.shape().elem_count() + 2 * self.0.channels;
        let out = run_float(self, &[(s1, l1), (s2, l2), (s3, l3)])?;
        Ok((out, len.into()))
    }
}

impl FloatKernel for GroupNormFwd {
    const NAME: &'static str = "group_norm";

    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>> {
        Ok(forward(&self.0, inputs[0], inputs[1], inputs[2]))
    }
}

impl FloatKernel for GroupNormBwd {
    const NAME: &'static str = "group_norm backward";

    fn run<T: WithDType>(&self, inputs: &[&[T]]) -> Result<Vec<T>> {
        Ok(backward(&self.0, inputs[0], inputs[1], inputs[2]))
    }
}

/// Group norm of `x: (N, C, ...)` with per-channel `gamma`, `beta: (C)`, followed by SiLU when
/// `silu` is set, as one fused CPU op with a fused backward.
pub(crate) fn group_norm_fused(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    groups: usize,
    eps: f64,
    silu: bool,
) -> Result<Tensor> {
    let dims = x.dims();
    if dims.len() < 2 || groups == 0 || !dims[1].is_multiple_of(groups) {
        candle_core::bail!("group_norm: {groups} groups do not divide the shape {dims:?}");
    }
    if gamma.dims() != [dims[1]] || beta.dims() != [dims[1]] {
        candle_core::bail!("group_norm: gamma and beta must have shape [{}]", dims[1]);
    }
    let nm = Norm {
        batch: dims[0],
        channels: dims[1],
        plane: dims[2..].iter().product(),
        groups,
        eps,
        silu,
    };
    let x = x.contiguous()?;
    let (gamma, beta) = (gamma.contiguous()?, beta.contiguous()?);
    x.apply_op3(&gamma, &beta, GroupNormFwd(nm))
}
