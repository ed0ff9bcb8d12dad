//! The parameter objects of the golden vectors: which schedule, preconditioning and
//! discretisation a quantity belongs to, with every constant spelled out so that a port needs
//! no defaults of its own.

use crate::error::Result;
use crate::family::Family;
use crate::json::{Node, num};
use crate::precond::{EdmPrecond, IddpmPrecond, PrecondKind, VePrecond, VpPrecond};
use crate::schedule::{Edm, Iddpm, IddpmTable, ScheduleKind, Ve, Vp};
use crate::steps::{Discretization, IddpmSelection};
use serde_json::{Value, json};

/// A schedule (I10–I13): `{"name": "vp", "beta_d": 19.9, "beta_min": 0.1}`, `{"name": "ve"}`,
/// `{"name": "edm"}` or `{"name": "iddpm", "c1": 0.001, "c2": 0.008, "m": 1000}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScheduleSpec {
    /// VP (I10): sigma(t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1), s(t) = 1/sqrt(sigma^2 + 1).
    Vp {
        /// beta_d.
        beta_d: f64,
        /// beta_min.
        beta_min: f64,
    },
    /// VE (I11): sigma(t) = sqrt(t), s = 1.
    Ve,
    /// EDM (I13): sigma(t) = t, s = 1.
    Edm,
    /// iDDPM (I12): sigma(t) = t, s = 1, with the u-table of constants C1, C2, M.
    Iddpm {
        /// C1.
        c1: f64,
        /// C2.
        c2: f64,
        /// M.
        m: usize,
    },
}

/// A preconditioning (I16, Table 1): `{"name": "vp", "beta_d", "beta_min", "m"}` (c_noise =
/// (M - 1) sigma^-1(sigma) of that VP schedule), `{"name": "ve"}`, `{"name": "edm",
/// "sigma_data"}` or `{"name": "iddpm", "c1", "c2", "m"}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrecondSpec {
    /// VP preconditioning.
    Vp {
        /// beta_d of the VP schedule whose sigma^-1 gives c_noise.
        beta_d: f64,
        /// beta_min of that schedule.
        beta_min: f64,
        /// M, the number of training time steps.
        m: f64,
    },
    /// VE preconditioning.
    Ve,
    /// EDM preconditioning.
    Edm {
        /// sigma_data.
        sigma_data: f64,
    },
    /// iDDPM preconditioning over the u-table of C1, C2, M.
    Iddpm {
        /// C1.
        c1: f64,
        /// C2.
        c2: f64,
        /// M.
        m: usize,
    },
}

/// A time discretisation (I14): `{"name": "vp", "beta_d", "beta_min", "eps_s"}`, `{"name": "ve",
/// "sigma_min", "sigma_max"}`, `{"name": "edm", "sigma_min", "sigma_max", "rho"}` or
/// `{"name": "iddpm", "c1", "c2", "m", "selection", ...}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DiscretizationSpec {
    /// VP: t_i = 1 + i/(N-1) (eps_s - 1), sigma_i = sigma_VP(t_i).
    Vp {
        /// beta_d.
        beta_d: f64,
        /// beta_min.
        beta_min: f64,
        /// eps_s.
        eps_s: f64,
    },
    /// VE: t_i = sigma_max^2 (sigma_min^2/sigma_max^2)^(i/(N-1)), sigma_i = sqrt(t_i).
    Ve {
        /// sigma_min.
        sigma_min: f64,
        /// sigma_max.
        sigma_max: f64,
    },
    /// EDM: sigma_i = (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho.
    Edm {
        /// sigma_min.
        sigma_min: f64,
        /// sigma_max.
        sigma_max: f64,
        /// rho.
        rho: f64,
    },
    /// iDDPM: entries of the u-table.
    Iddpm {
        /// C1.
        c1: f64,
        /// C2.
        c2: f64,
        /// M.
        m: usize,
        /// Which entries: `"selection": "paper", "j0": 8` or `"selection": "nvlabs",
        /// "sigma_min": 0.002, "sigma_max": 81`.
        selection: IddpmSelection,
    },
}

/// The family named by the `name` field of `node`; `what` says what it names in the error.
fn family(node: &Node<'_>, what: &str) -> Result<Family> {
    let name = node.field("name")?;
    let text = name.string()?;
    text.parse()
        .map_err(|_| name.error(format!("unknown {what} `{text}`")))
}

fn vp(beta_d: f64, beta_min: f64) -> Value {
    json!({"name": Family::Vp.name(), "beta_d": num(beta_d), "beta_min": num(beta_min)})
}

fn iddpm(c1: f64, c2: f64, m: usize) -> Value {
    json!({"name": Family::Iddpm.name(), "c1": num(c1), "c2": num(c2), "m": m})
}

/// Inserts `key: value` into the object `v`.
fn with(mut v: Value, key: &str, value: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.insert(key.to_owned(), value);
    }
    v
}

