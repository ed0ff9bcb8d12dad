//! The vector space a sampler works in.
//!
//! Samplers are generic over [`State`], so the code tested in float64 on analytic data
//! (nalgebra vectors) is the code that drives a neural network on a batch of images.

use crate::error::{Error, Result};
use crate::noise::NoiseStream;
use nalgebra::{DMatrix, DVector};

/// A batch of samples forming a real vector space. Coefficients are float64 scalars.
///
/// Operations return `Result` because some backends (a GPU tensor) can fail; the nalgebra
/// implementations never do. Only the required methods need writing; the in-place ones have
/// allocating defaults. A user state — a batch of points on the real line, one per sample:
///
/// ```
/// use elucidated::denoiser::FromFn;
/// use elucidated::noise::NoiseStream;
/// use elucidated::sampler::{OdeSampler, Sampler, Solver};
/// use elucidated::schedule::Edm;
/// use elucidated::state::State;
/// use elucidated::steps::Discretization;
/// use elucidated::Result;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Points(Vec<f64>);
///
/// impl State for Points {
///     fn batch_size(&self) -> usize {
///         self.0.len()
///     }
///
///     fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self> {
///         Ok(Points(self.0.iter().zip(&other.0).map(|(x, y)| a * x + b * y).collect()))
///     }
///
///     fn scale(&self, a: f64) -> Result<Self> {
///         Ok(Points(self.0.iter().map(|x| a * x).collect()))
///     }
///
///     fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self> {
///         // Sample k's noise from stream k only: batch-independent by construction.
///         Ok(Points(streams.iter_mut().map(NoiseStream::normal).collect()))
///     }
/// }
///
/// // Data concentrated at -1: the exact denoiser is the constant -1.
/// let minus_one = FromFn(|x: &Points, _sigma: f64| Ok(Points(vec![-1.0; x.0.len()])));
/// let times = Discretization::edm(0.002, 80.0, 7.0)?.times_for(10, &Edm)?;
/// let euler = OdeSampler::new(&Edm, &times, Solver::Euler)?;
/// let x = elucidated::sampler::generate(&euler, &minus_one, &Points(vec![0.0; 3]), &[1, 2, 3])?;
/// assert!(x.0.iter().all(|&v| (v + 1.0).abs() < 1e-12));
/// # Ok::<(), elucidated::Error>(())
/// ```
pub trait State: Clone {
    /// Number of independent samples in the batch.
    fn batch_size(&self) -> usize;

    /// The linear combination `a * self + b * other`.
    fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self>;

    /// `a * self`.
    fn scale(&self, a: f64) -> Result<Self>;

    /// `self <- a * self + b * other`, in place where the backend allows it (samplers use this
    /// on the hot path; the default allocates through [`State::lin_comb`]).
    fn lin_comb_assign(&mut self, a: f64, other: &Self, b: f64) -> Result<()> {
        *self = self.lin_comb(a, other, b)?;
        Ok(())
    }

    /// `self <- a * self + b * p + c * q`, in place where the backend allows it (one pass where
    /// two [`State::lin_comb_assign`] would make two; the default makes two).
    fn lin_comb3_assign(&mut self, a: f64, p: &Self, b: f64, q: &Self, c: f64) -> Result<()> {
        self.lin_comb_assign(a, p, b)?;
        self.lin_comb_assign(1.0, q, c)
    }

    /// `out <- a * self + b * other`, reusing `out`'s storage where the backend allows it, so
    /// that a sampler's scratch states are allocated once per run, not once per step.
    fn lin_comb_into(&self, a: f64, other: &Self, b: f64, out: &mut Self) -> Result<()> {
        *out = self.lin_comb(a, other, b)?;
        Ok(())
    }

    /// Standard normal noise shaped like `self`; sample k's noise comes from `streams[k]` only.
    fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self>;
}

fn check_streams(streams: &[NoiseStream], batch: usize) -> Result<()> {
    if streams.len() == batch {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what: "noise streams per sample",
            expected: batch,
            got: streams.len(),
        })
    }
}

