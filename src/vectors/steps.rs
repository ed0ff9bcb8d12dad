//! Time-step vectors (I14): every discretisation's noise levels and times for several N, and
//! the times of NVlabs's ablation combinations (a discretisation's noise levels mapped through
//! another schedule's sigma^-1).

use super::params::{DiscretizationSpec, ScheduleSpec};
use crate::error::Result;
use crate::family::Family;
use crate::json::{Node, answer, nums};
use crate::schedule::{Edm, IddpmTable, Ve, Vp};
use crate::steps::IddpmSelection;
use serde_json::{Value, json};

/// The step counts of the reference: the single step (N = 1, sigma_max alone), the smallest
/// ramp (N = 2), the iDDPM tie of I14 (N = 5), the paper's N = 18 and a long ramp.
const COUNTS: [usize; 5] = [1, 2, 5, 18, 256];

/// The times at which one schedule reaches a discretisation's noise levels.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedTimes {
    /// The schedule whose sigma^-1 maps the noise levels (input).
    pub schedule: ScheduleSpec,
    /// t_i = sigma^-1(sigma_i) for i < N, then t_N = 0 (answer).
    pub t: Option<Vec<f64>>,
}

/// One discretisation at one N.
#[derive(Debug, Clone, PartialEq)]
pub struct StepsCase {
    /// The discretisation (input).
    pub discretization: DiscretizationSpec,
    /// The number of steps N (input).
    pub n: usize,
    /// The noise levels sigma_0 > ... > sigma_{N-1} > sigma_N = 0 (answer).
    pub sigma: Option<Vec<f64>>,
    /// The paper's t_i in the discretisation's own schedule, ending with 0 (answer): VP times
    /// for VP, t = sigma^2 for VE, t = sigma for iDDPM and EDM.
    pub t: Option<Vec<f64>>,
    /// The noise levels mapped to other schedules' times.
    pub mapped: Vec<MappedTimes>,
}

fn array_answer(node: &Node<'_>, key: &str, len: usize) -> Result<Option<Vec<f64>>> {
    answer(node, key, |n| {
        let v = n.numbers()?;
        if v.len() == len {
            Ok(v)
        } else {
            Err(n.error(format!("expected {len} numbers (N + 1), got {}", v.len())))
        }
    })
}

fn opt_nums(v: &Option<Vec<f64>>) -> Value {
    v.as_deref().map_or(Value::Null, nums)
}

impl StepsCase {
    /// The same inputs with no answers.
    pub fn unanswered(&self) -> Self {
        StepsCase {
            sigma: None,
            t: None,
            mapped: self
                .mapped
                .iter()
                .map(|m| MappedTimes {
                    schedule: m.schedule,
                    t: None,
                })
                .collect(),
            ..*self
        }
    }

    /// The reference values of `discretization` at `n` steps, mapped to `schedules`.
    pub fn compute(
        discretization: DiscretizationSpec,
        n: usize,
        schedules: &[ScheduleSpec],
    ) -> Result<Self> {
        let disc = discretization.build()?;
        let mapped = schedules
            .iter()
            .map(|s| {
                Ok(MappedTimes {
                    schedule: *s,
                    t: Some(disc.times_for(n, &s.build()?)?),
                })
            })
            .collect::<Result<_>>()?;
        Ok(StepsCase {
            discretization,
            n,
            sigma: Some(disc.sigmas(n)?),
            t: Some(disc.native_times(n)?),
            mapped,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        let mapped: Vec<Value> = self
            .mapped
            .iter()
            .map(|m| json!({"schedule": m.schedule.to_json(), "t": opt_nums(&m.t)}))
            .collect();
        json!({
            "discretization": self.discretization.to_json(),
            "n": self.n,
            "sigma": opt_nums(&self.sigma),
            "t": opt_nums(&self.t),
            "mapped": mapped,
        })
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        let n = node.field("n")?.count()?;
        let len = n + 1;
        let mapped = match node.optional("mapped")? {
            Some(m) => m
                .elements()?
                .iter()
                .map(|m| {
                    Ok(MappedTimes {
                        schedule: ScheduleSpec::from_json(&m.field("schedule")?)?,
                        t: array_answer(m, "t", len)?,
                    })
                })
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        Ok(StepsCase {
            discretization: DiscretizationSpec::from_json(&node.field("discretization")?)?,
            n,
            sigma: array_answer(node, "sigma", len)?,
            t: array_answer(node, "t", len)?,
            mapped,
        })
    }
}

/// The paper's discretisations (I14), iDDPM with both selections.
fn discretizations() -> [DiscretizationSpec; 5] {
    let (c1, c2, m) = (
        IddpmTable::DEFAULT_C1,
        IddpmTable::DEFAULT_C2,
        IddpmTable::DEFAULT_M,
    );
    [
        DiscretizationSpec::Vp {
            beta_d: Vp::DEFAULT_BETA_D,
            beta_min: Vp::DEFAULT_BETA_MIN,
            eps_s: Vp::DEFAULT_EPS_S,
        },
        DiscretizationSpec::Ve {
            sigma_min: Ve::DEFAULT_SIGMA_MIN,
            sigma_max: Ve::DEFAULT_SIGMA_MAX,
        },
        DiscretizationSpec::Iddpm {
            c1,
            c2,
            m,
            selection: IddpmSelection::Paper { j0: 8 },
        },
        DiscretizationSpec::Iddpm {
            c1,
            c2,
            m,
            selection: IddpmSelection::Nvlabs {
                sigma_min: Edm::DEFAULT_SIGMA_MIN,
                sigma_max: 81.0,
            },
        },
        DiscretizationSpec::Edm {
            sigma_min: Edm::DEFAULT_SIGMA_MIN,
            sigma_max: Edm::DEFAULT_SIGMA_MAX,
            rho: Edm::DEFAULT_RHO,
        },
    ]
}

/// The reference step vectors: every discretisation at every N of [`COUNTS`], mapped to the
/// VP and VE schedules (whose sigma^-1 are not the identity).
pub(crate) fn reference() -> Result<Vec<StepsCase>> {
    let schedules = [
        ScheduleSpec::paper(Family::Vp),
        ScheduleSpec::paper(Family::Ve),
    ];
    let mut cases = Vec::new();
    for disc in discretizations() {
        for n in COUNTS {
            cases.push(StepsCase::compute(disc, n, &schedules)?);
        }
    }
    Ok(cases)
}
