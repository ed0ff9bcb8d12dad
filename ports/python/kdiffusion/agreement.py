"""Agreement of elucidated's samplers with k-diffusion 0.1.1.post1 in float64.

Each k-diffusion sampler runs on the d = 8 Gaussian of the crate's sampler tests (written out by
`examples/kdiffusion_agreement.rs problem`) with its exact denoiser
D(x; sigma) = mu + Q diag(lambda / (lambda + sigma^2)) Q^T (x - mu), on EDM's grid computed in
float64 here (k-diffusion's `get_sigmas_karras` builds it in torch's default dtype, float32).
Every draw k-diffusion makes goes through a `noise_sampler` that draws from a seeded generator
and logs it, keyed by (step, draw within the step), the step found from the sigma pair. The
crate's sampler then runs through the example with those draws replayed, and the script prints
the max relative difference of the final states and of the trajectories x_0 .. x_{N-1} that
k-diffusion's callback reports.

    cargo build --no-default-features --example kdiffusion_agreement
    python ports/python/kdiffusion/agreement.py [--binary target/debug/examples/kdiffusion_agreement]
"""

import argparse
import json
import subprocess
import sys
import types

import numpy as np
import torch

# k_diffusion/__init__ imports CLIP (evaluation.py), which needs pkg_resources (setuptools < 81);
# the samplers do not use it.
sys.modules.setdefault("clip", types.ModuleType("clip"))
import k_diffusion.sampling as K  # noqa: E402

DTYPE = torch.float64
BATCH = 4
STEPS = (5, 10, 18, 50)
# The agreement asked of every row: rounding only, accumulated over at most 50 steps.
TARGET = 1e-13
SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0


def karras_sigmas(n):
    """EDM's grid (Eq. 5) in float64, followed by 0."""
    ramp = np.linspace(0.0, 1.0, n)
    lo, hi = SIGMA_MIN ** (1 / RHO), SIGMA_MAX ** (1 / RHO)
    return np.append((hi + ramp * (lo - hi)) ** RHO, 0.0)


class GaussianDenoiser:
    """The exact denoiser of N(mu, Q diag(lambda) Q^T) as a k-diffusion model (x: [B, d])."""

    def __init__(self, problem):
        self.mu = torch.tensor(problem["mean"], dtype=DTYPE)
        self.q = torch.tensor(problem["eigenvectors"], dtype=DTYPE)
        self.lam = torch.tensor(problem["eigenvalues"], dtype=DTYPE)

    def __call__(self, x, sigma):
        s2 = sigma[0].item() ** 2
        factors = self.lam / (self.lam + s2)
        z = (x - self.mu) @ self.q
        return self.mu + (z * factors) @ self.q.T


