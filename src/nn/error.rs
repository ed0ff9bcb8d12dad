//! Failures of the neural-network half, wrapped by [`crate::Error::Nn`].

use thiserror::Error as ThisError;

/// What went wrong in a network, a candle op or a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum NnError {
    /// A candle operation failed (shape mismatch, unavailable device, ...).
    #[error("candle error in {what}: {detail}")]
    Candle {
        /// What was being done.
        what: String,
        /// Candle's message.
        detail: String,
    },
    /// A checkpoint lacks a tensor the network needs.
    #[error("{path}: checkpoint has no tensor `{name}`")]
    MissingTensor {
        /// The checkpoint file.
        path: String,
        /// The missing tensor's name.
        name: String,
    },
    /// A checkpoint holds a tensor the network does not have.
    #[error("{path}: checkpoint has an unexpected tensor `{name}`")]
    UnexpectedTensor {
        /// The checkpoint file.
        path: String,
        /// The extra tensor's name.
        name: String,
    },
    /// A checkpoint tensor has the wrong shape.
    #[error("{path}: tensor `{name}` has shape {got:?}, expected {expected:?}")]
    WrongShape {
        /// The checkpoint file.
        path: String,
        /// The tensor's name.
        name: String,
        /// The shape the network needs.
        expected: Vec<usize>,
        /// The shape in the file.
        got: Vec<usize>,
    },
    /// A checkpoint tensor has the wrong element type.
    #[error("{path}: tensor `{name}` has dtype {got}, expected {expected}")]
    WrongDType {
        /// The checkpoint file.
        path: String,
        /// The tensor's name.
        name: String,
        /// The dtype the network needs.
        expected: String,
        /// The dtype in the file.
        got: String,
    },
    /// A checkpoint file is not valid safetensors.
    #[error("{path}: corrupt checkpoint: {detail}")]
    CorruptCheckpoint {
        /// The checkpoint file.
        path: String,
        /// The parser's message.
        detail: String,
    },
}

impl NnError {
    /// Wraps a candle error with what was being done.
    pub fn candle(what: impl Into<String>, err: candle_core::Error) -> Self {
        NnError::Candle {
            what: what.into(),
            detail: err.to_string(),
        }
    }
}
