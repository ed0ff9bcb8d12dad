# I16, Table 1 (EDM column): c_skip = sigma_data^2 / (sigma^2 + sigma_data^2), as
# EdmPrecond::c_skip (src/precond.rs) evaluates it in float64.
#
# The code scales sigma and sigma_data by one power of two so that the larger lies in [1, 2)
# (s, d below; exact), writes d = dm 2^j with dm in [1, 2) (exact), and computes
#   c_skip = (dm^2 / (s^2 + d^2)) 2^(2j)
# with the exact squares of TwoProduct, the double-double sum Dd::add (AccurateDWPlusDW) and
# the double-double quotient Dd::div, then rounds once (Dd::to_f64_scaled; the scaling by
# 2^(2j) is exact for normal results). Documented input range: sigma / sigma_data in
# [2^-450, 2^450], so that the smaller of s, d is at least 2^-451 and every product below is
# free of underflow; c_skip >= 2^-902 is then a normal number.
#
# Error-free steps are modelled by their exact value, each justified here:
#   TwoProduct (fma): ah + al = s * s exactly (no underflow: s * s >= 2^-902).
#   TwoSum: sh + sl = ah + bh exactly (Knuth; always).
#   Fast2Sum: vh + vl = sh + c1 exactly as |sh| >= |c1| (Dekker; sh >= 1/2 as D >= 1, while
#   |c1| <= |sl| + |th| + ulp is below 2^-49); likewise yh + yl.
#   FMA remainder: nh - q yh is representable for q = RN(nh / yh) (Boldo-Daumas), so
#   fma(-q, yh, nh) computes it exactly.
# The final Fast2Sum(q, t) returns hi = RN(q + t) and Dd::to_f64 returns hi.
#
# Result: the double-double value pre = q + t is within 2^-93 of the exact quotient,
# relatively, so the float64 result is within 0.5 + 2^-40 ULP (tests/core/accuracy,
# i16_edm_c_skip_within_gappa_bound, checks the code against this bound).

@rnd = float<ieee_64, ne>;

s = rnd(s_);
d = rnd(d_);
dm = rnd(dm_);

ah = rnd(s * s);   al = s * s - ah;
bh = rnd(d * d);   bl = d * d - bh;
nh = rnd(dm * dm); nl = dm * dm - nh;

# Dd::add: Y = yh + yl approximates D = s^2 + d^2.
sh = rnd(ah + bh); sl = ah + bh - sh;
th = rnd(al + bl); tl = al + bl - th;
c1 = rnd(sl + th);
vh = rnd(sh + c1); vl = sh + c1 - vh;
c2 = rnd(tl + vl);
yh = rnd(vh + c2); yl = vh + c2 - yh;

# Dd::div: (nh + nl) / (yh + yl).
q = rnd(nh / yh);
r0 = nh - q * yh;
ra = rnd(r0 + nl);
r = rnd(ra - q * yl);
t = rnd(r / yh);

pre = q + t;
res = rnd(pre);

N = dm * dm;
D = s * s + d * d;
Y = yh + yl;
E = N - q * Y;
ex = N / D;

{ s in [1b-451, 2] /\ d in [1b-451, 2] /\ dm in [1, 2] /\ D in [1, 8]
  -> |Y - D| <= 1b-100
  /\ |(pre - ex) / ex| <= 1b-93
  /\ (res - ex) / ex in ? }

# The sum's error is the two roundings of its low parts.
Y - D -> (c1 - (sl + th)) + (c2 - (tl + vl)) { yh <> 0 };
# q + t - N/Y is the rounding of t, the roundings inside r, and the neglected yl / yh term.
pre - N / Y -> (t - r / yh) + (r - E) / yh + E * yl / (yh * Y) { yh <> 0, Y <> 0 };
E -> r0 + nl - q * yl;
r - E -> (r - (ra - q * yl)) + (ra - (r0 + nl));
r0 -> -(q - nh / yh) * yh { yh <> 0 };
