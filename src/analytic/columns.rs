//! The nalgebra states the oracle evaluates column by column.

use crate::state::State;
use nalgebra::{DMatrix, DVector};

mod private {
    pub trait Sealed {}
    impl Sealed for nalgebra::DVector<f64> {}
    impl Sealed for nalgebra::DMatrix<f64> {}
}

/// A [`State`] stored as contiguous float64 columns, one sample per column: a `DVector` (one
/// sample) or a `DMatrix` (a batch). The oracle applies the same per-sample code to every
/// column, so a batch gives bitwise the results of its samples taken one at a time.
pub trait ColumnState: State + private::Sealed {
    /// Length of one sample (the dimension d).
    fn sample_len(&self) -> usize;

    /// The samples, in order.
    fn samples(&self) -> impl Iterator<Item = &[f64]>;

    /// A state of the same shape whose column j is written by `f(j, input column j, output)`.
    fn map_samples(&self, f: impl FnMut(usize, &[f64], &mut [f64])) -> Self;
}

fn map_columns(
    data: &[f64],
    out: &mut [f64],
    d: usize,
    mut f: impl FnMut(usize, &[f64], &mut [f64]),
) {
    if d == 0 {
        return;
    }
    for (j, (x, y)) in data
        .chunks_exact(d)
        .zip(out.chunks_exact_mut(d))
        .enumerate()
    {
        f(j, x, y);
    }
}

impl ColumnState for DVector<f64> {
    fn sample_len(&self) -> usize {
        self.len()
    }

    fn samples(&self) -> impl Iterator<Item = &[f64]> {
        std::iter::once(self.as_slice())
    }

    fn map_samples(&self, f: impl FnMut(usize, &[f64], &mut [f64])) -> Self {
        let mut out = DVector::zeros(self.len());
        map_columns(self.as_slice(), out.as_mut_slice(), self.len(), f);
        out
    }
}

impl ColumnState for DMatrix<f64> {
    fn sample_len(&self) -> usize {
        self.nrows()
    }

    fn samples(&self) -> impl Iterator<Item = &[f64]> {
        let d = self.nrows().max(1);
        self.as_slice().chunks_exact(d)
    }

    fn map_samples(&self, f: impl FnMut(usize, &[f64], &mut [f64])) -> Self {
        let mut out = DMatrix::zeros(self.nrows(), self.ncols());
        map_columns(self.as_slice(), out.as_mut_slice(), self.nrows(), f);
        out
    }
}
