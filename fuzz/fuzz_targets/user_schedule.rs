//! User schedules given as arbitrary knot tables: `KnotSchedule::new` accepts a table exactly
//! when an independent validity rule holds, and an accepted schedule is finite, passes through
//! its knots, is non-decreasing in float64, and has sigma^-1(sigma(t)) = t.
#![no_main]

use arbitrary::Arbitrary;
use elucidated::Error;
use elucidated::schedule::{KnotSchedule, Schedule};
use elucidated_fuzz::{assert_finite, check_values_at, time_in};
use libfuzzer_sys::fuzz_target;

/// Bound, in ULPs of the segment's scale max(|t_k|, |t_k+1|, t_k+1 - t_k), on the round-trip
/// error |sigma^-1(sigma(t)) - t| of a piecewise-linear sigma apart from sigma's own rounding:
/// each direction is a subtraction, a quotient and a fused multiply-add (1/2 ULP each).
const KNOT_INVERSE_ULPS: f64 = 8.0;

/// Rounding of sigma(t), in ULPs of sigma_k+1: the fused multiply-add's 1/2 ULP and the rounding
/// of sigma_k+1 - sigma_k that it multiplies; sigma^-1 carries it back through 1/slope.
const KNOT_SIGMA_ULPS: f64 = 2.0;

/// The spacing of float64 numbers near |x|, at least the smallest subnormal.
fn ulp(x: f64) -> f64 {
    (x.abs() * f64::EPSILON).max(f64::from_bits(1))
}

#[derive(Debug, Arbitrary)]
struct Input {
    knots: Vec<(f64, f64)>,
    /// Times, mapped into the schedule's range, at which to evaluate.
    points: Vec<f64>,
}

/// The rule, written independently of the crate: at least 2 knots, all finite, t and sigma
/// strictly increasing, sigma_0 >= 0, t_n - t_0 finite, and every slope finite.
fn valid(knots: &[(f64, f64)]) -> bool {
    knots.len() >= 2
        && knots.iter().all(|(t, s)| t.is_finite() && s.is_finite())
        && knots[0].1 >= 0.0
        && knots.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
        && (knots[knots.len() - 1].0 - knots[0].0).is_finite()
        && knots
            .windows(2)
            .all(|w| ((w[1].1 - w[0].1) / (w[1].0 - w[0].0)).is_finite())
}

/// The round trip sigma^-1(sigma(t)) = t on t's segment [t_k, t_k+1]: within KNOT_INVERSE_ULPS
/// of the segment's scale plus sigma's rounding carried back, KNOT_SIGMA_ULPS ULPs of sigma_k+1
/// times (t_k+1 - t_k) / (sigma_k+1 - sigma_k).
fn check_round_trip(s: &KnotSchedule, t: f64) {
    let (ts, sigmas) = (s.times(), s.sigmas());
    let k = ts.partition_point(|&tk| tk <= t).clamp(1, ts.len() - 1) - 1;
    let (t0, t1, s1) = (ts[k], ts[k + 1], sigmas[k + 1]);
    let back = s.sigma_inv(s.sigma_at(t)).unwrap();
    assert!(
        (t0..=t1).contains(&back),
        "sigma^-1(sigma({t:?})) = {back:?} off its segment"
    );
    let scale = t0.abs().max(t1.abs()).max(t1 - t0);
    let carried = KNOT_SIGMA_ULPS * ulp(s1) * ((t1 - t0) / (s1 - sigmas[k]));
    let bound = KNOT_INVERSE_ULPS * ulp(scale) + carried;
    let err = (back - t).abs();
    assert!(
        err <= bound,
        "sigma^-1(sigma({t:?})) = {back:?}, {err:?} from t (bound {bound:?}) for {s:?}"
    );
}

fn check(s: &KnotSchedule, points: &[f64]) {
    for (&t, &sigma) in s.times().iter().zip(s.sigmas()) {
        assert_eq!(s.sigma_at(t), sigma, "sigma(t_k) != sigma_k for {s:?}");
        assert_eq!(
            s.sigma_inv(sigma),
            Ok(t),
            "sigma^-1(sigma_k) != t_k for {s:?}"
        );
    }
    let (lo, hi) = s.t_range();
    let mut ts: Vec<f64> = points.iter().map(|&p| time_in(p, lo, hi)).collect();
    ts.sort_by(f64::total_cmp);
    let mut prev = f64::NEG_INFINITY;
    for &t in &ts {
        let sigma = s.sigma_at(t);
        assert_finite("sigma(t)", sigma, &(s, t));
        assert!(
            sigma >= prev,
            "sigma decreases at t = {t:?}: {prev:?} then {sigma:?}"
        );
        prev = sigma;
        check_round_trip(s, t);
        check_values_at(s, t);
    }
}

fn run(input: &Input) {
    match KnotSchedule::new(&input.knots) {
        Ok(checked) => {
            assert!(valid(&input.knots), "accepted invalid knots");
            check(checked.inner(), &input.points);
        }
        Err(e) => {
            assert!(!valid(&input.knots), "rejected valid knots: {e:?}");
            assert!(
                matches!(
                    e,
                    Error::CountTooSmall { .. }
                        | Error::NotFinite { .. }
                        | Error::Negative { .. }
                        | Error::InvalidSchedule { .. }
                        | Error::InvalidTimeRange { .. }
                ),
                "unexpected error {e:?}"
            );
        }
    }
}

fuzz_target!(|input: Input| run(&input));
