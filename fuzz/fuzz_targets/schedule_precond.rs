//! Schedules (I10–I13) and preconditionings (I16) built from arbitrary float64 parameters: a
//! constructor either returns the typed error its parameters call for, or a value that evaluates
//! to finite numbers with the identities' invariants at arbitrary times and noise levels.
#![no_main]

use arbitrary::Arbitrary;
use elucidated::Error;
use elucidated::precond::{
    EdmPrecond, IddpmPrecond, PrecondCoefficients, Preconditioner, VePrecond, VpPrecond,
};
use elucidated::schedule::{Edm, Iddpm, IddpmTable, Schedule, Ve, Vp};
use elucidated_fuzz::{C_IN_EPS, assert_error, assert_finite, check_schedule_at, rel_eps, time_in};
use libfuzzer_sys::fuzz_target;
use std::f64::consts::FRAC_PI_2;

/// Bound on the relative error of u_{M-1}^2, in units of f64::EPSILON times 1 + q/(q - 1): the
/// angles a_{M-1}, a_M are rounded (1/2 ULP each), which moves q - 1 by about q/(q - 1) times
/// that, and a handful of sines, products and quotients add about one ULP each.
const U_LAST_EPS: f64 = 8.0;

/// Largest iDDPM table the target builds (a larger one is valid but slows every execution).
const MAX_FUZZ_M: usize = 1024;

#[derive(Debug, Arbitrary)]
enum Case {
    Vp {
        beta_d: f64,
        beta_min: f64,
    },
    VpFromRange {
        sigma_min: f64,
        sigma_max: f64,
        eps_s: f64,
    },
    Ve,
    Edm,
    Iddpm {
        c1: f64,
        c2: f64,
        m: u16,
    },
    EdmPrecond {
        sigma_data: f64,
    },
    VpPrecond {
        beta_d: f64,
        beta_min: f64,
        m: f64,
    },
    VePrecond,
}

#[derive(Debug, Arbitrary)]
struct Input {
    case: Case,
    /// Times (mapped into the schedule's range) or noise levels at which to evaluate.
    points: Vec<f64>,
}

/// The validity rule of `Vp::new` (I10), written out: finite, non-negative, not both zero, and
/// d sigma^2/dt = beta(1) e^x(1) finite with a margin, i.e. x(1) + ln beta(1) <= 709.
fn vp_valid(beta_d: f64, beta_min: f64) -> bool {
    let beta_1 = beta_d + beta_min;
    beta_d.is_finite()
        && beta_min.is_finite()
        && beta_d >= 0.0
        && beta_min >= 0.0
        && beta_1 > 0.0
        && beta_d / 2.0 + beta_min + beta_1.ln() <= 709.0
}

fn vp_error(e: &Error) -> bool {
    matches!(
        e,
        Error::NotFinite { .. }
            | Error::Negative { .. }
            | Error::NotPositive { .. }
            | Error::OutOfRange { .. }
            | Error::InvalidSigmaRange { .. }
    )
}

fn check_schedule<S: Schedule + std::fmt::Debug>(schedule: &S, points: &[f64]) {
    let (lo, hi) = schedule.t_range();
    for &raw in points {
        check_schedule_at(schedule, time_in(raw, lo, hi));
    }
}

/// c_in sqrt(sigma^2 + sigma_data^2) = 1 (I16, I17), the reference computed after scaling both
/// by the same power of two, so that neither the squares nor the product can overflow.
fn check_c_in(p: &EdmPrecond, sigma: f64, c_in: f64) {
    let d = p.sigma_data();
    let k = sigma.max(d).log2().floor() as i32;
    let scale = 2f64.powi(k);
    let norm = (sigma / scale).hypot(d / scale);
    let product = (c_in * scale) * norm;
    if c_in >= f64::MIN_POSITIVE && (c_in * scale).is_finite() {
        let err = (product - 1.0).abs() / f64::EPSILON;
        assert!(
            err <= C_IN_EPS,
            "c_in sqrt(sigma^2 + sigma_data^2) = {product:?}, {err} eps from 1 at sigma = \
             {sigma:?}, sigma_data = {d:?}"
        );
    }
}

