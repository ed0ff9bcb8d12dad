//! Preconditioned networks (I16, Table 1): D(x; sigma) = c_skip x + c_out F(c_in x; c_noise).
//!
//! Every coefficient comes from the core's [`Preconditioner`], computed in float64 from the
//! float64 sigma; only the results are cast to the tensors' element type. (NVlabs casts sigma to
//! float32 first, which moves VP's sigma_min = 1.0005e-3 to 2^-10 and its c_noise at
//! sigma = 0.002 by 1.3%.) The state `x` keeps its own element type (float64 while sampling,
//! as NVlabs's `generate.py`); the network sees `c_in x` cast to its float32.

use candle_core::{DType, Device, Tensor};

use super::Network;
use crate::error::Result;
use crate::precond::{PrecondCoefficients, Preconditioner};

/// Element type of the networks' parameters and activations (as NVlabs, without fp16).
pub const NETWORK_DTYPE: DType = DType::F32;

/// Samples per network evaluation when sampling on a device other than the CPU (see
/// [`Preconditioned::denoise`]): large enough to keep a GPU busy with the small networks here,
/// small enough that padding a small batch costs little.
pub const DEVICE_MICRO_BATCH: usize = 64;

pub(crate) fn candle<T>(what: &str, r: candle_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::Error::candle(what, e))
}

/// Per-sample preconditioning coefficients as tensors: `c_skip`, `c_out`, `c_in` of shape
/// `(N, 1, 1, 1)` in the state's element type, `c_noise` of shape `(N)` in the network's, and
/// the float64 loss weights lambda(sigma_k) (I21).
#[derive(Debug, Clone)]
pub struct CoefficientTensors {
    /// c_skip(sigma_k), shape `(N, 1, 1, 1)`.
    pub c_skip: Tensor,
    /// c_out(sigma_k), shape `(N, 1, 1, 1)`.
    pub c_out: Tensor,
    /// c_in(sigma_k), shape `(N, 1, 1, 1)`.
    pub c_in: Tensor,
    /// c_noise(sigma_k), shape `(N)`, in [`NETWORK_DTYPE`].
    pub c_noise: Tensor,
    /// lambda(sigma_k) in float64 (I21).
    pub loss_weight: Vec<f64>,
}

impl CoefficientTensors {
    /// The coefficients at `sigmas` (each finite and positive), `c_skip`, `c_out` and `c_in` in
    /// element type `dtype`, on `device`.
    ///
    /// # Errors
    ///
    /// [`crate::Error::NotPositive`] / [`crate::Error::NotFinite`] for a bad sigma,
    /// [`crate::Error::Overflow`] where a coefficient is not representable.
    pub fn new(
        precond: &impl Preconditioner,
        sigmas: &[f64],
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let coefs = sigmas
            .iter()
            .map(|&s| precond.coefficients(s))
            .collect::<Result<Vec<PrecondCoefficients>>>()?;
        let column = |f: fn(&PrecondCoefficients) -> f64, dtype: DType, shape: &[usize]| {
            let v: Vec<f64> = coefs.iter().map(f).collect();
            candle(
                "preconditioning coefficients",
                Tensor::from_vec(v, shape, device).and_then(|t| t.to_dtype(dtype)),
            )
        };
        let n = sigmas.len();
        Ok(Self {
            c_skip: column(|c| c.c_skip, dtype, &[n, 1, 1, 1])?,
            c_out: column(|c| c.c_out, dtype, &[n, 1, 1, 1])?,
            c_in: column(|c| c.c_in, dtype, &[n, 1, 1, 1])?,
            c_noise: column(|c| c.c_noise, NETWORK_DTYPE, &[n])?,
            loss_weight: coefs.iter().map(|c| c.loss_weight).collect(),
        })
    }
}

/// A raw network `F` with the preconditioning `P` of Table 1 (I16): the denoiser `D`.
#[derive(Debug, Clone)]
pub struct Preconditioned<N, P> {
    net: N,
    precond: P,
}

impl<N: Network, P: Preconditioner> Preconditioned<N, P> {
    /// `D(x; sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x; c_noise(sigma))`.
    pub fn new(net: N, precond: P) -> Self {
        Self { net, precond }
    }

    /// The raw network F.
    pub fn net(&self) -> &N {
        &self.net
    }

    /// The preconditioning.
    pub fn precond(&self) -> &P {
        &self.precond
    }