impl ScheduleSpec {
    /// The family's schedule with the paper's constants.
    pub fn paper(family: Family) -> Self {
        match family {
            Family::Vp => ScheduleSpec::Vp {
                beta_d: Vp::DEFAULT_BETA_D,
                beta_min: Vp::DEFAULT_BETA_MIN,
            },
            Family::Ve => ScheduleSpec::Ve,
            Family::Edm => ScheduleSpec::Edm,
            Family::Iddpm => ScheduleSpec::Iddpm {
                c1: IddpmTable::DEFAULT_C1,
                c2: IddpmTable::DEFAULT_C2,
                m: IddpmTable::DEFAULT_M,
            },
        }
    }

    /// The schedule's family.
    pub fn family(&self) -> Family {
        match self {
            ScheduleSpec::Vp { .. } => Family::Vp,
            ScheduleSpec::Ve => Family::Ve,
            ScheduleSpec::Edm => Family::Edm,
            ScheduleSpec::Iddpm { .. } => Family::Iddpm,
        }
    }

    /// The schedule's name, its family's.
    pub fn name(&self) -> &'static str {
        self.family().name()
    }

    /// The schedule itself (validating the constants).
    pub fn build(&self) -> Result<ScheduleKind> {
        Ok(match *self {
            ScheduleSpec::Vp { beta_d, beta_min } => ScheduleKind::Vp(Vp::new(beta_d, beta_min)?),
            ScheduleSpec::Ve => ScheduleKind::Ve(Ve),
            ScheduleSpec::Edm => ScheduleKind::Edm(Edm),
            ScheduleSpec::Iddpm { c1, c2, m } => {
                ScheduleKind::Iddpm(Iddpm::new(IddpmTable::new(c1, c2, m)?))
            }
        })
    }

    pub(crate) fn to_json(self) -> Value {
        match self {
            ScheduleSpec::Vp { beta_d, beta_min } => vp(beta_d, beta_min),
            ScheduleSpec::Ve => json!({"name": Family::Ve.name()}),
            ScheduleSpec::Edm => json!({"name": Family::Edm.name()}),
            ScheduleSpec::Iddpm { c1, c2, m } => iddpm(c1, c2, m),
        }
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        Ok(match family(node, "schedule")? {
            Family::Vp => ScheduleSpec::Vp {
                beta_d: node.field("beta_d")?.number()?,
                beta_min: node.field("beta_min")?.number()?,
            },
            Family::Ve => ScheduleSpec::Ve,
            Family::Edm => ScheduleSpec::Edm,
            Family::Iddpm => ScheduleSpec::Iddpm {
                c1: node.field("c1")?.number()?,
                c2: node.field("c2")?.number()?,
                m: node.field("m")?.count()?,
            },
        })
    }
}

impl PrecondSpec {
    /// The family's preconditioning with the paper's constants, EDM's with `sigma_data`
    /// (checked by [`PrecondSpec::build`]).
    pub fn paper(family: Family, sigma_data: f64) -> Self {
        match family {
            Family::Vp => PrecondSpec::Vp {
                beta_d: Vp::DEFAULT_BETA_D,
                beta_min: Vp::DEFAULT_BETA_MIN,
                m: VpPrecond::DEFAULT_M,
            },
            Family::Ve => PrecondSpec::Ve,
            Family::Edm => PrecondSpec::Edm { sigma_data },
            Family::Iddpm => PrecondSpec::Iddpm {
                c1: IddpmTable::DEFAULT_C1,
                c2: IddpmTable::DEFAULT_C2,
                m: IddpmTable::DEFAULT_M,
            },
        }
    }

    /// The preconditioning's family.
    pub fn family(&self) -> Family {
        match self {
            PrecondSpec::Vp { .. } => Family::Vp,
            PrecondSpec::Ve => Family::Ve,
            PrecondSpec::Edm { .. } => Family::Edm,
            PrecondSpec::Iddpm { .. } => Family::Iddpm,
        }
    }

    /// The preconditioning's name, its family's.
    pub fn name(&self) -> &'static str {
        self.family().name()
    }

    /// The preconditioning itself (validating the constants).
    pub fn build(&self) -> Result<PrecondKind> {
        Ok(match *self {
            PrecondSpec::Vp {
                beta_d,
                beta_min,
                m,
            } => PrecondKind::Vp(VpPrecond::new(Vp::new(beta_d, beta_min)?, m)?),
            PrecondSpec::Ve => PrecondKind::Ve(VePrecond),
            PrecondSpec::Edm { sigma_data } => PrecondKind::Edm(EdmPrecond::new(sigma_data)?),
            PrecondSpec::Iddpm { c1, c2, m } => {
                PrecondKind::Iddpm(IddpmPrecond::new(IddpmTable::new(c1, c2, m)?))
            }
        })
    }

    pub(crate) fn to_json(self) -> Value {
        match self {
            PrecondSpec::Vp {
                beta_d,
                beta_min,
                m,
            } => with(vp(beta_d, beta_min), "m", num(m)),
            PrecondSpec::Ve => json!({"name": Family::Ve.name()}),
            PrecondSpec::Edm { sigma_data } => {
                json!({"name": Family::Edm.name(), "sigma_data": num(sigma_data)})
            }
            PrecondSpec::Iddpm { c1, c2, m } => iddpm(c1, c2, m),
        }
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        Ok(match family(node, "preconditioning")? {
            Family::Vp => PrecondSpec::Vp {
                beta_d: node.field("beta_d")?.number()?,
                beta_min: node.field("beta_min")?.number()?,
                m: node.field("m")?.number()?,
            },
            Family::Ve => PrecondSpec::Ve,
            Family::Edm => PrecondSpec::Edm {
                sigma_data: node.field("sigma_data")?.number()?,
            },
            Family::Iddpm => PrecondSpec::Iddpm {
                c1: node.field("c1")?.number()?,
                c2: node.field("c2")?.number()?,
                m: node.field("m")?.count()?,
            },
        })
    }
}

