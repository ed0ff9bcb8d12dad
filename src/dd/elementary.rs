//! Elementary functions in double-double, to about 2^-100 relative: exp, expm1, ln, ln1p and
//! sin (the last only for the iDDPM u-table). Each is a Taylor series on a reduced argument;
//! the bounds on the truncation are in the comments, and tests/accuracy.rs checks the results
//! against mpmath.

use super::{Dd, frexp1};

/// Above this e^x overflows float64 (ln(f64::MAX) = 709.78...).
const EXP_OVERFLOW: f64 = 709.79;

/// Below this e^x underflows to zero (ln(2^-1075) = -745.13...).
const EXP_UNDERFLOW: f64 = -745.2;

/// expm1 of a reduced argument |r| <= 0.35 is computed at r / 2^HALVINGS and doubled back.
const HALVINGS: i32 = 8;

/// Taylor terms of expm1 at |w| <= 0.35 / 2^8 < 1.4e-3: the first term left out, w^12 / 12!,
/// is below 2^-130 |w|.
const EXPM1_TERMS: u32 = 11;

/// ln(1 + y) = 2 atanh(z), z = y / (2 + y): for |y| < 1/32, |z| < 1/63 and the series
/// 2 z sum z^(2k) / (2k + 1) is truncated after k = 9 (z^20 < 2^-119).
const LN1P_SERIES_LIMIT: f64 = 1.0 / 32.0;
const ATANH_TERMS: u32 = 9;

/// Taylor terms of sin at |x| <= 2: the first term left out, x^41 / 41!, is below 2^-124 |x|.
const SIN_TERMS: u32 = 19;

/// e^z - 1 for |z| <= 0.35: Taylor series at z / 2^8, then e^(2w) - 1 = (e^w - 1)(e^w + 1)
/// eight times, which keeps the relative accuracy of a result near 0.
fn exp_m1_reduced(z: Dd) -> Dd {
    let w = z.ldexp(-HALVINGS);
    let mut p = Dd::ONE;
    for k in (2..=EXPM1_TERMS).rev() {
        p = Dd::ONE.add(p.mul(w).div_f64(f64::from(k)));
    }
    let mut em = p.mul(w);
    for _ in 0..HALVINGS {
        em = em.mul(em.add_f64(2.0));
    }
    em
}

/// e^x: x = k ln 2 + r with |r| <= ln 2 / 2 (k ln 2 in double-double), e^x = 2^k (1 + expm1(r)).
pub(super) fn exp(x: Dd) -> Dd {
    if x.hi > EXP_OVERFLOW {
        return Dd::from_f64(f64::INFINITY);
    }
    if x.hi < EXP_UNDERFLOW {
        return Dd::from_f64(0.0);
    }
    let k = (x.hi / Dd::LN2.hi).round();
    let r = x.sub(Dd::LN2.mul_f64(k));
    let e = Dd::ONE.add(exp_m1_reduced(r));
    // Two steps so that 2^k stays finite at k = 1024 (results near f64::MAX).
    let half = (k * 0.5).trunc();
    e.ldexp(half as i32).ldexp((k - half) as i32)
}

/// e^x - 1, relatively accurate also for x near 0.
pub(super) fn exp_m1(x: Dd) -> Dd {
    if x.hi.abs() <= 0.35 {
        exp_m1_reduced(x)
    } else {
        exp(x).add_f64(-1.0)
    }
}

/// ln(1 + y) for |y| < 1/32 by the atanh series.
fn ln_1p_series(y: Dd) -> Dd {
    let z = y.div(y.add_f64(2.0));
    let w = z.mul(z);
    let mut p = Dd::ONE.div_f64(f64::from(2 * ATANH_TERMS + 1));
    for k in (0..ATANH_TERMS).rev() {
        p = p.mul(w).add(Dd::ONE.div_f64(f64::from(2 * k + 1)));
    }
    z.mul(p).ldexp(1)
}

