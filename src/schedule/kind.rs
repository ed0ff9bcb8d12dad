//! Runtime choice among the built-in schedules.

use super::{Edm, Iddpm, Scalar, Schedule, Ve, Vp};
use crate::error::{Error, Result};

/// One of the built-in schedules, chosen at run time (by the CLI, or a configuration file).
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleKind {
    /// Variance preserving (I10).
    Vp(Vp),
    /// Variance exploding (I11).
    Ve(Ve),
    /// iDDPM (I12).
    Iddpm(Iddpm),
    /// EDM (I13).
    Edm(Edm),
}

impl ScheduleKind {
    /// The names the CLI accepts.
    pub const NAMES: [&'static str; 4] = ["vp", "ve", "iddpm", "edm"];

    /// The built-in schedule with the paper's defaults, by name (`vp`, `ve`, `iddpm`, `edm`).
    pub fn paper(name: &str) -> Result<Self> {
        Self::named(name, Vp::paper())
    }

    /// The built-in schedule by name, with `vp` as the VP schedule and the paper's defaults for
    /// the others.
    pub fn named(name: &str, vp: Vp) -> Result<Self> {
        Ok(match name {
            "vp" => ScheduleKind::Vp(vp),
            "ve" => ScheduleKind::Ve(Ve),
            "iddpm" => ScheduleKind::Iddpm(Iddpm::paper()),
            "edm" => ScheduleKind::Edm(Edm),
            _ => {
                return Err(Error::UnknownName {
                    what: "schedule",
                    name: name.to_owned(),
                });
            }
        })
    }

    /// The schedule's name.
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleKind::Vp(_) => "vp",
            ScheduleKind::Ve(_) => "ve",
            ScheduleKind::Iddpm(_) => "iddpm",
            ScheduleKind::Edm(_) => "edm",
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            ScheduleKind::Vp($s) => $e,
            ScheduleKind::Ve($s) => $e,
            ScheduleKind::Iddpm($s) => $e,
            ScheduleKind::Edm($s) => $e,
        }
    };
}

impl Schedule for ScheduleKind {
    fn sigma<D: Scalar>(&self, t: D) -> D {
        dispatch!(self, s => s.sigma(t))
    }

    fn scale<D: Scalar>(&self, t: D) -> D {
        dispatch!(self, s => s.scale(t))
    }

    fn t_range(&self) -> (f64, f64) {
        dispatch!(self, s => s.t_range())
    }

    fn sigma_at(&self, t: f64) -> f64 {
        dispatch!(self, s => s.sigma_at(t))
    }

    fn scale_at(&self, t: f64) -> f64 {
        dispatch!(self, s => s.scale_at(t))
    }

    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        dispatch!(self, s => s.sigma_inv(sigma))
    }
}
