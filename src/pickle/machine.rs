//! The stack machine: runs a pickle's opcodes over an arena of [`Node`]s without executing
//! anything. Supported opcodes (protocols 2–5, those NVlabs/edm's pickles and torch's legacy
//! archives use, plus their obvious siblings): PROTO, FRAME, STOP, MARK, POP, POP_MARK, DUP,
//! NONE, NEWTRUE, NEWFALSE, BININT, BININT1, BININT2, LONG1, LONG4, BINFLOAT, BINUNICODE,
//! SHORT_BINUNICODE, BINUNICODE8, BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8, EMPTY_TUPLE,
//! TUPLE, TUPLE1–3, EMPTY_LIST, APPEND, APPENDS, EMPTY_DICT, SETITEM, SETITEMS, EMPTY_SET,
//! ADDITEMS, BINPUT, LONG_BINPUT, MEMOIZE, BINGET, LONG_BINGET, GLOBAL, STACK_GLOBAL, REDUCE,
//! NEWOBJ, BUILD, and BINPERSID inside a storage archive. Any other opcode (the text protocol-0
//! opcodes, INST, OBJ, EXT*, NEWOBJ_EX, FROZENSET, out-of-band buffers, ...) is
//! [`Error::PickleOpcode`].

use std::collections::HashMap;

use super::globals::{Context, Global};
use super::reader::Reader;
use super::value::{Node, NodeId, Pickle};
use super::{MAX_MARKS, MAX_STACK, calls};
use crate::error::{Error, Result};

/// Longest module or name line a GLOBAL opcode may carry.
const MAX_GLOBAL_LINE: usize = 256;

/// The machine's state while it runs one or more consecutive pickles over one input.
pub(crate) struct Machine<'a> {
    pub(super) reader: Reader<'a>,
    pub(super) context: Context,
    pub(super) nodes: Vec<Node<'a>>,
    max_nodes: usize,
    stack: Vec<NodeId>,
    marks: Vec<usize>,
    memo: HashMap<u64, NodeId>,
    /// Offset of the opcode being run, for errors.
    pub(super) at: usize,
}

/// Runs the pickle `bytes` to its STOP and checks nothing follows.
pub(crate) fn run_to_end(bytes: &[u8], context: Context) -> Result<Pickle<'_>> {
    let mut m = Machine::new(bytes, 0, context);
    let root = m.run()?;
    if m.reader.remaining() != 0 {
        return Err(Error::PickleInvalid {
            offset: m.reader.offset(),
            reason: format!("{} bytes after STOP", m.reader.remaining()),
        });
    }
    Ok(Pickle {
        nodes: m.nodes,
        root,
    })
}

impl<'a> Machine<'a> {
    /// A machine over `data`, which starts at offset `base` of the outermost file.
    pub(crate) fn new(data: &'a [u8], base: usize, context: Context) -> Self {
        Machine {
            reader: Reader::new(data, base),
            context,
            nodes: Vec::new(),
            max_nodes: data.len(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            at: base,
        }
    }

    pub(super) fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::PickleInvalid {
            offset: self.at,
            reason: reason.into(),
        }
    }

    /// Adds a node. Every opcode consumes at least one byte and adds at most one node, so the
    /// arena never holds more nodes than the input has bytes; the check makes that explicit.
    pub(super) fn add(&mut self, node: Node<'a>) -> Result<NodeId> {
        if self.nodes.len() >= self.max_nodes {
            return Err(Error::PickleLimit {
                what: "number of values",
                limit: self.max_nodes,
                offset: self.at,
            });
        }
        self.nodes.push(node);
        Ok(NodeId(self.nodes.len() - 1))
    }

