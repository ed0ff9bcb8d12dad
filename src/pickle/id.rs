//! The index of a value in the arena of a [`super::Pickle`], shared by the value tree and the
//! tensors that refer to their storages.

/// Index of a [`super::Node`] in a [`super::Pickle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub(crate) usize);