/// At every sigma > 0: c_skip in [0, 1] (I16), and all five coefficients finite or an
/// `Overflow` error naming sigma.
fn check_precond<P: Preconditioner + std::fmt::Debug>(
    p: &P,
    points: &[f64],
    extra: impl Fn(f64, &PrecondCoefficients),
) {
    for &raw in points {
        let sigma = raw.abs();
        if !(sigma.is_finite() && sigma > 0.0) {
            assert!(p.coefficients(raw).is_err(), "{p:?} accepted sigma {raw:?}");
            continue;
        }
        let c_skip = p.c_skip(sigma);
        assert!(
            (0.0..=1.0).contains(&c_skip),
            "c_skip = {c_skip:?} outside [0, 1] at sigma = {sigma:?} for {p:?}"
        );
        match p.coefficients(sigma) {
            Ok(c) => {
                for v in [c.c_skip, c.c_out, c.c_in, c.c_noise, c.loss_weight] {
                    assert_finite("coefficient", v, &(p, sigma));
                }
                extra(sigma, &c);
            }
            Err(Error::Overflow { value, .. }) => assert_eq!(value, sigma),
            Err(e) => panic!("coefficients({sigma:?}) of {p:?}: unexpected {e:?}"),
        }
    }
}

/// The parameter rule of `IddpmTable::new` (I12): C1 in (0, 1], C2 >= 0 finite, M >= 2.
fn iddpm_valid(c1: f64, c2: f64, m: usize) -> bool {
    c1.is_finite() && c1 > 0.0 && c1 <= 1.0 && c2.is_finite() && c2 >= 0.0 && m >= 2
}

/// abar_1 = sin^2(pi/2 / (M (C2 + 1))) (I12).
fn abar_1(c2: f64, m: usize) -> f64 {
    (FRAC_PI_2 / (m as f64 * (c2 + 1.0))).sin().powi(2)
}

/// A rejected table: bad parameters, or an entry float64 cannot hold: u_0^2 + 1 =
/// (u_1^2 + 1)/C1 <= 1/(abar_1 C1) beyond f64::MAX (within a factor 2 for rounding; abar_1
/// underflowing to 0 here counts), or M (C2 + 1) infinite, which leaves every abar_j = 0.
fn check_table_error(c1: f64, c2: f64, m: usize, e: &Error) {
    if !iddpm_valid(c1, c2, m) {
        return assert_error("IddpmTable::new", e, |e| {
            matches!(
                e,
                Error::NotFinite { .. }
                    | Error::NotPositive { .. }
                    | Error::OutOfRange { .. }
                    | Error::Negative { .. }
                    | Error::CountTooSmall { .. }
                    | Error::CountOutOfRange { .. }
            )
        });
    }
    let unrepresentable =
        c1 * abar_1(c2, m) < 2.0 / f64::MAX || (m as f64 * (c2 + 1.0)).is_infinite();
    assert!(
        matches!(e, Error::Overflow { .. }) && unrepresentable,
        "valid iDDPM parameters C1 = {c1:?}, C2 = {c2:?}, M = {m} rejected: {e:?}"
    );
}

