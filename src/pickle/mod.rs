//! A reader for the network pickles NVlabs/edm writes (`network-snapshot-*.pkl`), that never
//! executes or trusts their content.
//!
//! A pickle is a program for a stack machine; Python's unpickler runs it, importing and calling
//! whatever globals it names. This reader runs the subset of protocols 2–5 those files use
//! ([`machine`]) and resolves globals only against an allow-list of names
//! ([`globals`]), each given a fixed meaning as data: a dict, a tensor, a storage, "an object of
//! persistent class X with state Y". The result is a [`Pickle`], an arena of [`Node`]s in which
//! memoised values are shared, not copied.
//!
//! The files' layout: a dict `{ema, loss_fn, augment_pipe, dataset_kwargs}`; modules pickled
//! through `torch_utils.persistence`, whose reduce stores a dict with the class name, the
//! module's source and the object's `__dict__` (which holds `_init_kwargs`, `_parameters`,
//! `_buffers` and `_modules`); tensors through `torch._utils._rebuild_tensor_v2` and storages
//! through `torch.storage._load_from_bytes`, whose argument is a legacy (non-zip) `torch.save`
//! archive of one storage ([`archive`]).
//!
//! Bounds on hostile input: every length is checked against the bytes that remain before
//! anything is read, and values borrow the input rather than copy it, so no allocation exceeds
//! what the input can hold; each opcode adds at most one node and moves at most the items it
//! pops, so the arena and the memo hold at most one entry per input byte; the stack and the mark
//! stack are capped ([`MAX_STACK`], [`MAX_MARKS`]); an embedded archive is parsed once, never
//! recursively (its own allow-list has no archive in it); sizes use checked arithmetic.

pub mod archive;
mod calls;
pub mod globals;
mod id;
pub mod machine;
pub mod module;
mod reader;
pub mod tensor;
pub mod value;

pub use globals::Global;
pub use tensor::{DType, Storage, Tensor};
pub use value::{Node, NodeId, Pickle};

use crate::error::Result;

/// Most items the machine's stack may hold. NVlabs's pickles never hold more than a few hundred
/// (the pickler batches list and dict items by 1,000); the cap keeps a hostile stream from
/// building a stack of millions of items before failing.
pub const MAX_STACK: usize = 1 << 16;

/// Most MARKs open at once, i.e. the nesting depth of containers being built. NVlabs's pickles
/// nest about 40 deep (module in `_modules` dict in module ...).
pub const MAX_MARKS: usize = 1 << 10;

/// Parses a whole pickle (no bytes may follow its STOP).
///
/// # Errors
///
/// [`crate::Error::PickleOpcode`] for an opcode outside the supported subset,
/// [`crate::Error::PickleGlobal`] for a global outside the allow-list,
/// [`crate::Error::PickleTruncated`], [`crate::Error::PickleLimit`] and
/// [`crate::Error::PickleInvalid`], each with the offending byte offset.
pub fn parse(bytes: &[u8]) -> Result<Pickle<'_>> {
    machine::run_to_end(bytes, globals::Context::Network)
}
