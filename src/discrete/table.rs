//! Discrete noise tables: alpha-bar_i = prod_{j <= i} (1 - beta_j), i = 0..T-1, and the VP noise
//! levels and scales they define (I33).

use super::VpLevel;
use crate::dd::Dd;
use crate::ddpm::BetaSchedule;
use crate::error::{Error, Result, finite};

/// A discrete diffusion table of T >= 2 entries: the cumulative products alpha-bar_i (diffusers'
/// `alphas_cumprod`), strictly decreasing, with the noise level sigma_i = sqrt((1 - abar_i)/abar_i)
/// and the scale s_i = sqrt(abar_i) of each entry (I33).
///
/// Every entry is computed in double-double from the betas or the given alpha-bars and rounded
/// once: ln abar_i = sum_{j <= i} ln(1 - beta_j) term by term (ln_1p), 1 - abar_i = -expm1(ln
/// abar_i), so that sigma_i and s_i are correctly rounded but for about 2^-100 relative (measured
/// against mpmath by `i33_table_sigmas_and_scales_match_mpmath`). The last entry may have abar = 0 (zero
/// terminal SNR, I34): there sigma = inf and s = 0; every other entry has 0 < abar < 1.
///
/// ```
/// use elucidated::discrete::DiscreteTable;
///
/// let sd = DiscreteTable::scaled_linear(0.00085, 0.012, 1000).unwrap();
/// assert_eq!(sd.len(), 1000);
/// assert!(sd.sigmas()[0] < 0.03 && sd.sigmas()[999] > 14.0);
/// let zsnr = sd.zero_terminal_snr().unwrap();
/// assert_eq!(zsnr.sigmas()[999], f64::INFINITY);
/// assert_eq!(zsnr.alphas_cumprod()[0], sd.alphas_cumprod()[0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteTable {
    /// alpha-bar_i.
    abar: Vec<Dd>,
    /// 1 - alpha-bar_i.
    complement: Vec<Dd>,
    /// sigma_i, rounded once.
    sigma: Vec<f64>,
    /// s_i = sqrt(alpha-bar_i), rounded once.
    scale: Vec<f64>,
}

impl DiscreteTable {
    /// diffusers' default number of training steps, T = 1000.
    pub const DEFAULT_TRAIN_STEPS: usize = 1000;
    /// diffusers' default `beta_start` of the `linear` table (DDPM).
    pub const LINEAR_BETA_START: f64 = 1e-4;
    /// diffusers' default `beta_end` of the `linear` table (DDPM).
    pub const LINEAR_BETA_END: f64 = 0.02;
    /// Stable Diffusion's `beta_start` of the `scaled_linear` table.
    pub const SCALED_LINEAR_BETA_START: f64 = 0.00085;
    /// Stable Diffusion's `beta_end` of the `scaled_linear` table.
    pub const SCALED_LINEAR_BETA_END: f64 = 0.012;

    /// The table of any betas beta_0..beta_{T-1}: T >= 2, each finite in (0, 1), except the last,
    /// which may be 1 (abar_{T-1} = 0, zero terminal SNR). Betas below [`MIN_BETA`] and products
    /// below [`MIN_ALPHA_BAR`] are rejected.
    pub fn from_betas(betas: &[f64]) -> Result<Self> {
        check_count(betas.len())?;
        let last = betas.len() - 1;
        for (i, &b) in betas.iter().enumerate() {
            finite("beta", b)?;
            let max = if i == last {
                1.0
            } else {
                1.0 - f64::EPSILON / 2.0
            };
            if !(MIN_BETA..=max).contains(&b) {
                return Err(Error::OutOfRange {
                    name: "beta",
                    value: b,
                    min: MIN_BETA,
                    max,
                });
            }
        }
        let mut ln_abar = Dd::from_f64(0.0);
        let mut entries = Vec::with_capacity(betas.len());
        for &b in betas {
            if b == 1.0 {
                entries.push((Dd::from_f64(0.0), Dd::ONE));
                continue;
            }
            ln_abar = ln_abar.add(Dd::from_f64(-b).ln_1p());
            entries.push((ln_abar.exp(), ln_abar.exp_m1().neg()));
        }
        Self::from_entries(entries)
    }

