//! The crate's one error type.
//!
//! Every constructor validates its parameters and returns [`Error`] naming the bad value;
//! after construction, evaluation cannot fail. Failures of the operating system and of candle
//! are kept as the error's [`source`](std::error::Error::source), shared behind an [`Arc`] so
//! that [`Error`] stays `Clone` (a sampler's run hands the same error to every caller that
//! asks) and comparable in tests.

use std::fmt;
use std::sync::Arc;

use thiserror::Error as ThisError;

/// An underlying error kept as the source of an [`Error`]: shared, so [`Error`] stays `Clone`;
/// two are equal when their messages are (the operating system's and candle's errors are not
/// comparable themselves).
#[derive(Debug)]
pub struct Source<E>(Arc<E>);

impl<E> Clone for Source<E> {
    fn clone(&self) -> Self {
        Source(Arc::clone(&self.0))
    }
}

impl<E> Source<E> {
    /// Wraps `err`.
    pub fn new(err: E) -> Self {
        Source(Arc::new(err))
    }

    /// The wrapped error.
    pub fn get(&self) -> &E {
        &self.0
    }
}

impl<E: fmt::Display> PartialEq for Source<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl<E: fmt::Display> fmt::Display for Source<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error> std::error::Error for Source<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Everything that can go wrong in `elucidated`, one variant per kind of bad input.
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// A parameter that must be a finite number was NaN or infinite.
    #[error("parameter `{name}` must be finite, got {value:?}")]
    NotFinite {
        /// Name of the parameter, as in the paper (`sigma_min`, `beta_d`, ...).
        name: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A parameter that must be strictly positive was zero or negative.
    #[error("parameter `{name}` must be > 0, got {value:?}")]
    NotPositive {
        /// Name of the parameter.
        name: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A parameter that must be non-negative was negative.
    #[error("parameter `{name}` must be >= 0, got {value:?}")]
    Negative {
        /// Name of the parameter.
        name: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A parameter lies outside the interval it must lie in.
    #[error("parameter `{name}` must lie in [{min:?}, {max:?}], got {value:?}")]
    OutOfRange {
        /// Name of the parameter.
        name: &'static str,
        /// The value that was given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// `sigma_min` is not strictly below `sigma_max`.
    #[error("sigma range is empty: sigma_min = {min:?} must be < sigma_max = {max:?}")]
    InvalidSigmaRange {
        /// The lower end that was given.
        min: f64,
        /// The upper end that was given.
        max: f64,
    },
    /// A time interval is empty or reversed.
    #[error("time range is empty: t_min = {min:?} must be < t_max = {max:?}")]
    InvalidTimeRange {
        /// The lower end that was given.
        min: f64,
        /// The upper end that was given.
        max: f64,
    },
    /// A count (number of steps, table size, batch size, ...) is too small.
    #[error("`{name}` must be at least {min}, got {value}")]
    CountTooSmall {
        /// Name of the count.
        name: &'static str,
        /// The value that was given.
        value: usize,
        /// Smallest allowed value.
        min: usize,
    },
    /// A count or an index lies outside the integer interval it must lie in.
    #[error("`{name}` must lie in {min}..={max}, got {value}")]
    CountOutOfRange {
        /// Name of the count or index.
        name: &'static str,
        /// The value that was given.
        value: usize,
        /// Smallest allowed value.
        min: usize,
        /// Largest allowed value.
        max: usize,
    },
    /// A user-supplied schedule is not valid at some time on the checking grid.
    #[error("schedule is invalid at t = {t:?}: {reason}")]
    InvalidSchedule {
        /// The time at which the check failed.
        t: f64,
        /// What was wrong there.
        reason: &'static str,
    },
    /// A noise level lies outside the range a schedule can reach, so sigma^-1 is undefined.
    #[error("sigma = {sigma:?} is outside the schedule's range [{min:?}, {max:?}]")]
    SigmaOutOfSchedule {
        /// The noise level that was asked for.
        sigma: f64,
        /// Smallest noise level the schedule reaches on its domain.
        min: f64,
        /// Largest noise level the schedule reaches on its domain.
        max: f64,
    },
    /// A discretisation produced steps that are not strictly decreasing (too many steps for the
    /// range, or a table with too few distinct entries).
    #[error("time steps are not strictly decreasing at index {index}: {prev:?} then {next:?}")]
    NotDecreasing {
        /// Index of the second offending step.
        index: usize,
        /// The earlier step.
        prev: f64,
        /// The later step, which should be smaller.
        next: f64,
    },
    /// A result is too large to be represented as a float64.
    #[error("{what} overflows float64 for input {value:?}")]
    Overflow {
        /// The quantity being computed.
        what: &'static str,
        /// The input that makes it overflow.
        value: f64,
    },
    /// Dimensions of two objects do not agree.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was being combined.
        what: &'static str,
        /// The dimension that was expected.
        expected: usize,
        /// The dimension that was given.
        got: usize,
    },
    /// A sampler asked a replayed noise source for a draw it was not given.
    #[error("no noise was given for draw {draw} of step {step}")]
    MissingDraw {
        /// The step that asked.
        step: usize,
        /// The draw within the step.
        draw: usize,
    },
    /// Shapes of two arrays (tensors, matrices) do not agree.
    #[error("shape mismatch in {what}: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// What was being combined.
        what: &'static str,
        /// The shape that was expected.
        expected: Vec<usize>,
        /// The shape that was given.
        got: Vec<usize>,
    },
    /// A matrix that must be symmetric positive semi-definite is not.
    #[error("{what} is not symmetric positive semi-definite")]
    NotPositiveSemiDefinite {
        /// Which matrix.
        what: &'static str,
    },
    /// A name on the command line or in a file does not name a known item.
    #[error("unknown {what} `{name}`")]
    UnknownName {
        /// The kind of item (schedule, sampler, ...).
        what: &'static str,
        /// The name that was given.
        name: String,
    },
    /// Text could not be parsed.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// Why it failed.
        detail: String,
    },
    /// A field of a JSON document (golden vectors, a port's answers) is missing, has the wrong
    /// type, or does not match the problem it should answer.
    #[error("{file}: {field}: {reason}")]
    InvalidField {
        /// The document (a file name, or `reference` / `port`).
        file: String,
        /// The field's path in the document, e.g. `coefficients[3].points[0].c_skip`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's error.
        #[source]
        source: Source<std::io::Error>,
    },
    /// A class-conditional model was asked for samples without class labels.
    #[error("the model is class-conditional ({label_dim} classes): give a class per sample")]
    MissingClassLabels {
        /// Number of classes the model knows.
        label_dim: usize,
    },
    /// A compute device is not available in this build or on this machine.
    #[error("device `{device}` is unavailable: {reason}")]
    DeviceUnavailable {
        /// The device asked for (`cuda`, ...).
        device: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A candle (neural-network backend) operation failed.
    #[cfg(feature = "candle")]
    #[error("candle error in {what}: {source}")]
    Candle {
        /// What was being done.
        what: String,
        /// Candle's error.
        #[source]
        source: Source<candle_core::Error>,
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
    /// A checkpoint file is not valid safetensors, or its header lacks what it must hold.
    #[error("{path}: corrupt checkpoint: {detail}")]
    CorruptCheckpoint {
        /// The checkpoint file.
        path: String,
        /// The parser's message.
        detail: String,
    },
    /// A pickle uses an opcode the reader does not implement (see `crate::pickle`).
    #[error("pickle: unsupported opcode {opcode:#04x} at byte {offset}")]
    PickleOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Its offset in the pickle.
        offset: usize,
    },
    /// A pickle names a global (class or function) outside the reader's allow-list.
    #[error("pickle: global `{module}.{name}` at byte {offset} is not allowed")]
    PickleGlobal {
        /// The global's module.
        module: String,
        /// The global's name.
        name: String,
        /// The offset of the opcode naming it.
        offset: usize,
    },
    /// A pickle ends before an opcode's argument or its STOP.
    #[error("pickle: truncated at byte {offset}")]
    PickleTruncated {
        /// The offset at which more bytes were needed.
        offset: usize,
    },
    /// A pickle exceeds one of the reader's limits (nesting depth, stack, memo).
    #[error("pickle: {what} exceeds the limit of {limit} at byte {offset}")]
    PickleLimit {
        /// The quantity that is too large.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// The offset of the offending opcode.
        offset: usize,
    },
    /// A pickle is well formed opcode by opcode but its content is not what it must be (a
    /// stack underflow, an argument of the wrong type, a tensor outside its storage, ...).
    #[error("pickle: invalid content at byte {offset}: {reason}")]
    PickleInvalid {
        /// The offset of the offending opcode.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// An I/O failure on `path`, keeping the operating system's error as the source.
    pub fn io(path: impl AsRef<std::path::Path>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source: Source::new(err),
        }
    }

    /// A failed candle operation, with what was being done; candle's error is the source.
    #[cfg(feature = "candle")]
    pub fn candle(what: impl Into<String>, err: candle_core::Error) -> Self {
        Error::Candle {
            what: what.into(),
            source: Source::new(err),
        }
    }
}

/// Result alias with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// Checks that `value` is finite.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { name, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    finite(name, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::NotPositive { name, value })
    }
}

/// Checks that `value` is finite and lies in `[min, max]`.
pub(crate) fn in_range(name: &'static str, value: f64, min: f64, max: f64) -> Result<f64> {
    finite(name, value)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            name,
            value,
            min,
            max,
        })
    }
}

/// Checks that the count `value` is at least `min`.
pub(crate) fn count(name: &'static str, value: usize, min: usize) -> Result<usize> {
    if value >= min {
        Ok(value)
    } else {
        Err(Error::CountTooSmall { name, value, min })
    }
}

/// Checks that `min < max`, both finite and positive.
pub(crate) fn sigma_range(min: f64, max: f64) -> Result<(f64, f64)> {
    positive("sigma_min", min)?;
    positive("sigma_max", max)?;
    if min < max {
        Ok((min, max))
    } else {
        Err(Error::InvalidSigmaRange { min, max })
    }
}
