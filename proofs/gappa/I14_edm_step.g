# I14 (EDM): sigma_i = (A + i/(N-1) (B - A))^rho, A = sigma_max^(1/rho), B = sigma_min^(1/rho),
# as steps::edm_step (src/steps.rs) evaluates it for 0 < i < N - 1 (i = 0 and i = N - 1 return
# sigma_max and sigma_min exactly). With q = B / A and c = base / A it computes
#   LA = ln(sigma_max), LB = ln(sigma_min), q = exp((LB - LA) / rho),
#   c = (i q + (N - 1 - i)) / (N - 1),  sigma_i = RN(exp(rho ln(c) + LA)),
# every operation in double-double (Dd::ln, Dd::sub, Dd::div_f64, Dd::exp, Dd::mul_f64,
# Dd::add_f64, Dd::add) and one final rounding; q lies in [0, 1] and c in [1/(N-1), 1], so
# nothing overflows. Documented input range: sigma_min, sigma_max in [2^-800, 2^800],
# rho in [2^-20, 2^20], N <= 2^20 + 1.
#
# Part 1 proves the error of the double-double operations for normalised operands (a
# power-of-two scaling of the operands scales every rounding alike, so the bounds hold in
# every binade without underflow):
#   Dd::div_f64 (x / y): relative 1.004 2^-103.  Dd::mul_f64 (x y): relative 1.004 2^-105.
#   Dd::add_f64 of positive values: relative 1.004 2^-105.
#   Dd::add (any signs): absolute 1.004 2^-103 times the larger operand.
# Error-free steps are exact values: TwoProduct (fma), TwoSum, Fast2Sum, and the remainder
# xh - q y = fma(-q, y, xh) of a correctly rounded quotient q (Boldo-Daumas).
#
# Part 2 composes the step. Gappa knows neither exp nor ln, so the exact values are free
# variables (lmax = ln sigma_max, lmin = ln sigma_min, QX = (sigma_min / sigma_max)^(1/rho),
# lcx = ln(cX) for the exact ratio cX, and ex = sigma_i = exp(lmax + rho lcx)) and each
# computed value carries an explicit error variable with its hypothesis:
#   eLA, eLB, eL: the double-double ln kernel, relative 2^-95 (a priori: one Newton step from
#     the float64 log, whose residual is computed with the exp kernel, absolute 2^-100 against
#     |ln m| >= ln(1 + 1/32) on the reduced argument; below that the atanh series is relative).
#     Measured against mpmath: 2^-104 (src/dd/elementary.rs,
#     kernels_match_mpmath_within_their_bounds).
#   adl, ay: Dd::add (Part 1), against the larger operand (|LA|, |LB| <= 555.3; |rho lc|, |LA|
#     <= 1110.6).  eDa, e3: Dd::div_f64.  e1, e4: Dd::mul_f64.  e2: Dd::add_f64 (Part 1).
#   G = rho a - (lmin - lmax) is the error of the exponent of q, times rho (the goal on G), so
#     q = QX exp(G / rho)(1 + e) with the exp kernel's |e| <= 2^-100 (a priori: reduction to
#     2^-158, Taylor remainder below 2^-130, about 60 u^2 of double-double roundings; measured
#     2^-105.5). As |G / rho| <= 2^-64, exp(G / rho) = 1 + G / rho + eQ' with |eQ'| < 2^-128,
#     hence q = QX (1 + G / rho + eQ) + aq with |eQ| <= 2^-99; aq, |aq| <= 2^-1050, covers a q
#     (and i q) below the normal range, where the kernel's error is absolute.
#   lxc = ln(c / cX) = Xc (1 + kl) with Xc = c / cX - 1 (the goal on Xc, |Xc| <= 2^-64), and
#     |ln(1 + x) - x| <= x^2 gives |kl| <= 2^-64.
#   eS: pre = exp(yv)(1 + e) with |e| <= 2^-100 and yv - ln(ex) bounded in the goal on yv by
#     1.19 2^-79, so |eS| <= exp(1.19 2^-79)(1 + 2^-100) - 1 < 2^-78. (Its largest part is
#     rho eQ: the exp kernel's error in q, amplified by rho up to 2^20.)
#   lcx lies in [ln(1/(N-1)), 0] within [-15, 0], rho lcx = ln(sigma_i / sigma_max) within
#     [-1111, 0], p = i QX / (w + i QX) in [0, 1].
#
# Result: the double-double value pre is within 2^-78 of sigma_i, relatively, so the float64
# result is within 0.5 + 2^-25 ULP (tests/core/accuracy, i14_edm_steps_within_gappa_bound,
# checks the code against this bound on the mpmath tables).

@rnd = float<ieee_64, ne>;

# ---- Part 1: double-double operations on normalised operands -------------------------------

xh = rnd(xh_); xl = rnd(xl_); y = rnd(y_);
X = xh + xl;

# Dd::div_f64: q = RN(xh / y), exact remainder, one correction.
dq = rnd(xh / y);
dr0 = xh - dq * y;
dra = rnd(dr0 + xl);
dt = rnd(dra / y);
dpre = dq + dt;

# Dd::mul_f64 (DWTimesFP3): TwoProduct, then fma(xl, y, error), Fast2Sum.
mc = rnd(xh * y); mcl1 = xh * y - mc;
mcl3 = rnd(xl * y + mcl1);
mpre = mc + mcl3;

