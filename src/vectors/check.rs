//! Checking a port's answers against the reference: per quantity, the largest error in ULP and
//! relative terms, and a verdict against a stated threshold.

use super::Document;
use super::coefficients::{CoefficientSet, FIELDS};
use super::steps::StepsCase;
use crate::error::{Error, Result};
use crate::tolerance::{rel_diff, ulp_distance};
use std::borrow::Cow;
use std::fmt;

/// Largest ULP distance accepted for a coefficient (I02, I10–I13, I16, I21). The reference is
/// within 2 ULP of the exact value for the values (sigma, s, c_skip, c_out, c_in, c_noise, the
/// loss weight) and within 4 ULP for the derivatives (sigma', s', f, g), measured against
/// mpmath on 3001 points of VP's t in [0.5, 1], where the condition numbers are largest. A port
/// with equally careful float64 formulas is within about 4 ULP (the loss weight 1/sigma^2
/// doubles sigma's error; sigma' ~ e^x / sigma has condition about x/2 with respect to the
/// exponent): together at most 8. A formula that cancels (exp(x) - 1 or log(1 + x) for small
/// x) or overflows (sigma^2 for sigma = 1e200) is off by a thousand ULP or more.
pub const ULP_COEFFICIENTS: f64 = 8.0;

/// Largest ULP distance accepted for a time step (I14). The reference steps are correctly
/// rounded (double-double inside). A float64 port rounds each step a few times, and some steps
/// amplify that: the EDM steps (a + r (b - a))^rho multiply the base's relative error (a few
/// ULP) by rho = 7, and mapping noise levels to VE's time t = sigma^2 doubles it: about 60 ULP
/// (the NumPy port reaches 57). The bound 128 leaves a factor 2; a cancelling formula
/// (exp(x) - 1, log(sigma^2 + 1), (u^2 + 1)/r - 1 for small arguments) or an iDDPM table
/// built by running its M = 1000-step recursion in float64 costs 150 ULP to 10^5 ULP.
pub const ULP_STEPS: f64 = 128.0;

