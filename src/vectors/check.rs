//! Checking a port's answers against the reference, with the thresholds and their reasons.

use super::Document;
use super::coefficients::{CoefficientSet, FIELDS};
use super::report::{Criterion, Report, Tallies};
use super::steps::StepsCase;
use super::trajectories::TrajectoryCase;
use crate::error::{Error, Result};
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

/// An error saying that the port's document does not pose the reference's problem at `field`.
fn mismatch(file: &str, field: String, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        file: file.to_owned(),
        field,
        reason: reason.into(),
    }
}

/// A reference answer, or an error naming it when a reference document read from a file
/// lacks it.
fn required<T>(answer: Option<T>, field: impl FnOnce() -> String) -> Result<T> {
    answer.ok_or_else(|| {
        mismatch(
            "reference",
            field(),
            "missing: a reference must answer every quantity",
        )
    })
}

/// Checks that the port's list `field` has as many entries as the reference's.
fn same_len(file: &str, field: &str, port: usize, reference: usize) -> Result<()> {
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

/// Checks that the port's answer `field`, when it gives one, has as many entries as the
/// reference's (a document built in code is not checked on construction, unlike one read from
/// JSON).
fn same_answer_len<T>(file: &str, field: &str, port: Option<&[T]>, reference: &[T]) -> Result<()> {
    port.map_or(Ok(()), |p| same_len(file, field, p.len(), reference.len()))
}

/// Checks that the port's trajectory, when given, has the reference's shape: as many states,
/// each with as many samples, each of the same dimension.
fn same_shape(
    file: &str,
    at: &str,
    port: Option<&[Vec<Vec<f64>>]>,
    reference: &[Vec<Vec<f64>>],
) -> Result<()> {
    let Some(port) = port else {
        return Ok(());
    };
    let field = format!("{at}.trajectory");
    same_len(file, &field, port.len(), reference.len())?;
    for (k, (p, r)) in port.iter().zip(reference).enumerate() {
        let field = format!("{at}.trajectory[{k}]");
        same_len(file, &field, p.len(), r.len())?;
        for (b, (ps, rs)) in p.iter().zip(r).enumerate() {
            same_len(file, &format!("{field}[{b}]"), ps.len(), rs.len())?;
        }
    }
    Ok(())
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
        same_answer_len(file, &format!("{at}.sigma"), p.sigma.as_deref(), sigma)?;
        tallies
            .get(format!("steps {label} sigma"), criterion)
            .add_all(p.sigma.as_deref(), sigma);
        let t = required(r.t.as_deref(), || format!("{at}.t"))?;
        same_answer_len(file, &format!("{at}.t"), p.t.as_deref(), t)?;
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
            let field = format!("{at}.mapped[{j}].t");
            let t = required(rm.t.as_deref(), || field.clone())?;
            same_answer_len(file, &field, pm.t.as_deref(), t)?;
            tallies.get(name, criterion).add_all(pm.t.as_deref(), t);
        }
    }
    Ok(())
}

/// Compares the trajectories of a port with the reference's (normwise relative error per
/// state, [`REL_TRAJECTORY`]).
fn check_trajectories(
    file: &str,
    port: &[TrajectoryCase],
    reference: &[TrajectoryCase],
    tallies: &mut Tallies,
) -> Result<()> {
    same_len(file, "trajectories", port.len(), reference.len())?;
    for (i, (p, r)) in port.iter().zip(reference).enumerate() {
        let inputs = [
            ("problem", p.problem == r.problem),
            ("schedule", p.schedule == r.schedule),
            ("sampler", p.sampler == r.sampler),
            ("t", p.t == r.t),
            ("latent", p.latent == r.latent),
            ("noise", p.noise == r.noise),
        ];
        if let Some((field, _)) = inputs.iter().find(|(_, same)| !same) {
            return Err(mismatch(
                file,
                format!("trajectories[{i}].{field}"),
                "differs from the reference's: answer the exported problem",
            ));
        }
        let at = format!("trajectories[{i}]");
        let reference = required(r.trajectory.as_deref(), || format!("{at}.trajectory"))?;
        same_shape(file, &at, p.trajectory.as_deref(), reference)?;
        let tally = tallies.get(
            format!("trajectory {}", r.label()),
            Criterion::Rel(REL_TRAJECTORY),
        );
        for (k, state) in reference.iter().enumerate() {
            for (b, sample) in state.iter().enumerate() {
                let answer = p.trajectory.as_ref().map(|tr| tr[k][b].as_slice());
                tally.add_state(answer, sample);
            }
        }
    }
    Ok(())
}

/// Compares the answers of `port` (read from `file`) with `reference`. An error when the port's
/// document does not pose the same problems (a different input, a different number of cases)
/// or gives an answer of the wrong length; otherwise the report, which says whether every quantity passed.
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
    check_trajectories(file, &trajectories, &reference.trajectories, &mut tallies)?;
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
