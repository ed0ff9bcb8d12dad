//! Runtime choice among the built-in schedules.

use super::{Edm, Iddpm, Scalar, Schedule, Ve, Vp};
use crate::error::Result;
use crate::family::Family;

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
    /// The family's schedule with the paper's defaults.
    pub fn paper(family: Family) -> Self {
        Self::with_vp(family, Vp::paper())
    }

    /// The family's schedule, with `vp` as the VP schedule and the paper's defaults for the
    /// others.
    pub fn with_vp(family: Family, vp: Vp) -> Self {
        match family {
            Family::Vp => ScheduleKind::Vp(vp),
            Family::Ve => ScheduleKind::Ve(Ve),
            Family::Iddpm => ScheduleKind::Iddpm(Iddpm::paper()),
            Family::Edm => ScheduleKind::Edm(Edm),
        }
    }

    /// The family the schedule belongs to.
    pub fn family(&self) -> Family {
        match self {
            ScheduleKind::Vp(_) => Family::Vp,
            ScheduleKind::Ve(_) => Family::Ve,
            ScheduleKind::Iddpm(_) => Family::Iddpm,
            ScheduleKind::Edm(_) => Family::Edm,
        }
    }

    /// The schedule's name, its family's.
    pub fn name(&self) -> &'static str {
        self.family().name()
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
