#!/usr/bin/env python3
"""The crate's discrete tables and timestep spacings (I33, I34) against diffusers.

Run from the repository root with a Python that has torch and diffusers 0.42.1:

    cargo run -q --no-default-features --example discrete_tables > /tmp/discrete_tables.json
    python ports/python/discrete/compare_diffusers.py /tmp/discrete_tables.json

It prints, for the three tables x the spacings linspace, leading (steps_offset 0 and 1) and
trailing x N in {1, 10, 25, 50, 999}, whether `DDIMScheduler.set_timesteps` gives the crate's
timesteps (the count of equal cases, and every case that differs), and the error of diffusers'
float32 tables (alphas_cumprod, and the sigma table of `EulerDiscreteScheduler`) against the
crate's float64 ones, in float32 ULPs of the crate's value rounded to float32; and the
Karras, exponential and beta sigma spacings of `EulerDiscreteScheduler` (linspace, N in
{10, 25, 50}) against the crate's `SigmaSpacing`.
"""

import json
import sys

import diffusers
import numpy as np
import torch
from diffusers import DDIMScheduler, EulerDiscreteScheduler

PINNED = "0.42.1"
TABLES = {
    "linear": dict(beta_schedule="linear", beta_start=1e-4, beta_end=0.02),
    "scaled_linear": dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012),
    "squaredcos_cap_v2": dict(beta_schedule="squaredcos_cap_v2"),
}
SPACINGS = {
    "linspace": dict(timestep_spacing="linspace"),
    "leading": dict(timestep_spacing="leading", steps_offset=0),
    "leading_offset_1": dict(timestep_spacing="leading", steps_offset=1),
    "trailing": dict(timestep_spacing="trailing"),
}


def ulp32_errors(theirs, ours):
    """|theirs - fl32(ours)| / ulp32(fl32(ours)) elementwise (ours in float64)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref32 = ours.astype(np.float32)
    diff = np.asarray(theirs, dtype=np.float64) - ours
    return np.abs(diff) / np.spacing(ref32).astype(np.float64)


def summary(name, theirs, ours):
    err = ulp32_errors(theirs, ours)
    rel = np.abs(np.asarray(theirs, dtype=np.float64) / np.asarray(ours) - 1)
    return (f"{name}: max {err.max():.2f}, median {np.median(err):.2f} float32 ULP "
            f"(worst at i = {int(err.argmax())}); max relative error {rel.max():.2e}")


def compare_timesteps(crate, t):
    equal, different = 0, []
    for table, table_kwargs in TABLES.items():
        for spacing, spacing_kwargs in SPACINGS.items():
            for n, ours in crate["timesteps"][spacing].items():
                sched = DDIMScheduler(num_train_timesteps=t, **table_kwargs, **spacing_kwargs)
                sched.set_timesteps(int(n))
                theirs = sched.timesteps.tolist()
                if theirs == ours:
                    equal += 1
                else:
                    different.append((table, spacing, n, ours, theirs))
    return equal, different


def compare_tables(crate, t):
    lines = []
    for table, kwargs in TABLES.items():
        ours = crate[table]["table"]
        ddim = DDIMScheduler(num_train_timesteps=t, **kwargs)
        euler = EulerDiscreteScheduler(num_train_timesteps=t, **kwargs)
        sigmas32 = euler.sigmas[:-1].flip(0).numpy()
        assert sigmas32.dtype == np.float32
        lines.append(f"{table}:")
        lines.append("  " + summary("alphas_cumprod", ddim.alphas_cumprod.numpy(),
                                    ours["alphas_cumprod"]))
        lines.append("  " + summary("sigma", sigmas32, ours["sigmas"]))
        zsnr = crate[table]["zero_terminal_snr"]
        rescaled = DDIMScheduler(num_train_timesteps=t, rescale_betas_zero_snr=True, **kwargs)
        abar = rescaled.alphas_cumprod.numpy()
        lines.append(f"  zero terminal SNR: last alphas_cumprod {float(abar[-1])!r} (crate "
                     f"{zsnr['alphas_cumprod'][-1]!r})")
        lines.append("  " + summary("zsnr alphas_cumprod (i < T-1)", abar[:-1],
                                    zsnr["alphas_cumprod"][:-1]))
    return lines


SIGMA_SPACINGS = {
    "karras": dict(use_karras_sigmas=True),
    "exponential": dict(use_exponential_sigmas=True),
    "beta": dict(use_beta_sigmas=True),
}


def compare_sigma_spacings(crate, t):
    """EulerDiscreteScheduler's Karras / exponential / beta sigmas and timesteps (linspace)."""
    lines = []
    for table, kwargs in TABLES.items():
        for spacing, flag in SIGMA_SPACINGS.items():
            worst_rel, worst_t = 0.0, 0.0
            for n, ours in crate[table]["sigma_spacings"][spacing].items():
                sched = EulerDiscreteScheduler(num_train_timesteps=t, timestep_spacing="linspace",
                                               **kwargs, **flag)
                sched.set_timesteps(int(n))
                sigmas = sched.sigmas[:-1].double().numpy()
                worst_rel = max(worst_rel, float(np.max(np.abs(sigmas / ours["sigmas"] - 1))))
                steps = sched.timesteps.double().numpy()
                worst_t = max(worst_t, float(np.max(np.abs(steps - ours["timesteps"]))))
            lines.append(f"{table} {spacing}: sigmas max relative difference {worst_rel:.2e}, "
                         f"timesteps max difference {worst_t:.2e}")
    return lines


def main():
    assert diffusers.__version__ == PINNED, f"pinned to diffusers {PINNED}"
    with open(sys.argv[1]) as f:
        crate = json.load(f)
    t = crate["train_steps"]
    print(f"diffusers {diffusers.__version__}, torch {torch.__version__}, numpy {np.__version__}")
    equal, different = compare_timesteps(crate, t)
    print(f"timesteps: {equal} of {equal + len(different)} cases equal")
    for table, spacing, n, ours, theirs in different:
        print(f"  {table} {spacing} N={n}:\n    crate     {ours}\n    diffusers {theirs}")
    for line in compare_tables(crate, t) + compare_sigma_spacings(crate, t):
        print(line)


if __name__ == "__main__":
    main()