    /// The table of given alpha-bars (diffusers' `alphas_cumprod`): T >= 2, finite, below 1,
    /// strictly decreasing, and at least [`MIN_ALPHA_BAR`] except the last, which may be 0 (zero
    /// terminal SNR). 1 - abar is exact for each given float64 abar.
    pub fn from_alphas_cumprod(alphas_cumprod: &[f64]) -> Result<Self> {
        check_count(alphas_cumprod.len())?;
        let last = alphas_cumprod.len() - 1;
        for (i, &a) in alphas_cumprod.iter().enumerate() {
            finite("alphas_cumprod", a)?;
            let min = if i == last { 0.0 } else { MIN_ALPHA_BAR };
            if !(min..1.0).contains(&a) {
                return Err(Error::OutOfRange {
                    name: "alphas_cumprod",
                    value: a,
                    min,
                    max: 1.0 - f64::EPSILON / 2.0,
                });
            }
        }
        for (index, w) in alphas_cumprod.windows(2).enumerate() {
            if w[1] >= w[0] {
                return Err(Error::NotDecreasing {
                    index: index + 1,
                    prev: w[0],
                    next: w[1],
                });
            }
        }
        let entries = alphas_cumprod
            .iter()
            .map(|&a| (Dd::from_f64(a), Dd::add_f64s(1.0, -a)))
            .collect();
        Self::from_entries(entries)
    }

    /// `linear` (DDPM; diffusers' default): beta_i = beta_start + i/(T-1) (beta_end - beta_start),
    /// evaluated as [`BetaSchedule::linear`] does.
    pub fn linear(beta_start: f64, beta_end: f64, train_steps: usize) -> Result<Self> {
        let betas = BetaSchedule::linear(beta_start, beta_end, train_steps)?;
        Self::from_betas(betas.betas())
    }

    /// `scaled_linear` (Stable Diffusion): linear in sqrt(beta),
    /// beta_i = (sqrt(beta_start) + i/(T-1) (sqrt(beta_end) - sqrt(beta_start)))^2 (I33).
    pub fn scaled_linear(beta_start: f64, beta_end: f64, train_steps: usize) -> Result<Self> {
        for (name, b) in [("beta_start", beta_start), ("beta_end", beta_end)] {
            crate::error::in_range(name, b, 0.0, 1.0)?;
        }
        check_count(train_steps)?;
        let (a, b) = (beta_start.sqrt(), beta_end.sqrt());
        let span = (train_steps - 1) as f64;
        let betas: Vec<f64> = (0..train_steps)
            .map(|i| (i as f64 / span).mul_add(b - a, a).powi(2))
            .collect();
        Self::from_betas(&betas)
    }

    /// `squaredcos_cap_v2` (the iDDPM cosine of Nichol & Dhariwal): beta_i = min(1 - f(i+1)/f(i),
    /// 0.999), f(u) = cos^2((u/T + 0.008)/1.008 pi/2) (I33), evaluated as [`BetaSchedule::cosine`]
    /// does.
    pub fn squaredcos_cap_v2(train_steps: usize) -> Result<Self> {
        check_count(train_steps)?;
        let betas = BetaSchedule::cosine(BetaSchedule::DEFAULT_COSINE_S, train_steps)?;
        Self::from_betas(betas.betas())
    }

    /// The table rescaled to zero terminal SNR (Lin et al. 2024, Algorithm 1; I34): with
    /// r_i = sqrt(abar_i), r'_i = (r_i - r_{T-1}) r_0 / (r_0 - r_{T-1}) and abar'_i = r'_i^2, so
    /// that abar'_0 = abar_0 (kept exactly) and abar'_{T-1} = 0 (sigma = inf).
    ///
    /// 1 - abar'_i = (1 - r'_i)(1 + r'_i) is formed from
    /// 1 - r'_i = (r_0 (1 - r_i) - r_{T-1} (1 - r_0)) / (r_0 - r_{T-1}), 1 - r_i = (1 - abar_i)/(1 + r_i),
    /// which has no cancellation, so that small sigma'_i keep their digits. A table that already
    /// ends at abar = 0 is returned unchanged.
    pub fn zero_terminal_snr(&self) -> Result<Self> {
        if self.is_zero_terminal_snr() {
            return Ok(self.clone());
        }
        let last = self.len() - 1;
        let root = |i: usize| self.abar[i].sqrt();
        let (r0, rl) = (root(0), root(last));
        let one_minus = |i: usize| self.complement[i].div(root(i).add_f64(1.0));
        let (d0, span) = (one_minus(0), r0.sub(rl));
        let mut entries = Vec::with_capacity(self.len());
        entries.push((self.abar[0], self.complement[0]));
        for i in 1..last {
            let r = root(i).sub(rl).mul(r0).div(span);
            let gap = r0.mul(one_minus(i)).sub(rl.mul(d0)).div(span);
            entries.push((r.mul(r), gap.mul(r.add_f64(1.0))));
        }
        entries.push((Dd::from_f64(0.0), Dd::ONE));
        Self::from_entries(entries)
    }

