//! Tensors and storages as data: a storage is a typed run of little-endian bytes borrowed from
//! the pickle; a tensor is a strided view into one, checked to lie inside it when it is built.

use super::id::NodeId;
use crate::error::{Error, Result};

/// Element type of a storage, named after its torch storage class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// `torch.HalfStorage`: IEEE binary16.
    F16,
    /// `torch.BFloat16Storage`: bfloat16.
    BF16,
    /// `torch.FloatStorage`: IEEE binary32.
    F32,
    /// `torch.DoubleStorage`: IEEE binary64.
    F64,
    /// `torch.LongStorage`: i64.
    I64,
    /// `torch.IntStorage`: i32.
    I32,
    /// `torch.ShortStorage`: i16.
    I16,
    /// `torch.CharStorage`: i8.
    I8,
    /// `torch.ByteStorage`: u8.
    U8,
    /// `torch.BoolStorage`: one byte per element.
    Bool,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 | DType::I16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }
}

/// A storage: `numel` elements of `dtype`, as little-endian bytes borrowed from the pickle.
#[derive(Debug, Clone, PartialEq)]
pub struct Storage<'a> {
    /// Element type.
    pub dtype: DType,
    /// The raw bytes, `numel * dtype.size()` of them.
    pub data: &'a [u8],
}

impl Storage<'_> {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// Element `i` widened to f64, or `None` past the end or for a non-float type.
    pub fn float(&self, i: usize) -> Option<f64> {
        let size = self.dtype.size();
        let bytes = self
            .data
            .get(i.checked_mul(size)?..i.checked_mul(size)?.checked_add(size)?)?;
        Some(match self.dtype {
            DType::F32 => f64::from(f32::from_le_bytes(bytes.try_into().ok()?)),
            DType::F64 => f64::from_le_bytes(bytes.try_into().ok()?),
            DType::F16 => f16_to_f64(u16::from_le_bytes(bytes.try_into().ok()?)),
            DType::BF16 => f64::from(f32::from_bits(
                u32::from(u16::from_le_bytes(bytes.try_into().ok()?)) << 16,
            )),
            _ => return None,
        })
    }
}

/// IEEE binary16 to f64, exactly (every half is a double).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// A tensor: a strided view of a storage (`torch._utils._rebuild_tensor_v2`'s arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The [`super::Node::Storage`] it views.
    pub storage: NodeId,
    /// Element type (the storage's).
    pub dtype: DType,
    /// Offset of element `[0, ..., 0]` in the storage, in elements.
    pub offset: usize,
    /// Shape.
    pub shape: Vec<usize>,
    /// Strides, in elements.
    pub strides: Vec<usize>,
}

impl Tensor {
    /// Checks that every element of the view lies inside a storage of `numel` elements, and
    /// that the view has no more elements than the storage (so no reading of a tensor allocates
    /// more than the input holds, whatever its strides), and builds it; `at` is the offset
    /// reported in errors.
    ///
    /// # Errors
    ///
    /// [`Error::PickleInvalid`] when shape and strides differ in length, the element count or
    /// the last index overflows, the view has more elements than the storage or reaches past
    /// it.
    pub fn new(
        storage: NodeId,
        dtype: DType,
        offset: usize,
        shape: Vec<usize>,
        strides: Vec<usize>,
        numel: usize,
        at: usize,
    ) -> Result<Self> {
        let invalid = |reason: String| Error::PickleInvalid { offset: at, reason };
        if shape.len() != strides.len() {
            return Err(invalid(format!(
                "tensor has shape {shape:?} but strides {strides:?}"
            )));
        }
        let count = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| invalid(format!("tensor shape {shape:?} overflows")))?;
        let end = if count == 0 {
            Some(offset)
        } else {
            shape
                .iter()
                .zip(&strides)
                .try_fold(offset, |last, (&d, &s)| {
                    last.checked_add((d - 1).checked_mul(s)?)
                })
                .and_then(|last| last.checked_add(1))
        };
        if count > numel.max(1) {
            return Err(invalid(format!(
                "tensor of shape {shape:?} has more elements than its storage of {numel}"
            )));
        }
        match end {
            Some(end) if end <= numel => Ok(Tensor {
                storage,
                dtype,
                offset,
                shape,
                strides,
            }),
            _ => Err(invalid(format!(
                "tensor (offset {offset}, shape {shape:?}, strides {strides:?}) reaches past its \
                 storage of {numel} elements"
            ))),
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The storage index of each element, in row-major order of the view.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let n = self.numel();
        (0..n).map(move |mut flat| {
            let mut at = self.offset;
            for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
                at += (flat % d) * s;
                flat /= d;
            }
            at
        })
    }

    /// The elements in row-major order, widened to f64.
    ///
    /// # Errors
    ///
    /// [`Error::PickleInvalid`] when `storage` holds no floats (the view was checked against
    /// its storage when built, so no index misses).
    pub fn floats(&self, storage: &Storage<'_>) -> Result<Vec<f64>> {
        self.indices()
            .map(|i| {
                storage.float(i).ok_or_else(|| Error::PickleInvalid {
                    offset: 0,
                    reason: format!("tensor of {:?} read as floats", self.dtype),
                })
            })
            .collect()
    }
}
