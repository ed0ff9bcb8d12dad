# I16, Table 1 (EDM column), I17: c_in = 1 / sqrt(sigma^2 + sigma_data^2), as EdmPrecond::c_in
# (src/precond.rs) evaluates it in float64.
#
# The code scales sigma and sigma_data by 2^-k so that the larger lies in [1, 2) (s, d below;
# exact) and computes c_in = (1 / sqrt(s^2 + d^2)) 2^-k: the exact squares of TwoProduct, the
# double-double sum Dd::add, the double-double square root Dd::sqrt and the reciprocal Dd::div
# (1 / Z), then one rounding (Dd::to_f64_scaled; the scaling is exact for normal results).
# Documented input range: sigma / sigma_data in [2^-450, 2^450] and both in [2^-500, 2^500].
#
# Error-free steps are modelled by their exact value:
#   TwoProduct (fma): ah + al = s * s exactly (no underflow: s * s >= 2^-902).
#   TwoSum, Fast2Sum: exact (Knuth; Dekker, the first operand being the larger).
#   Dd::sqrt: e0 = yh - h^2 = fma(-h, h, yh) is exact for h = RN(sqrt(yh)) (Boldo-Daumas).
#   Dd::div: 1 - q zh = fma(-q, zh, 1) is exact for q = RN(1 / zh), and r0 + 0 = r0.
#
# Gappa's normaliser does not know sqrt(x)^2 = x: the rules below that use it are the identity
# for x >= 0 (their conditions) and are reported as not trivially equal.
#
# Result: the double-double value pre = q + t is within 2^-99 of the exact value, relatively,
# so the float64 result is within 0.5 + 2^-46 ULP (tests/core/accuracy,
# i16_edm_c_in_within_gappa_bound, checks the code against this bound).

@rnd = float<ieee_64, ne>;

s = rnd(s_);
d = rnd(d_);

ah = rnd(s * s);   al = s * s - ah;
bh = rnd(d * d);   bl = d * d - bh;

# Dd::add: Y = yh + yl approximates D = s^2 + d^2.
sh = rnd(ah + bh); sl = ah + bh - sh;
th = rnd(al + bl); tl = al + bl - th;
c1 = rnd(sl + th);
vh = rnd(sh + c1); vl = sh + c1 - vh;
c2 = rnd(tl + vl);
yh = rnd(vh + c2); yl = vh + c2 - yh;

# Dd::sqrt: Z = zh + zl approximates sqrt(Y).
h = rnd(sqrt(yh));
e0 = yh - h * h;
u1 = rnd(e0 + yl);
rs = rnd(u1 / (2 * h));
zh = rnd(h + rs); zl = h + rs - zh;

# Dd::div: 1 / (zh + zl).
q = rnd(1 / zh);
r0 = 1 - q * zh;
r = rnd(r0 - q * zl);
t = rnd(r / zh);

pre = q + t;
res = rnd(pre);

D = s * s + d * d;
Y = yh + yl;
Z = zh + zl;
E = 1 - q * Z;
ex = 1 / sqrt(D);

{ s in [1b-451, 2] /\ d in [1b-451, 2] /\ D in [1, 8]
  -> |Y - D| <= 1b-100
  /\ |(pre - ex) / ex| <= 1b-99
  /\ (res - ex) / ex in ? }

Y - D -> (c1 - (sl + th)) + (c2 - (tl + vl)) { yh <> 0 };
# One Newton step for the square root: h + (Y - h^2) / (2h) - sqrt(Y) = (h - sqrt(Y))^2 / (2h).
Z - sqrt(Y) -> (rs - (e0 + yl) / (2 * h)) + (h - sqrt(Y)) * (h - sqrt(Y)) / (2 * h) { h <> 0 };
h - sqrt(Y) -> (h - sqrt(yh)) + (sqrt(yh) - sqrt(Y));
sqrt(yh) - sqrt(Y) -> -yl / (sqrt(yh) + sqrt(Y)) { yh >= 0, Y >= 0 };
e0 -> (sqrt(yh) - h) * (sqrt(yh) + h) { yh >= 0 };
pre - 1 / Z -> (t - r / zh) + (r - E) / zh + E * zl / (zh * Z) { zh <> 0, Z <> 0 };
E -> r0 - q * zl;
r0 -> -(q - 1 / zh) * zh { zh <> 0 };
pre - ex -> (pre - 1 / Z) - ((Z - sqrt(Y)) + (Y - D) / (sqrt(Y) + sqrt(D))) / (Z * sqrt(D)) { Z <> 0, D > 0 };
