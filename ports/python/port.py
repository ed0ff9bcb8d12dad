"""A NumPy port of the elucidated golden vectors (docs/vectors.md).

Reads the exported document, computes every answer in float64 with careful formulas (expm1,
log1p, hypot, an exact VP exponent, cancellation-free recursions), and writes the document with
its own answers:

    python3 port.py vectors.json port.json
    edm vectors check port.json

Needs numpy only. Each formula names the identity it implements (I02, I10-I16, I21 of the
project's catalogue). `Careful` holds every formula; reference_formulas.py overrides some of
them with NVlabs/edm's.
"""

import json
import math
import sys

import numpy as np

FIELDS = ["sigma", "scale", "sigma_dot", "scale_dot", "f", "g",
          "c_skip", "c_out", "c_in", "c_noise", "loss_weight"]


# ---------------------------------------------------------------- error-free transformations

def two_sum(a, b):
    """a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def split(a):
    """a = hi + lo with 26-bit halves (Veltkamp), for an exact product without fma."""
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    """a * b = p + e exactly (Dekker)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def ramp(i, n):
    """i / (N - 1), and 0 for the single step of N = 1."""
    return 0.0 if n == 1 else i / (n - 1)


class Careful:
    """Every formula of the vectors, in float64, with no digits lost to cancellation."""

    def __init__(self):
        self._tables = {}

    # ------------------------------------------------------------ VP (I10)

    def vp_exponent(self, p, t):
        """x(t) = t (beta_min + beta_d t / 2) as an unevaluated sum hi + lo (double-double).

        sigma and s have condition number about x/2 <= 5 with respect to x, so the roundings of
        a plain float64 x would cost up to ~8 ULP at t = 1; carried exactly they cost nothing.
        """
        q, q_err = two_prod(0.5 * p["beta_d"], t)
        s, s_err = two_sum(q, p["beta_min"])
        s, s_lo = two_sum(s, s_err + q_err)
        hi, lo = two_prod(s, t)
        return two_sum(hi, lo + s_lo * t)

    def vp_sigma(self, p, t):
        """sigma(t) = sqrt(exp(x) - 1) = sqrt(expm1(hi) + e^hi lo) (I10)."""
        hi, lo = self.vp_exponent(p, t)
        em = math.expm1(hi)
        return math.sqrt(em + (em + 1.0) * lo)

    def vp_sigma_inv(self, p, sigma):
        """sigma^-1(sigma) = 2 L / (sqrt(beta_min^2 + 2 beta_d L) + beta_min), L = ln(1 + sigma^2):
        I10's inverse rationalised, so the root does not cancel against beta_min."""
        if sigma > 1e150:
            big = 2.0 * math.log(sigma) + math.log1p(1.0 / (sigma * sigma))
        else:
            big = math.log1p(sigma * sigma)
        root = math.sqrt(p["beta_min"] ** 2 + 2.0 * p["beta_d"] * big)
        return 2.0 * big / (root + p["beta_min"])

    # ------------------------------------------------------------ schedules (I02, I10-I13)

    def schedule_coefficients(self, p, t):
        """sigma, s, sigma', s', f = s'/s, g = s sqrt(d sigma^2 / dt) at t (I02)."""
        name = p["name"]
        if name == "vp":
            hi, lo = self.vp_exponent(p, t)
            sigma = self.vp_sigma(p, t)
            scale = math.exp(-0.5 * hi) * (1.0 - 0.5 * lo)
            beta = p["beta_min"] + p["beta_d"] * t
            sigma_dot = 0.5 * beta * (math.exp(hi) * (1.0 + lo)) / sigma  # beta e^x / (2 sigma)
            return sigma, scale, sigma_dot, -0.5 * beta * scale, -0.5 * beta, math.sqrt(beta)
        if name == "ve":
            sigma = math.sqrt(t)
            return sigma, 1.0, 0.5 / sigma, 0.0, 0.0, 1.0
        return t, 1.0, 1.0, 0.0, 0.0, math.sqrt(2.0 * t)

    def sigma_inv(self, p, sigma):
        """sigma^-1(sigma): the closed forms of I10-I13."""
        if p["name"] == "vp":
            return self.vp_sigma_inv(p, sigma)
        if p["name"] == "ve":
            return sigma * sigma
        return sigma

    # ------------------------------------------------------------ iDDPM table (I12)

    def iddpm_table(self, c1, c2, m):
        """u_0 > ... > u_M = 0 of I12. u_{j-1} = sqrt((u_j^2 + 1) / r - 1), r = max(abar_{j-1} /
        abar_j, C1), is evaluated as sqrt((u_j^2 + (1 - r)) / r) with 1 - r = sin(b - a)
        sin(b + a) / sin^2 b, which does not cancel for small u_j."""
        u = [0.0] * (m + 1)
        for j in range(m, 0, -1):
            a = math.pi / 2 * (j - 1) / (m * (c2 + 1.0))
            b = math.pi / 2 * j / (m * (c2 + 1.0))
            sin_b2 = math.sin(b) ** 2
            ratio = max(math.sin(a) ** 2 / sin_b2, c1)
            one_minus = min(math.sin(b - a) * math.sin(b + a) / sin_b2, 1.0 - c1)
            u[j - 1] = math.sqrt((u[j] * u[j] + one_minus) / ratio)
        return u

    def table(self, p):
        key = (p["c1"], p["c2"], p["m"])
        if key not in self._tables:
            self._tables[key] = self.iddpm_table(*key)
        return self._tables[key]

    # ------------------------------------------------------------ preconditioning (I16, I21)

    def precond_coefficients(self, p, sigma):
        """c_skip, c_out, c_in, c_noise, loss weight (Table 1, I16, I21), free of overflow."""
        name = p["name"]
        if name == "edm":
            sd = p["sigma_data"]
            norm = math.hypot(sigma, sd)
            q = min(sigma, sd) / max(sigma, sd)  # c_skip = 1 / (1 + (sigma/sd)^2)
            c_skip = 1.0 / (1.0 + q * q) if sigma <= sd else q * q / (1.0 + q * q)
            return (c_skip, sigma * sd / norm, 1.0 / norm, math.log(sigma) / 4.0,
                    1.0 / (sd * sd) + (1.0 / sigma) ** 2)
        weight = (1.0 / sigma) ** 2
        if name == "ve":
            return 1.0, sigma, 1.0, math.log(0.5 * sigma), weight
        c_in = 1.0 / math.hypot(sigma, 1.0)
        if name == "vp":
            c_noise = (p["m"] - 1.0) * self.vp_sigma_inv(p, sigma)
        else:
            u = np.array(self.table(p))
            c_noise = float(p["m"] - 1 - int(np.argmin(np.abs(u - sigma))))  # first on ties
        return 1.0, -sigma, c_in, c_noise, weight

    # ------------------------------------------------------------ time steps (I14)

    def vp_times(self, d, n):
        """t_i = 1 + i/(N-1) (eps_s - 1), as (1 - r) + r eps_s so that both ends are exact."""
        return [(1.0 - ramp(i, n)) + ramp(i, n) * d["eps_s"] for i in range(n)]

    def sigmas(self, d, n):
        """sigma_0 > ... > sigma_{N-1} of a discretisation (I14), without the final 0."""
        name = d["name"]
        if name == "vp":
            return [self.vp_sigma(d, t) for t in self.vp_times(d, n)]
        if name == "ve":
            ratio = d["sigma_min"] / d["sigma_max"]
            return [d["sigma_max"] * ratio ** ramp(i, n) for i in range(n)]
        if name == "edm":
            a = d["sigma_max"] ** (1.0 / d["rho"])
            b = d["sigma_min"] ** (1.0 / d["rho"])
            return [(a + ramp(i, n) * (b - a)) ** d["rho"] for i in range(n)]
        u = self.table(d)
        if d["selection"] == "paper":
            j0, m, den = d["j0"], d["m"], 2 * (max(n, 2) - 1)
            return [u[j0 + (2 * (m - 1 - j0) * i + den // 2) // den] for i in range(n)]
        kept = [x for x in u if d["sigma_min"] <= x <= d["sigma_max"]]
        step = (len(kept) - 1) / (max(n, 2) - 1)
        return [kept[int(round(step * i))] for i in range(n)]  # round(): halves to even

    def native_times(self, d, n):
        """The paper's t_i: VP times, t = sigma^2 for VE, t = sigma for iDDPM and EDM."""
        if d["name"] == "vp":
            return self.vp_times(d, n)
        if d["name"] == "ve":
            a, b = d["sigma_max"] ** 2, d["sigma_min"] ** 2
            return [a * (b / a) ** ramp(i, n) for i in range(n)]
        return self.sigmas(d, n)


# ---------------------------------------------------------------- answering the document

def answer_coefficients(sets, f):
    for s in sets:
        for point in s["points"]:
            c = f.schedule_coefficients(s["schedule"], point["t"])
            point.update(zip(FIELDS, c + f.precond_coefficients(s["precond"], c[0])))


def answer_steps(cases, f):
    for case in cases:
        d, n = case["discretization"], case["n"]
        levels = f.sigmas(d, n)
        case["sigma"] = levels + [0.0]
        case["t"] = f.native_times(d, n) + [0.0]
        for m in case["mapped"]:
            m["t"] = [f.sigma_inv(m["schedule"], s) for s in levels] + [0.0]


def finite_or_null(value):
    """The document with every float as a Python float and non-finite ones as null (JSON has no
    NaN or infinity; the check reports a null answer as not provided)."""
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_or_null(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def run(argv, formulas, generator):
    """Reads argv[1], answers with `formulas`, writes argv[2]."""
    if len(argv) != 3:
        sys.exit("usage: %s VECTORS.json PORT.json" % argv[0])
    with open(argv[1]) as f:
        doc = json.load(f)
    answer_coefficients(doc["coefficients"], formulas)
    answer_steps(doc["steps"], formulas)
    doc["generator"] = "%s (numpy %s)" % (generator, np.__version__)
    with open(argv[2], "w") as f:
        json.dump(finite_or_null(doc), f, allow_nan=False)


if __name__ == "__main__":
    run(sys.argv, Careful(), "ports/python/port.py")
