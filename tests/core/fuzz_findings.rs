//! Inputs the fuzz targets (fuzz/) found to break a property, kept as regular tests: each
//! asserts the property the target checks, on the input that broke it and its neighbours.

use elucidated::Error;
use elucidated::family::Family;
use elucidated::schedule::{Edm, IddpmTable, KnotSchedule, Schedule, Ve, Vp};
use elucidated::sde::Coefficients;
use elucidated::tolerance::{REL_FLOAT, rel_diff};
use proptest::prelude::*;

fn assert_coefficients_finite(c: &Coefficients, what: &str) {
    for (name, v) in [
        ("sigma", c.sigma),
        ("scale", c.scale),
        ("sigma_dot", c.sigma_dot),
        ("scale_dot", c.scale_dot),
        ("f", c.f),
        ("g", c.g),
    ] {
        assert!(v.is_finite(), "{what}: {name} = {v:?} at t = {:?}", c.t);
    }
}

/// I02, I11: VE at subnormal t (found: t = 1.01e-321 gave sigma' = inf, g = inf, because the
/// derivative of sqrt was formed through 1/t): sigma' = 1/(2 sqrt t) and g = 1.
#[test]
fn i11_ve_derivatives_finite_at_subnormal_t() {
    for t in [1.01e-321, f64::from_bits(1), 1e-310, f64::MIN_POSITIVE] {
        let c = Coefficients::at(&Ve, t);
        assert_coefficients_finite(&c, "VE");
        let expected = 0.5 / t.sqrt();
        assert!(
            rel_diff(c.sigma_dot, expected) <= REL_FLOAT,
            "sigma' at {t:?}"
        );
        assert!(rel_diff(c.g, 1.0) <= REL_FLOAT, "g = {:?} at {t:?}", c.g);
    }
}

/// I02, I10: VP with beta_min = 0 near t = 0, where e^x - 1 = beta_d t^2 / 2 is subnormal
/// (found: sigma' = inf at t = 1e-160): sigma' is finite and positive wherever sigma > 0. (Its
/// relative accuracy there is limited by the subnormal exponent, about 1e-4 at t = 1e-160.)
#[test]
fn i10_vp_derivatives_finite_where_exponent_is_subnormal() {
    let vp = Vp::new(19.9, 0.0).unwrap();
    for t in [1e-155, 1e-157, 1e-160, 1e-161] {
        assert!(vp.sigma_at(t) > 0.0);
        let c = Coefficients::at(&vp, t);
        assert_coefficients_finite(&c, "VP");
        assert!(c.sigma_dot > 0.0, "sigma' = {:?} at {t:?}", c.sigma_dot);
    }
}

proptest! {
    /// I02, I10: every VP schedule that `Vp::new` accepts has finite sigma, s, sigma', s', f
    /// and g on all of [0, 1] (found: beta_d = 2800 gave g(1) = inf); where they would overflow,
    /// `Vp::new` returns an error.
    #[test]
    fn i10_vp_accepted_schedules_have_finite_coefficients(
        beta_d in 0.0f64..3000.0,
        beta_min in 0.0f64..1500.0,
        t in 0.0f64..=1.0,
    ) {
        match Vp::new(beta_d, beta_min) {
            Ok(vp) => {
                for t in [t, 1.0] {
                    if vp.sigma_at(t) > 0.0 {
                        assert_coefficients_finite(&Coefficients::at(&vp, t), "VP");
                    }
                }
            }
            Err(e) => prop_assert!(
                matches!(e, Error::OutOfRange { .. })
                    || (beta_d + beta_min == 0.0 && matches!(e, Error::NotPositive { .. })),
                "{e:?}"
            ),
        }
    }
}

/// I10: the VP round trip sigma^-1(sigma(t)) = t with tiny betas (found: beta_d = 1e-200,
/// beta_min = 0 gave sigma^-1 = inf, as 2 beta_d ln(1 + sigma^2) underflowed to 0).
#[test]
fn i10_vp_inverse_without_underflow() {
    for (beta_d, beta_min) in [(1e-200, 0.0), (1e-300, 1e-160), (1e-250, 1e-250)] {
        let vp = Vp::new(beta_d, beta_min).unwrap();
        for t in [1.0, 0.5, 1e-3] {
            let sigma = vp.sigma_at(t);
            let back = vp.sigma_inv(sigma).unwrap();
            assert!(
                rel_diff(back, t) <= REL_FLOAT,
                "beta = ({beta_d:?}, {beta_min:?}): sigma^-1(sigma({t})) = {back:?}"
            );
        }
    }
}

/// I02: g = s sqrt(2 sigma sigma') where the product 2 sigma sigma' overflows or is subnormal
/// (found: EDM at t = 1.33e308 gave g = inf, where g = sqrt(2 t) = 1.6e154; and a knot
/// schedule with sigma ~ 3e267, sigma' ~ 5e167).
#[test]
fn i02_g_accurate_where_sigma_times_sigma_dot_is_not_normal() {
    for t in [1.3315486830823332e308, f64::MAX, 1e-320, 1e-310] {
        let g = Coefficients::at(&Edm, t).g;
        let expected = 2f64.sqrt() * t.sqrt();
        assert!(rel_diff(g, expected) <= REL_FLOAT, "EDM g({t:?}) = {g:?}");
    }
    let knots = [
        (-5.886541266905479e112, 9.354731565006306e-106),
        (-1.1210387714598535e-43, 2.9501428464525827e280),
    ];
    let s = KnotSchedule::new(&knots).unwrap();
    let t = -5.886541266900126e112;
    let c = Coefficients::at(&s, t);
    let expected = 2f64.sqrt() * c.sigma.sqrt() * c.sigma_dot.sqrt();
    assert!(rel_diff(c.g, expected) <= REL_FLOAT, "knot g = {:?}", c.g);
}

