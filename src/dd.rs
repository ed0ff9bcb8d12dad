//! Double-double arithmetic: error-free transformations for the few places where a float64
//! argument must carry more than 53 bits (the exponent of VP's sigma(t), for instance).
//!
//! A value is the unevaluated sum `hi + lo` with `|lo| <= ulp(hi) / 2`.

/// TwoSum (Knuth): `a + b = s + e` exactly, with `s = fl(a + b)`.
#[inline]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// TwoProduct via fused multiply-add: `a * b = p + e` exactly (barring overflow/underflow).
#[inline]
pub(crate) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let e = a.mul_add(b, -p);
    (p, e)
}

/// A double-double number `hi + lo`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dd {
    pub hi: f64,
    pub lo: f64,
}

impl Dd {
    /// The exact value of a float64.
    pub fn from_f64(x: f64) -> Self {
        Dd { hi: x, lo: 0.0 }
    }

    /// The exact product of two float64s.
    pub fn mul_f64s(a: f64, b: f64) -> Self {
        let (hi, lo) = two_prod(a, b);
        Dd { hi, lo }
    }

    /// Sum, accurate to about 2^-104 relative.
    pub fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let e = e + self.lo + o.lo;
        let (hi, lo) = two_sum(s, e);
        Dd { hi, lo }
    }

    /// Product by a float64, accurate to about 2^-104 relative.
    pub fn mul_f64(self, b: f64) -> Dd {
        let (p, e) = two_prod(self.hi, b);
        let e = self.lo.mul_add(b, e);
        let (hi, lo) = two_sum(p, e);
        Dd { hi, lo }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