class LoggingRandnLike:
    """Stands in for torch.randn_like inside k-diffusion's `sample_euler` / `sample_heun`, which
    draw the churn noise that way at every step (used only where gamma > 0): draws from a
    seeded generator, logged as draw 0 of the step (the call's index: one call per step)."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.draws = []

    def __call__(self, x):
        value = torch.randn(x.shape, generator=self.gen, dtype=x.dtype)
        self.draws.append({"step": len(self.draws), "draw": 0, "value": value.tolist()})
        return value


def churn_gamma(sigma, n, params):
    """k-diffusion's (and EDM's) gamma_i of Algorithm 2."""
    if params["s_tmin"] <= sigma <= params["s_tmax"]:
        return min(params["s_churn"] / n, 2 ** 0.5 - 1)
    return 0.0


class LoggingNoise:
    """A noise_sampler(sigma, sigma_next) drawing from a seeded generator and logging each draw
    with its step (from the sigma pair) and its index within the step."""

    def __init__(self, sigmas, shape, seed):
        self.sigmas = sigmas
        self.shape = shape
        self.gen = torch.Generator().manual_seed(seed)
        self.draws = []
        self.per_step = {}

    def step_of(self, sigma):
        rel = np.abs(self.sigmas[:-1] - sigma) / self.sigmas[:-1]
        i = int(np.argmin(rel))
        # The DPM++ samplers pass exp(-(-log sigma)), a few ulp from sigma.
        assert rel[i] < 1e-12, (sigma, self.sigmas[i])
        return i

    def __call__(self, sigma, sigma_next):
        step = self.step_of(float(sigma))
        draw = self.per_step.get(step, 0)
        self.per_step[step] = draw + 1
        value = torch.randn(self.shape, generator=self.gen, dtype=DTYPE)
        self.draws.append({"step": step, "draw": draw, "sigma": float(sigma),
                           "sigma_next": float(sigma_next), "value": value.tolist()})
        return value


# Algorithm 2's churn with the ImageNet-64 settings of EDM's Table 5 (S_churn 40, S_tmin 0.05,
# S_tmax 50, S_noise 1.003).
CHURN = {"s_churn": 40.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003}

SAMPLERS = [
    ("euler", K.sample_euler, {}),
    ("heun", K.sample_heun, {}),
    ("dpm_2", K.sample_dpm_2, {}),
    ("lms", K.sample_lms, {"order": 4}),
    ("dpmpp_2m", K.sample_dpmpp_2m, {}),
    ("euler_ancestral", K.sample_euler_ancestral, {"eta": 1.0, "s_noise": 1.0}),
    ("dpm_2_ancestral", K.sample_dpm_2_ancestral, {"eta": 1.0, "s_noise": 1.0}),
    ("dpmpp_2s_ancestral", K.sample_dpmpp_2s_ancestral, {"eta": 1.0, "s_noise": 1.0}),
    ("dpmpp_sde", K.sample_dpmpp_sde, {"eta": 1.0, "s_noise": 1.0}),
    ("dpmpp_2m_sde", K.sample_dpmpp_2m_sde, {"eta": 1.0, "s_noise": 1.0, "solver_type": "midpoint"}),
    ("dpmpp_2m_sde", K.sample_dpmpp_2m_sde, {"eta": 1.0, "s_noise": 1.0, "solver_type": "heun"}),
    ("dpmpp_3m_sde", K.sample_dpmpp_3m_sde, {"eta": 1.0, "s_noise": 1.0}),
    ("lms", K.sample_lms, {"order": 2}),
    ("euler", K.sample_euler, CHURN),
    ("heun", K.sample_heun, CHURN),
    ("euler_ancestral", K.sample_euler_ancestral, {"eta": 0.5, "s_noise": 0.9}),
    ("dpmpp_sde", K.sample_dpmpp_sde, {"eta": 0.5, "s_noise": 0.9}),
    ("dpmpp_3m_sde", K.sample_dpmpp_3m_sde, {"eta": 0.5, "s_noise": 0.9}),
]
STOCHASTIC = {"euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral", "dpmpp_sde",
              "dpmpp_2m_sde", "dpmpp_3m_sde"}


def max_rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def max_rel_levels(a, b):
    """Max relative difference of two grids over their positive levels."""
    return float(np.max(np.abs(a[:-1] - b[:-1]) / b[:-1]))


def compare(binary, model, name, fn, params, n, seed):
    sigmas = karras_sigmas(n)
    latent = torch.randn((BATCH, 8), generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    noise = LoggingNoise(sigmas, (BATCH, 8), seed + 1)
    states = []
    kwargs = dict(params)
    if name in STOCHASTIC:
        kwargs["noise_sampler"] = noise
    churn = "s_churn" in params
    randn_like = torch.randn_like
    if churn:
        noise = LoggingRandnLike(seed + 1)
        torch.randn_like = noise
    try:
        x = fn(model, latent * sigmas[0], torch.tensor(sigmas, dtype=DTYPE), disable=True,
               callback=lambda info: states.append(info["x"].clone()), **kwargs)
    finally:
        torch.randn_like = randn_like
    request = {"sampler": name, "sigmas": sigmas.tolist(), "latent": latent.tolist(),
               "draws": noise.draws, **params}
    out = subprocess.run([binary, "run"], input=json.dumps(request), capture_output=True,
                         text=True, check=True)
    crate = json.loads(out.stdout)
    final = max_rel(crate["x"], x.numpy())
    # With churn the callback reports the raised state x_hat_i; compare where gamma_i = 0.
    traj = max(max_rel(crate["trajectory"][i], s.numpy()) for i, s in enumerate(states)
               if not churn or churn_gamma(sigmas[i], n, params) == 0.0)
    return final, traj, len(noise.draws)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/debug/examples/kdiffusion_agreement")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    problem = json.loads(subprocess.run([args.binary, "problem"], capture_output=True,
                                        text=True, check=True).stdout)
    model = GaussianDenoiser(problem)
    print(f"k-diffusion sampling vs elucidated, float64, batch {BATCH}, d = 8, seed {args.seed}")
    for n in STEPS:
        grid32 = K.get_sigmas_karras(n, SIGMA_MIN, SIGMA_MAX, RHO)
        print(f"get_sigmas_karras({n}) is {grid32.dtype}: max relative difference to the float64 "
              f"grid {max_rel_levels(grid32.double().numpy(), karras_sigmas(n)):.2e}")
    print(f"{'sampler':<58} {'N':>3} {'final':>10} {'trajectory':>10} {'draws':>6}")
    worst = 0.0
    for name, fn, params in SAMPLERS:
        extra = {k: v for k, v in params.items() if k != "solver_type"}
        label = name + (f" ({params['solver_type']})" if "solver_type" in params else "")
        label += "".join(f" {k}={v}" for k, v in extra.items())
        for n in STEPS:
            final, traj, draws = compare(args.binary, model, name, fn, params, n, args.seed)
            print(f"{label:<58} {n:>3} {final:>10.2e} {traj:>10.2e} {draws:>6}")
            worst = max(worst, final, traj)
    print(f"worst {worst:.2e} (target {TARGET:.0e})")
    if worst > TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