    /// The table from (abar_i, 1 - abar_i), computing sigma_i and s_i, checked: abar_i >=
    /// [`MIN_ALPHA_BAR`] but for a last abar = 0, and sigma_i strictly increasing in float64.
    fn from_entries(entries: Vec<(Dd, Dd)>) -> Result<Self> {
        let last = entries.len() - 1;
        if entries[last].0.hi == 0.0 && entries.len() < 3 {
            return Err(Error::CountTooSmall {
                name: "entries with abar > 0",
                value: last,
                min: 2,
            });
        }
        for (i, &(a, _)) in entries.iter().enumerate() {
            let a = a.to_f64();
            if a < MIN_ALPHA_BAR && !(i == last && a == 0.0) {
                return Err(Error::OutOfRange {
                    name: "alphas_cumprod",
                    value: a,
                    min: MIN_ALPHA_BAR,
                    max: 1.0,
                });
            }
        }
        let sigma: Vec<f64> = entries.iter().map(|&(a, c)| sigma_of(a, c)).collect();
        for (index, w) in sigma.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(Error::InvalidSchedule {
                    t: (index + 1) as f64,
                    reason: "table sigmas are not strictly increasing in float64",
                });
            }
        }
        let scale = entries
            .iter()
            .map(|&(a, _)| if a.hi == 0.0 { 0.0 } else { a.sqrt().to_f64() })
            .collect();
        let (abar, complement) = entries.into_iter().unzip();
        Ok(DiscreteTable {
            abar,
            complement,
            sigma,
            scale,
        })
    }

    /// T, the number of entries.
    pub fn len(&self) -> usize {
        self.sigma.len()
    }

    /// Always false: a table has at least two entries.
    pub fn is_empty(&self) -> bool {
        self.sigma.is_empty()
    }

    /// alpha-bar_i, each rounded once.
    pub fn alphas_cumprod(&self) -> Vec<f64> {
        self.abar.iter().map(|a| a.to_f64()).collect()
    }

    /// The betas beta_i = 1 - abar_i/abar_{i-1} = (c_i - c_{i-1})/abar_{i-1} with c = 1 - abar
    /// (beta_0 = c_0), from the double-double entries, so that a table built from betas returns
    /// them (a zero-terminal-SNR table ends with beta = 1).
    pub fn betas(&self) -> Vec<f64> {
        std::iter::once(self.complement[0].to_f64())
            .chain((1..self.len()).map(|i| {
                self.complement[i]
                    .sub(self.complement[i - 1])
                    .div(self.abar[i - 1])
                    .to_f64()
            }))
            .collect()
    }

    /// 1 - alpha-bar_i, each rounded once (accurate also where abar_i is near 1).
    pub fn one_minus_alphas_cumprod(&self) -> Vec<f64> {
        self.complement.iter().map(|c| c.to_f64()).collect()
    }

    /// The noise levels sigma_i = sqrt((1 - abar_i)/abar_i) (I33), strictly increasing; the
    /// last is inf where abar_{T-1} = 0.
    pub fn sigmas(&self) -> &[f64] {
        &self.sigma
    }

    /// The scales s_i = sqrt(abar_i) = 1/sqrt(1 + sigma_i^2) (I33), strictly decreasing.
    pub fn scales(&self) -> &[f64] {
        &self.scale
    }

    /// The coefficients of entry `k` (k < T): sigma_k, a = s_k = sqrt(abar_k) and
    /// b = sqrt(1 - abar_k), each rounded once from the double-double entry (I32). `None` past
    /// the table.
    pub fn level(&self, k: usize) -> Option<VpLevel> {
        let complement = self.complement.get(k)?;
        Some(VpLevel {
            sigma: self.sigma[k],
            signal: self.scale[k],
            noise: complement.sqrt().to_f64(),
        })
    }

    /// Whether the last entry has abar = 0 (sigma = inf): a zero-terminal-SNR table (I34).
    pub fn is_zero_terminal_snr(&self) -> bool {
        self.abar[self.len() - 1].hi == 0.0
    }
}

/// The smallest alpha-bar of an entry other than a zero terminal one, 2^-500: it keeps sigma
/// below 2^250 and every double-double operation far inside the normal range.
pub const MIN_ALPHA_BAR: f64 = 3.054936363499605e-151;

/// The smallest beta accepted, 2^-500 (see [`MIN_ALPHA_BAR`]): 1 - abar_0 = beta_0 stays normal
/// in double-double.
pub const MIN_BETA: f64 = MIN_ALPHA_BAR;

/// sigma = sqrt(c / a) in double-double, rounded once; inf at a = 0.
fn sigma_of(a: Dd, c: Dd) -> f64 {
    if a.hi == 0.0 {
        f64::INFINITY
    } else {
        c.div(a).sqrt().to_f64()
    }
}

/// A table needs T >= 2 entries (a time axis with at least one interval).
fn check_count(t: usize) -> Result<()> {
    if t < 2 {
        return Err(Error::CountTooSmall {
            name: "train_steps",
            value: t,
            min: 2,
        });
    }
    Ok(())
}
