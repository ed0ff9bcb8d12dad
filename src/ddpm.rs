//! Discrete DDPM beta schedules (Ho et al. 2020; Nichol & Dhariwal 2021), alpha-bar and the link
//! to the VP noise level (I15).

use crate::dd::Dd;
use crate::error::{Error, Result, finite, in_range, positive};

/// A discrete schedule beta_1, ..., beta_T in (0, 1) (I15).
#[derive(Debug, Clone, PartialEq)]
pub struct BetaSchedule {
    betas: Vec<f64>,
}

impl BetaSchedule {
    /// Default number of steps T = 1000.
    pub const DEFAULT_T: usize = 1000;
    /// Default beta_1 = 1e-4 of the linear schedule.
    pub const DEFAULT_BETA_1: f64 = 1e-4;
    /// Default beta_T = 0.02 of the linear schedule.
    pub const DEFAULT_BETA_T: f64 = 0.02;
    /// Default offset s = 0.008 of the cosine schedule.
    pub const DEFAULT_COSINE_S: f64 = 0.008;
    /// Clipping of cosine betas, 0.999.
    pub const COSINE_MAX_BETA: f64 = 0.999;

    /// Any betas, each in (0, 1).
    pub fn from_betas(betas: Vec<f64>) -> Result<Self> {
        if betas.is_empty() {
            return Err(Error::CountTooSmall {
                name: "T",
                value: 0,
                min: 1,
            });
        }
        for &b in &betas {
            positive("beta", b)?;
            in_range("beta", b, 0.0, 1.0 - f64::EPSILON / 2.0)?;
        }
        Ok(BetaSchedule { betas })
    }

    /// Linear: beta_t = beta_1 + (t - 1)/(T - 1) (beta_T - beta_1), t = 1..T (I15).
    pub fn linear(beta_1: f64, beta_t: f64, t: usize) -> Result<Self> {
        finite("beta_1", beta_1)?;
        finite("beta_T", beta_t)?;
        if t < 2 {
            return Err(Error::CountTooSmall {
                name: "T",
                value: t,
                min: 2,
            });
        }
        let span = (t - 1) as f64;
        Self::from_betas(
            (0..t)
                .map(|k| (k as f64 / span).mul_add(beta_t - beta_1, beta_1))
                .collect(),
        )
    }

    /// Cosine (Nichol & Dhariwal): abar_t = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2),
    /// beta_t = min(1 - abar_t/abar_{t-1}, 0.999) (I15).
    ///
    /// With u = pi / (2 T (1 + s)) the angles are a = pi/2 - (T - t + 1) u and b = a + u, so
    /// that 1 - cos^2 b / cos^2 a = sin(b - a) sin(b + a) / cos^2 a
    /// = sin(u) sin(m u) / sin^2((T - t + 1) u), m = min(2T - 2t + 1, 2Ts + 2t - 1) (the sine of
    /// b + a read from whichever side of pi/2 keeps its argument at most pi/2). Every argument is
    /// formed in double-double from exact integers, without the cancellation of cos near pi/2,
    /// so that each beta is correctly rounded but for about 2^-95 relative.
    pub fn cosine(s: f64, t: usize) -> Result<Self> {
        finite("s", s)?;
        if s < 0.0 {
            return Err(Error::Negative {
                name: "s",
                value: s,
            });
        }
        if t < 1 {
            return Err(Error::CountTooSmall {
                name: "T",
                value: t,
                min: 1,
            });
        }
        let big_t = t as f64;
        let u = Dd::FRAC_PI_2.div(Dd::add_f64s(1.0, s).mul_f64(big_t));
        let sin_u = u.sin();
        Self::from_betas(
            (1..=t)
                .map(|k| {
                    let rest = (t - k + 1) as f64;
                    let below = u.mul_f64(2.0 * rest - 1.0);
                    let above = Dd::from_f64(s)
                        .mul_f64(2.0 * big_t)
                        .add_f64((2 * k - 1) as f64)
                        .mul(u);
                    let m = if below.lt_f64(above.hi) { below } else { above };
                    let c = u.mul_f64(rest).sin();
                    let beta = sin_u.mul(m.sin()).div(c.mul(c)).to_f64();
                    beta.min(Self::COSINE_MAX_BETA)
                })
                .collect(),
        )
    }

    /// beta_1, ..., beta_T.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// T.
    pub fn len(&self) -> usize {
        self.betas.len()
    }

    /// Always false: a schedule has at least one step.
    pub fn is_empty(&self) -> bool {
        self.betas.is_empty()
    }

    /// ln abar_t = sum_{k <= t} ln(1 - beta_k), t = 1..T, each term by ln_1p.
    pub fn ln_alpha_bars(&self) -> Vec<f64> {
        self.betas
            .iter()
            .scan(0.0, |acc, b| {
                *acc += (-b).ln_1p();
                Some(*acc)
            })
            .collect()
    }

    /// abar_t = prod_{k <= t} (1 - beta_k), t = 1..T (I15).
    pub fn alpha_bars(&self) -> Vec<f64> {
        self.ln_alpha_bars().into_iter().map(f64::exp).collect()
    }

    /// The VP noise levels sigma_t = sqrt((1 - abar_t)/abar_t) = sqrt(exp(-ln abar_t) - 1)
    /// (I10's DDPM link), by expm1 so that small t keep every digit.
    pub fn sigmas(&self) -> Vec<f64> {
        self.ln_alpha_bars()
            .into_iter()
            .map(|l| (-l).exp_m1().sqrt())
            .collect()
    }
}