/// I12: the u-table is finite and decreasing, or its constructor says why not (found: C1 =
/// 5.3e-321 gave u_0 = inf; C2 = 1e308 made M (C2 + 1) infinite, every abar_j = sin^2(0) = 0
/// and the table NaN-born).
#[test]
fn i12_iddpm_table_finite_or_an_error() {
    let cases = [
        (5.333e-321, 6.0e-156, 255),
        (1e-300, 0.008, 1000),
        (0.001, 1e308, 10),
        (0.001, 1e300, 1000),
        (0.001, 0.008, 1000),
        (1e-10, 0.008, 1000),
    ];
    for (c1, c2, m) in cases {
        match IddpmTable::new(c1, c2, m) {
            Ok(table) => {
                let u = table.u();
                assert!(
                    u.windows(2).all(|w| w[0].is_finite() && w[0] >= w[1]),
                    "C1 = {c1:?}, C2 = {c2:?}: {:?}",
                    &u[..3]
                );
            }
            Err(e) => assert!(
                matches!(e, Error::Overflow { .. } | Error::OutOfRange { .. }),
                "{e:?}"
            ),
        }
    }
    assert!(IddpmTable::new(5.333e-321, 6.0e-156, 255).is_err());
    assert!(IddpmTable::new(0.001, 1e308, 10).is_err());
}

/// I12, I14: sizes beyond what can be allocated are errors, not an abort (found: `edm steps
/// --n 1e14` and `--m 1e11` aborted on allocation, `--m 2^64-1` and `--j0 2^64-1` overflowed).
#[test]
fn i14_counts_beyond_the_limits_are_errors() {
    use elucidated::steps::{Discretization, IddpmSelection, MAX_STEPS};
    for m in [IddpmTable::MAX_M + 1, 100_000_000_000, usize::MAX] {
        let e = IddpmTable::new(0.001, 0.008, m).unwrap_err();
        assert!(
            matches!(e, Error::CountOutOfRange { name: "M", .. }),
            "{e:?}"
        );
    }
    let edm = Discretization::paper(Family::Edm);
    for n in [MAX_STEPS + 1, 100_000_000_000_000, usize::MAX] {
        let e = edm.sigmas(n).unwrap_err();
        assert!(
            matches!(e, Error::CountOutOfRange { name: "N", .. }),
            "{e:?}"
        );
    }
    let j0 = IddpmSelection::Paper { j0: usize::MAX };
    let e = Discretization::iddpm(IddpmTable::paper(), j0).unwrap_err();
    assert!(
        matches!(e, Error::CountOutOfRange { name: "j0", .. }),
        "{e:?}"
    );
}

/// I14, EDM: a rho so small that ln(sigma_min / sigma_max) / rho overflows is an error, not a
/// panic (found: sigma_max = 1.8e127, rho = 4e-310 hit an assertion in double-double ln);
/// where that exponent is finite, the steps are valid.
#[test]
fn i14_edm_rho_too_small_for_float64_is_an_error() {
    use elucidated::steps::Discretization;
    let cases = [
        (5e-324, 1.786003464917567e127, 4.0200826018489e-310),
        (0.002, 80.0, 1e-3),
        (0.002, 80.0, 1.1e-299),
        (1e-300, 1e300, 1.4e-297),
        (0.002, 0.5, 1e-4),
        (0.002, 80.0, 0.01),
        (0.002, 80.0, 7.0),
    ];
    for (sigma_min, sigma_max, rho) in cases {
        match Discretization::edm(sigma_min, sigma_max, rho) {
            // Accepted: strictly decreasing finite steps, or the typed error for steps that
            // coincide in float64 (sigma_max (1 - r)^rho rounds to sigma_max for rho ~ 1e-299).
            Ok(d) => match d.sigmas(5) {
                Ok(s) => assert!(s.windows(2).all(|w| w[0] > w[1]), "{s:?}"),
                Err(e) => assert!(matches!(e, Error::NotDecreasing { .. }), "{e:?}"),
            },
            Err(e) => assert!(matches!(e, Error::OutOfRange { name: "rho", .. }), "{e:?}"),
        }
    }
    // The exponent ln(sigma_min / sigma_max) / rho overflows: a typed error.
    assert!(Discretization::edm(5e-324, 1.786003464917567e127, 4.0200826018489e-310).is_err());
    // A tiny but representable rho: the ratio (sigma_min / sigma_max)^(1/rho) underflows to 0
    // and the steps sigma_max (1 - r)^rho are still finite and strictly decreasing.
    assert!(Discretization::edm(0.002, 80.0, 1e-3).is_ok());
    assert!(Discretization::edm(0.002, 80.0, 0.01).is_ok());
}
