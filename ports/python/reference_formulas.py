"""The float64 formulas of the reference implementation NVlabs/edm, transcribed to NumPy.

Sources (github.com/NVlabs/edm): generate.py, function ablation_sampler (vp_sigma,
vp_sigma_deriv, vp_sigma_inv, ve_sigma, the VP/VE scalings, the four discretisations and the
sampling loop); training/networks.py, classes VPPrecond, VEPrecond, iDDPMPrecond, EDMPrecond;
training/loss.py, the loss weights. NVlabs evaluates the preconditioning in float32; here every
formula runs in float64, so what the check reports is what the formulas themselves lose, not
the precision they run in.

    python3 reference_formulas.py vectors.json nvlabs.json
    edm vectors check nvlabs.json        # fails: see docs/reference-formulas-report.md

What NVlabs does not define is taken from port.py (`CarefulPort`): f = s'/s and g = s sqrt(2
sigma' sigma) (I02) are formed from NVlabs's s, s', sigma, sigma'; the iDDPM loss weight
1/sigma^2 (I21), the paper's iDDPM step selection (I14, j0), DDIM and DPM-Solver++(2M) have no
NVlabs code (the latter two use NVlabs's sigma(t) and s(t)); N = 1 uses the ramp 0 (NVlabs
divides by N - 1 = 0); the exact denoisers of the analytic data are port.py's.
"""

import math
import sys

import numpy as np

import port


