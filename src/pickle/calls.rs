//! What REDUCE, NEWOBJ and BUILD mean for each allow-listed global: values built as data,
//! with every argument's type checked.

use super::archive;
use super::globals::Global;
use super::machine::Machine;
use super::tensor::Tensor;
use super::value::{Node, NodeId};
use crate::error::Result;

fn items(m: &Machine<'_>, id: NodeId, what: &str) -> Result<Vec<NodeId>> {
    match m.node(id) {
        Node::Tuple(v) | Node::List(v) => Ok(v.clone()),
        other => Err(m.invalid(format!("{what}: expected a tuple, got a {}", other.kind()))),
    }
}

fn count(m: &Machine<'_>, id: NodeId, what: &str) -> Result<usize> {
    match m.node(id) {
        Node::Int(v) => usize::try_from(*v)
            .map_err(|_| m.invalid(format!("{what}: {v} is not a non-negative size"))),
        other => Err(m.invalid(format!("{what}: expected an int, got a {}", other.kind()))),
    }
}

fn counts(m: &Machine<'_>, id: NodeId, what: &str) -> Result<Vec<usize>> {
    items(m, id, what)?
        .into_iter()
        .map(|i| count(m, i, what))
        .collect()
}

fn dict_get(m: &Machine<'_>, id: NodeId, key: &str) -> Option<NodeId> {
    match m.node(id) {
        Node::Dict(d) => d
            .iter()
            .rev()
            .find(|(k, _)| matches!(m.node(*k), Node::Str(s) if *s == key))
            .map(|&(_, v)| v),
        _ => None,
    }
}

fn string<'a>(m: &Machine<'a>, id: Option<NodeId>, what: &str) -> Result<&'a str> {
    match id.map(|i| m.node(i)) {
        Some(Node::Str(s)) => Ok(s),
        _ => Err(m.invalid(format!("{what}: expected a str"))),
    }
}

fn arity(m: &Machine<'_>, args: &[NodeId], allowed: &[usize], what: &str) -> Result<()> {
    if allowed.contains(&args.len()) {
        Ok(())
    } else {
        Err(m.invalid(format!(
            "{what} called with {} arguments (expected {allowed:?})",
            args.len()
        )))
    }
}

/// REDUCE: `callable(*args)` for an allow-listed callable.
pub(super) fn reduce<'a>(m: &mut Machine<'a>, callable: NodeId, args: NodeId) -> Result<NodeId> {
    let global = match m.node(callable) {
        Node::Global(g) => *g,
        other => return Err(m.invalid(format!("REDUCE of a {}", other.kind()))),
    };
    let args = match m.node(args) {
        Node::Tuple(v) => v.clone(),
        other => {
            return Err(m.invalid(format!(
                "REDUCE arguments are a {}, not a tuple",
                other.kind()
            )));
        }
    };
    match global {
        Global::OrderedDict => {
            arity(m, &args, &[0], "OrderedDict")?;
            m.add(Node::Dict(Vec::new()))
        }
        Global::Set => {
            arity(m, &args, &[1], "set")?;
            let v = items(m, args[0], "set")?;
            m.add(Node::Set(v))
        }
        Global::RebuildTensorV2 => rebuild_tensor(m, &args),
        Global::RebuildParameter | Global::RebuildParameterWithState => {
            arity(m, &args, &[3, 4], "_rebuild_parameter")?;
            match m.node(args[0]) {
                Node::Tensor(_) => Ok(args[0]),
                other => Err(m.invalid(format!("parameter data is a {}", other.kind()))),
            }
        }
        Global::LoadFromBytes => {
            arity(m, &args, &[1], "_load_from_bytes")?;
            let bytes = match m.node(args[0]) {
                Node::Bytes(b) => *b,
                other => return Err(m.invalid(format!("storage bytes are a {}", other.kind()))),
            };
            let base = m.reader.offset_of(bytes).unwrap_or(m.at);
            let storage = archive::storage(bytes, base)?;
            m.add(Node::Storage(storage))
        }
        Global::ReconstructPersistent => persistent(m, &args),
        Global::NumpyDtype => {
            arity(m, &args, &[3], "numpy.dtype")?;
            let code = string(m, Some(args[0]), "numpy.dtype")?;
            m.add(Node::NumpyDtype { code, order: b'=' })
        }
        Global::NumpyScalar => numpy_scalar(m, &args),
        Global::ModuleDict | Global::ModuleList | Global::Sequential | Global::StorageClass(_) => {
            Err(m.invalid(format!("REDUCE of {global:?}")))
        }
    }
}

/// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
fn rebuild_tensor(m: &mut Machine<'_>, args: &[NodeId]) -> Result<NodeId> {
    arity(m, args, &[6, 7], "_rebuild_tensor_v2")?;
    let (dtype, numel) = match m.node(args[0]) {
        Node::Storage(s) => (s.dtype, s.numel()),
        other => return Err(m.invalid(format!("tensor storage is a {}", other.kind()))),
    };
    let offset = count(m, args[1], "tensor offset")?;
    let shape = counts(m, args[2], "tensor size")?;
    let strides = counts(m, args[3], "tensor stride")?;
    if !matches!(m.node(args[4]), Node::Bool(_)) {
        return Err(m.invalid("tensor requires_grad is not a bool"));
    }
    let tensor = Tensor::new(args[0], dtype, offset, shape, strides, numel, m.at)?;
    m.add(Node::Tensor(tensor))
}

/// `_reconstruct_persistent_obj(meta)`: `meta` is `{type: 'class', version, module_src,
/// class_name, state}`.
fn persistent(m: &mut Machine<'_>, args: &[NodeId]) -> Result<NodeId> {
    arity(m, args, &[1], "_reconstruct_persistent_obj")?;
    let meta = args[0];
    if string(m, dict_get(m, meta, "type"), "persistent meta `type`")? != "class" {
        return Err(m.invalid("persistent meta `type` is not `class`"));
    }
    if !matches!(
        dict_get(m, meta, "version").map(|v| m.node(v)),
        Some(Node::Int(_))
    ) {
        return Err(m.invalid("persistent meta `version` is not an int"));
    }
    let class_name = string(
        m,
        dict_get(m, meta, "class_name"),
        "persistent `class_name`",
    )?;
    let module_src = string(
        m,
        dict_get(m, meta, "module_src"),
        "persistent `module_src`",
    )?;
    let state = dict_get(m, meta, "state")
        .filter(|&s| matches!(m.node(s), Node::Dict(_)))
        .ok_or_else(|| m.invalid("persistent meta `state` is not a dict"))?;
    m.add(Node::Persistent {
        class_name,
        module_src,
        state,
    })
}

/// `numpy.core.multiarray.scalar(dtype, bytes)` for float, int and bool dtypes.
fn numpy_scalar(m: &mut Machine<'_>, args: &[NodeId]) -> Result<NodeId> {
    arity(m, args, &[2], "numpy scalar")?;
    let (code, order) = match m.node(args[0]) {
        Node::NumpyDtype { code, order } => (*code, *order),
        other => return Err(m.invalid(format!("numpy scalar dtype is a {}", other.kind()))),
    };
    let bytes = match m.node(args[1]) {
        Node::Bytes(b) => *b,
        other => return Err(m.invalid(format!("numpy scalar data is a {}", other.kind()))),
    };
    let mut buf = bytes.to_vec();
    if order == b'>' {
        buf.reverse();
    }
    let node = match (code, buf.len()) {
        ("f8", 8) => Node::Float(f64::from_le_bytes(array(&buf))),
        ("f4", 4) => Node::Float(f64::from(f32::from_le_bytes(array(&buf)))),
        ("i8", 8) => Node::Int(i64::from_le_bytes(array(&buf))),
        ("i4", 4) => Node::Int(i64::from(i32::from_le_bytes(array(&buf)))),
        ("b1", 1) => Node::Bool(buf[0] != 0),
        _ => {
            return Err(m.invalid(format!(
                "numpy scalar of dtype `{code}` with {} bytes",
                buf.len()
            )));
        }
    };
    m.add(node)
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// NEWOBJ: `class.__new__(class, *args)` for the container modules, which take no arguments.
pub(super) fn new_object(m: &mut Machine<'_>, class: NodeId, args: NodeId) -> Result<NodeId> {
    let class = match m.node(class) {
        Node::Global(g) if g.is_class() => *g,
        other => return Err(m.invalid(format!("NEWOBJ of a {}", other.kind()))),
    };
    if !matches!(m.node(args), Node::Tuple(v) if v.is_empty()) {
        return Err(m.invalid(format!("NEWOBJ of {class:?} with arguments")));
    }
    m.add(Node::Object { class, state: None })
}

/// BUILD: sets an object's state once, or a numpy dtype's byte order from its state tuple.
pub(super) fn build(m: &mut Machine<'_>, target: NodeId, state: NodeId) -> Result<()> {
    let order = match m.node(state) {
        Node::Tuple(v) => match v.get(1).map(|&i| m.node(i)) {
            Some(Node::Str(s)) if s.len() == 1 => s.as_bytes().first().copied(),
            _ => None,
        },
        _ => None,
    };
    let invalid = m.invalid("BUILD of a value that takes no state");
    match m.nodes.get_mut(target.0) {
        Some(Node::Object {
            state: s @ None, ..
        }) => {
            *s = Some(state);
            Ok(())
        }
        Some(Node::NumpyDtype { order: o, .. }) => match order {
            Some(b @ (b'<' | b'>' | b'|' | b'=')) => {
                *o = b;
                Ok(())
            }
            _ => Err(invalid),
        },
        _ => Err(invalid),
    }
}
