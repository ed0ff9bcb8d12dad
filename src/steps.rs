//! Time discretisations (EDM Eq. 5 and Table 1, I14) and NVlabs's ablation combinations.
//!
//! Every discretisation gives N noise levels sigma_0 > ... > sigma_{N-1} > 0 followed by
//! sigma_N = 0. [`Discretization::native_times`] gives the paper's t_i in the discretisation's
//! own schedule; [`Discretization::times_for`] maps the noise levels to any schedule's time
//! through its sigma^-1, as NVlabs's ablation sampler does (`--disc` x `--schedule`).

use crate::dd::Dd;
use crate::error::{Error, Result, count, in_range, positive, sigma_range};
use crate::family::Family;
use crate::schedule::{Edm, IddpmTable, Schedule, Ve, Vp};

/// Largest |ln(sigma_min / sigma_max)| / rho accepted: the exponent of the EDM ratio
/// q = (sigma_min / sigma_max)^(1/rho) must stay a finite double-double (q itself may underflow
/// to 0, which the steps handle), with ample margin below f64::MAX.
const EDM_RATIO_EXPONENT_LIMIT: f64 = 1e300;

/// Largest number of steps N accepted (8 MiB of steps; the paper uses at most a few thousand).
pub const MAX_STEPS: usize = 1 << 20;

fn check_count(n: usize) -> Result<()> {
    count("N", n, 1)?;
    if n > MAX_STEPS {
        return Err(Error::CountOutOfRange {
            name: "N",
            value: n,
            min: 1,
            max: MAX_STEPS,
        });
    }
    Ok(())
}

/// Appends the final 0 and checks that the whole sequence is finite and strictly decreasing.
fn finish(mut steps: Vec<f64>) -> Result<Vec<f64>> {
    steps.push(0.0);
    for (index, w) in steps.windows(2).enumerate() {
        if !(w[0].is_finite() && w[1] < w[0]) {
            return Err(Error::NotDecreasing {
                index: index + 1,
                prev: w[0],
                next: w[1],
            });
        }
    }
    Ok(steps)
}

/// How the iDDPM discretisation picks N entries of the u-table (I14).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IddpmSelection {
    /// The paper's formula: t_i = u_{floor(j0 + (M - 1 - j0) i/(N - 1) + 1/2)}.
    Paper {
        /// Number of leading (largest) table entries skipped, j0 (default 8).
        j0: usize,
    },
    /// NVlabs's ablation sampler: keep the u_j within [sigma_min, sigma_max], then take index
    /// round((len - 1) i/(N - 1)), rounding halves to even as torch.round does.
    Nvlabs {
        /// Smallest kept noise level (default 0.002).
        sigma_min: f64,
        /// Largest kept noise level (default 81).
        sigma_max: f64,
    },
}

impl IddpmSelection {
    /// The paper's j0 = 8 (Table 1, iDDPM column).
    pub const DEFAULT_J0: usize = 8;
    /// Largest noise level kept by NVlabs's ablation sampler's iDDPM selection (its default).
    pub const NVLABS_SIGMA_MAX: f64 = 81.0;
}

/// A time discretisation of I14.
#[derive(Debug, Clone, PartialEq)]
pub enum Discretization {
    /// VP: t_i = 1 + i/(N-1) (eps_s - 1), sigma_i = sigma_VP(t_i).
    Vp {
        /// The VP schedule that maps t_i to sigma_i.
        schedule: Vp,
        /// The last time eps_s (default 1e-3).
        eps_s: f64,
    },
    /// VE: t_i = sigma_max^2 (sigma_min^2 / sigma_max^2)^(i/(N-1)), sigma_i = sqrt(t_i).
    Ve {
        /// Smallest noise level (default 0.02).
        sigma_min: f64,
        /// Largest noise level (default 100).
        sigma_max: f64,
    },
    /// iDDPM: entries of the u-table (I12).
    Iddpm {
        /// The u-table.
        table: IddpmTable,
        /// How the entries are picked.
        selection: IddpmSelection,
    },
    /// EDM: sigma_i = (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho.
    Edm {
        /// Smallest noise level (default 0.002).
        sigma_min: f64,
        /// Largest noise level (default 80).
        sigma_max: f64,
        /// Exponent rho (default 7).
        rho: f64,
    },
}

