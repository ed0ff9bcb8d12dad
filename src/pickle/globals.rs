//! The allow-list: the only globals a pickle may name, each mapped to a fixed meaning as data.
//! Nothing is imported or called; a name outside the list is [`Error::PickleGlobal`].

use super::tensor::DType;
use crate::error::{Error, Result};

/// Where a pickle is read: the network pickle itself, or the `torch.save` archive of one
/// storage embedded in it. Each has its own allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The outer network pickle.
    Network,
    /// A legacy `torch.save` archive holding one storage.
    Archive,
}

/// An allow-listed global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// `collections.OrderedDict`: called with no arguments, it makes an empty dict.
    OrderedDict,
    /// `builtins.set`: called with a list, it makes a set.
    Set,
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks
    /// [, metadata])`: a tensor.
    RebuildTensorV2,
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`: the tensor.
    RebuildParameter,
    /// `torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)`: the
    /// tensor.
    RebuildParameterWithState,
    /// `torch.storage._load_from_bytes(bytes)`: the storage in a legacy `torch.save` archive.
    LoadFromBytes,
    /// `torch_utils.persistence._reconstruct_persistent_obj(meta)`: a persistent object.
    ReconstructPersistent,
    /// `torch.nn.modules.container.ModuleDict`, made by NEWOBJ with its `__dict__` by BUILD.
    ModuleDict,
    /// `torch.nn.modules.container.ModuleList`, likewise.
    ModuleList,
    /// `torch.nn.modules.container.Sequential`, likewise.
    Sequential,
    /// `numpy.core.multiarray.scalar(dtype, bytes)` (`numpy._core` in numpy 2): a number.
    NumpyScalar,
    /// `numpy.dtype(code, align, copy)`: the dtype of a numpy scalar.
    NumpyDtype,
    /// A torch storage class (`torch.FloatStorage`, ...), in an archive's persistent id.
    StorageClass(DType),
}

const NETWORK: &[(&str, &str, Global)] = &[
    ("collections", "OrderedDict", Global::OrderedDict),
    ("builtins", "set", Global::Set),
    (
        "torch._utils",
        "_rebuild_tensor_v2",
        Global::RebuildTensorV2,
    ),
    (
        "torch._utils",
        "_rebuild_parameter",
        Global::RebuildParameter,
    ),
    (
        "torch._utils",
        "_rebuild_parameter_with_state",
        Global::RebuildParameterWithState,
    ),
    ("torch.storage", "_load_from_bytes", Global::LoadFromBytes),
    (
        "torch_utils.persistence",
        "_reconstruct_persistent_obj",
        Global::ReconstructPersistent,
    ),
    (
        "torch.nn.modules.container",
        "ModuleDict",
        Global::ModuleDict,
    ),
    (
        "torch.nn.modules.container",
        "ModuleList",
        Global::ModuleList,
    ),
    (
        "torch.nn.modules.container",
        "Sequential",
        Global::Sequential,
    ),
    ("numpy.core.multiarray", "scalar", Global::NumpyScalar),
    ("numpy._core.multiarray", "scalar", Global::NumpyScalar),
    ("numpy", "dtype", Global::NumpyDtype),
];

const ARCHIVE: &[(&str, &str, Global)] = &[
    ("torch", "HalfStorage", Global::StorageClass(DType::F16)),
    (
        "torch",
        "BFloat16Storage",
        Global::StorageClass(DType::BF16),
    ),
    ("torch", "FloatStorage", Global::StorageClass(DType::F32)),
    ("torch", "DoubleStorage", Global::StorageClass(DType::F64)),
    ("torch", "LongStorage", Global::StorageClass(DType::I64)),
    ("torch", "IntStorage", Global::StorageClass(DType::I32)),
    ("torch", "ShortStorage", Global::StorageClass(DType::I16)),
    ("torch", "CharStorage", Global::StorageClass(DType::I8)),
    ("torch", "ByteStorage", Global::StorageClass(DType::U8)),
    ("torch", "BoolStorage", Global::StorageClass(DType::Bool)),
];

impl Global {
    /// The allow-listed global `module.name` in `context`.
    ///
    /// # Errors
    ///
    /// [`Error::PickleGlobal`] naming it and the opcode's `offset` when it is not on the list.
    pub fn resolve(context: Context, module: &str, name: &str, offset: usize) -> Result<Self> {
        let table = match context {
            Context::Network => NETWORK,
            Context::Archive => ARCHIVE,
        };
        table
            .iter()
            .find(|(m, n, _)| *m == module && *n == name)
            .map(|&(_, _, g)| g)
            .ok_or_else(|| Error::PickleGlobal {
                module: module.to_owned(),
                name: name.to_owned(),
                offset,
            })
    }

    /// Whether NEWOBJ may instantiate it (the container modules).
    pub fn is_class(self) -> bool {
        matches!(
            self,
            Global::ModuleDict | Global::ModuleList | Global::Sequential
        )
    }

    /// Every allow-listed `(module, name)` in `context`.
    pub fn allowed(context: Context) -> impl Iterator<Item = (&'static str, &'static str)> {
        match context {
            Context::Network => NETWORK,
            Context::Archive => ARCHIVE,
        }
        .iter()
        .map(|&(m, n, _)| (m, n))
    }
}