fn check_shape(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

/// A single sample.
impl State for DVector<f64> {
    fn batch_size(&self) -> usize {
        1
    }

    fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self> {
        check_shape("state length", self.len(), other.len())?;
        Ok(self.zip_map(other, |x, y| a * x + b * y))
    }

    fn scale(&self, a: f64) -> Result<Self> {
        Ok(self * a)
    }

    fn lin_comb_assign(&mut self, a: f64, other: &Self, b: f64) -> Result<()> {
        check_shape("state length", self.len(), other.len())?;
        self.zip_apply(other, |x, y| *x = a * *x + b * y);
        Ok(())
    }

    fn lin_comb3_assign(&mut self, a: f64, p: &Self, b: f64, q: &Self, c: f64) -> Result<()> {
        check_shape("state length", self.len(), p.len())?;
        check_shape("state length", self.len(), q.len())?;
        self.zip_zip_apply(p, q, |x, y, z| *x = a * *x + b * y + c * z);
        Ok(())
    }

    fn lin_comb_into(&self, a: f64, other: &Self, b: f64, out: &mut Self) -> Result<()> {
        check_shape("state length", self.len(), other.len())?;
        if out.len() == self.len() {
            out.zip_zip_apply(self, other, |o, x, y| *o = a * x + b * y);
        } else {
            *out = self.lin_comb(a, other, b)?;
        }
        Ok(())
    }

    fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self> {
        check_streams(streams, 1)?;
        let mut v = DVector::zeros(self.len());
        streams[0].fill_normal(v.as_mut_slice());
        Ok(v)
    }
}

/// A batch of samples, one per column.
impl State for DMatrix<f64> {
    fn batch_size(&self) -> usize {
        self.ncols()
    }

    fn lin_comb(&self, a: f64, other: &Self, b: f64) -> Result<Self> {
        check_shape("state rows", self.nrows(), other.nrows())?;
        check_shape("state columns", self.ncols(), other.ncols())?;
        Ok(self.zip_map(other, |x, y| a * x + b * y))
    }

    fn scale(&self, a: f64) -> Result<Self> {
        Ok(self * a)
    }

    fn lin_comb_assign(&mut self, a: f64, other: &Self, b: f64) -> Result<()> {
        check_shape("state rows", self.nrows(), other.nrows())?;
        check_shape("state columns", self.ncols(), other.ncols())?;
        self.zip_apply(other, |x, y| *x = a * *x + b * y);
        Ok(())
    }

    fn lin_comb3_assign(&mut self, a: f64, p: &Self, b: f64, q: &Self, c: f64) -> Result<()> {
        check_shape("state rows", self.nrows(), p.nrows())?;
        check_shape("state columns", self.ncols(), p.ncols())?;
        check_shape("state rows", self.nrows(), q.nrows())?;
        check_shape("state columns", self.ncols(), q.ncols())?;
        self.zip_zip_apply(p, q, |x, y, z| *x = a * *x + b * y + c * z);
        Ok(())
    }

    fn lin_comb_into(&self, a: f64, other: &Self, b: f64, out: &mut Self) -> Result<()> {
        check_shape("state rows", self.nrows(), other.nrows())?;
        check_shape("state columns", self.ncols(), other.ncols())?;
        if out.shape() == self.shape() {
            out.zip_zip_apply(self, other, |o, x, y| *o = a * x + b * y);
        } else {
            *out = self.lin_comb(a, other, b)?;
        }
        Ok(())
    }

    fn randn_like(&self, streams: &mut [NoiseStream]) -> Result<Self> {
        check_streams(streams, self.ncols())?;
        let mut m = DMatrix::zeros(self.nrows(), self.ncols());
        for (mut col, s) in m.column_iter_mut().zip(streams.iter_mut()) {
            for v in col.iter_mut() {
                *v = s.normal();
            }
        }
        Ok(m)
    }
}