impl Discretization {
    /// VP steps from `schedule` ending at time `eps_s` in (0, 1).
    pub fn vp(schedule: Vp, eps_s: f64) -> Result<Self> {
        positive("eps_s", eps_s)?;
        in_range("eps_s", eps_s, 0.0, 1.0 - f64::EPSILON)?;
        Ok(Discretization::Vp { schedule, eps_s })
    }

    /// VE steps between `sigma_min` and `sigma_max`.
    pub fn ve(sigma_min: f64, sigma_max: f64) -> Result<Self> {
        sigma_range(sigma_min, sigma_max)?;
        Ok(Discretization::Ve {
            sigma_min,
            sigma_max,
        })
    }

    /// iDDPM steps picked from `table` by `selection`.
    pub fn iddpm(table: IddpmTable, selection: IddpmSelection) -> Result<Self> {
        match selection {
            IddpmSelection::Paper { j0 } => {
                if j0 >= table.m() - 1 {
                    return Err(Error::CountOutOfRange {
                        name: "j0",
                        value: j0,
                        min: 0,
                        max: table.m() - 2,
                    });
                }
            }
            IddpmSelection::Nvlabs {
                sigma_min,
                sigma_max,
            } => {
                sigma_range(sigma_min, sigma_max)?;
            }
        }
        Ok(Discretization::Iddpm { table, selection })
    }

    /// EDM steps between `sigma_min` and `sigma_max` with exponent `rho > 0`, large enough
    /// that the exponent ln(sigma_min / sigma_max) / rho of the step ratio is finite
    /// (|ln(sigma_min / sigma_max)| / rho <= 1e300).
    pub fn edm(sigma_min: f64, sigma_max: f64, rho: f64) -> Result<Self> {
        sigma_range(sigma_min, sigma_max)?;
        positive("rho", rho)?;
        let smallest = (sigma_max.ln() - sigma_min.ln()) / EDM_RATIO_EXPONENT_LIMIT;
        if rho < smallest {
            return Err(Error::OutOfRange {
                name: "rho",
                value: rho,
                min: smallest,
                max: f64::INFINITY,
            });
        }
        Ok(Discretization::Edm {
            sigma_min,
            sigma_max,
            rho,
        })
    }

    /// The family's discretisation with the paper's defaults (Table 1).
    pub fn paper(family: Family) -> Self {
        match family {
            Family::Vp => Discretization::Vp {
                schedule: Vp::paper(),
                eps_s: Vp::DEFAULT_EPS_S,
            },
            Family::Ve => Discretization::Ve {
                sigma_min: Ve::DEFAULT_SIGMA_MIN,
                sigma_max: Ve::DEFAULT_SIGMA_MAX,
            },
            Family::Iddpm => Discretization::Iddpm {
                table: IddpmTable::paper(),
                selection: IddpmSelection::Paper {
                    j0: IddpmSelection::DEFAULT_J0,
                },
            },
            Family::Edm => Discretization::Edm {
                sigma_min: Edm::DEFAULT_SIGMA_MIN,
                sigma_max: Edm::DEFAULT_SIGMA_MAX,
                rho: Edm::DEFAULT_RHO,
            },
        }
    }

    /// The family the discretisation belongs to.
    pub fn family(&self) -> Family {
        match self {
            Discretization::Vp { .. } => Family::Vp,
            Discretization::Ve { .. } => Family::Ve,
            Discretization::Iddpm { .. } => Family::Iddpm,
            Discretization::Edm { .. } => Family::Edm,
        }
    }

