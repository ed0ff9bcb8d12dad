//! The legacy `torch.save` archive that `torch.storage._load_from_bytes` receives: the bytes a
//! torch storage pickles itself as (`TypedStorage.__reduce__` saves with
//! `_use_new_zipfile_serialization=False`). It is five pickles and the raw data:
//!
//! 1. the magic number `0x1950a86a20f9469cfc6c`;
//! 2. the format version 1001;
//! 3. a dict of system information, whose `little_endian` must be true;
//! 4. the object, here the persistent id `('storage', torch.<Type>Storage, key, location,
//!    numel, None)`;
//! 5. the list of storage keys, here `[key]`;
//!
//! then, per key, the element count as a little-endian u64 followed by the elements. Every count
//! is checked against the persistent id and the bytes that remain.

use super::globals::{Context, Global};
use super::machine::Machine;
use super::tensor::Storage;
use super::value::{Node, NodeId};
use crate::error::{Error, Result};

/// The archive's magic number.
pub const MAGIC: u128 = 0x1950_a86a_20f9_469c_fc6c;

/// The archive format version.
pub const VERSION: i64 = 1001;

fn invalid(m: &Machine<'_>, reason: impl Into<String>) -> Error {
    Error::PickleInvalid {
        offset: m.reader.offset(),
        reason: format!("storage archive: {}", reason.into()),
    }
}

fn magic(node: &Node<'_>) -> Option<u128> {
    match node {
        Node::BigInt(b) if b.len() <= 16 => Some(
            b.iter()
                .rev()
                .fold(0u128, |acc, &byte| (acc << 8) | u128::from(byte)),
        ),
        _ => None,
    }
}

fn str_of<'a>(m: &Machine<'a>, id: NodeId) -> Option<&'a str> {
    match m.node(id) {
        Node::Str(s) => Some(s),
        _ => None,
    }
}

/// The one storage in the archive `bytes`, which start at offset `base` of the outermost file.
///
/// # Errors
///
/// The machine's errors (with the archive's own allow-list: storage classes only), and
/// [`Error::PickleInvalid`] for a wrong magic number or version, a big-endian archive, anything
/// but one storage, counts that disagree, or bytes after the data.
pub fn storage(bytes: &[u8], base: usize) -> Result<Storage<'_>> {
    let mut m = Machine::new(bytes, base, Context::Archive);
    let id = m.run()?;
    if magic(m.node(id)) != Some(MAGIC) {
        return Err(invalid(&m, "wrong magic number"));
    }
    let id = m.run()?;
    if *m.node(id) != Node::Int(VERSION) {
        return Err(invalid(&m, "unsupported version"));
    }
    let info = m.run()?;
    let little = match m.node(info) {
        Node::Dict(d) => d.iter().any(|&(k, v)| {
            str_of(&m, k) == Some("little_endian") && *m.node(v) == Node::Bool(true)
        }),
        _ => false,
    };
    if !little {
        return Err(invalid(&m, "not a little-endian archive"));
    }
    let pid = m.run()?;
    let fields = match m.node(pid) {
        Node::Tuple(v) if v.len() == 6 => v.clone(),
        _ => return Err(invalid(&m, "the object is not one storage")),
    };
    let (dtype, key, numel) = match (
        str_of(&m, fields[0]),
        m.node(fields[1]),
        str_of(&m, fields[2]),
        str_of(&m, fields[3]),
        m.node(fields[4]),
        m.node(fields[5]),
    ) {
        (
            Some("storage"),
            Node::Global(Global::StorageClass(dtype)),
            Some(key),
            Some(_location),
            Node::Int(numel),
            Node::None,
        ) => (*dtype, key, *numel),
        _ => return Err(invalid(&m, "malformed storage id")),
    };
    let keys = m.run()?;
    match m.node(keys) {
        Node::List(v) if v.len() == 1 && str_of(&m, v[0]) == Some(key) => {}
        _ => return Err(invalid(&m, "key list is not the storage's key")),
    }
    let count = m.reader.u64_le()?;
    if u64::try_from(numel).ok() != Some(count) {
        return Err(invalid(
            &m,
            format!("data holds {count} elements, the storage {numel}"),
        ));
    }
    let len = usize::try_from(count)
        .ok()
        .and_then(|n| n.checked_mul(dtype.size()))
        .filter(|&n| n <= m.reader.remaining())
        .ok_or_else(|| Error::PickleTruncated {
            offset: m.reader.offset().saturating_add(m.reader.remaining()),
        })?;
    let data = m.reader.take(len)?;
    if m.reader.remaining() != 0 {
        return Err(invalid(
            &m,
            format!("{} bytes after the data", m.reader.remaining()),
        ));
    }
    Ok(Storage { dtype, data })
}