    /// D(x_k; sigma_k) for every sample k of `x: (N, C, H, W)` (float32 or float64), with
    /// optional class labels `(N, label_dim)`; differentiable in the network's parameters, with
    /// dropout when `train` is set. Returns D in `x`'s element type.
    ///
    /// # Errors
    ///
    /// A bad sigma or a coefficient overflow (see [`CoefficientTensors::new`]), a wrong number
    /// of sigmas, or a failing candle op ([`crate::Error::Candle`]).
    pub fn denoise_each(
        &self,
        x: &Tensor,
        sigmas: &[f64],
        class_labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let n = candle("state batch size", x.dim(0))?;
        if sigmas.len() != n {
            return Err(crate::Error::DimensionMismatch {
                what: "noise levels per sample",
                expected: n,
                got: sigmas.len(),
            });
        }
        let c = CoefficientTensors::new(&self.precond, sigmas, x.dtype(), x.device())?;
        let labels = class_labels.map(|l| l.to_dtype(NETWORK_DTYPE)).transpose();
        candle(
            "preconditioned network",
            (|| {
                let x_in = x.broadcast_mul(&c.c_in)?.to_dtype(NETWORK_DTYPE)?;
                let f = self
                    .net
                    .forward_with(&x_in, &c.c_noise, labels?.as_ref(), None, train)?
                    .to_dtype(x.dtype())?;
                x.broadcast_mul(&c.c_skip)? + f.broadcast_mul(&c.c_out)?
            })(),
        )
    }

    /// D(x; sigma) for a whole batch at one noise level, the coefficients applied as float64
    /// scalars (in `x`'s element type). On the CPU the network sees the whole batch (the
    /// crate's CPU kernels give each sample the same result in any batch); on other devices it
    /// sees micro-batches of [`DEVICE_MICRO_BATCH`] samples, so that a sample's result does
    /// not depend on the batch size there either.
    ///
    /// # Errors
    ///
    /// As [`Self::denoise_each`].
    pub fn denoise(&self, x: &Tensor, sigma: f64, class_labels: Option<&Tensor>) -> Result<Tensor> {
        let c = self.precond.coefficients(sigma)?;
        let n = candle("state batch size", x.dim(0))?;
        candle(
            "preconditioned network",
            (|| {
                let labels = class_labels
                    .map(|l| l.to_dtype(NETWORK_DTYPE))
                    .transpose()?;
                let x_in = x.affine(c.c_in, 0.0)?.to_dtype(NETWORK_DTYPE)?;
                let f = if x.device().is_cpu() {
                    let c_noise = Tensor::full(c.c_noise as f32, n, x.device())?;
                    self.net.forward(&x_in, &c_noise, labels.as_ref())?
                } else {
                    self.forward_fixed_shape(&x_in, c.c_noise as f32, labels.as_ref())?
                };
                let f = f.to_dtype(x.dtype())?;
                x.affine(c.c_skip, 0.0)? + f.affine(c.c_out, 0.0)?
            })(),
        )
    }

    /// The network on `x_in` in micro-batches of exactly [`DEVICE_MICRO_BATCH`] samples, the
    /// last one padded with zeros: GPU libraries choose their kernels, and with them the order
    /// of their sums, by the shape of a product, so only a shape that does not depend on the
    /// batch keeps a sample's result independent of the batch it is drawn in.
    fn forward_fixed_shape(
        &self,
        x_in: &Tensor,
        c_noise: f32,
        labels: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let n = x_in.dim(0)?;
        let m = DEVICE_MICRO_BATCH;
        let noise = Tensor::full(c_noise, m, x_in.device())?;
        let chunk = |t: &Tensor, start: usize, len: usize| -> candle_core::Result<Tensor> {
            let part = t.narrow(0, start, len)?;
            if len == m {
                return part.contiguous();
            }
            let mut dims = part.dims().to_vec();
            dims[0] = m - len;
            let zeros = Tensor::zeros(dims, part.dtype(), part.device())?;
            Tensor::cat(&[&part, &zeros], 0)
        };
        let mut parts = Vec::with_capacity(n.div_ceil(m));
        for start in (0..n).step_by(m) {
            let len = m.min(n - start);
            let labels = labels.map(|l| chunk(l, start, len)).transpose()?;
            let f = self
                .net
                .forward(&chunk(x_in, start, len)?, &noise, labels.as_ref())?;
            parts.push(f.narrow(0, 0, len)?);
        }
        Tensor::cat(&parts, 0)
    }
}
