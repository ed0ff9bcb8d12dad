"""A NumPy port of the elucidated golden vectors (docs/vectors.md).

Reads the exported document, computes every answer in float64 with careful formulas (expm1,
log1p, hypot, an exact VP exponent, cancellation-free recursions), and writes the document with
its own answers:

    python3 port.py vectors.json port.json
    edm vectors check port.json

Needs numpy only. Each formula names the identity it implements (I02, I07, I10-I16, I21,
I24-I27, I30, I31 of the project's catalogue). `Careful` holds the coefficient and step
formulas, `Samplers` the samplers; reference_formulas.py overrides some of them with
NVlabs/edm's.
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

    def sigma_and_scale(self, p, t):
        """sigma(t) and s(t) (I10-I13), defined at t = 0 too."""
        if p["name"] == "vp":
            hi, lo = self.vp_exponent(p, t)
            return self.vp_sigma(p, t), math.exp(-0.5 * hi) * (1.0 - 0.5 * lo)
        return (math.sqrt(t) if p["name"] == "ve" else t), 1.0

    def schedule_coefficients(self, p, t):
        """sigma, s, sigma', s', f = s'/s, g = s sqrt(d sigma^2 / dt) at t > 0 (I02)."""
        name = p["name"]
        if name == "vp":
            hi, lo = self.vp_exponent(p, t)
            sigma, scale = self.sigma_and_scale(p, t)
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
        """u_0 > ... > u_M = 0 of I12 without running the recursion in float64, whose M = 1000
        roundings would add up to ~150 ULP. With w_j = u_j^2 + 1, the recursion is w_{j-1} =
        w_j / max(abar_{j-1}/abar_j, C1), w_M = 1, so between clipped steps the ratios telescope:
        w_j = w_k abar_k / abar_j from the last clipped index k (k = M first). From k = M,
        u_j = sqrt(abar_M / abar_j - 1) = sqrt(sin(B - b) sin(B + b)) / sin b with B, b the
        angles of M and j. B - b is formed directly as the angle of M - j, and sin(B + b) as
        sin(pi - B - b), the angle of (M - j) + 2 M C2, since B + b comes close to pi where sin
        is ill-conditioned. Each entry costs a few roundings; none accumulate."""
        period = m * (c2 + 1.0)
        angle = [math.pi / 2 * j / period for j in range(m + 1)]
        sin = [math.sin(a) for a in angle]
        u = [0.0] * (m + 1)
        k, w_k = m, 1.0
        for j in range(m, 0, -1):
            if (sin[j - 1] / sin[j]) ** 2 < c1:  # clipped: w_{j-1} = w_j / C1, a new anchor
                w_j = w_k * (sin[k] / sin[j]) ** 2 if k < m else (u[j] ** 2 + 1.0)
                k, w_k = j - 1, w_j / c1
                u[j - 1] = math.sqrt(w_k - 1.0)
            elif k == m:
                rest = math.pi / 2 * ((m - j + 1) + 2 * m * c2) / period  # pi - B - b
                u[j - 1] = math.sqrt(sin[m - j + 1] * math.sin(rest)) / sin[j - 1]
            else:
                u[j - 1] = math.sqrt(w_k * (sin[k] / sin[j - 1]) ** 2 - 1.0)
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
        """t_i = 1 + i/(N-1) (eps_s - 1) = ((N - 1 - i) + i eps_s) / (N - 1): from the exact
        integers, so neither i/(N-1) nor eps_s - 1 is rounded and t near eps_s keeps its digits."""
        if n == 1:
            return [1.0]
        return [((n - 1 - i) + i * d["eps_s"]) / (n - 1) for i in range(n)]

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


# ---------------------------------------------------------------- analytic data (I30, I31)

class Gaussian:
    """N(mu, Sigma) with its exact denoiser D(y; sigma) = mu + Q diag(l / (l + sigma^2)) Q^T (y - mu)
    (I30), Sigma = Q diag(l) Q^T, and its log-density for the mixture's responsibilities."""

    def __init__(self, mean, covariance):
        self.mu = np.array(mean, dtype=np.float64)
        self.lam, self.q = np.linalg.eigh(np.array(covariance, dtype=np.float64))

    def coordinates(self, y):
        return (y - self.mu) @ self.q  # one sample per row

    def denoise(self, y, sigma):
        z = self.coordinates(y)
        return self.mu + (z * (self.lam / (self.lam + sigma * sigma))) @ self.q.T

    def log_density(self, y, sigma):
        v = self.lam + sigma * sigma
        z = self.coordinates(y)
        return -0.5 * (len(self.mu) * math.log(2 * math.pi) + np.sum(np.log(v)) + z * z @ (1 / v))


class Mixture:
    """sum_k w_k N(mu_k, Sigma_k); D is the responsibility-weighted sum of the components'
    denoisers (I31), responsibilities by log-sum-exp."""

    def __init__(self, weights, means, covariances):
        self.log_w = np.log(np.array(weights, dtype=np.float64))
        self.parts = [Gaussian(m, c) for m, c in zip(means, covariances)]

    def denoise(self, y, sigma):
        logp = np.stack([lw + g.log_density(y, sigma) for lw, g in zip(self.log_w, self.parts)])
        r = np.exp(logp - logp.max(axis=0))
        r /= r.sum(axis=0)
        return sum(rk[:, None] * g.denoise(y, sigma) for rk, g in zip(r, self.parts))


def oracle(problem):
    if problem["name"] == "gaussian":
        return Gaussian(problem["mean"], problem["covariance"])
    return Mixture(problem["weights"], problem["means"], problem["covariances"])


# ---------------------------------------------------------------- samplers (I07, I24-I27)