    pub(super) fn node(&self, id: NodeId) -> &Node<'a> {
        self.nodes.get(id.0).unwrap_or(&Node::None)
    }

    fn push(&mut self, id: NodeId) -> Result<()> {
        if self.stack.len() >= MAX_STACK {
            return Err(Error::PickleLimit {
                what: "stack depth",
                limit: MAX_STACK,
                offset: self.at,
            });
        }
        self.stack.push(id);
        Ok(())
    }

    fn push_new(&mut self, node: Node<'a>) -> Result<()> {
        let id = self.add(node)?;
        self.push(id)
    }

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<NodeId> {
        if self.stack.len() <= self.floor() {
            return Err(self.invalid("stack underflow"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.invalid("stack underflow"))
    }

    fn top(&self) -> Result<NodeId> {
        if self.stack.len() <= self.floor() {
            return Err(self.invalid("stack underflow"));
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.invalid("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<NodeId>> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.invalid("no MARK to pop to"))?;
        Ok(self.stack.split_off(mark))
    }

    /// Runs one pickle (a fresh stack and memo) to its STOP; returns the value it leaves.
    pub(crate) fn run(&mut self) -> Result<NodeId> {
        self.stack.clear();
        self.marks.clear();
        self.memo.clear();
        loop {
            self.at = self.reader.offset();
            let op = self.reader.u8()?;
            if op == b'.' {
                if !self.marks.is_empty() || self.stack.len() != 1 {
                    return Err(self.invalid(format!(
                        "STOP with {} values and {} marks on the stack",
                        self.stack.len(),
                        self.marks.len()
                    )));
                }
                return self.pop();
            }
            self.step(op)?;
        }
    }

    fn text(&self, bytes: &'a [u8]) -> Result<&'a str> {
        std::str::from_utf8(bytes).map_err(|e| self.invalid(format!("invalid UTF-8: {e}")))
    }

    fn int_bytes(&mut self, bytes: &'a [u8]) -> Result<()> {
        if bytes.len() > 8 {
            return self.push_new(Node::BigInt(bytes));
        }
        let fill = if bytes.last().is_some_and(|b| b & 0x80 != 0) {
            0xff
        } else {
            0
        };
        let mut buf = [fill; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        self.push_new(Node::Int(i64::from_le_bytes(buf)))
    }

    fn memo_put(&mut self, key: u64) -> Result<()> {
        let top = self.top()?;
        self.memo.insert(key, top);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<()> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| self.invalid(format!("memo key {key} was never stored")))?;
        self.push(id)
    }

    fn global(&mut self, module: &str, name: &str) -> Result<()> {
        let g = Global::resolve(self.context, module, name, self.at)?;
        self.push_new(Node::Global(g))
    }

    fn string_of(&self, id: NodeId) -> Result<&'a str> {
        match self.node(id) {
            Node::Str(s) => Ok(s),
            other => Err(self.invalid(format!("expected a str, got a {}", other.kind()))),
        }
    }

    fn step(&mut self, op: u8) -> Result<()> {
        match op {
            0x80 => {
                let proto = self.reader.u8()?;
                if !(2..=5).contains(&proto) {
                    return Err(self.invalid(format!("protocol {proto} (2 to 5 are read)")));
                }
            }
            0x95 => {
                let n = self.reader.u64_le()?;
                if usize::try_from(n).map_or(true, |n| n > self.reader.remaining()) {
                    return Err(Error::PickleTruncated {
                        offset: self.reader.offset().saturating_add(self.reader.remaining()),
                    });
                }
            }
            b'(' => {
                if self.marks.len() >= MAX_MARKS {
                    return Err(Error::PickleLimit {
                        what: "nesting depth (open MARKs)",
                        limit: MAX_MARKS,
                        offset: self.at,
                    });
                }
                self.marks.push(self.stack.len());
            }
            b'0' => {
                self.pop()?;
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                let top = self.top()?;
                self.push(top)?;
            }
            b'N' => self.push_new(Node::None)?,
            0x88 => self.push_new(Node::Bool(true))?,
            0x89 => self.push_new(Node::Bool(false))?,
            b'J' => {
                let v = self.reader.i32_le()?;
                self.push_new(Node::Int(i64::from(v)))?;
            }
            b'K' => {
                let v = self.reader.u8()?;
                self.push_new(Node::Int(i64::from(v)))?;
            }
            b'M' => {
                let v = self.reader.u16_le()?;
                self.push_new(Node::Int(i64::from(v)))?;
            }
            0x8a => {
                let n = self.reader.u8()?;
                let bytes = self.reader.take(usize::from(n))?;
                self.int_bytes(bytes)?;
            }
            0x8b => {
                let n = self.reader.i32_le()?;
                let n = u64::try_from(n).map_err(|_| self.invalid("negative LONG4 length"))?;
                let bytes = self.reader.take_declared(n)?;
                self.int_bytes(bytes)?;
            }
            b'G' => {
                let v = self.reader.f64_be()?;
                self.push_new(Node::Float(v))?;
            }
            b'X' | 0x8c | 0x8d => {
                let n = match op {
                    b'X' => u64::from(self.reader.u32_le()?),
                    0x8c => u64::from(self.reader.u8()?),
                    _ => self.reader.u64_le()?,
                };
                let bytes = self.reader.take_declared(n)?;
                let s = self.text(bytes)?;
                self.push_new(Node::Str(s))?;
            }
            b'B' | b'C' | 0x8e | 0x96 => {
                let n = match op {
                    b'B' => u64::from(self.reader.u32_le()?),
                    b'C' => u64::from(self.reader.u8()?),
                    _ => self.reader.u64_le()?,
                };
                let bytes = self.reader.take_declared(n)?;
                self.push_new(Node::Bytes(bytes))?;
            }
            b')' => self.push_new(Node::Tuple(Vec::new()))?,
            b't' => {
                let items = self.pop_mark()?;
                self.push_new(Node::Tuple(items))?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                self.push_new(Node::Tuple(items))?;
            }
            b']' => self.push_new(Node::List(Vec::new()))?,
            b'}' => self.push_new(Node::Dict(Vec::new()))?,
            0x8f => self.push_new(Node::Set(Vec::new()))?,
            b'a' => {
                let item = self.pop()?;
                self.extend(vec![item])?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.extend(items)?;
            }
            0x90 => {
                let items = self.pop_mark()?;
                self.extend(items)?;
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.set_items(vec![key, value])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                self.set_items(items)?;
            }
            b'q' => {
                let k = self.reader.u8()?;
                self.memo_put(u64::from(k))?;
            }
            b'r' => {
                let k = self.reader.u32_le()?;
                self.memo_put(u64::from(k))?;
            }
            0x94 => {
                let k = self.memo.len() as u64;
                self.memo_put(k)?;
            }
            b'h' => {
                let k = self.reader.u8()?;
                self.memo_get(u64::from(k))?;
            }
            b'j' => {
                let k = self.reader.u32_le()?;
                self.memo_get(u64::from(k))?;
            }
            b'c' => {
                let module = self.reader.line(MAX_GLOBAL_LINE)?;
                let name = self.reader.line(MAX_GLOBAL_LINE)?;
                let (module, name) = (self.text(module)?, self.text(name)?);
                self.global(module, name)?;
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (module, name) = (self.string_of(module)?, self.string_of(name)?);
                self.global(module, name)?;
            }
            b'R' => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let id = calls::reduce(self, callable, args)?;
                self.push(id)?;
            }
            0x81 => {
                let args = self.pop()?;
                let class = self.pop()?;
                let id = calls::new_object(self, class, args)?;
                self.push(id)?;
            }
            b'b' => {
                let state = self.pop()?;
                let target = self.top()?;
                calls::build(self, target, state)?;
            }
            b'Q' if self.context == Context::Archive => {
                // The persistent id stands for itself; `archive` checks it names one storage.
                let pid = self.pop()?;
                self.push(pid)?;
            }
            _ => {
                return Err(Error::PickleOpcode {
                    opcode: op,
                    offset: self.at,
                });
            }
        }
        Ok(())
    }

    /// APPEND(S) to a list, ADDITEMS to a set: the container below the items.
    fn extend(&mut self, items: Vec<NodeId>) -> Result<()> {
        let target = self.top()?;
        let at = self.at;
        match self.nodes.get_mut(target.0) {
            Some(Node::List(v) | Node::Set(v)) => {
                v.extend(items);
                Ok(())
            }
            Some(other) => Err(Error::PickleInvalid {
                offset: at,
                reason: format!("appending to a {}", other.kind()),
            }),
            None => Err(self.invalid("dangling value")),
        }
    }

    /// SETITEM(S) on a dict: `items` alternate keys and values.
    fn set_items(&mut self, items: Vec<NodeId>) -> Result<()> {
        if !items.len().is_multiple_of(2) {
            return Err(self.invalid("SETITEMS with an odd number of items"));
        }
        let target = self.top()?;
        let at = self.at;
        match self.nodes.get_mut(target.0) {
            Some(Node::Dict(d)) => {
                d.extend(items.chunks_exact(2).map(|kv| (kv[0], kv[1])));
                Ok(())
            }
            Some(other) => Err(Error::PickleInvalid {
                offset: at,
                reason: format!("setting items of a {}", other.kind()),
            }),
            None => Err(self.invalid("dangling value")),
        }
    }
}