fn run(input: &Input) {
    let points = &input.points;
    match input.case {
        Case::Vp { beta_d, beta_min } => match Vp::new(beta_d, beta_min) {
            Ok(vp) => {
                assert!(vp_valid(beta_d, beta_min), "accepted invalid {vp:?}");
                check_schedule(&vp, points);
            }
            Err(e) => {
                assert!(!vp_valid(beta_d, beta_min), "rejected valid VP: {e:?}");
                assert_error("Vp::new", &e, vp_error);
            }
        },
        Case::VpFromRange {
            sigma_min,
            sigma_max,
            eps_s,
        } => match Vp::from_sigma_range(sigma_min, sigma_max, eps_s) {
            Ok(vp) => check_schedule(&vp, points),
            Err(e) => assert_error("Vp::from_sigma_range", &e, vp_error),
        },
        Case::Ve => check_schedule(&Ve, points),
        Case::Edm => check_schedule(&Edm, points),
        Case::Iddpm { c1, c2, m } => {
            let m = usize::from(m) % MAX_FUZZ_M;
            match IddpmTable::new(c1, c2, m) {
                Ok(table) => {
                    assert!(iddpm_valid(c1, c2, m), "accepted invalid {table:?}");
                    check_table(&table);
                    check_schedule(&Iddpm::new(table.clone()), points);
                    check_precond(&IddpmPrecond::new(table), points, |_, _| {});
                }
                Err(e) => check_table_error(c1, c2, m, &e),
            }
        }
        Case::EdmPrecond { sigma_data } => match EdmPrecond::new(sigma_data) {
            Ok(p) => {
                assert!(sigma_data.is_finite() && sigma_data > 0.0);
                check_precond(&p, points, |sigma, c| check_c_in(&p, sigma, c.c_in));
            }
            Err(e) => {
                assert!(
                    !(sigma_data.is_finite() && sigma_data > 0.0),
                    "rejected {e:?}"
                );
                assert_error("EdmPrecond::new", &e, |e| {
                    matches!(e, Error::NotFinite { .. } | Error::NotPositive { .. })
                });
            }
        },
        Case::VpPrecond {
            beta_d,
            beta_min,
            m,
        } => {
            let Ok(vp) = Vp::new(beta_d, beta_min) else {
                return;
            };
            match VpPrecond::new(vp, m) {
                Ok(p) => {
                    assert!(m.is_finite() && m - 1.0 > 0.0, "accepted M = {m:?}");
                    check_precond(&p, points, |_, _| {});
                }
                Err(e) => {
                    assert!(!(m.is_finite() && m - 1.0 > 0.0), "rejected M = {m:?}");
                    assert_error("VpPrecond::new", &e, |e| {
                        matches!(e, Error::NotFinite { .. } | Error::NotPositive { .. })
                    });
                }
            }
        }
        Case::VePrecond => check_precond(&VePrecond, points, |_, _| {}),
    }
}

/// The u-table (I12): u_0 >= u_1 >= ... >= u_M = 0, all finite, and u_{M-1} from its own
/// formula: u_{M-1}^2 = (u_M^2 + 1)/r - 1 = q^2 - 1, q = sin(a_M)/sin(a_{M-1}), or (1 - C1)/C1
/// where r = 1/q^2 is clipped at C1.
fn check_table(table: &IddpmTable) {
    check_monotone(table);
    let (m, c1) = (table.m(), table.c1());
    let angle = |j: usize| FRAC_PI_2 * j as f64 / (m as f64 * (table.c2() + 1.0));
    let q = angle(m).sin() / angle(m - 1).sin();
    let expected = if (q * q).recip() < c1 {
        (1.0 - c1) / c1
    } else {
        (q - 1.0) * (q + 1.0)
    };
    let got = table.u()[m - 1].powi(2);
    let bound = U_LAST_EPS * (1.0 + q / (q - 1.0));
    let err = rel_eps(got, expected);
    assert!(
        err <= bound,
        "u_(M-1)^2 = {got:?}, expected {expected:?} ({err} eps, bound {bound}) for {table:?}"
    );
}

/// u_0 >= u_1 >= ... >= u_M = 0, all finite.
fn check_monotone(table: &IddpmTable) {
    let u = table.u();
    assert_eq!(u.len(), table.m() + 1);
    assert_eq!(u[table.m()], 0.0, "u_M != 0 for {table:?}");
    for w in u.windows(2) {
        assert!(
            w[0].is_finite() && w[0] >= w[1],
            "u-table not decreasing: {} then {} for C1 = {}, C2 = {}, M = {}",
            w[0],
            w[1],
            table.c1(),
            table.c2(),
            table.m()
        );
    }
}

fuzz_target!(|input: Input| run(&input));
