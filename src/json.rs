//! Reading a JSON document field by field, with errors that name the field's path
//! (`coefficients[3].points[0].c_skip: expected a number, got a string`).

use crate::error::{Error, Result};
use serde_json::Value;

/// A value inside a document, with its path from the root, for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    value: &'a Value,
    path: String,
    file: &'a str,
}

/// What a JSON value is, in words.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A child path: `parent.key`, or `key` at the root.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl<'a> Node<'a> {
    /// The root of the document read from `file`.
    pub(crate) fn root(value: &'a Value, file: &'a str) -> Self {
        Node {
            value,
            path: String::new(),
            file,
        }
    }

    fn child(&self, value: &'a Value, path: String) -> Self {
        Node {
            value,
            path,
            file: self.file,
        }
    }

    /// An error about this node.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::InvalidField {
            file: self.file.to_owned(),
            field: if self.path.is_empty() {
                "(document)".to_owned()
            } else {
                self.path.clone()
            },
            reason: reason.into(),
        }
    }

    fn expected(&self, what: &str) -> Error {
        self.error(format!("expected {what}, got {}", kind(self.value)))
    }

    /// Whether the node is JSON `null`.
    pub(crate) fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// The member `key` of an object; an error when this is not an object or `key` is missing.
    pub(crate) fn field(&self, key: &str) -> Result<Node<'a>> {
        self.optional(key)?
            .ok_or_else(|| self.error(format!("missing field `{key}`")))
    }

    /// The member `key` of an object, `None` when it is missing.
    pub(crate) fn optional(&self, key: &str) -> Result<Option<Node<'a>>> {
        let map = self
            .value
            .as_object()
            .ok_or_else(|| self.expected("an object"))?;
        Ok(map.get(key).map(|v| self.child(v, join(&self.path, key))))
    }

    /// A float64.
    pub(crate) fn number(&self) -> Result<f64> {
        self.value
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.expected("a number"))
    }

    /// A non-negative integer.
    pub(crate) fn count(&self) -> Result<usize> {
        self.value
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| self.expected("a non-negative integer"))
    }

    /// A string.
    pub(crate) fn string(&self) -> Result<&'a str> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// The elements of an array, each with its path `parent[i]`.
    pub(crate) fn elements(&self) -> Result<Vec<Node<'a>>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.expected("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| self.child(v, format!("{}[{i}]", self.path)))
            .collect())
    }

    /// An array of numbers.
    pub(crate) fn numbers(&self) -> Result<Vec<f64>> {
        self.elements()?.iter().map(|e| e.number()).collect()
    }

    /// An array of arrays of numbers, all of length `cols` when given.
    pub(crate) fn rows(&self, cols: Option<usize>) -> Result<Vec<Vec<f64>>> {
        self.elements()?
            .iter()
            .map(|e| {
                let row = e.numbers()?;
                match cols {
                    Some(c) if row.len() != c => {
                        Err(e.error(format!("expected {c} numbers, got {}", row.len())))
                    }
                    _ => Ok(row),
                }
            })
            .collect()
    }
}

/// An answer field: `None` when missing or `null` (the port did not provide it), an error when
/// present with another type.
pub(crate) fn answer<T>(
    node: &Node<'_>,
    key: &str,
    read: impl FnOnce(&Node<'_>) -> Result<T>,
) -> Result<Option<T>> {
    match node.optional(key)? {
        Some(n) if !n.is_null() => read(&n).map(Some),
        _ => Ok(None),
    }
}

/// A float64 as a JSON number (every value written is finite).
pub(crate) fn num(x: f64) -> Value {
    Value::from(x)
}

/// An optional answer: the number, or `null` when absent.
pub(crate) fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

/// A list of numbers.
pub(crate) fn nums(xs: &[f64]) -> Value {
    Value::Array(xs.iter().map(|&x| num(x)).collect())
}

/// A list of lists of numbers.
pub(crate) fn rows(xs: &[Vec<f64>]) -> Value {
    Value::Array(xs.iter().map(|r| nums(r)).collect())
}