class Nvlabs(port.CarefulPort):
    """NVlabs/edm's formulas, each in the form the source writes it."""

    def vp_sigma(self, p, t):
        """vp_sigma: (e ** (0.5 beta_d t^2 + beta_min t) - 1) ** 0.5."""
        x = 0.5 * p["beta_d"] * (t ** 2) + p["beta_min"] * t
        return (np.power(np.e, x) - 1) ** 0.5

    def vp_sigma_inv(self, p, sigma):
        """vp_sigma_inv: ((beta_min^2 + 2 beta_d log(sigma^2 + 1)).sqrt() - beta_min) / beta_d."""
        bmin, bd = p["beta_min"], p["beta_d"]
        return (np.sqrt(bmin ** 2 + 2 * bd * np.log(sigma ** 2 + 1)) - bmin) / bd

    def schedule_coefficients(self, p, t):
        """sigma, s, sigma', s' of the ablation sampler's (schedule, scaling) pairs: vp/vp,
        ve/none, linear/none; f = s'/s, g = s sqrt(2 sigma' sigma) (I02)."""
        name, t = p["name"], np.float64(t)
        if name == "vp":
            sigma = self.vp_sigma(p, t)
            sigma_dot = 0.5 * (p["beta_min"] + p["beta_d"] * t) * (sigma + 1 / sigma)
            scale = 1 / math.sqrt(1 + sigma ** 2)
            scale_dot = -sigma * sigma_dot * (scale ** 3)
        elif name == "ve":
            sigma, sigma_dot = math.sqrt(t), 0.5 / math.sqrt(t)
            scale, scale_dot = 1.0, 0.0
        else:
            sigma, sigma_dot, scale, scale_dot = t, 1.0, 1.0, 0.0
        g = scale * math.sqrt(2 * sigma_dot * sigma)
        return sigma, scale, sigma_dot, scale_dot, scale_dot / scale, g

    def sigma_and_scale(self, p, t):
        """sigma(t) and the scaling s(t) = 1 / sqrt(1 + sigma(t)^2) (VP) or 1."""
        if p["name"] == "vp":
            sigma = self.vp_sigma(p, np.float64(t))
            return sigma, 1 / np.sqrt(1 + sigma ** 2)
        return (math.sqrt(t) if p["name"] == "ve" else t), 1.0

    def ode(self, spec, p, t, latent, noise, denoise):
        """ablation_sampler's loop (solver euler or heun, alpha = 1): t_hat = sigma_inv(sigma(t)
        + gamma sigma(t)) at every step, gamma = 0 included; x_hat = s(t_hat)/s(t) x + (sigma(t_hat)^2
        - sigma(t)^2).clip(min=0).sqrt() s(t_hat) S_noise eps (eps = 0 at the steps where the
        reference draws no noise); Euler on the last step."""
        churn = spec["name"] == "alg2"
        s_churn, s_min, s_max, s_noise = (spec["s_churn"], spec["s_tmin"], spec["s_tmax"],
                                          spec["s_noise"]) if churn else (0, 0, math.inf, 1)
        n = len(t) - 1
        sig = lambda u: self.sigma_and_scale(p, u)[0]  # noqa: E731
        s = lambda u: self.sigma_and_scale(p, u)[1]  # noqa: E731
        x_next = latent * (sig(t[0]) * s(t[0]))
        xs = [x_next]
        for i, (t_cur, t_next) in enumerate(zip(t[:-1], t[1:])):
            x_cur = x_next
            gamma = min(s_churn / n, np.sqrt(2) - 1) if s_min <= sig(t_cur) <= s_max else 0
            t_hat = self.sigma_inv(p, sig(t_cur) + gamma * sig(t_cur))
            eps = noise[i] if noise[i] is not None else 0.0
            x_hat = (s(t_hat) / s(t_cur) * x_cur + np.sqrt(max(sig(t_hat) ** 2 - sig(t_cur) ** 2, 0))
                     * s(t_hat) * s_noise * eps)
            h = t_next - t_hat
            d_cur = self.nvlabs_d(p, t_hat, x_hat, denoise)
            if spec["name"] == "euler" or i == n - 1:
                x_next = x_hat + h * d_cur
            else:
                d_prime = self.nvlabs_d(p, t_hat + h, x_hat + h * d_cur, denoise)
                x_next = x_hat + h * (0.5 * d_cur + 0.5 * d_prime)
            xs.append(x_next)
        return xs

    def nvlabs_d(self, p, t, x, denoise):
        """d = (sigma'(t)/sigma(t) + s'(t)/s(t)) x - sigma'(t) s(t) / sigma(t) D(x / s(t); sigma(t))."""
        sigma, scale, sigma_dot, scale_dot, _, _ = self.schedule_coefficients(p, t)
        denoised = denoise(x / scale, sigma)
        return (sigma_dot / sigma + scale_dot / scale) * x - sigma_dot * scale / sigma * denoised

    def iddpm_table(self, c1, c2, m):
        """generate.py's float64 u: u[j-1] = ((u[j]^2 + 1) / clip(abar(j-1)/abar(j), C1) - 1)
        .sqrt(), abar(j) = sin(0.5 pi j / M / (C2 + 1))^2."""
        abar = lambda j: math.sin(0.5 * np.pi * j / m / (c2 + 1)) ** 2  # noqa: E731
        u = [0.0] * (m + 1)
        for j in range(m, 0, -1):
            u[j - 1] = math.sqrt((u[j] ** 2 + 1) / max(abar(j - 1) / abar(j), c1) - 1)
        return u

    def precond_coefficients(self, p, sigma):
        """networks.py's c_skip, c_out, c_in, c_noise and loss.py's weight, in float64 (NumPy
        scalars, so that overflow gives inf as in torch)."""
        name, sigma = p["name"], np.float64(sigma)
        if name == "edm":
            sd = p["sigma_data"]
            return (sd ** 2 / (sigma ** 2 + sd ** 2), sigma * sd / math.sqrt(sigma ** 2 + sd ** 2),
                    1 / math.sqrt(sd ** 2 + sigma ** 2), math.log(sigma) / 4,
                    (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2)
        weight = 1 / sigma ** 2
        if name == "ve":
            return 1.0, sigma, 1.0, math.log(0.5 * sigma), weight
        c_in = 1 / math.sqrt(sigma ** 2 + 1)
        if name == "vp":
            c_noise = (p["m"] - 1) * self.vp_sigma_inv(p, sigma)
        else:
            u = np.array(self.table(p))
            c_noise = float(p["m"] - 1 - int(np.argmin(np.abs(u - sigma))))
        return 1.0, -sigma, c_in, c_noise, weight

    def vp_times(self, d, n):
        """orig_t_steps = 1 + step_indices / (num_steps - 1) * (epsilon_s - 1)."""
        return [1 + port.ramp(i, n) * (d["eps_s"] - 1) for i in range(n)]

    def sigmas(self, d, n):
        """sigma_steps: VE as sqrt of its t steps, EDM as written; VP and iDDPM as Careful's
        structure with NVlabs's vp_sigma and u-table."""
        if d["name"] == "ve":
            return [math.sqrt(t) for t in self.native_times(d, n)]
        if d["name"] == "edm":
            smin, smax, rho = d["sigma_min"], d["sigma_max"], d["rho"]
            return [(smax ** (1 / rho) + port.ramp(i, n) * (smin ** (1 / rho) - smax ** (1 / rho)))
                    ** rho for i in range(n)]
        return super().sigmas(d, n)

    def native_times(self, d, n):
        """VE: orig_t_steps = sigma_max^2 ((sigma_min^2 / sigma_max^2) ** (i / (N - 1)))."""
        if d["name"] == "ve":
            smin, smax = d["sigma_min"], d["sigma_max"]
            return [(smax ** 2) * ((smin ** 2 / smax ** 2) ** port.ramp(i, n)) for i in range(n)]
        return super().native_times(d, n)


if __name__ == "__main__":
    np.seterr(all="ignore")  # overflow to inf, as torch does; the check reports the result
    port.run(sys.argv, Nvlabs(), "ports/python/reference_formulas.py (NVlabs/edm formulas)")
