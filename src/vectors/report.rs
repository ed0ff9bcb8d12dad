//! The report of a check: per quantity, the largest error in ULP and relative terms, and a
//! verdict against a threshold.

use crate::tolerance::{rel_diff, ulp_distance};
use std::fmt;

/// What a quantity is judged by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Criterion {
    /// The largest ULP distance must not exceed this.
    Ulp(f64),
    /// The largest (normwise) relative error must not exceed this.
    Rel(f64),
}

/// The verdict on one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every value is within the threshold.
    Pass,
    /// Some value is beyond the threshold.
    Fail,
    /// The port gave no value for `missing` of the `total` values: a failure.
    NotProvided {
        /// Values the port did not give.
        missing: usize,
        /// Values of the quantity.
        total: usize,
    },
}

/// The check of one quantity: all values of one field in one group of vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantityReport {
    /// The quantity, e.g. `coefficients vp/vp sigma` or `steps edm t->vp`.
    pub name: String,
    /// The number of values compared.
    pub values: usize,
    /// The largest ULP distance between a port's value and the reference's.
    pub max_ulp: f64,
    /// The largest relative error (normwise per state for trajectories).
    pub max_rel: f64,
    /// The threshold.
    pub criterion: Criterion,
    /// The verdict.
    pub verdict: Verdict,
}

/// The result of a check: one line per quantity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The quantities in document order.
    pub quantities: Vec<QuantityReport>,
}

impl Report {
    /// Whether every quantity passes (nothing failed, nothing missing).
    pub fn passed(&self) -> bool {
        self.quantities.iter().all(|q| q.verdict == Verdict::Pass)
    }

    /// The report of the quantity named `name`.
    pub fn get(&self, name: &str) -> Option<&QuantityReport> {
        self.quantities.iter().find(|q| q.name == name)
    }

    /// The quantities that did not pass.
    pub fn failures(&self) -> impl Iterator<Item = &QuantityReport> {
        self.quantities
            .iter()
            .filter(|q| q.verdict != Verdict::Pass)
    }
}

/// The larger of a running maximum and a new error, a NaN error counting as infinite.
fn worst(max: f64, err: f64) -> f64 {
    if err.is_nan() {
        f64::INFINITY
    } else {
        max.max(err)
    }
}

/// Running maxima of one quantity.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    values: usize,
    missing: usize,
    max_ulp: f64,
    max_rel: f64,
}

impl Tally {
    /// One value: the port's (if given) against the reference's.
    pub(crate) fn add(&mut self, port: Option<f64>, reference: f64) {
        self.values += 1;
        match port {
            Some(p) => {
                self.max_ulp = worst(self.max_ulp, ulp_distance(p, reference));
                self.max_rel = worst(self.max_rel, rel_diff(p, reference));
            }
            None => self.missing += 1,
        }
    }

    /// A list of values, all missing when the port gave none.
    pub(crate) fn add_all(&mut self, port: Option<&[f64]>, reference: &[f64]) {
        for (i, &r) in reference.iter().enumerate() {
            self.add(port.map(|p| p[i]), r);
        }
    }

    /// One sample's state: ULP distances elementwise, the relative error normwise,
    /// max_k |x_k - r_k| / max_k |r_k|.
    pub(crate) fn add_state(&mut self, port: Option<&[f64]>, reference: &[f64]) {
        self.values += reference.len();
        let Some(p) = port else {
            self.missing += reference.len();
            return;
        };
        let (mut diff, mut scale) = (0.0f64, 0.0f64);
        for (&a, &r) in p.iter().zip(reference) {
            self.max_ulp = worst(self.max_ulp, ulp_distance(a, r));
            diff = worst(diff, (a - r).abs());
            scale = scale.max(r.abs());
        }
        let rel = if diff == 0.0 { 0.0 } else { diff / scale };
        self.max_rel = worst(self.max_rel, rel);
    }
}

/// The quantities of a check, in the order they are first met.
#[derive(Debug, Default)]
pub(crate) struct Tallies {
    entries: Vec<(String, Criterion, Tally)>,
}

impl Tallies {
    /// The tally of quantity `name`, created with `criterion` when first asked for.
    pub(crate) fn get(&mut self, name: String, criterion: Criterion) -> &mut Tally {
        let i = match self.entries.iter().position(|(n, _, _)| *n == name) {
            Some(i) => i,
            None => {
                self.entries.push((name, criterion, Tally::default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].2
    }

    pub(crate) fn report(self) -> Report {
        let quantities = self
            .entries
            .into_iter()
            .map(|(name, criterion, t)| {
                let within = match criterion {
                    Criterion::Ulp(u) => t.max_ulp <= u,
                    Criterion::Rel(r) => t.max_rel <= r,
                };
                let verdict = if t.missing > 0 {
                    Verdict::NotProvided {
                        missing: t.missing,
                        total: t.values,
                    }
                } else if within {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                };
                QuantityReport {
                    name,
                    values: t.values,
                    max_ulp: t.max_ulp,
                    max_rel: t.max_rel,
                    criterion,
                    verdict,
                }
            })
            .collect();
        Report { quantities }
    }
}

/// A ULP count for the report: an integer, or in exponent notation when huge.
fn ulps(x: f64) -> String {
    if x.is_infinite() {
        "inf".to_owned()
    } else if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Criterion::Ulp(u) => write!(f, "ULP <= {u}"),
            Criterion::Rel(r) => write!(f, "rel <= {r:e}"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => write!(f, "pass"),
            Verdict::Fail => write!(f, "FAIL"),
            Verdict::NotProvided { missing, total } => {
                write!(f, "FAIL (not provided: {missing} of {total})")
            }
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .quantities
            .iter()
            .map(|q| q.name.len())
            .max()
            .unwrap_or(8);
        writeln!(
            f,
            "{:<width$}  {:>6}  {:>9}  {:>11}  {:<14}  result",
            "quantity", "values", "max ULP", "max rel err", "threshold"
        )?;
        for q in &self.quantities {
            writeln!(
                f,
                "{:<width$}  {:>6}  {:>9}  {:>11.2e}  {:<14}  {}",
                q.name,
                q.values,
                ulps(q.max_ulp),
                q.max_rel,
                q.criterion.to_string(),
                q.verdict
            )?;
        }
        let failed = self.failures().count();
        writeln!(
            f,
            "{} quantities: {} pass, {} fail{}",
            self.quantities.len(),
            self.quantities.len() - failed,
            failed,
            if failed == 0 { "" } else { " (exit code 1)" }
        )
    }
}
