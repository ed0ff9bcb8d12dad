//! The crate's one error type.
//!
//! Every constructor validates its parameters and returns [`Error`] naming the bad value;
//! after construction, evaluation cannot fail.

use thiserror::Error as ThisError;

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
    /// A count (number of steps, table size, ...) is too small.
    #[error("`{name}` must be at least {min:?}, got {value:?}")]
    CountTooSmall {
        /// Name of the count.
        name: &'static str,
        /// The value that was given.
        value: usize,
        /// Smallest allowed value.
        min: usize,
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
    #[error("{path}: {detail}")]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's message.
        detail: String,
    },
    /// A neural-network backend (candle) operation or a checkpoint failed.
    #[cfg(feature = "candle")]
    #[error(transparent)]
    Nn(#[from] crate::nn::NnError),
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