# Dd::add_f64 (DWPlusFP) of positive values, the larger normalised to [1, 2].
fxh = rnd(fxh_); fxl = rnd(fxl_); fy = rnd(fy_);
FX = fxh + fxl;
fh = rnd(fxh + fy); fl = fxh + fy - fh;
fpre = fh + rnd(fxl + fl);

# Dd::add (AccurateDWPlusDW), the larger operand normalised to [1, 2].
ah = rnd(ah_); al = rnd(al_); bh = rnd(bh_); bl = rnd(bl_);
sh = rnd(ah + bh); sl = ah + bh - sh;
th = rnd(al + bl); tl = al + bl - th;
c1 = rnd(sl + th);
vh = rnd(sh + c1); vl = sh + c1 - vh;
c2 = rnd(tl + vl);
apre = vh + c2;
SUM = ah + al + bh + bl;

# ---- Part 2: the step ---------------------------------------------------------------------

rho = rnd(rho_);
LA = lmax * (1 + eLA);
LB = lmin * (1 + eLB);
dlc = LB - LA + adl;
a = dlc / rho * (1 + eDa);
G = rho * a - (lmin - lmax);
q = QX * (1 + G / rho + eQ) + aq;
c = (i * q * (1 + e1) + w) * (1 + e2) / m * (1 + e3);
cX = (w + i * QX) / m;
p = i * QX / (w + i * QX);
Y1 = p * ((G / rho + eQ) + e1 + (G / rho + eQ) * e1) + i * aq * (1 + e1) / (w + i * QX);
Xc = c / cX - 1;
lxc = Xc * (1 + kl);
lc = (lcx + lxc) * (1 + eL);
yv = rho * lc * (1 + e4) + LA + ay;
pre = ex * (1 + eS);
res = rnd(pre);

{ xh in [1, 2] /\ |xl| <= 1b-53 /\ y in [1, 2]
  /\ fxh in [0, 2] /\ |fxl| <= 1b-52 /\ fy in [0, 2] /\ fxh + fy in [1, 4]
  /\ ah in [1, 2] /\ |al| <= 1b-53 /\ bh in [-2, 2] /\ |bl| <= 1b-52
  /\ rho in [1b-20, 1b20] /\ lmax in [-555, 555] /\ lmin in [-555, 555]
  /\ w in [1, 1048576] /\ i in [1, 1048576] /\ m - (w + i) in [0, 0]
  /\ QX in [0, 1] /\ p in [0, 1] /\ lcx in [-15, 0] /\ rho * lcx in [-1111, 0]
  /\ |eLA| <= 1b-95 /\ |eLB| <= 1b-95 /\ |eL| <= 1b-95
  /\ |adl| <= 0x1.2p-93 /\ |ay| <= 0x1.2p-92
  /\ |eDa| <= 0x1.01p-103 /\ |e3| <= 0x1.01p-103
  /\ |e1| <= 0x1.01p-105 /\ |e4| <= 0x1.01p-105 /\ |e2| <= 0x1.01p-105
  /\ |eQ| <= 1b-99 /\ |aq| <= 1b-1050 /\ |kl| <= 1b-64
  /\ |eS| <= 1b-78 /\ ex in [1b-800, 1b800]
  -> |(dpre - X / y) / (X / y)| <= 0x1.01p-103
  /\ |(mpre - X * y) / (X * y)| <= 0x1.01p-105
  /\ |(fpre - (FX + fy)) / (FX + fy)| <= 0x1.01p-105
  /\ |apre - SUM| <= 0x1.01p-103
  /\ |G| <= 1b-84
  /\ |Xc| <= 1b-64
  /\ |yv - (lmax + rho * lcx)| <= 0x1.3p-79
  /\ |(pre - ex) / ex| <= 1b-78
  /\ (res - ex) / ex in ? }

dpre - X / y -> (dt - dra / y) + (dra - (dr0 + xl)) / y { y <> 0 };
dr0 -> -(dq - xh / y) * y { y <> 0 };
mpre - X * y -> mcl3 - (xl * y + mcl1);
fpre - (FX + fy) -> rnd(fxl + fl) - (fxl + fl);
apre - SUM -> (c1 - (sl + th)) + (c2 - (tl + vl));

G -> lmin * eLB - lmax * eLA + adl + dlc * eDa { rho <> 0 };
Xc -> Y1 + (1 + Y1) * (e2 + e3 + e2 * e3) { m <> 0, w + i * QX <> 0 };
yv - (lmax + rho * lcx) -> rho * Xc * (1 + kl) * (1 + eL) * (1 + e4) + rho * lcx * (eL + e4 + eL * e4) + lmax * eLA + ay { m <> 0, w + i * QX <> 0 };
rho * Xc -> rho * Y1 + rho * (1 + Y1) * (e2 + e3 + e2 * e3) { m <> 0, w + i * QX <> 0 };
rho * Y1 -> p * ((G + rho * eQ) + rho * e1 + (G + rho * eQ) * e1) + rho * i * aq * (1 + e1) / (w + i * QX) { rho <> 0, w + i * QX <> 0 };
(pre - ex) / ex -> eS { ex <> 0 };
