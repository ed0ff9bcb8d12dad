//! Double-double arithmetic: a value is the unevaluated sum `hi + lo` of two float64s with
//! `|lo| <= ulp(hi) / 2`, about 106 bits. The core evaluates a coefficient in double-double and
//! rounds once at the end, so that the float64 result is within a hair of 0.5 ULP.
//!
//! The algorithms are the error-free transformations TwoSum, Fast2Sum and TwoProduct (FMA) and
//! the double-word operations of Joldes, Muller and Popescu, "Tight and rigorous error bounds
//! for basic building blocks of double-word arithmetic", ACM TOMS 44 (2017): every operation
//! below has a relative error of a few u^2, u = 2^-53. The elementary functions are in
//! [`elementary`]. Valid for values whose parts stay in the normal range (|hi| in about
//! [2^-969, 2^1023]); callers scale by powers of two to stay there.

mod elementary;

/// TwoSum (Knuth): `a + b = s + e` exactly, with `s = fl(a + b)`.
#[inline]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// Fast2Sum (Dekker): `a + b = s + e` exactly when `a == 0` or exponent(a) >= exponent(b).
#[inline]
pub(crate) fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let e = b - (s - a);
    (s, e)
}

/// TwoProduct via fused multiply-add: `a * b = p + e` exactly (barring overflow/underflow).
#[inline]
pub(crate) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let e = a.mul_add(b, -p);
    (p, e)
}

/// 2^k as a float64 for k in [-1074, 1023].
fn pow2(k: i32) -> f64 {
    debug_assert!((-1074..=1023).contains(&k));
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// x * 2^k, in steps so that no power of two overflows: exact whenever the result is a
/// normal float64 (or zero or infinite).
pub(crate) fn ldexp(mut x: f64, mut k: i32) -> f64 {
    while k > 1000 {
        x *= pow2(1000);
        k -= 1000;
    }
    while k < -1000 {
        x *= pow2(-1000);
        k += 1000;
    }
    x * pow2(k)
}

/// `x = m 2^e` with `m` in [1, 2), for a finite positive float64 `x` (subnormals included).
pub(crate) fn frexp1(x: f64) -> (f64, i32) {
    debug_assert!(x > 0.0 && x.is_finite());
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        let (m, e) = frexp1(x * pow2(64));
        return (m, e - 64);
    }
    let e = biased - 1023;
    (x * pow2(-e), e)
}

/// Squares of magnitudes up to this bound neither overflow nor lose their low part in
/// double-double, and a square below its inverse is negligible next to 1 (2^500).
pub(crate) const SQUARE_SAFE: f64 = 3.273_390_607_896_142e150;

/// 1 / sqrt(1 + x^2) for x >= 0 in double-double, rounded once (VP scaling; c_in of VP and
/// iDDPM, I16): above 2^500 it is 1/x to 2^-1000.
pub(crate) fn recip_hypot_1(x: f64) -> f64 {
    if x > SQUARE_SAFE {
        x.recip()
    } else {
        Dd::sq(x).add_f64(1.0).sqrt().recip().to_f64()
    }
}

/// A double-double number `hi + lo`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dd {
    pub hi: f64,
    pub lo: f64,
}

impl Dd {
    /// One.
    pub const ONE: Dd = Dd { hi: 1.0, lo: 0.0 };

    /// ln 2 to 106 bits.
    pub const LN2: Dd = Dd {
        hi: std::f64::consts::LN_2,
        lo: 2.319_046_813_846_299_6e-17,
    };

    /// pi / 2 to 106 bits.
    pub const FRAC_PI_2: Dd = Dd {
        hi: std::f64::consts::FRAC_PI_2,
        lo: 6.123_233_995_736_766e-17,
    };

    /// The exact value of a float64.
    pub fn from_f64(x: f64) -> Self {
        Dd { hi: x, lo: 0.0 }
    }

    /// The exact product of two float64s (TwoProduct).
    pub fn mul_f64s(a: f64, b: f64) -> Self {
        let (hi, lo) = two_prod(a, b);
        Dd { hi, lo }
    }

    /// The exact square of a float64.
    pub fn sq(a: f64) -> Self {
        Self::mul_f64s(a, a)
    }

    /// The exact sum of two float64s (TwoSum).
    pub fn add_f64s(a: f64, b: f64) -> Self {
        let (hi, lo) = two_sum(a, b);
        Dd { hi, lo }
    }

