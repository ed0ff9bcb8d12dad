//! Checkpoints as safetensors files with NVlabs/edm's tensor names.
//!
//! A network's expected tensors (names and shapes) come from running its constructor on a
//! [`VarBuilder`] that only records what is asked for ([`tensor_spec`]); [`load`] checks a file
//! against that list, naming the first missing, extra, wrongly shaped or wrongly typed tensor,
//! before any weight reaches the network. [`save`] writes a temporary file in the target's
//! directory and renames it over the target, so a reader never sees half a checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder};

use crate::error::{Error, Result};

/// Names and shapes of the tensors a network reads from its [`VarBuilder`], in name order.
pub type TensorSpec = BTreeMap<String, Vec<usize>>;

/// A backend that records every request and answers with a broadcast zero (no allocation).
struct Recorder(Arc<Mutex<TensorSpec>>);

impl SimpleBackend for Recorder {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _h: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut spec = self
            .0
            .lock()
            .map_err(|_| candle_core::Error::msg("poisoned"))?;
        spec.insert(name.to_string(), s.dims().to_vec());
        Tensor::zeros((), dtype, dev)?.broadcast_as(s)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("tensor `{name}` requested without a shape")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}

/// The tensors that `build` requests from its [`VarBuilder`], without allocating them (so the
/// spec of a 300M-parameter network costs nothing); `build` must not compute with them.
pub fn tensor_spec<T>(
    build: impl FnOnce(VarBuilder) -> candle_core::Result<T>,
) -> Result<TensorSpec> {
    let spec = Arc::new(Mutex::new(TensorSpec::new()));
    let vb = VarBuilder::from_backend(Box::new(Recorder(spec.clone())), DType::F32, Device::Cpu);
    build(vb).map_err(|e| Error::candle("recording the network's tensors", e))?;
    let spec = spec
        .lock()
        .map_err(|_| Error::candle("recording", candle_core::Error::msg("poisoned lock")))?;
    Ok(spec.clone())
}

fn dtype_of(d: safetensors::Dtype) -> Option<DType> {
    use safetensors::Dtype as S;
    Some(match d {
        S::F32 => DType::F32,
        S::F64 => DType::F64,
        S::F16 => DType::F16,
        S::BF16 => DType::BF16,
        _ => return None,
    })
}

/// Reads the checkpoint at `path`, checks it holds exactly the tensors of `spec` with their
/// shapes and element type `dtype`, and returns them on `device`, keyed by name.
///
/// Errors: [`Error::CorruptCheckpoint`] if the file is not safetensors,
/// [`Error::MissingTensor`], [`Error::UnexpectedTensor`], [`Error::WrongShape`],
/// [`Error::WrongDType`] naming the first offending tensor (in name order), and
/// [`Error::Io`] if the file cannot be read.
pub fn load(
    path: impl AsRef<Path>,
    spec: &TensorSpec,
    dtype: DType,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    load_bytes(&bytes, &path.display().to_string(), spec, dtype, device)
}

fn deserialize<'a>(bytes: &'a [u8], source: &str) -> Result<safetensors::SafeTensors<'a>> {
    safetensors::SafeTensors::deserialize(bytes).map_err(|e| Error::CorruptCheckpoint {
        path: source.to_owned(),
        detail: e.to_string(),
    })
}

/// The string metadata of the safetensors file `bytes` (empty if it has none); `source` names
/// the file in errors.
///
/// # Errors
///
/// [`Error::CorruptCheckpoint`] if `bytes` are not safetensors.
pub fn read_metadata(bytes: &[u8], source: &str) -> Result<HashMap<String, String>> {
    let (_, meta) =
        safetensors::SafeTensors::read_metadata(bytes).map_err(|e| Error::CorruptCheckpoint {
            path: source.to_owned(),
            detail: e.to_string(),
        })?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

/// [`load`] from the bytes of a safetensors file; `source` names it in errors.
///
/// # Errors
///
/// As [`load`], without the I/O error.
pub fn load_bytes(
    bytes: &[u8],
    source: &str,
    spec: &TensorSpec,
    dtype: DType,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    load_bytes_with_filter(bytes, source, spec, None, dtype, device)
}

/// [`load_bytes`] that also accepts NVlabs's constant `resample_filter` buffers of a network
/// whose resampling filter taps are `taps`, once each is checked to be exactly the buffer those
/// taps make ([`super::resample::check_resample_buffer`]); they are not returned.
///
/// # Errors
///
/// As [`load_bytes`], and [`Error::InvalidField`] for a `resample_filter` buffer that is not
/// the configuration's.
pub fn load_bytes_with_filter(
    bytes: &[u8],
    source: &str,
    spec: &TensorSpec,
    taps: Option<&[f64]>,
    dtype: DType,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    let p = source.to_owned();
    let st = deserialize(bytes, source)?;
    let mut names: Vec<&str> = st.names();
    names.sort_unstable();
    if let Some(taps) = taps {
        names.retain(|n| spec.contains_key(*n) || !super::resample::is_resample_name(n));
        for (name, view) in st.tensors() {
            if !spec.contains_key(&name) && super::resample::is_resample_name(&name) {
                super::resample::check_resample_view(source, &name, &view, taps)?;
            }
        }
    }
    if let Some(extra) = names.iter().find(|n| !spec.contains_key(**n)) {
        return Err(Error::UnexpectedTensor {
            path: p,
            name: extra.to_string(),
        });
    }
    let mut out = HashMap::with_capacity(spec.len());
    for (name, shape) in spec {
        let view = st.tensor(name).map_err(|_| Error::MissingTensor {
            path: p.clone(),
            name: name.clone(),
        })?;
        if view.shape() != shape.as_slice() {
            return Err(Error::WrongShape {
                path: p,
                name: name.clone(),
                expected: shape.clone(),
                got: view.shape().to_vec(),
            });
        }
        if dtype_of(view.dtype()) != Some(dtype) {
            return Err(Error::WrongDType {
                path: p,
                name: name.clone(),
                expected: format!("{dtype:?}"),
                got: format!("{:?}", view.dtype()),
            });
        }
        let t = candle_core::safetensors::Load::load(&view, device)
            .map_err(|e| Error::candle(format!("loading `{name}` from {p}"), e))?;
        out.insert(name.clone(), t);
    }
    Ok(out)
}

/// Writes `tensors` to `path` as safetensors, atomically: the bytes go to a temporary file in
/// the same directory, which is then renamed over `path`.
pub fn save(path: impl AsRef<Path>, tensors: &HashMap<String, Tensor>) -> Result<()> {
    save_with_metadata(path, tensors, None)
}

/// [`save`] with string metadata in the file's header.
///
/// # Errors
///
/// As [`save`].
pub fn save_with_metadata(
    path: impl AsRef<Path>,
    tensors: &HashMap<String, Tensor>,
    metadata: Option<HashMap<String, String>>,
) -> Result<()> {
    let path = path.as_ref();
    let sorted: BTreeMap<&str, &Tensor> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let bytes = safetensors::serialize(sorted, metadata).map_err(|e| {
        Error::candle(
            format!("serialising {}", path.display()),
            candle_core::Error::wrap(e),
        )
    })?;
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
