//! Time discretisations (I14) from arbitrary (N, sigma_min, sigma_max, rho, schedule, iDDPM
//! parameters): the noise levels and times are finite, strictly decreasing, end at 0 and start
//! at the discretisation's largest noise level — or the call returns a typed error.
#![no_main]

use arbitrary::Arbitrary;
use elucidated::Error;
use elucidated::schedule::{Edm, Iddpm, IddpmTable, Schedule, ScheduleKind, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};
use libfuzzer_sys::fuzz_target;

/// Largest N the target asks for (keeps executions fast: every step is evaluated in
/// double-double; the checks do not depend on N).
const MAX_FUZZ_N: usize = 1024;

/// Largest iDDPM table the target builds.
const MAX_FUZZ_M: usize = 1024;

#[derive(Debug, Arbitrary)]
enum Kind {
    Vp {
        beta_d: f64,
        beta_min: f64,
        eps_s: f64,
    },
    VpFromRange {
        sigma_min: f64,
        sigma_max: f64,
        eps_s: f64,
    },
    Ve {
        sigma_min: f64,
        sigma_max: f64,
    },
    IddpmPaper {
        c1: f64,
        c2: f64,
        m: u16,
        j0: u16,
    },
    IddpmNvlabs {
        c1: f64,
        c2: f64,
        m: u16,
        sigma_min: f64,
        sigma_max: f64,
    },
    Edm {
        sigma_min: f64,
        sigma_max: f64,
        rho: f64,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    kind: Kind,
    n: u16,
    /// The schedule whose times the noise levels are mapped to (index into vp, ve, iddpm, edm).
    schedule: u8,
}

fn build(kind: &Kind) -> Result<Discretization, Error> {
    let table = |c1, c2, m: u16| IddpmTable::new(c1, c2, usize::from(m) % MAX_FUZZ_M);
    match *kind {
        Kind::Vp {
            beta_d,
            beta_min,
            eps_s,
        } => Discretization::vp(Vp::new(beta_d, beta_min)?, eps_s),
        Kind::VpFromRange {
            sigma_min,
            sigma_max,
            eps_s,
        } => Discretization::vp(Vp::from_sigma_range(sigma_min, sigma_max, eps_s)?, eps_s),
        Kind::Ve {
            sigma_min,
            sigma_max,
        } => Discretization::ve(sigma_min, sigma_max),
        Kind::IddpmPaper { c1, c2, m, j0 } => Discretization::iddpm(
            table(c1, c2, m)?,
            IddpmSelection::Paper {
                j0: usize::from(j0),
            },
        ),
        Kind::IddpmNvlabs {
            c1,
            c2,
            m,
            sigma_min,
            sigma_max,
        } => Discretization::iddpm(
            table(c1, c2, m)?,
            IddpmSelection::Nvlabs {
                sigma_min,
                sigma_max,
            },
        ),
        Kind::Edm {
            sigma_min,
            sigma_max,
            rho,
        } => Discretization::edm(sigma_min, sigma_max, rho),
    }
}

/// The errors a discretisation's construction may return (an iDDPM u_0 beyond float64 is an
/// `Overflow`).
fn construction_error(e: &Error) -> bool {
    matches!(
        e,
        Error::Overflow { .. }
            | Error::NotFinite { .. }
            | Error::NotPositive { .. }
            | Error::Negative { .. }
            | Error::OutOfRange { .. }
            | Error::InvalidSigmaRange { .. }
            | Error::CountTooSmall { .. }
            | Error::CountOutOfRange { .. }
    )
}

/// The errors evaluating a valid discretisation may return: too many steps for the range or
/// the table (NotDecreasing), no table entry in the range, a noise level the target schedule
/// does not reach, or a VE time sigma^2 beyond float64.
fn evaluation_error(e: &Error) -> bool {
    matches!(
        e,
        Error::NotDecreasing { .. }
            | Error::InvalidSigmaRange { .. }
            | Error::SigmaOutOfSchedule { .. }
            | Error::Overflow { .. }
    )
}

/// N + 1 finite values, strictly decreasing, the last 0.
fn check_steps(what: &str, steps: &[f64], n: usize, ctx: &dyn std::fmt::Debug) {
    assert_eq!(steps.len(), n + 1, "{what}: wrong length for {ctx:?}");
    assert_eq!(steps[n], 0.0, "{what}: does not end at 0 for {ctx:?}");
    for (i, w) in steps.windows(2).enumerate() {
        assert!(
            w[0].is_finite() && w[0] > w[1],
            "{what}: steps {i}, {} are {:?}, {:?} for {ctx:?}",
            i + 1,
            w[0],
            w[1]
        );
    }
}

/// sigma_0 is the discretisation's largest noise level (I14).
fn check_first(disc: &Discretization, sigma0: f64) {
    match disc {
        Discretization::Vp { schedule, .. } => assert_eq!(sigma0, schedule.sigma_at(1.0)),
        Discretization::Ve { sigma_max, .. } => assert_eq!(sigma0, *sigma_max),
        Discretization::Iddpm { table, selection } => {
            let expected = match *selection {
                IddpmSelection::Paper { j0 } => table.u()[j0],
                IddpmSelection::Nvlabs { sigma_max, .. } => {
                    table.u().iter().copied().find(|&u| u <= sigma_max).unwrap()
                }
            };
            assert_eq!(sigma0, expected);
        }
        Discretization::Edm { sigma_max, .. } => assert_eq!(sigma0, *sigma_max),
    }
}

fn run(input: &Input) {
    let n = usize::from(input.n) % (MAX_FUZZ_N + 1);
    let disc = match build(&input.kind) {
        Ok(d) => d,
        Err(e) => {
            assert!(construction_error(&e), "construction: unexpected {e:?}");
            return;
        }
    };
    let ctx = (&disc, n);
    if n == 0 {
        assert!(matches!(disc.sigmas(0), Err(Error::CountTooSmall { .. })));
        return;
    }
    match disc.sigmas(n) {
        Ok(sigmas) => {
            check_steps("sigmas", &sigmas, n, &ctx);
            check_first(&disc, sigmas[0]);
        }
        Err(e) => assert!(evaluation_error(&e), "sigmas: unexpected {e:?} for {ctx:?}"),
    }
    match disc.native_times(n) {
        Ok(times) => check_steps("native times", &times, n, &ctx),
        Err(e) => assert!(evaluation_error(&e), "times: unexpected {e:?} for {ctx:?}"),
    }
    let schedule = match input.schedule % 4 {
        0 => ScheduleKind::Vp(Vp::paper()),
        1 => ScheduleKind::Ve(Ve),
        2 => ScheduleKind::Iddpm(Iddpm::paper()),
        _ => ScheduleKind::Edm(Edm),
    };
    match disc.times_for(n, &schedule) {
        Ok(times) => check_steps("times_for", &times, n, &(&ctx, schedule.name())),
        Err(e) => assert!(
            evaluation_error(&e),
            "times_for: unexpected {e:?} for {ctx:?}"
        ),
    }
}

fuzz_target!(|input: Input| run(&input));
