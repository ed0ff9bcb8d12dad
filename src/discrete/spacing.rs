//! Timestep spacings: which of a table's T timesteps a sampler of N steps visits, as diffusers
//! defines them (`linspace`, `leading`, `trailing`), and the Karras, exponential and beta sigma
//! spacings over a discrete table (I33).

use super::DiscreteSchedule;
use crate::error::{Error, Result, positive};
use crate::schedule::Schedule;

/// A timestep spacing of diffusers' `timestep_spacing` (I33). Every spacing gives N strictly
/// decreasing integer timesteps in [0, T-1], or a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Spacing {
    /// round_half_even(i (T-1)/(N-1)), i = N-1..0: both ends of the table, t_0 = T-1
    /// (N = 1 gives the single timestep 0).
    Linspace,
    /// i (T div N) + steps_offset, i = N-1..0 (Stable Diffusion's `leading` with
    /// `steps_offset` = 1): never reaches T-1 unless T div N and the offset fill it.
    Leading {
        /// The constant added to every timestep.
        steps_offset: usize,
    },
    /// round_half_even(T - i T/N) - 1, i = 0..N-1: starts at T-1 and strides T/N down (the
    /// spacing zero terminal SNR needs, Lin et al. 2024).
    Trailing,
}

impl Spacing {
    /// diffusers' name of the spacing (`linspace`, `leading`, `trailing`).
    pub fn name(self) -> &'static str {
        match self {
            Spacing::Linspace => "linspace",
            Spacing::Leading { .. } => "leading",
            Spacing::Trailing => "trailing",
        }
    }

    /// The N = `steps` timesteps of a table of T = `train_steps` entries, strictly decreasing
    /// (I33). Each is computed from the exact rationals, rounding half to even where a formula
    /// rounds. Errors: N = 0, N > T, a leading timestep beyond T-1, or (never for valid
    /// parameters, checked all the same) a grid that is not strictly decreasing.
    ///
    /// ```
    /// use elucidated::discrete::Spacing;
    ///
    /// assert_eq!(Spacing::Linspace.timesteps(1000, 4).unwrap(), [999, 666, 333, 0]);
    /// let leading = Spacing::Leading { steps_offset: 1 };
    /// assert_eq!(leading.timesteps(1000, 4).unwrap(), [751, 501, 251, 1]);
    /// assert_eq!(Spacing::Trailing.timesteps(1000, 4).unwrap(), [999, 749, 499, 249]);
    /// assert!(Spacing::Trailing.timesteps(1000, 1001).is_err());
    /// ```
    pub fn timesteps(self, train_steps: usize, steps: usize) -> Result<Vec<usize>> {
        if steps == 0 {
            return Err(Error::CountTooSmall {
                name: "steps",
                value: 0,
                min: 1,
            });
        }
        if steps > train_steps {
            return Err(Error::OutOfRange {
                name: "steps (at most train_steps)",
                value: steps as f64,
                min: 1.0,
                max: train_steps as f64,
            });
        }
        let (t, n) = (train_steps, steps);
        let grid: Vec<usize> = match self {
            Spacing::Linspace if n == 1 => vec![0],
            Spacing::Linspace => (0..n)
                .rev()
                .map(|i| round_half_even(i, t - 1, n - 1))
                .collect(),
            Spacing::Leading { steps_offset } => {
                let stride = t / n;
                let top = ((n - 1) * stride).checked_add(steps_offset);
                if top.is_none_or(|top| top >= t) {
                    return Err(Error::OutOfRange {
                        name: "largest leading timestep (n - 1) (T div n) + steps_offset",
                        value: (n - 1) as f64 * stride as f64 + steps_offset as f64,
                        min: 0.0,
                        max: (t - 1) as f64,
                    });
                }
                (0..n).rev().map(|i| i * stride + steps_offset).collect()
            }
            Spacing::Trailing => (0..n).map(|i| round_half_even(t, n - i, n) - 1).collect(),
        };
        check_strictly_decreasing(&grid)?;
        Ok(grid)
    }
}

/// round_half_even(a b / den) for den > 0 and a b / den <= usize::MAX, in 128-bit integers (no
/// overflow of the product).
fn round_half_even(a: usize, b: usize, den: usize) -> usize {
    let (num, den) = (a as u128 * b as u128, den as u128);
    let (q, r) = (num / den, num % den);
    let q = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q % 2),
    };
    // q <= max(a, b) because the other factor is at most den.
    q as usize
}

