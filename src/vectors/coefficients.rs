//! Coefficient vectors: every field `edm coefficients` prints, for each schedule with its own
//! preconditioning on a grid of t, and for each preconditioning on a grid of sigma.

use super::params::{PrecondSpec, ScheduleSpec};
use crate::error::Result;
use crate::family::Family;
use crate::json::{Node, answer, num, opt_num};
use crate::precond::{PrecondKind, Preconditioner};
use crate::schedule::{IddpmTable, ScheduleKind};
use crate::sde::Coefficients;
use serde_json::{Map, Value, json};

/// The answer fields of a coefficient point, in order: the schedule's sigma, s, sigma', s',
/// f and g at t (I02, I10–I13), then the preconditioning's c_skip, c_out, c_in, c_noise and
/// loss weight at sigma(t) (I16, I21).
pub const FIELDS: [&str; 11] = [
    "sigma",
    "scale",
    "sigma_dot",
    "scale_dot",
    "f",
    "g",
    "c_skip",
    "c_out",
    "c_in",
    "c_noise",
    "loss_weight",
];

/// Times of the VP grid: from 1e-300 (the loss weight 1/sigma^2 ~ 1/(beta_min t) is still
/// finite) through eps_t = 1e-5 and eps_s = 1e-3 to t = 1.
const VP_GRID: &[f64] = &[
    1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0,
];

/// Times of the VE grid (t = sigma^2): from 1e-300 to 1e300, through sigma_min^2, sigma = 2
/// (where c_noise = ln(sigma/2) = 0) and sigma_max^2.
const VE_GRID: &[f64] = &[
    1e-300, 1e-20, 4e-4, 0.01, 0.5, 1.0, 4.0, 100.0, 1e4, 1e20, 1e300,
];

/// Noise levels of the sigma grids: 1e-150 (just above the overflow of 1/sigma^2) to 1e200
/// (where sigma^2 overflows and a naive formula fails), through sigma_min, sigma_data, 1 and
/// sigma_max of the paper's settings.
const SIGMA_GRID: &[f64] = &[
    1e-150, 1e-20, 1e-5, 0.002, 0.02, 0.1, 0.5, 1.0, 2.0, 10.0, 80.0, 100.0, 1e5, 1e20, 1e150,
    1e200,
];

/// The iDDPM grid: [`SIGMA_GRID`] with entries of the u-table (the ends, the middle) and points
/// a quarter of the way between neighbours, where c_noise = M - 1 - argmin_j |u_j - sigma| is
/// unambiguous.
fn iddpm_grid(u: &[f64]) -> Vec<f64> {
    let m = u.len() - 1;
    let quarter = |j: usize| 0.75 * u[j] + 0.25 * u[j + 1];
    let mut grid = SIGMA_GRID.to_vec();
    grid.extend([
        u[0],
        quarter(0),
        u[m / 2],
        quarter(m / 2),
        u[m - 1],
        quarter(m - 2),
    ]);
    grid.sort_by(f64::total_cmp);
    grid
}

/// One point of a coefficient set: the input `t` and the answers.
#[derive(Debug, Clone, PartialEq)]
pub struct CoefficientPoint {
    /// The time (input; for sigma = t schedules it is the noise level).
    pub t: f64,
    /// The answers, in the order of [`FIELDS`]; `None` where a port gave none.
    pub values: [Option<f64>; 11],
}

/// The coefficients of one schedule and one preconditioning at a list of times.
#[derive(Debug, Clone, PartialEq)]
pub struct CoefficientSet {
    /// The schedule (input).
    pub schedule: ScheduleSpec,
    /// The preconditioning, evaluated at sigma(t) (input).
    pub precond: PrecondSpec,
    /// The points.
    pub points: Vec<CoefficientPoint>,
}

impl CoefficientSet {
    /// A label for reports: `schedule/precond`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.schedule.name(), self.precond.name())
    }

    /// The same inputs with no answers.
    pub fn unanswered(&self) -> Self {
        let points = self
            .points
            .iter()
            .map(|p| CoefficientPoint {
                t: p.t,
                values: [None; 11],
            })
            .collect();
        CoefficientSet {
            points,
            ..self.clone()
        }
    }

    /// The reference values of `schedule` and `precond` at `times`.
    pub fn compute(schedule: ScheduleSpec, precond: PrecondSpec, times: &[f64]) -> Result<Self> {
        let (s, p) = (schedule.build()?, precond.build()?);
        let points = times
            .iter()
            .map(|&t| point(&s, &p, t))
            .collect::<Result<_>>()?;
        Ok(CoefficientSet {
            schedule,
            precond,
            points,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        let points = self.points.iter().map(CoefficientPoint::to_json).collect();
        json!({
            "schedule": self.schedule.to_json(),
            "precond": self.precond.to_json(),
            "points": Value::Array(points),
        })
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        Ok(CoefficientSet {
            schedule: ScheduleSpec::from_json(&node.field("schedule")?)?,
            precond: PrecondSpec::from_json(&node.field("precond")?)?,
            points: node
                .field("points")?
                .elements()?
                .iter()
                .map(CoefficientPoint::from_json)
                .collect::<Result<_>>()?,
        })
    }
}

fn point(schedule: &ScheduleKind, precond: &PrecondKind, t: f64) -> Result<CoefficientPoint> {
    let c = Coefficients::at(schedule, t);
    let p = precond.coefficients(c.sigma)?;
    let all = [
        c.sigma,
        c.scale,
        c.sigma_dot,
        c.scale_dot,
        c.f,
        c.g,
        p.c_skip,
        p.c_out,
        p.c_in,
        p.c_noise,
        p.loss_weight,
    ];
    Ok(CoefficientPoint {
        t,
        values: all.map(Some),
    })
}

impl CoefficientPoint {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("t".to_owned(), num(self.t));
        for (key, v) in FIELDS.iter().zip(self.values) {
            map.insert((*key).to_owned(), opt_num(v));
        }
        Value::Object(map)
    }

    fn from_json(node: &Node<'_>) -> Result<Self> {
        let mut values = [None; 11];
        for (slot, key) in values.iter_mut().zip(FIELDS) {
            *slot = answer(node, key, |n| n.number())?;
        }
        Ok(CoefficientPoint {
            t: node.field("t")?.number()?,
            values,
        })
    }
}

/// The reference coefficient sets: each schedule with its own preconditioning on its grid,
/// then the VP, VE and iDDPM preconditionings under the EDM schedule (t = sigma) on the sigma
/// grid (EDM's own is the first group's).
pub(crate) fn reference(sigma_data: f64) -> Result<Vec<CoefficientSet>> {
    let table = IddpmTable::paper();
    let iddpm = iddpm_grid(table.u());
    let grids: [(Family, &[f64]); 4] = [
        (Family::Vp, VP_GRID),
        (Family::Ve, VE_GRID),
        (Family::Iddpm, &iddpm),
        (Family::Edm, SIGMA_GRID),
    ];
    let mut sets = Vec::new();
    for (family, grid) in grids {
        let schedule = ScheduleSpec::paper(family);
        let precond = PrecondSpec::paper(family, sigma_data);
        sets.push(CoefficientSet::compute(schedule, precond, grid)?);
    }
    for family in [Family::Vp, Family::Ve, Family::Iddpm] {
        let precond = PrecondSpec::paper(family, sigma_data);
        sets.push(CoefficientSet::compute(
            ScheduleSpec::Edm,
            precond,
            SIGMA_GRID,
        )?);
    }
    Ok(sets)
}
