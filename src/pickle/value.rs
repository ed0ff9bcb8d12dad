//! The value tree a pickle describes, as an arena: containers refer to their items by
//! [`NodeId`], so a memoised value used twice is stored once (as in Python, where the memo holds
//! references), and no hostile stream can make the tree larger than the opcodes that built it.

use super::globals::Global;
pub use super::id::NodeId;
use super::tensor::{Storage, Tensor};
use crate::error::{Error, Result};

/// One value. Strings and bytes borrow the pickle's bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits i64.
    Int(i64),
    /// A larger integer, as its little-endian two's-complement bytes.
    BigInt(&'a [u8]),
    /// A float (Python floats and numpy float scalars).
    Float(f64),
    /// A string.
    Str(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
    /// A tuple.
    Tuple(Vec<NodeId>),
    /// A list.
    List(Vec<NodeId>),
    /// A dict (also `collections.OrderedDict`), items in insertion order; lookups find a
    /// repeated key's last value, as Python would.
    Dict(Vec<(NodeId, NodeId)>),
    /// A set.
    Set(Vec<NodeId>),
    /// An allow-listed global, not (yet) called.
    Global(Global),
    /// An instance of an allow-listed class (`torch.nn.ModuleDict`, ...) made by NEWOBJ, with
    /// the state BUILD gave it (the object's `__dict__`).
    Object {
        /// Its class.
        class: Global,
        /// Its state, if BUILD set one.
        state: Option<NodeId>,
    },
    /// An object of a class pickled through `torch_utils.persistence`: the class name and the
    /// object's `__dict__`. The module source it carries is kept as data, never run.
    Persistent {
        /// The class's name in its module (`EDMPrecond`, `SongUNet`, `Conv2d`, ...).
        class_name: &'a str,
        /// The source of the module that defined it.
        module_src: &'a str,
        /// The object's `__dict__` (a [`Node::Dict`]).
        state: NodeId,
    },
    /// A numpy dtype (the first argument of a numpy scalar): its type code (`f8`, `i8`, ...)
    /// and byte order (`<`, `>`, `|`, `=`).
    NumpyDtype {
        /// Type code.
        code: &'a str,
        /// Byte order, as BUILD set it (`=` until then).
        order: u8,
    },
    /// A storage.
    Storage(Storage<'a>),
    /// A tensor, checked to lie inside its storage.
    Tensor(Tensor),
}

impl Node<'_> {
    /// A short name of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::None => "None",
            Node::Bool(_) => "bool",
            Node::Int(_) | Node::BigInt(_) => "int",
            Node::Float(_) => "float",
            Node::Str(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::Tuple(_) => "tuple",
            Node::List(_) => "list",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::Global(_) => "global",
            Node::Object { .. } => "object",
            Node::Persistent { .. } => "persistent object",
            Node::NumpyDtype { .. } => "numpy dtype",
            Node::Storage(_) => "storage",
            Node::Tensor(_) => "tensor",
        }
    }
}

/// A parsed pickle: the arena of nodes and the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Pickle<'a> {
    pub(crate) nodes: Vec<Node<'a>>,
    pub(crate) root: NodeId,
}

impl<'a> Pickle<'a> {
    /// The value the pickle's STOP returned.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The node `id`. Ids come from this pickle's nodes, so they are always in range; an id
    /// from another pickle that is out of range reads as `None`.
    pub fn node(&self, id: NodeId) -> &Node<'a> {
        self.nodes.get(id.0).unwrap_or(&Node::None)
    }

    /// All nodes, in the order they were made.
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// The storage a tensor views.
    ///
    /// # Errors
    ///
    /// [`Error::PickleInvalid`] if the tensor does not belong to this pickle.
    pub fn storage_of(&self, tensor: &Tensor) -> Result<&Storage<'a>> {
        match self.node(tensor.storage) {
            Node::Storage(s) => Ok(s),
            other => Err(invalid(format!("tensor's storage is a {}", other.kind()))),
        }
    }

    /// The value under the string key `key` of the dict `id`, `None` if the key is absent or
    /// `id` is not a dict.
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        match self.node(id) {
            Node::Dict(items) => items
                .iter()
                .rev()
                .find(|(k, _)| matches!(self.node(*k), Node::Str(s) if *s == key))
                .map(|&(_, v)| v),
            _ => None,
        }
    }

    /// The items of the dict `id` with string keys, in order.
    ///
    /// # Errors
    ///
    /// [`Error::PickleInvalid`] if `id` is not a dict or a key is not a string.
    pub fn str_items(&self, id: NodeId) -> Result<Vec<(&'a str, NodeId)>> {
        match self.node(id) {
            Node::Dict(items) => items
                .iter()
                .map(|&(k, v)| match self.node(k) {
                    Node::Str(s) => Ok((*s, v)),
                    other => Err(invalid(format!("dict key is a {}", other.kind()))),
                })
                .collect(),
            other => Err(invalid(format!("expected a dict, got a {}", other.kind()))),
        }
    }

    /// The state of the persistent object `id`: `(class_name, __dict__)`.
    pub fn persistent(&self, id: NodeId) -> Option<(&'a str, NodeId)> {
        match self.node(id) {
            Node::Persistent {
                class_name, state, ..
            } => Some((class_name, *state)),
            _ => None,
        }
    }
}

fn invalid(reason: String) -> Error {
    Error::PickleInvalid { offset: 0, reason }
}
