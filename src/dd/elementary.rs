//! Elementary functions in double-double, to about 2^-100 relative: exp, expm1, ln, ln1p and
//! sin (the last only for the iDDPM u-table). Each is a Taylor series on a reduced argument;
//! the bounds on the truncation are in the comments, and tests/core/accuracy checks the results
//! against mpmath.

use super::{Dd, frexp1};

/// Above this e^x overflows float64 (ln(f64::MAX) = 709.78...).
const EXP_OVERFLOW: f64 = 709.79;

/// Below this e^x underflows to zero (ln(2^-1075) = -745.13...).
const EXP_UNDERFLOW: f64 = -745.2;

/// ln 2 = LN2_1 + LN2_2 + LN2_3 to 2^-158, LN2_1 with 42 significant bits so that k LN2_1 is
/// exact for |k| < 2^11 (every k of [`exp`]).
const LN2_1: f64 = 0.693_147_180_559_890_3;
const LN2_2: f64 = 5.497_923_018_708_371e-14;
const LN2_3: f64 = 1.947_045_092_380_75e-31;

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

/// e^x: x = k ln 2 + r with |r| <= ln 2 / 2 (k ln 2 to 2^-158 relative, so that r keeps its
/// full relative accuracy for every k), e^x = 2^k (1 + expm1(r)).
pub(super) fn exp(x: Dd) -> Dd {
    if x.hi > EXP_OVERFLOW {
        return Dd::from_f64(f64::INFINITY);
    }
    if x.hi < EXP_UNDERFLOW {
        return Dd::from_f64(0.0);
    }
    let k = (x.hi / Dd::LN2.hi).round();
    let r = x
        .add_f64(-k * LN2_1)
        .sub(Dd::mul_f64s(k, LN2_2))
        .add_f64(-k * LN2_3);
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

    /// Relative error bounds of the kernels for the arguments of proofs/reference/dd_kernels.txt
    /// (exp for |x| <= 600, where both parts of the result stay normal): the a priori bounds
    /// that proofs/gappa/I14_edm_step.g takes as its kernel hypotheses (exp: reduction to
    /// 2^-158, Taylor remainder below 2^-130, about 60 u^2 of roundings; ln: one Newton step
    /// whose residual, absolute 2^-100, meets |ln m| >= ln(1 + 1/32)). The largest errors
    /// measured are about 2^-104.
    const REL_EXP: f64 = 1.0 / (1u128 << 100) as f64;
    const REL_LN: f64 = 1.0 / (1u128 << 95) as f64;
    /// expm1, ln1p and sin (sigma(t), sigma^-1, the u-table): the exp bound, as they share
    /// its series or Newton step.
    const REL_OTHER: f64 = 1.0 / (1u128 << 100) as f64;

    /// Parses Python's float.hex() (normal and subnormal numbers, zero).
    fn parse_hex(s: &str) -> f64 {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
        let body = body.strip_prefix("0x").expect("hex float");
        let (mant, exp) = body.split_once('p').expect("exponent");
        let (lead, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let mut bits = 0u64;
        for (k, c) in frac.chars().enumerate() {
            bits |= u64::from(c.to_digit(16).expect("hex digit")) << (48 - 4 * k);
        }
        let e: i32 = exp.parse().expect("exponent");
        let v = if lead == "0" {
            f64::from_bits(bits)
        } else {
            f64::from_bits((((e + 1023) as u64) << 52) | bits)
        };
        if neg { -v } else { v }
    }

    /// The largest relative error of each kernel over the mpmath table.
    fn worst_errors() -> Vec<(String, f64)> {
        let table = include_str!("../../proofs/reference/dd_kernels.txt");
        let mut worst: Vec<(String, f64)> = Vec::new();
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let w: Vec<&str> = line.split_whitespace().collect();
            let (x, hi, lo) = (parse_hex(w[1]), parse_hex(w[2]), parse_hex(w[3]));
            let x = Dd::from_f64(x);
            let got = match w[0] {
                "exp" => exp(x),
                "exp_m1" => exp_m1(x),
                "ln" => ln(x),
                "ln_1p" => ln_1p(x),
                _ => sin(x),
            };
            let err = ((got.hi - hi) + (got.lo - lo)).abs() / hi.abs();
            match worst.iter_mut().find(|(n, _)| n == w[0]) {
                Some((_, e)) => *e = e.max(err),
                None => worst.push((w[0].to_owned(), err)),
            }
        }
        worst
    }

    #[test]
    fn kernels_match_mpmath_within_their_bounds() {
        for (name, err) in worst_errors() {
            let bound = match name.as_str() {
                "exp" => REL_EXP,
                "ln" => REL_LN,
                _ => REL_OTHER,
            };
            println!("{name}: max relative error 2^{:.2}", err.log2());
            assert!(err <= bound, "{name}: {err:e} > {bound:e}");
        }
    }

    #[test]
    fn sin_of_pi_over_2_and_6() {
        let rel = |a: Dd, b: f64| (a.add_f64(-b).to_f64() / b).abs();
        assert!(rel(sin(Dd::FRAC_PI_2), 1.0) < REL_OTHER);
        assert!(rel(sin(Dd::FRAC_PI_2.div_f64(3.0)), 0.5) < REL_OTHER);
    }
}