class Samplers:
    """Euler, Heun (Algorithm 1), Algorithm 2, DDIM and DPM-Solver++(2M), from the given noise.
    States hold one sample per row; x is the scaled state, y = x / s."""

    def trajectory(self, case):
        spec, p, t = case["sampler"], case["schedule"], case["t"]
        noise = [None if e is None else np.array(e) for e in case["noise"]]
        latent, denoise = np.array(case["latent"]), oracle(case["problem"]).denoise
        if spec["name"] in ("euler", "heun", "alg2"):
            xs = self.ode(spec, p, t, latent, noise, denoise)
        elif spec["name"] == "ddim":
            xs = self.ddim(spec["eta"], p, t, latent, noise, denoise)
        else:
            xs = self.dpmpp2m(p, t, latent, denoise)
        return [x.tolist() for x in xs]

    def rates(self, p, t):
        """sigma, s and the PF-ODE coefficients a = sigma'/sigma + s'/s, b = sigma' s / sigma
        of dx/dt = a x - b D(x/s; sigma) (I07)."""
        sigma, scale, sigma_dot, _, f, _ = self.schedule_coefficients(p, t)
        return sigma, scale, sigma_dot / sigma + f, sigma_dot * scale / sigma

    def dxdt(self, p, t, x, denoise):
        sigma, scale, a, b = self.rates(p, t)
        return a * x - b * denoise(x / scale, sigma)

    def ode(self, spec, p, t, latent, noise, denoise):
        """Algorithm 1 (Euler or Heun, no correction into sigma = 0) and Algorithm 2 (I25): at a
        step with gamma > 0, t_hat = sigma^-1((1 + gamma) sigma_i) and x_hat = (s_hat / s_i) x
        + sqrt(sigma_hat^2 - sigma_i^2) s_hat S_noise eps."""
        n = len(t) - 1
        sigma0, scale0 = self.sigma_and_scale(p, t[0])
        xs = [latent * (sigma0 * scale0)]
        for i in range(n):
            x, t_hat = xs[-1], t[i]
            if spec["name"] == "alg2":
                x, t_hat = self.churn(spec, p, t[i], n, x, noise[i])
            h = t[i + 1] - t_hat
            d = self.dxdt(p, t_hat, x, denoise)
            if spec["name"] == "euler" or self.sigma_and_scale(p, t[i + 1])[0] == 0.0:
                xs.append(x + h * d)
            else:
                d2 = self.dxdt(p, t[i + 1], x + h * d, denoise)
                xs.append(x + h * (0.5 * d + 0.5 * d2))
        return xs

    def churn(self, spec, p, t, n, x, eps):
        sigma, scale, _, _ = self.rates(p, t)
        gamma = 0.0
        if spec["s_tmin"] <= sigma <= spec["s_tmax"]:
            gamma = min(spec["s_churn"] / n, math.sqrt(2) - 1)
        if gamma == 0.0:
            return x, t
        t_hat = self.sigma_inv(p, sigma + gamma * sigma)
        sigma_hat, scale_hat, _, _ = self.rates(p, t_hat)
        std = math.sqrt((sigma_hat - sigma) * (sigma_hat + sigma)) * scale_hat * spec["s_noise"]
        return (scale_hat / scale) * x + std * eps, t_hat

    def ddim(self, eta, p, t, latent, noise, denoise):
        """DDIM in y = x/s (I27): y' = y + (sigma_down - sigma) (y - D) / sigma + sigma_up eps,
        sigma_up = eta sigma_next sqrt(1 - q^2), sigma_down = sigma_next sqrt(1 - eta^2 + eta^2
        q^2), q = sigma_next / sigma."""
        lv = [self.sigma_and_scale(p, ti) for ti in t]
        y = latent * lv[0][0]
        xs = [y * lv[0][1]]
        for i in range(len(t) - 1):
            (sc, _), (sn, scale_next) = lv[i], lv[i + 1]
            q = sn / sc
            up = sn * (eta * math.sqrt((1 - q) * (1 + q)))
            down = sn * math.sqrt((1 - eta) * (1 + eta) + (eta * q) ** 2)
            y = y + (down - sc) / sc * (y - denoise(y, sc))
            if up > 0:
                y = y + up * noise[i]
            xs.append(y * scale_next)
        return xs

    def dpmpp2m(self, p, t, latent, denoise):
        """DPM-Solver++(2M) in y = x/s: y' = (sigma'/sigma) y + (1 - sigma'/sigma) D_d, D_d =
        (1 + 1/(2r)) D_i - 1/(2r) D_{i-1}, r = h_{i-1} / h_i, h = ln(sigma_i / sigma_{i+1});
        first order on the first step and into sigma = 0."""
        lv = [self.sigma_and_scale(p, ti) for ti in t]
        y = latent * lv[0][0]
        xs, prev = [y * lv[0][1]], None
        for i in range(len(t) - 1):
            (sc, _), (sn, scale_next) = lv[i], lv[i + 1]
            d = denoise(y, sc)
            d_d = d
            if prev is not None and sn > 0:
                half_inv_r = math.log(sc / sn) / (2 * math.log(lv[i - 1][0] / sc))
                d_d = (1 + half_inv_r) * d - half_inv_r * prev
            y = (sn / sc) * y + ((sc - sn) / sc) * d_d
            prev = d
            xs.append(y * scale_next)
        return xs


class CarefulPort(Careful, Samplers):
    """The careful formulas with the samplers."""


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
    for case in doc["trajectories"]:
        case["trajectory"] = formulas.trajectory(case)
    doc["generator"] = "%s (numpy %s)" % (generator, np.__version__)
    with open(argv[2], "w") as f:
        json.dump(finite_or_null(doc), f, allow_nan=False)


if __name__ == "__main__":
    run(sys.argv, CarefulPort(), "ports/python/port.py")