/// ln(m) for m in [1/sqrt 2, sqrt 2]: the series near 1, otherwise one Newton step from the
/// float64 logarithm, y = y0 + m e^-y0 - 1, which doubles its 53 bits.
fn ln_reduced(m: Dd) -> Dd {
    let y = m.add_f64(-1.0);
    if y.hi.abs() < LN1P_SERIES_LIMIT {
        return ln_1p_series(y);
    }
    let y0 = m.hi.ln();
    Dd::from_f64(y0).add(m.mul(exp(Dd::from_f64(-y0))).add_f64(-1.0))
}

/// ln(x) for x > 0: x = m 2^e with m in [1/sqrt 2, sqrt 2), ln x = e ln 2 + ln m.
pub(super) fn ln(x: Dd) -> Dd {
    let (m0, mut e) = frexp1(x.hi);
    if m0 > std::f64::consts::SQRT_2 {
        e += 1;
    }
    let m = x.ldexp(-e);
    let lm = ln_reduced(m);
    if e == 0 {
        lm
    } else {
        Dd::LN2.mul_f64(f64::from(e)).add(lm)
    }
}

/// ln(1 + y) for y > -1, relatively accurate also for y near 0.
pub(super) fn ln_1p(y: Dd) -> Dd {
    if y.hi.abs() < LN1P_SERIES_LIMIT {
        ln_1p_series(y)
    } else {
        ln(y.add_f64(1.0))
    }
}

/// sin(x) for |x| <= 2 by its Taylor series, x (1 - x^2/(2 3) (1 - x^2/(4 5) (1 - ...))).
pub(super) fn sin(x: Dd) -> Dd {
    let w = x.mul(x);
    let mut p = Dd::ONE;
    for k in (1..=SIN_TERMS).rev() {
        let d = f64::from(2 * k * (2 * k + 1));
        p = Dd::ONE.sub(p.mul(w).div_f64(d));
    }
    x.mul(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elementary functions are accurate to about 2^-100; these checks use exact
    /// identities, so any error above a few 2^-100 is a bug.
    const REL_ELEMENTARY: f64 = 1e-29;

    fn rel(a: Dd, b: Dd) -> f64 {
        (a.sub(b).to_f64() / b.to_f64()).abs()
    }

    #[test]
    fn exp_of_ln2_multiples_is_a_power_of_two() {
        for k in [-700.0, -3.0, -1.0, 1.0, 10.0, 700.0] {
            let e = exp(Dd::LN2.mul_f64(k));
            assert!(
                rel(e, Dd::from_f64(2f64.powf(k))) < REL_ELEMENTARY,
                "k = {k}"
            );
        }
    }

    #[test]
    fn ln_inverts_exp() {
        for x in [
            1e-300,
            1e-5,
            0.3,
            0.99,
            1.0 + 1e-9,
            1.2,
            1.5,
            7.0,
            80.0,
            1e300,
        ] {
            let l = ln(Dd::from_f64(x));
            assert!(rel(exp(l), Dd::from_f64(x)) < REL_ELEMENTARY, "x = {x}");
        }
    }

    #[test]
    fn exp_m1_and_ln_1p_are_inverse_near_zero() {
        for y in [1e-300, -1e-20, 1e-10, 3e-3, -0.02, 0.25, 3.0] {
            let l = ln_1p(Dd::from_f64(y));
            assert!(rel(exp_m1(l), Dd::from_f64(y)) < REL_ELEMENTARY, "y = {y}");
        }
    }

    #[test]
    fn sin_of_pi_over_2_and_6() {
        assert!(rel(sin(Dd::FRAC_PI_2), Dd::ONE) < REL_ELEMENTARY);
        let pi_6 = Dd::FRAC_PI_2.div_f64(3.0);
        assert!(rel(sin(pi_6), Dd::from_f64(0.5)) < REL_ELEMENTARY);
    }
}
