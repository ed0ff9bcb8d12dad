//! User schedules given as knot tables (`KnotSchedule`): validation, and the coefficients of
//! I02 derived from the piecewise-linear sigma(t).

use elucidated::Error;
use elucidated::schedule::{KnotSchedule, Schedule};
use elucidated::sde::Coefficients;
use elucidated::tolerance::{REL_FLOAT, rel_diff};
use proptest::prelude::*;

const KNOTS: [(f64, f64); 4] = [(0.0, 0.0), (0.25, 0.5), (1.0, 2.0), (3.0, 80.0)];

/// I02 with s = 1: f = 0, sigma' is the segment's slope and g = sqrt(2 sigma sigma').
#[test]
fn i02_knot_schedule_coefficients_from_segment_slopes() {
    let s = KnotSchedule::new(&KNOTS).unwrap();
    for (t, sigma, slope) in [(0.1, 0.2, 2.0), (0.5, 1.0, 2.0), (2.0, 41.0, 39.0)] {
        let c = Coefficients::at(&s, t);
        assert!(rel_diff(c.sigma, sigma) <= REL_FLOAT, "sigma({t})");
        assert!(rel_diff(c.sigma_dot, slope) <= REL_FLOAT, "sigma'({t})");
        assert_eq!((c.scale, c.scale_dot, c.f), (1.0, 0.0, 0.0));
        assert!(
            rel_diff(c.g, (2.0 * sigma * slope).sqrt()) <= REL_FLOAT,
            "g({t})"
        );
    }
}

/// The schedule passes through every knot exactly, in both directions.
#[test]
fn knot_schedule_interpolates_its_knots() {
    let s = KnotSchedule::new(&KNOTS).unwrap();
    assert_eq!(s.t_range(), (0.0, 3.0));
    for (t, sigma) in KNOTS {
        assert_eq!(s.sigma_at(t), sigma);
        assert_eq!(s.sigma_inv(sigma), Ok(t));
    }
}

/// Invalid tables get the error that names what is wrong.
#[test]
fn knot_schedule_rejects_invalid_tables() {
    let err = |k: &[(f64, f64)]| KnotSchedule::new(k).unwrap_err();
    assert!(matches!(
        err(&[(0.0, 1.0)]),
        Error::CountTooSmall { value: 1, .. }
    ));
    assert!(matches!(
        err(&[(0.0, 1.0), (f64::NAN, 2.0)]),
        Error::NotFinite { .. }
    ));
    assert!(matches!(
        err(&[(0.0, 1.0), (1.0, f64::INFINITY)]),
        Error::NotFinite { .. }
    ));
    assert!(matches!(
        err(&[(0.0, -1.0), (1.0, 2.0)]),
        Error::Negative { .. }
    ));
    assert!(matches!(
        err(&[(0.0, 1.0), (0.0, 2.0)]),
        Error::InvalidSchedule { .. }
    ));
    assert!(matches!(
        err(&[(0.0, 2.0), (1.0, 2.0)]),
        Error::InvalidSchedule { .. }
    ));
    assert!(matches!(
        err(&[(-1e308, 0.0), (1e308, 1.0)]),
        Error::InvalidTimeRange { .. }
    ));
    assert!(matches!(
        err(&[(0.0, 0.0), (1e-300, 1e10)]),
        Error::InvalidSchedule { .. }
    ));
    let out = KnotSchedule::new(&KNOTS).unwrap().sigma_inv(81.0);
    assert!(matches!(out, Err(Error::SigmaOutOfSchedule { .. })));
}

proptest! {
    /// sigma^-1(sigma(t)) = t on a valid table, and sigma is non-decreasing.
    #[test]
    fn knot_schedule_round_trip(t in 0.0f64..=3.0, dt in 0.0f64..1e-3) {
        let s = KnotSchedule::new(&KNOTS).unwrap();
        let back = s.sigma_inv(s.sigma_at(t)).unwrap();
        prop_assert!((back - t).abs() <= REL_FLOAT * s.t_range().1, "t = {t}, back = {back}");
        let u = (t + dt).min(3.0);
        prop_assert!(s.sigma_at(u) >= s.sigma_at(t));
    }
}
