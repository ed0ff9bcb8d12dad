//! Conversions between the denoiser D, the noise prediction eps and the score, and the DDPM
//! mean (I27, I06).
//!
//! Notation: x_t = s (y + sigma eps) is the scaled state at noise level sigma and scale s, and
//! x_t / s its unscaled form, the denoiser's input (I01). For DDPM, s = sqrt(abar_t) and
//! s sigma = sqrt(1 - abar_t) (I10). Each function is affine in the prediction it converts, so
//! guidance weights (I29) carry over between the three forms.

use crate::error::{Result, in_range, positive};
use crate::state::State;

fn level(scale: f64, sigma: f64) -> Result<()> {
    positive("s", scale)?;
    positive("sigma", sigma).map(|_| ())
}

/// eps = (x_t/s - D(x_t/s; sigma)) / sigma, from the unscaled state `x` = x_t/s (I27).
pub fn eps_from_denoised<S: State>(x: &S, denoised: &S, sigma: f64) -> Result<S> {
    positive("sigma", sigma)?;
    let r = sigma.recip();
    x.lin_comb(r, denoised, -r)
}

/// D = x_t/s - sigma eps, from the unscaled state `x` = x_t/s (I27).
pub fn denoised_from_eps<S: State>(x: &S, eps: &S, sigma: f64) -> Result<S> {
    positive("sigma", sigma)?;
    x.lin_comb(1.0, eps, -sigma)
}

/// The score of p_t at the scaled state `x_t`: grad log p_t(x_t) = (D(x_t/s; sigma) - x_t/s) /
/// (s sigma^2) (I06, I27).
pub fn score_from_denoised<S: State>(x_t: &S, denoised: &S, scale: f64, sigma: f64) -> Result<S> {
    level(scale, sigma)?;
    let k = (scale * sigma * sigma).recip();
    denoised.lin_comb(k, x_t, -k / scale)
}

/// D(x_t/s; sigma) = x_t/s + s sigma^2 grad log p_t(x_t) (I06, I27).
pub fn denoised_from_score<S: State>(x_t: &S, score: &S, scale: f64, sigma: f64) -> Result<S> {
    level(scale, sigma)?;
    x_t.lin_comb(scale.recip(), score, scale * sigma * sigma)
}

/// grad log p_t = -eps / (s sigma), which for DDPM is -eps / sqrt(1 - abar_t) (I27).
pub fn score_from_eps<S: State>(eps: &S, scale: f64, sigma: f64) -> Result<S> {
    level(scale, sigma)?;
    eps.scale(-(scale * sigma).recip())
}

/// eps = -s sigma grad log p_t (I27).
pub fn eps_from_score<S: State>(score: &S, scale: f64, sigma: f64) -> Result<S> {
    level(scale, sigma)?;
    score.scale(-scale * sigma)
}

/// The DDPM mean mu_theta = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t), alpha_t =
/// 1 - beta_t (Ho et al. Eq. 11; I27), at step t given by `beta` in (0, 1) and the VP noise level
/// `sigma` = sqrt((1 - abar_t)/abar_t) > 0 (as [`crate::ddpm::BetaSchedule::sigmas`] gives it),
/// from which sqrt(1 - abar_t) = sigma / sqrt(1 + sigma^2) is formed without cancellation.
pub fn ddpm_mean<S: State>(x_t: &S, eps: &S, beta: f64, sigma: f64) -> Result<S> {
    positive("beta", beta)?;
    in_range("beta", beta, 0.0, 1.0 - f64::EPSILON / 2.0)?;
    positive("sigma", sigma)?;
    let inv_sqrt_alpha = (1.0 - beta).sqrt().recip();
    let sqrt_one_minus_abar = sigma / sigma.hypot(1.0);
    x_t.lin_comb(
        inv_sqrt_alpha,
        eps,
        -beta / sqrt_one_minus_abar * inv_sqrt_alpha,
    )
}