/// Errors unless `grid` is strictly decreasing (I33: no duplicates).
fn check_strictly_decreasing(grid: &[usize]) -> Result<()> {
    for (index, w) in grid.windows(2).enumerate() {
        if w[1] >= w[0] {
            return Err(Error::NotDecreasing {
                index: index + 1,
                prev: w[0] as f64,
                next: w[1] as f64,
            });
        }
    }
    Ok(())
}

/// A spacing of noise levels between a discrete table's smallest and largest finite sigma
/// (diffusers' `use_karras_sigmas`, `use_exponential_sigmas`, `use_beta_sigmas` with the
/// `linspace` timestep spacing), mapped to fractional timesteps by k-diffusion's log-sigma
/// interpolation ([`DiscreteSchedule`]'s sigma^-1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SigmaSpacing {
    /// Karras et al. (EDM, I14): (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) -
    /// sigma_max^(1/rho)))^rho, evaluated by [`crate::steps::edm_step`].
    Karras {
        /// The exponent rho (7 in EDM and diffusers).
        rho: f64,
    },
    /// Uniform in ln sigma: exp(ln sigma_max + i/(N-1) (ln sigma_min - ln sigma_max)).
    Exponential,
    /// sigma_min + F^-1(1 - i/(N-1)) (sigma_max - sigma_min), F the Beta(alpha, beta)
    /// distribution function (Lee et al. 2024, "Beta Sampling is All You Need"; diffusers' 0.6,
    /// 0.6).
    Beta {
        /// The first shape parameter alpha.
        alpha: f64,
        /// The second shape parameter beta.
        beta: f64,
    },
}

impl SigmaSpacing {
    /// Karras with EDM's rho = 7.
    pub const KARRAS: SigmaSpacing = SigmaSpacing::Karras { rho: 7.0 };
    /// Beta with diffusers' alpha = beta = 0.6.
    pub const BETA: SigmaSpacing = SigmaSpacing::Beta {
        alpha: 0.6,
        beta: 0.6,
    };

    /// N >= 2 noise levels from sigma_max (the last finite table entry) down to sigma_min (the
    /// first), strictly decreasing, both ends exact. Errors for N < 2, a non-positive or
    /// non-finite shape parameter, or levels that collide in float64.
    pub fn sigmas(self, schedule: &DiscreteSchedule, steps: usize) -> Result<Vec<f64>> {
        if steps < 2 {
            return Err(Error::CountTooSmall {
                name: "steps",
                value: steps,
                min: 2,
            });
        }
        let (lo, hi) = (schedule.sigma_at(0.0), schedule.sigma_at(schedule.t_max()));
        let last = steps - 1;
        let ramp = |i: usize| i as f64 / last as f64;
        let sigmas: Vec<f64> = match self {
            SigmaSpacing::Karras { rho } => {
                positive("rho", rho)?;
                (0..steps)
                    .map(|i| crate::steps::edm_step(lo, hi, rho, i, steps))
                    .collect()
            }
            SigmaSpacing::Exponential => {
                let (a, b) = (hi.ln(), lo.ln());
                (0..steps)
                    .map(|i| match i {
                        0 => hi,
                        i if i == last => lo,
                        i => ramp(i).mul_add(b - a, a).exp(),
                    })
                    .collect()
            }
            SigmaSpacing::Beta { alpha, beta } => {
                positive("alpha", alpha)?;
                positive("beta", beta)?;
                (0..steps)
                    .map(|i| match i {
                        0 => hi,
                        i if i == last => lo,
                        i => {
                            let q =
                                statrs::function::beta::inv_beta_reg(alpha, beta, 1.0 - ramp(i));
                            q.mul_add(hi - lo, lo)
                        }
                    })
                    .collect()
            }
        };
        for (index, w) in sigmas.windows(2).enumerate() {
            if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Less) {
                return Err(Error::NotDecreasing {
                    index: index + 1,
                    prev: w[0],
                    next: w[1],
                });
            }
        }
        Ok(sigmas)
    }

    /// The fractional timesteps t(sigma_i) of [`SigmaSpacing::sigmas`] (k-diffusion's
    /// interpolation, I33), strictly decreasing from T'-1 to 0.
    pub fn timesteps(self, schedule: &DiscreteSchedule, steps: usize) -> Result<Vec<f64>> {
        self.sigmas(schedule, steps)?
            .into_iter()
            .map(|s| schedule.sigma_inv(s))
            .collect()
    }
}