    /// The float64 nearest to `hi + lo` (which is `hi` for a normalised pair).
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    /// The float64 nearest to `(hi + lo) 2^k`, correctly rounded also where it is subnormal.
    pub fn to_f64_scaled(self, k: i32) -> f64 {
        let r = ldexp(self.to_f64(), k);
        if r.abs() >= f64::MIN_POSITIVE || !r.is_finite() {
            return r;
        }
        // Count in units of 2^-1074: round (hi + lo) 2^(k + 1074) to an integer, ties to even.
        let x = self.ldexp(k + 1074);
        let n = x.hi.round_ties_even();
        // x.hi - n is exact; lo only matters when it is exactly one half.
        let d = x.hi - n;
        let up = d == 0.5 && (x.lo > 0.0 || (x.lo == 0.0 && n % 2.0 != 0.0));
        let down = d == -0.5 && (x.lo < 0.0 || (x.lo == 0.0 && n % 2.0 != 0.0));
        let n = if up {
            n + 1.0
        } else if down {
            n - 1.0
        } else {
            n
        };
        n * pow2(-1074)
    }

    /// `self * 2^k`, exact while both parts stay normal (infinite on overflow).
    pub fn ldexp(self, k: i32) -> Dd {
        let hi = ldexp(self.hi, k);
        if hi.is_finite() {
            Dd {
                hi,
                lo: ldexp(self.lo, k),
            }
        } else {
            Dd::from_f64(hi)
        }
    }

    /// `-self`.
    pub fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    /// Sum (AccurateDWPlusDW, relative error <= 3 u^2 even under cancellation).
    pub fn add(self, o: Dd) -> Dd {
        let (sh, sl) = two_sum(self.hi, o.hi);
        if !sh.is_finite() {
            return Dd::from_f64(sh);
        }
        let (th, tl) = two_sum(self.lo, o.lo);
        let (vh, vl) = fast_two_sum(sh, sl + th);
        let (hi, lo) = fast_two_sum(vh, tl + vl);
        Dd { hi, lo }
    }

    /// Difference, as [`Dd::add`].
    pub fn sub(self, o: Dd) -> Dd {
        self.add(o.neg())
    }

    /// Sum with a float64 (DWPlusFP, relative error <= 2 u^2).
    pub fn add_f64(self, b: f64) -> Dd {
        let (sh, sl) = two_sum(self.hi, b);
        if !sh.is_finite() {
            return Dd::from_f64(sh);
        }
        let (hi, lo) = fast_two_sum(sh, self.lo + sl);
        Dd { hi, lo }
    }

    /// Product (DWTimesDW3 with FMA, relative error <= 4 u^2).
    pub fn mul(self, o: Dd) -> Dd {
        let (ch, cl1) = two_prod(self.hi, o.hi);
        if !ch.is_finite() {
            return Dd::from_f64(ch);
        }
        let tl0 = self.lo * o.lo;
        let tl1 = self.hi.mul_add(o.lo, tl0);
        let cl2 = self.lo.mul_add(o.hi, tl1);
        let (hi, lo) = fast_two_sum(ch, cl1 + cl2);
        Dd { hi, lo }
    }

    /// Product by a float64 (DWTimesFP3 with FMA, relative error <= 2 u^2).
    pub fn mul_f64(self, b: f64) -> Dd {
        let (ch, cl1) = two_prod(self.hi, b);
        if !ch.is_finite() {
            return Dd::from_f64(ch);
        }
        let (hi, lo) = fast_two_sum(ch, self.lo.mul_add(b, cl1));
        Dd { hi, lo }
    }

    /// Quotient: q = fl(hi / o.hi) corrected by the remainder, q + (x - q y) / y.hi, where
    /// x.hi - q y.hi = fma(-q, y.hi, x.hi) is exact for a correctly rounded q. Relative error a
    /// few u^2 (its float64 evaluation is bounded in proofs/gappa/I16_edm_c_skip.g).
    pub fn div(self, o: Dd) -> Dd {
        let q = self.hi / o.hi;
        if !q.is_finite() || q == 0.0 {
            return Dd::from_f64(q);
        }
        let r0 = (-q).mul_add(o.hi, self.hi);
        let r = (-q).mul_add(o.lo, r0 + self.lo);
        let (hi, lo) = fast_two_sum(q, r / o.hi);
        Dd { hi, lo }
    }

    /// Quotient by a float64, as [`Dd::div`].
    pub fn div_f64(self, b: f64) -> Dd {
        self.div(Dd::from_f64(b))
    }

    /// 1 / self.
    pub fn recip(self) -> Dd {
        Dd::ONE.div(self)
    }