impl DiscretizationSpec {
    /// The discretisation's family.
    pub fn family(&self) -> Family {
        match self {
            DiscretizationSpec::Vp { .. } => Family::Vp,
            DiscretizationSpec::Ve { .. } => Family::Ve,
            DiscretizationSpec::Edm { .. } => Family::Edm,
            DiscretizationSpec::Iddpm { .. } => Family::Iddpm,
        }
    }

    /// A short label: `vp`, `ve`, `edm`, `iddpm` or `iddpm-nvlabs`.
    pub fn label(&self) -> &'static str {
        match self {
            DiscretizationSpec::Iddpm {
                selection: IddpmSelection::Nvlabs { .. },
                ..
            } => "iddpm-nvlabs",
            _ => self.family().name(),
        }
    }

    /// The discretisation itself (validating the constants).
    pub fn build(&self) -> Result<Discretization> {
        match *self {
            DiscretizationSpec::Vp {
                beta_d,
                beta_min,
                eps_s,
            } => Discretization::vp(Vp::new(beta_d, beta_min)?, eps_s),
            DiscretizationSpec::Ve {
                sigma_min,
                sigma_max,
            } => Discretization::ve(sigma_min, sigma_max),
            DiscretizationSpec::Edm {
                sigma_min,
                sigma_max,
                rho,
            } => Discretization::edm(sigma_min, sigma_max, rho),
            DiscretizationSpec::Iddpm {
                c1,
                c2,
                m,
                selection,
            } => Discretization::iddpm(IddpmTable::new(c1, c2, m)?, selection),
        }
    }

    pub(crate) fn to_json(self) -> Value {
        match self {
            DiscretizationSpec::Vp {
                beta_d,
                beta_min,
                eps_s,
            } => with(vp(beta_d, beta_min), "eps_s", num(eps_s)),
            DiscretizationSpec::Ve {
                sigma_min,
                sigma_max,
            } => {
                json!({"name": Family::Ve.name(), "sigma_min": num(sigma_min), "sigma_max": num(sigma_max)})
            }
            DiscretizationSpec::Edm {
                sigma_min,
                sigma_max,
                rho,
            } => json!({"name": Family::Edm.name(), "sigma_min": num(sigma_min),
                        "sigma_max": num(sigma_max), "rho": num(rho)}),
            DiscretizationSpec::Iddpm {
                c1,
                c2,
                m,
                selection,
            } => match selection {
                IddpmSelection::Paper { j0 } => {
                    let v = with(iddpm(c1, c2, m), "selection", json!("paper"));
                    with(v, "j0", json!(j0))
                }
                IddpmSelection::Nvlabs {
                    sigma_min,
                    sigma_max,
                } => {
                    let v = with(iddpm(c1, c2, m), "selection", json!("nvlabs"));
                    let v = with(v, "sigma_min", num(sigma_min));
                    with(v, "sigma_max", num(sigma_max))
                }
            },
        }
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        let f = |key: &str| node.field(key)?.number();
        Ok(match family(node, "discretization")? {
            Family::Vp => DiscretizationSpec::Vp {
                beta_d: f("beta_d")?,
                beta_min: f("beta_min")?,
                eps_s: f("eps_s")?,
            },
            Family::Ve => DiscretizationSpec::Ve {
                sigma_min: f("sigma_min")?,
                sigma_max: f("sigma_max")?,
            },
            Family::Edm => DiscretizationSpec::Edm {
                sigma_min: f("sigma_min")?,
                sigma_max: f("sigma_max")?,
                rho: f("rho")?,
            },
            Family::Iddpm => DiscretizationSpec::Iddpm {
                c1: f("c1")?,
                c2: f("c2")?,
                m: node.field("m")?.count()?,
                selection: selection_from_json(node)?,
            },
        })
    }
}

fn selection_from_json(node: &Node<'_>) -> Result<IddpmSelection> {
    let selection = node.field("selection")?;
    Ok(match selection.string()? {
        "paper" => IddpmSelection::Paper {
            j0: node.field("j0")?.count()?,
        },
        "nvlabs" => IddpmSelection::Nvlabs {
            sigma_min: node.field("sigma_min")?.number()?,
            sigma_max: node.field("sigma_max")?.number()?,
        },
        other => return Err(selection.error(format!("unknown iDDPM selection `{other}`"))),
    })
}