/// Largest relative error accepted for a sampler trajectory, measured per state as
/// max_k |x_k - x_ref,k| / max_k |x_ref,k| (a sample's components can cross zero, where an
/// elementwise relative error is meaningless). A trajectory is a chain of at most a few dozen
/// steps, each a linear combination with coefficients a port reproduces to a few ULP and a
/// denoiser that solves a well-conditioned d x d system; the flows are contractive (denoising),
/// so rounding errors add rather than grow: 50 steps x 10 operations x condition ~10 x 1.1e-16
/// ~ 5e-13. The bound leaves a margin of 200 over that, while a wrong coefficient, a wrong
/// time or a wrong noise changes the trajectory by 1e-3 or more.
pub const REL_TRAJECTORY: f64 = 1e-10;

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
    fn add(&mut self, port: Option<f64>, reference: f64) {
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
    fn add_all(&mut self, port: Option<&[f64]>, reference: &[f64]) {
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

    fn report(self) -> Report {
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

/// An error saying that the port's document does not pose the reference's problem at `field`.
pub(crate) fn mismatch(file: &str, field: String, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        file: file.to_owned(),
        field,
        reason: reason.into(),
    }
}

/// A reference answer, or an error naming it when a reference document read from a file
/// lacks it.
pub(crate) fn required<T>(answer: Option<T>, field: impl FnOnce() -> String) -> Result<T> {
    answer.ok_or_else(|| {
        mismatch(
            "reference",
            field(),
            "missing: a reference must answer every quantity",
        )
    })
}

/// Checks that the port's list `field` has as many entries as the reference's.
pub(crate) fn same_len(file: &str, field: &str, port: usize, reference: usize) -> Result<()> {
    if port == reference {
        Ok(())
    } else {
        Err(mismatch(
            file,
            field.to_owned(),
            format!("has {port} entries, the reference has {reference}"),
        ))
    }
}

/// Checks that an input of the port equals the reference's, bit for bit.
fn same_input<T: PartialEq + fmt::Debug>(
    file: &str,
    field: String,
    port: &T,
    reference: &T,
) -> Result<()> {
    if port == reference {
        Ok(())
    } else {
        Err(mismatch(
            file,
            field,
            format!("is {port:?} but the reference has {reference:?}: answer the exported problem"),
        ))
    }
}

fn check_coefficients(
    file: &str,
    port: &[CoefficientSet],
    reference: &[CoefficientSet],
    tallies: &mut Tallies,
) -> Result<()> {
    same_len(file, "coefficients", port.len(), reference.len())?;
    for (i, (p, r)) in port.iter().zip(reference).enumerate() {
        let at = format!("coefficients[{i}]");
        same_input(file, format!("{at}.schedule"), &p.schedule, &r.schedule)?;
        same_input(file, format!("{at}.precond"), &p.precond, &r.precond)?;
        same_len(
            file,
            &format!("{at}.points"),
            p.points.len(),
            r.points.len(),
        )?;
        for (j, (pp, rp)) in p.points.iter().zip(&r.points).enumerate() {
            same_input(file, format!("{at}.points[{j}].t"), &pp.t, &rp.t)?;
            for (k, field) in FIELDS.iter().enumerate() {
                let name = format!("coefficients {} {field}", r.label());
                let reference = required(rp.values[k], || format!("{at}.points[{j}].{field}"))?;
                tallies
                    .get(name, Criterion::Ulp(ULP_COEFFICIENTS))
                    .add(pp.values[k], reference);
            }
        }
    }
    Ok(())
}

fn check_steps(
    file: &str,
    port: &[StepsCase],
    reference: &[StepsCase],
    tallies: &mut Tallies,
) -> Result<()> {
    same_len(file, "steps", port.len(), reference.len())?;
    for (i, (p, r)) in port.iter().zip(reference).enumerate() {
        let at = format!("steps[{i}]");
        same_input(
            file,
            format!("{at}.discretization"),
            &p.discretization,
            &r.discretization,
        )?;
        same_input(file, format!("{at}.n"), &p.n, &r.n)?;
        same_len(
            file,
            &format!("{at}.mapped"),
            p.mapped.len(),
            r.mapped.len(),
        )?;
        let label = r.discretization.label();
        let criterion = Criterion::Ulp(ULP_STEPS);
        let sigma = required(r.sigma.as_deref(), || format!("{at}.sigma"))?;
        tallies
            .get(format!("steps {label} sigma"), criterion)
            .add_all(p.sigma.as_deref(), sigma);
        let t = required(r.t.as_deref(), || format!("{at}.t"))?;
        tallies
            .get(format!("steps {label} t"), criterion)
            .add_all(p.t.as_deref(), t);
        for (j, (pm, rm)) in p.mapped.iter().zip(&r.mapped).enumerate() {
            same_input(
                file,
                format!("{at}.mapped[{j}].schedule"),
                &pm.schedule,
                &rm.schedule,
            )?;
            let name = format!("steps {label} t->{}", rm.schedule.name());
            let t = required(rm.t.as_deref(), || format!("{at}.mapped[{j}].t"))?;
            tallies.get(name, criterion).add_all(pm.t.as_deref(), t);
        }
    }
    Ok(())
}

/// Compares the answers of `port` (read from `file`) with `reference`. An error when the port's
/// document does not pose the same problems (a different input, a different number of cases);
/// otherwise the report, which says whether every quantity passed.
///
/// A section the port leaves out (absent or empty) counts as not provided: every quantity in it
/// fails.
pub fn check(port: &Document, file: &str, reference: &Document) -> Result<Report> {
    let mut tallies = Tallies::default();
    let coefficients = section(&port.coefficients, &reference.coefficients, |c| {
        c.unanswered()
    });
    check_coefficients(file, &coefficients, &reference.coefficients, &mut tallies)?;
    let steps = section(&port.steps, &reference.steps, StepsCase::unanswered);
    check_steps(file, &steps, &reference.steps, &mut tallies)?;
    let trajectories = section(&port.trajectories, &reference.trajectories, |c| {
        c.unanswered()
    });
    super::trajectories::check(file, &trajectories, &reference.trajectories, &mut tallies)?;
    Ok(tallies.report())
}

/// The port's section, or the reference's inputs without answers when the port left it out.
fn section<'a, T: Clone>(port: &'a [T], reference: &[T], unanswered: fn(&T) -> T) -> Cow<'a, [T]> {
    if port.is_empty() {
        Cow::Owned(reference.iter().map(unanswered).collect())
    } else {
        Cow::Borrowed(port)
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
