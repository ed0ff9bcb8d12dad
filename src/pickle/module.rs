//! torch modules in a [`Pickle`]: a module is a persistent object or a container
//! (`ModuleDict`, ...) whose state is its `__dict__`; its state dict is the tensors of its
//! `_parameters` and `_buffers` (less `_non_persistent_buffers_set`) and, recursively, of its
//! `_modules`, named by their dotted path, as `torch.nn.Module.state_dict` names them.

use std::collections::HashSet;

use super::tensor::Tensor;
use super::value::{Node, NodeId, Pickle};
use crate::error::{Error, Result};

/// Deepest module nesting a state dict walk follows. NVlabs's networks nest four deep
/// (precond, UNet, `ModuleDict`, block, layer); the cap bounds the walk on hostile trees.
pub const MAX_MODULE_DEPTH: usize = 32;

fn invalid(path: &str, reason: impl Into<String>) -> Error {
    Error::PickleInvalid {
        offset: 0,
        reason: format!("module `{path}`: {}", reason.into()),
    }
}

/// The `__dict__` of the module `id`: a persistent object's state or a container's BUILD
/// state; `path` names it in errors.
///
/// # Errors
///
/// [`Error::PickleInvalid`] when `id` is not a module.
pub fn module_dict(p: &Pickle<'_>, id: NodeId, path: &str) -> Result<NodeId> {
    match p.node(id) {
        Node::Persistent { state, .. } => Ok(*state),
        Node::Object {
            state: Some(state), ..
        } => Ok(*state),
        other => Err(invalid(path, format!("a {} is not a module", other.kind()))),
    }
}

/// The `_init_kwargs` of the persistent module `id` (the constructor's keyword arguments) as
/// `(name, value)` pairs.
///
/// # Errors
///
/// [`Error::PickleInvalid`] when `id` is not a persistent object or has no `_init_kwargs` dict
/// with string keys.
pub fn init_kwargs<'a>(p: &Pickle<'a>, id: NodeId, path: &str) -> Result<Vec<(&'a str, NodeId)>> {
    let (_, state) = p
        .persistent(id)
        .ok_or_else(|| invalid(path, "not a persistent object"))?;
    let kwargs = p
        .get(state, "_init_kwargs")
        .ok_or_else(|| invalid(path, "no `_init_kwargs`"))?;
    p.str_items(kwargs)
}

/// The submodule `name` of the module `id`.
///
/// # Errors
///
/// [`Error::PickleInvalid`] when `id` is not a module or has no such submodule.
pub fn submodule(p: &Pickle<'_>, id: NodeId, name: &str, path: &str) -> Result<NodeId> {
    let dict = module_dict(p, id, path)?;
    p.get(dict, "_modules")
        .and_then(|m| p.get(m, name))
        .filter(|&m| !matches!(p.node(m), Node::None))
        .ok_or_else(|| invalid(path, format!("no submodule `{name}`")))
}

/// The state dict of the module `id`: every persistent tensor with its dotted name, in the
/// order `torch.nn.Module.state_dict` lists them.
///
/// # Errors
///
/// [`Error::PickleInvalid`] for a value that is neither a tensor nor `None` among parameters
/// or buffers, a module reached twice (shared or cyclic), or nesting deeper than
/// [`MAX_MODULE_DEPTH`].
pub fn state_dict(p: &Pickle<'_>, id: NodeId) -> Result<Vec<(String, Tensor)>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    walk(p, id, "", 0, &mut seen, &mut out)?;
    Ok(out)
}

fn walk(
    p: &Pickle<'_>,
    id: NodeId,
    prefix: &str,
    depth: usize,
    seen: &mut HashSet<NodeId>,
    out: &mut Vec<(String, Tensor)>,
) -> Result<()> {
    let path = prefix.trim_end_matches('.');
    if depth > MAX_MODULE_DEPTH {
        return Err(Error::PickleLimit {
            what: "module nesting depth",
            limit: MAX_MODULE_DEPTH,
            offset: 0,
        });
    }
    if !seen.insert(id) {
        return Err(invalid(path, "reached twice (shared or cyclic module)"));
    }
    let dict = module_dict(p, id, path)?;
    let skipped: Vec<&str> = match p
        .get(dict, "_non_persistent_buffers_set")
        .map(|s| p.node(s))
    {
        Some(Node::Set(items)) => items
            .iter()
            .filter_map(|&i| match p.node(i) {
                Node::Str(s) => Some(*s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for (field, persistent_only) in [("_parameters", false), ("_buffers", true)] {
        let Some(items) = p.get(dict, field) else {
            continue;
        };
        for (name, value) in p.str_items(items)? {
            if persistent_only && skipped.contains(&name) {
                continue;
            }
            match p.node(value) {
                Node::Tensor(t) => out.push((format!("{prefix}{name}"), t.clone())),
                Node::None => {}
                other => {
                    return Err(invalid(
                        path,
                        format!("{field} entry `{name}` is a {}", other.kind()),
                    ));
                }
            }
        }
    }
    if let Some(modules) = p.get(dict, "_modules") {
        for (name, child) in p.str_items(modules)? {
            if !matches!(p.node(child), Node::None) {
                walk(p, child, &format!("{prefix}{name}."), depth + 1, seen, out)?;
            }
        }
    }
    Ok(())
}
