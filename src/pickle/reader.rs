//! A bounds-checked cursor over a byte slice; every read that would pass the end is a
//! [`Error::PickleTruncated`] naming the absolute offset.

use crate::error::{Error, Result};

/// A position in `data`, whose first byte lies at offset `base` of the outermost file.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    /// The absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// The absolute offset of byte `pos` of `data`.
    pub(crate) fn absolute(&self, pos: usize) -> usize {
        self.base.saturating_add(pos)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn truncated(&self) -> Error {
        Error::PickleTruncated {
            offset: self.absolute(self.data.len()),
        }
    }

    /// The next `n` bytes, borrowed from the input.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// `n` bytes given as a declared length of any width (a u64 that may not fit usize).
    pub(crate) fn take_declared(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| self.truncated())?;
        self.take(n)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16_le(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32_le(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32_le(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn f64_be(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// The bytes up to the next newline (which is consumed), at most `max` of them.
    pub(crate) fn line(&mut self, max: usize) -> Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let window = &rest[..rest.len().min(max.saturating_add(1))];
        match window.iter().position(|&b| b == b'\n') {
            Some(n) => {
                let out = &rest[..n];
                self.pos += n + 1;
                Ok(out)
            }
            None if rest.len() <= max => Err(self.truncated()),
            None => Err(Error::PickleInvalid {
                offset: self.offset(),
                reason: format!("text line longer than {max} bytes"),
            }),
        }
    }
}

impl Reader<'_> {
    /// The absolute offset of `sub`, a slice borrowed from this reader's data (`None` if it is
    /// not).
    pub(crate) fn offset_of(&self, sub: &[u8]) -> Option<usize> {
        let start = (sub.as_ptr() as usize).checked_sub(self.data.as_ptr() as usize)?;
        (start.checked_add(sub.len())? <= self.data.len()).then(|| self.absolute(start))
    }
}
