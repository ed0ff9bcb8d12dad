//! Prediction types of discrete (and VP) models: eps, v and x0 (sample) prediction, and the
//! exact conversions between each and the denoiser D (I32).

use crate::dd::recip_hypot_1;
use crate::error::{Error, Result};
use crate::state::State;

/// The coefficients of the VP-scaled state x = a y + b n at one noise level sigma in [0, inf]:
/// a = sqrt(abar) = 1/sqrt(1 + sigma^2) and b = sqrt(1 - abar) = sigma/sqrt(1 + sigma^2)
/// (abar = 1/(1 + sigma^2), I32). At sigma = inf (zero terminal SNR, I34) a = 0 and b = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpLevel {
    /// The noise level sigma of the unscaled state (inf at abar = 0).
    pub sigma: f64,
    /// a = sqrt(abar), the signal coefficient (and the scale s).
    pub signal: f64,
    /// b = sqrt(1 - abar), the noise coefficient.
    pub noise: f64,
}

impl VpLevel {
    /// The coefficients at noise level `sigma` >= 0 (inf allowed), each correctly rounded but
    /// for about 2^-100 relative. Errors for NaN or a negative sigma.
    pub fn from_sigma(sigma: f64) -> Result<Self> {
        if sigma.is_nan() || sigma < 0.0 {
            return Err(Error::Negative {
                name: "sigma",
                value: sigma,
            });
        }
        if sigma.is_infinite() {
            return Ok(VpLevel {
                sigma,
                signal: 0.0,
                noise: 1.0,
            });
        }
        let signal = recip_hypot_1(sigma);
        let noise = if sigma > 1.0 {
            recip_hypot_1(sigma.recip())
        } else {
            sigma * signal
        };
        Ok(VpLevel {
            sigma,
            signal,
            noise,
        })
    }
}

/// What a model predicts from the VP-scaled state x = a y + b n (I32; diffusers'
/// `prediction_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prediction {
    /// The noise n (`epsilon`): D = (x - b eps)/a, undefined at a = 0.
    Epsilon,
    /// The velocity v = a n - b y (`v_prediction`, Salimans & Ho 2022): D = a x - b v, finite
    /// at every noise level, D = -v at sigma = inf.
    V,
    /// The clean data y itself (`sample`): D = x0.
    Sample,
}

impl Prediction {
    /// diffusers' name of the prediction type.
    pub fn name(self) -> &'static str {
        match self {
            Prediction::Epsilon => "epsilon",
            Prediction::V => "v_prediction",
            Prediction::Sample => "sample",
        }
    }

    /// The prediction type of diffusers' name (`epsilon`, `v_prediction`, `sample`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "epsilon" => Ok(Prediction::Epsilon),
            "v_prediction" => Ok(Prediction::V),
            "sample" => Ok(Prediction::Sample),
            _ => Err(Error::UnknownName {
                what: "prediction type",
                name: name.to_string(),
            }),
        }
    }

    /// The denoiser D from a model's `output` at the VP-scaled state `x` (I32):
    /// eps: D = x/a - sigma eps; v: D = a x - b v; sample: D = output.
    ///
    /// An eps-prediction at sigma = inf (a = 0) carries no information about y (I34): a typed
    /// error, never inf or NaN.
    pub fn denoised<S: State>(self, x: &S, level: VpLevel, output: &S) -> Result<S> {
        match self {
            Prediction::Epsilon => {
                if level.signal == 0.0 {
                    return Err(eps_at_zero_snr());
                }
                x.lin_comb(level.signal.recip(), output, -level.sigma)
            }
            Prediction::V => x.lin_comb(level.signal, output, -level.noise),
            Prediction::Sample => output.scale(1.0),
        }
    }

    /// The model output that gives the denoiser `denoised` at the VP-scaled state `x`, the
    /// inverse of [`Prediction::denoised`] (I32): eps = (x - a D)/b, v = (a x - D)/b, sample = D.
    /// eps and v are undefined at sigma = 0 (b = 0): a typed error.
    pub fn from_denoised<S: State>(self, x: &S, level: VpLevel, denoised: &S) -> Result<S> {
        if self != Prediction::Sample && level.noise == 0.0 {
            return Err(Error::NotPositive {
                name: "sigma (eps and v are undefined on clean data)",
                value: level.sigma,
            });
        }
        let inv = level.noise.recip();
        match self {
            Prediction::Epsilon => x.lin_comb(inv, denoised, -level.signal * inv),
            Prediction::V => x.lin_comb(level.signal * inv, denoised, -inv),
            Prediction::Sample => denoised.scale(1.0),
        }
    }

    /// The training target for clean data `y` and noise `n` at `level` (x = a y + b n, I32):
    /// eps = n, v = a n - b y, sample = y.
    pub fn target<S: State>(self, y: &S, n: &S, level: VpLevel) -> Result<S> {
        match self {
            Prediction::Epsilon => n.scale(1.0),
            Prediction::V => n.lin_comb(level.signal, y, -level.noise),
            Prediction::Sample => y.scale(1.0),
        }
    }
}

/// The error of an eps-prediction at abar = 0 (I34).
fn eps_at_zero_snr() -> Error {
    Error::NotFinite {
        name: "sigma (an eps-prediction carries no information about y at abar = 0)",
        value: f64::INFINITY,
    }
}
