//! Golden vectors for ports: a versioned JSON document of problems and this crate's answers,
//! and the check of a port's answers against them (design: interfaces, `edm vectors`).
//!
//! A [`Document`] holds three sections. Every entry has *inputs* (what to compute) and
//! *answers* (the values); a port reads the exported document, replaces the answers with its
//! own and writes the result, which [`check`] compares with the reference.
//!
//! - `coefficients` ([`CoefficientSet`]): for a schedule and a preconditioning, at each time t
//!   of a grid that includes the extremes, sigma, s, sigma', s', f, g (I02, I10–I13) and c_skip,
//!   c_out, c_in, c_noise, the loss weight at sigma(t) (I16, I21): the fields of
//!   `edm coefficients`.
//! - `steps` ([`StepsCase`]): for each discretisation (I14) and several N, the noise levels,
//!   the paper's times, and the times under other schedules (NVlabs's ablation combinations).
//! - `trajectories` ([`TrajectoryCase`]): Euler, Heun, Algorithm 2, DDIM and DPM-Solver++(2M)
//!   on Gaussian and mixture data (I30, I31), with the latents and every step's noise given.
//!
//! Floats are written in the shortest form that parses back to the same float64 and read back
//! exactly (serde_json with `float_roundtrip`), so the reference a port sees is the reference
//! the check uses, bit for bit. `docs/vectors.md` is the porters' guide and
//! `docs/vectors.schema.json` the JSON Schema.
//!
//! ```
//! use elucidated::vectors::{Document, check};
//!
//! let reference = Document::reference()?;
//! let text = reference.to_json_string();
//! let port = Document::parse(&text, "port.json")?;
//! let report = check(&port, "port.json", &reference)?;
//! assert!(report.passed());
//! assert!(report.quantities.iter().all(|q| q.max_ulp == 0.0));
//! # Ok::<(), elucidated::Error>(())
//! ```

mod check;
mod coefficients;
mod params;
mod report;
mod runs;
mod steps;
mod trajectories;

pub use check::{REL_TRAJECTORY, ULP_COEFFICIENTS, ULP_STEPS, check};
pub use coefficients::{CoefficientPoint, CoefficientSet, FIELDS};
pub use params::{DiscretizationSpec, PrecondSpec, ScheduleSpec};
pub use report::{Criterion, QuantityReport, Report, Verdict};
pub use steps::{MappedTimes, StepsCase};
pub use trajectories::{ProblemSpec, SamplerSpec, TrajectoryCase};

use crate::error::{Error, Result};
use crate::json::Node;
use crate::schedule::Edm;
use serde_json::{Value, json};

/// The `format` field of every document.
pub const FORMAT: &str = "elucidated-golden-vectors";

/// The version of the schema this crate writes and reads.
pub const VERSION: u64 = 1;

/// A golden-vector document: the reference (every answer given) or a port's answers (answers
/// may be missing, which the check reports as failures).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Who wrote the document (informational), e.g. `elucidated 0.1.0`.
    pub generator: String,
    /// Coefficient sets.
    pub coefficients: Vec<CoefficientSet>,
    /// Time-step cases.
    pub steps: Vec<StepsCase>,
    /// Sampler trajectories.
    pub trajectories: Vec<TrajectoryCase>,
}

impl Document {
    /// The reference document: this crate's answers to every problem. Deterministic: the same
    /// bytes on every run and platform with IEEE float64 and a correctly rounded libm for
    /// the functions used.
    pub fn reference() -> Result<Self> {
        Ok(Document {
            generator: format!("elucidated {}", env!("CARGO_PKG_VERSION")),
            coefficients: coefficients::reference(Edm::DEFAULT_SIGMA_DATA)?,
            steps: steps::reference()?,
            trajectories: runs::reference()?,
        })
    }

    /// The document as JSON (pretty-printed; floats round-trip exactly).
    pub fn to_json(&self) -> Value {
        let list = |v: Vec<Value>| Value::Array(v);
        json!({
            "format": FORMAT,
            "version": VERSION,
            "generator": self.generator,
            "coefficients": list(self.coefficients.iter().map(CoefficientSet::to_json).collect()),
            "steps": list(self.steps.iter().map(StepsCase::to_json).collect()),
            "trajectories": list(self.trajectories.iter().map(TrajectoryCase::to_json).collect()),
        })
    }

    /// [`Document::to_json`] as text, ending with a newline.
    pub fn to_json_string(&self) -> String {
        format!("{:#}\n", self.to_json())
    }

    /// Reads a document from JSON `text`; `file` names it in errors. A missing or `null`
    /// answer is read as not given; anything else that does not fit the schema is an
    /// [`Error::InvalidField`] naming the field, e.g. `coefficients[3].points[0].c_skip:
    /// expected a number, got a string`.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
            what: file.to_owned(),
            detail: format!(
                "{e} (NaN and infinities are not JSON: write null for a value you cannot give)"
            ),
        })?;
        Self::from_json(&Node::root(&value, file))
    }

    fn from_json(root: &Node<'_>) -> Result<Self> {
        let format = root.field("format")?;
        if format.string()? != FORMAT {
            return Err(format.error(format!("expected \"{FORMAT}\"")));
        }
        let version = root.field("version")?;
        if version.count()? as u64 != VERSION {
            return Err(version.error(format!("this is version {VERSION} of the format")));
        }
        let section = |key: &str| -> Result<Vec<Node<'_>>> {
            match root.optional(key)? {
                Some(n) => n.elements(),
                None => Ok(Vec::new()),
            }
        };
        Ok(Document {
            generator: match root.optional("generator")? {
                Some(g) => g.string()?.to_owned(),
                None => String::new(),
            },
            coefficients: section("coefficients")?
                .iter()
                .map(CoefficientSet::from_json)
                .collect::<Result<_>>()?,
            steps: section("steps")?
                .iter()
                .map(StepsCase::from_json)
                .collect::<Result<_>>()?,
            trajectories: section("trajectories")?
                .iter()
                .map(TrajectoryCase::from_json)
                .collect::<Result<_>>()?,
        })
    }
}
