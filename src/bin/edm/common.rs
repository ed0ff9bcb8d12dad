//! What several subcommands share: typed choices, seeds, the compute device and progress bars.

#[cfg(feature = "candle")]
use elucidated::sampler::{Churn, SamplerKind, SamplerName};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CliError;

/// Most seeds one `--seeds` list may expand to.
#[cfg(feature = "candle")]
const MAX_SEEDS: u64 = 1 << 24;

/// A progress bar of `len` steps drawn with `template` (indicatif's syntax).
pub fn progress_bar(len: usize, template: &str) -> Result<ProgressBar, CliError> {
    Ok(ProgressBar::new(len as u64).with_style(ProgressStyle::with_template(template)?))
}

/// Parses NVlabs's seed syntax, `0-63` or `1,5,7-9` (ranges inclusive), as a clap value parser.
#[cfg(feature = "candle")]
pub fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let mut seeds = Vec::new();
    for part in text.split(',').map(str::trim) {
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{s}` is not a seed (0 to 2^64 - 1)"))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b || b - a >= MAX_SEEDS {
                    return Err(format!("`{part}`: need a <= b and at most 2^24 seeds"));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(num(part)?),
        }
        if seeds.len() as u64 > MAX_SEEDS {
            return Err("more than 2^24 seeds".to_owned());
        }
    }
    Ok(Seeds(seeds))
}

/// The seeds of a `--seeds` list, in the order given.
#[cfg(feature = "candle")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// A compute device on the command line.
#[cfg(feature = "candle")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceName {
    /// The CPU.
    Cpu,
    /// The first CUDA GPU (a build with `--features cuda`).
    Cuda,
}

/// The device `name`.
#[cfg(feature = "candle")]
pub fn device(name: DeviceName) -> Result<candle_core::Device, elucidated::Error> {
    use elucidated::Error;
    match name {
        DeviceName::Cpu => Ok(candle_core::Device::Cpu),
        #[cfg(feature = "cuda")]
        DeviceName::Cuda => {
            candle_core::Device::new_cuda(0).map_err(|e| Error::DeviceUnavailable {
                device: "cuda".to_owned(),
                reason: e.to_string(),
            })
        }
        #[cfg(not(feature = "cuda"))]
        DeviceName::Cuda => Err(Error::DeviceUnavailable {
            device: "cuda".to_owned(),
            reason: "this build has no CUDA support; rebuild with `--features cuda`".to_owned(),
        }),
    }
}

/// The sampler `name` with Algorithm 2's `churn` (S_churn, S_tmin, S_tmax, S_noise) or DDIM's
/// `eta` when given; either given to a sampler that does not use it is a usage error.
#[cfg(feature = "candle")]
pub fn sampler_kind(
    name: SamplerName,
    churn: Option<&[f64]>,
    eta: Option<f64>,
) -> Result<SamplerKind, CliError> {
    if churn.is_some() && name != SamplerName::Stochastic {
        return Err(CliError::Usage(format!(
            "--churn applies to --sampler stochastic only, not {name}"
        )));
    }
    if eta.is_some() && name != SamplerName::Ddim {
        return Err(CliError::Usage(format!(
            "--eta applies to --sampler ddim only, not {name} (ancestral is DDIM at eta = 1)"
        )));
    }
    Ok(match (churn, eta) {
        (Some(&[s_churn, s_tmin, s_tmax, s_noise]), _) => {
            SamplerKind::Stochastic(Churn::new(s_churn, s_tmin, s_tmax, s_noise)?)
        }
        (Some(other), _) => {
            return Err(CliError::Usage(format!(
                "--churn needs 4 values (S_churn,S_tmin,S_tmax,S_noise), got {}",
                other.len()
            )));
        }
        (None, Some(eta)) => SamplerKind::Ddim { eta },
        (None, None) => name.kind()?,
    })
}