    /// The noise levels sigma_0 > ... > sigma_{N-1} > sigma_N = 0 for `1 <= n <= MAX_STEPS`
    /// steps.
    pub fn sigmas(&self, n: usize) -> Result<Vec<f64>> {
        check_count(n)?;
        let steps = match self {
            Discretization::Vp { schedule, eps_s } => (0..n)
                .map(|i| schedule.sigma_at_dd(vp_time(*eps_s, i, n)))
                .collect(),
            Discretization::Ve {
                sigma_min,
                sigma_max,
            } => (0..n)
                .map(|i| ve_step(*sigma_min, *sigma_max, i, n, 1))
                .collect(),
            Discretization::Iddpm { table, selection } => iddpm_sigmas(table, *selection, n)?,
            Discretization::Edm {
                sigma_min,
                sigma_max,
                rho,
            } => (0..n)
                .map(|i| edm_step(*sigma_min, *sigma_max, *rho, i, n))
                .collect(),
        };
        finish(steps)
    }

    /// The paper's t_i (I14) in the discretisation's own schedule, ending with t_N = 0:
    /// VP times for `Vp`, t = sigma^2 for `Ve`, t = sigma for `Iddpm` and `Edm`.
    pub fn native_times(&self, n: usize) -> Result<Vec<f64>> {
        check_count(n)?;
        match self {
            Discretization::Vp { eps_s, .. } => {
                finish((0..n).map(|i| vp_time(*eps_s, i, n).to_f64()).collect())
            }
            Discretization::Ve {
                sigma_min,
                sigma_max,
            } => {
                if !(sigma_max * sigma_max).is_finite() {
                    return Err(Error::Overflow {
                        what: "VE time sigma_max^2",
                        value: *sigma_max,
                    });
                }
                finish(
                    (0..n)
                        .map(|i| ve_step(*sigma_min, *sigma_max, i, n, 2))
                        .collect(),
                )
            }
            Discretization::Iddpm { .. } | Discretization::Edm { .. } => self.sigmas(n),
        }
    }

    /// The times at which `schedule` reaches this discretisation's noise levels,
    /// t_i = sigma^-1(sigma_i), ending with t_N = 0 (NVlabs's ablation combinations).
    pub fn times_for<S: Schedule>(&self, n: usize, schedule: &S) -> Result<Vec<f64>> {
        let sigmas = self.sigmas(n)?;
        let times = sigmas[..n]
            .iter()
            .map(|&s| schedule.sigma_inv(s))
            .collect::<Result<Vec<f64>>>()?;
        finish(times)
    }
}

/// t_i = 1 + i/(N-1) (eps_s - 1) = ((N - 1 - i) + i eps_s) / (N - 1) (I14, VP), in
/// double-double from the exact integers, so that neither i/(N-1) nor eps_s - 1 is rounded.
fn vp_time(eps_s: f64, i: usize, n: usize) -> Dd {
    if n == 1 {
        return Dd::ONE;
    }
    Dd::mul_f64s(i as f64, eps_s)
        .add_f64((n - 1 - i) as f64)
        .div_f64((n - 1) as f64)
}

/// sigma_i^p with sigma_i = sigma_max (sigma_min / sigma_max)^(i/(N-1)) (I14, VE; p = 1 for
/// sigma_i, p = 2 for t_i = sigma_i^2): exp(p ((N-1-i) ln sigma_max + i ln sigma_min) / (N-1))
/// in double-double, the endpoints exact (correctly rounded squares for p = 2).
fn ve_step(sigma_min: f64, sigma_max: f64, i: usize, n: usize, p: i32) -> f64 {
    let power = |x: f64| if p == 1 { x } else { Dd::sq(x).to_f64() };
    if i == 0 {
        return power(sigma_max);
    }
    if i + 1 == n {
        return power(sigma_min);
    }
    let lmax = Dd::from_f64(sigma_max).ln().mul_f64((n - 1 - i) as f64);
    let lmin = Dd::from_f64(sigma_min).ln().mul_f64(i as f64);
    lmax.add(lmin)
        .div_f64((n - 1) as f64)
        .ldexp(p - 1)
        .exp()
        .to_f64()
}

/// ln sigma_max and q = B / A = (sigma_min / sigma_max)^(1/rho) =
/// exp((ln sigma_min - ln sigma_max) / rho) in double-double: q lies in (0, 1] (or underflows
/// to 0), so nothing overflows whatever the range and rho.
fn edm_log_and_ratio(sigma_min: f64, sigma_max: f64, rho: f64) -> (Dd, Dd) {
    let lmax = Dd::from_f64(sigma_max).ln();
    let q = Dd::from_f64(sigma_min).ln().sub(lmax).div_f64(rho).exp();
    (lmax, q)
}

