//! NVlabs's `resample_filter` buffers: each up- or down-sampling convolution of NVlabs's
//! networks registers the constant `outer(f, f) / sum(f)^2` of its filter taps `f` (float32,
//! shape `(1, 1, k, k)`) as a buffer, so its state dict carries one per resampling layer. The
//! crate's layers derive the filter from the configuration instead; a file's buffers are
//! accepted (and dropped) once they are checked to be exactly that constant.

use crate::error::{Error, Result};

/// The buffer NVlabs's constructor registers for the taps `taps`: its shape and its float32
/// values in row-major order, computed as NVlabs computes them (float32 outer product, divided
/// by the float32 square of the float32 sum).
pub fn resample_buffer(taps: &[f64]) -> (Vec<usize>, Vec<f32>) {
    let f: Vec<f32> = taps.iter().map(|&t| t as f32).collect();
    let sum: f32 = f.iter().sum();
    let norm = sum * sum;
    let values = f
        .iter()
        .flat_map(|&a| f.iter().map(move |&b| a * b / norm))
        .collect();
    (vec![1, 1, f.len(), f.len()], values)
}

/// Whether `name` is a resampling layer's `resample_filter`: its last component is
/// `resample_filter` and one component of the layer's path ends in `_down`, `_up` or
/// `_aux_residual` (NVlabs's names of the blocks and layers that resample).
pub fn is_resample_name(name: &str) -> bool {
    name.strip_suffix(".resample_filter").is_some_and(|layer| {
        layer.split('.').any(|part| {
            part.ends_with("_down") || part.ends_with("_up") || part.ends_with("_aux_residual")
        })
    })
}

/// Checks the buffer `name` (shape `shape`, values `values`) against the filter `taps` of the
/// configuration; `source` names the file in errors.
///
/// # Errors
///
/// [`Error::InvalidField`] naming the buffer when its name is not a resampling layer's, or its
/// shape or any value differs from [`resample_buffer`]`(taps)`.
pub fn check_resample_buffer(
    source: &str,
    name: &str,
    shape: &[usize],
    values: &[f32],
    taps: &[f64],
) -> Result<()> {
    let fail = |reason: String| Error::InvalidField {
        file: source.to_owned(),
        field: name.to_owned(),
        reason,
    };
    if !is_resample_name(name) {
        return Err(fail("not a resampling layer's buffer".to_owned()));
    }
    let (expected_shape, expected) = resample_buffer(taps);
    if shape != expected_shape.as_slice() {
        return Err(fail(format!(
            "shape {shape:?}, but the filter {taps:?} makes {expected_shape:?}"
        )));
    }
    match values.iter().zip(&expected).position(|(a, b)| a != b) {
        Some(i) => Err(fail(format!(
            "value {i} is {}, but the filter {taps:?} makes {}",
            values[i], expected[i]
        ))),
        None if values.len() != expected.len() => {
            Err(fail(format!("{} values for shape {shape:?}", values.len())))
        }
        None => Ok(()),
    }
}

/// [`check_resample_buffer`] on a safetensors tensor, which must be float32.
///
/// # Errors
///
/// As [`check_resample_buffer`], and [`Error::InvalidField`] for another element type.
pub fn check_resample_view(
    source: &str,
    name: &str,
    view: &safetensors::tensor::TensorView<'_>,
    taps: &[f64],
) -> Result<()> {
    if view.dtype() != safetensors::Dtype::F32 {
        return Err(Error::InvalidField {
            file: source.to_owned(),
            field: name.to_owned(),
            reason: format!("dtype {:?}, not F32", view.dtype()),
        });
    }
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    check_resample_buffer(source, name, view.shape(), &values, taps)
}