    /// Square root of a non-negative value: h = fl(sqrt(hi)) plus one Newton correction
    /// (self - h^2) / (2 h), where hi - h^2 = fma(-h, h, hi) is exact for a correctly rounded h.
    pub fn sqrt(self) -> Dd {
        if self.hi <= 0.0 || self.hi.is_infinite() {
            return Dd::from_f64(self.hi.max(0.0));
        }
        let h = self.hi.sqrt();
        let r = ((-h).mul_add(h, self.hi) + self.lo) / (2.0 * h);
        let (hi, lo) = fast_two_sum(h, r);
        Dd { hi, lo }
    }

    /// Whether self < b, comparing the exact values.
    pub fn lt_f64(self, b: f64) -> bool {
        self.hi < b || (self.hi == b && self.lo < 0.0)
    }

    /// e^self (see [`elementary`]).
    pub fn exp(self) -> Dd {
        elementary::exp(self)
    }

    /// e^self - 1 (see [`elementary`]).
    pub fn exp_m1(self) -> Dd {
        elementary::exp_m1(self)
    }

    /// ln(self) for self > 0 (see [`elementary`]).
    pub fn ln(self) -> Dd {
        elementary::ln(self)
    }

    /// ln(1 + self) for self > -1 (see [`elementary`]).
    pub fn ln_1p(self) -> Dd {
        elementary::ln_1p(self)
    }

    /// sin(self) for |self| <= 2 (see [`elementary`]).
    pub fn sin(self) -> Dd {
        elementary::sin(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error of double-double arithmetic operations, a few u^2 = 2^-106 (the
    /// elementary functions are checked against mpmath in tests/core/accuracy).
    const REL_DD: f64 = 1e-30;

    fn rel(a: Dd, b: Dd) -> f64 {
        (a.sub(b).to_f64() / b.to_f64()).abs()
    }

    #[test]
    fn two_prod_is_exact_for_a_known_case() {
        // (1 + 2^-30)^2 = 1 + 2^-29 + 2^-60: the last term is below half an ulp of 1.
        let a = 1.0 + 2f64.powi(-30);
        let d = Dd::mul_f64s(a, a);
        assert_eq!(d.hi, 1.0 + 2f64.powi(-29));
        assert_eq!(d.lo, 2f64.powi(-60));
    }

    #[test]
    fn two_sum_recovers_lost_low_bits() {
        let (s, e) = two_sum(1.0, 2f64.powi(-60));
        assert_eq!((s, e), (1.0, 2f64.powi(-60)));
    }

    #[test]
    fn division_and_square_root_invert_multiplication() {
        for &(a, b) in &[
            (1.0, 3.0),
            (2.0, 7.0),
            (1e-3, 1.1),
            (0.3, 0.7),
            (1e200, 3e-100),
        ] {
            let x = Dd::from_f64(a).div_f64(b);
            assert!(rel(x.mul_f64(b), Dd::from_f64(a)) < REL_DD);
            let r = Dd::from_f64(a).sqrt();
            assert!(rel(r.mul(r), Dd::from_f64(a)) < REL_DD);
        }
    }

    #[test]
    fn one_third_has_the_known_low_part() {
        // 1/3 = 0x1.5555555555555p-2 + 0x1.5555555555555p-56 (rounded).
        let t = Dd::ONE.div_f64(3.0);
        assert_eq!(t.hi, 1.0 / 3.0);
        assert_eq!(t.lo, 1.0 / 3.0 * 2f64.powi(-54));
    }

    #[test]
    fn frexp_and_ldexp_are_exact_across_the_range() {
        for &x in &[5e-324, 1e-310, f64::MIN_POSITIVE, 1.0, 3.0, 1e300, f64::MAX] {
            let (m, e) = frexp1(x);
            assert!((1.0..2.0).contains(&m));
            assert_eq!(ldexp(m, e), x);
        }
    }

    #[test]
    fn scaled_rounding_is_correct_in_the_subnormal_range() {
        // 3 * 2^-1076 = 0.75 units of 2^-1074: rounds to 1 unit.
        assert_eq!(Dd::from_f64(3.0).to_f64_scaled(-1076), 5e-324);
        // (1 + 2^-60) 2^-1075: just above half a unit, rounds up.
        let x = Dd::add_f64s(1.0, 2f64.powi(-60));
        assert_eq!(x.to_f64_scaled(-1075), 5e-324);
        // exactly half a unit: ties to even (0).
        assert_eq!(Dd::ONE.to_f64_scaled(-1075), 0.0);
        // 1.5 units: ties to even (2 units).
        assert_eq!(Dd::from_f64(1.5).to_f64_scaled(-1074), 1e-323);
    }
}