/// sigma = (A c)^rho = exp(ln sigma_max + rho ln c) for the ratio c = base / A in (0, 1], in
/// double-double, rounded once.
fn edm_power(lmax: Dd, c: Dd, rho: f64) -> f64 {
    c.ln().mul_f64(rho).add(lmax).exp().to_f64()
}

/// sigma = (sigma_max^(1/rho) + r (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho (I14, EDM) for a
/// float64 ramp value r in [0, 1], as sigma_max c^rho with c = (1 - r) + r q,
/// q = (sigma_min / sigma_max)^(1/rho); r = 0 and r = 1 give sigma_max and sigma_min exactly.
/// For the steps of a discretisation use [`edm_step`], which does not round i/(N-1).
pub fn edm_sigma(sigma_min: f64, sigma_max: f64, rho: f64, r: f64) -> f64 {
    if r == 0.0 {
        return sigma_max;
    }
    if r == 1.0 {
        return sigma_min;
    }
    let (lmax, q) = edm_log_and_ratio(sigma_min, sigma_max, rho);
    edm_power(lmax, Dd::add_f64s(1.0, -r).add(q.mul_f64(r)), rho)
}

/// The EDM step sigma_i, i = 0..N-1 (I14): (A + i/(N-1) (B - A))^rho with A = sigma_max^(1/rho),
/// B = sigma_min^(1/rho), evaluated as sigma_max c^rho with c = ((N-1-i) + i q) / (N-1) and
/// q = B / A, from the exact integers and in double-double throughout (ln, exp to about
/// 2^-95), so that the one final rounding gives at most 0.5 ULP plus a hair; i = 0 and
/// i = N-1 return sigma_max and sigma_min exactly, and no intermediate overflows. Error bound
/// proved in proofs/gappa/I14_edm_step.g and checked against the code by
/// `i14_edm_steps_within_gappa_bound` (tests/core/accuracy). Needs 0 < sigma_min < sigma_max,
/// rho > 0 and i < N (as [`Discretization::edm`] checks).
pub fn edm_step(sigma_min: f64, sigma_max: f64, rho: f64, i: usize, n: usize) -> f64 {
    if i == 0 {
        return sigma_max;
    }
    if i + 1 == n {
        return sigma_min;
    }
    let (lmax, q) = edm_log_and_ratio(sigma_min, sigma_max, rho);
    let c = q
        .mul_f64(i as f64)
        .add_f64((n - 1 - i) as f64)
        .div_f64((n - 1) as f64);
    edm_power(lmax, c, rho)
}

fn iddpm_sigmas(table: &IddpmTable, selection: IddpmSelection, n: usize) -> Result<Vec<f64>> {
    let u = table.u();
    let m = table.m();
    Ok(match selection {
        IddpmSelection::Paper { j0 } => (0..n)
            .map(|i| {
                // floor(j0 + (M - 1 - j0) i / (N - 1) + 1/2), in exact integer arithmetic.
                let den = 2 * (n.max(2) - 1);
                u[j0 + (2 * (m - 1 - j0) * i + den / 2) / den]
            })
            .collect(),
        IddpmSelection::Nvlabs {
            sigma_min,
            sigma_max,
        } => {
            let kept: Vec<f64> = u
                .iter()
                .copied()
                .filter(|&x| x >= sigma_min && x <= sigma_max)
                .collect();
            if kept.is_empty() {
                return Err(Error::InvalidSigmaRange {
                    min: sigma_min,
                    max: sigma_max,
                });
            }
            (0..n)
                .map(|i| {
                    // torch: ((len - 1) / (N - 1) * i).round(), in this order, ties to even.
                    let step = (kept.len() - 1) as f64 / (n.max(2) - 1) as f64;
                    let k = (step * i as f64).round_ties_even();
                    kept[k as usize]
                })
                .collect()
        }
    })
}
