//! DDIM in timestep form (Song et al. 2021, Eq. 12, as diffusers' `DDIMScheduler.step` writes
//! it) over a discrete table, starting at sigma = inf where the table has zero terminal SNR
//! (I34).

use super::{DiscreteDenoiser, DiscreteModel, DiscreteTable, VpLevel};
use crate::error::{Error, Result, in_range};
use crate::noise::NoiseStream;
use crate::state::State;

/// Where DDIM's last step lands (diffusers' `set_alpha_to_one`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinalStep {
    /// abar = 1: sigma = 0, the data (`set_alpha_to_one = True`).
    AlphaOne,
    /// abar = abar_0: the table's first noise level (`set_alpha_to_one = False`, Stable
    /// Diffusion). A grid that already ends at timestep 0 then ends with a step that leaves the
    /// state unchanged (it costs one evaluation, as in diffusers).
    FirstEntry,
}

/// DDIM over the integer timesteps t_0 > ... > t_{N-1} of a [`DiscreteTable`] in the VP-scaled
/// state x = a y + b n (I32): with D the denoiser at t_i, eps = (x - a D)/b,
/// std = eta (b'/b) sqrt(1 - abar/abar') and
/// x' = a' D + sqrt(b'^2 - std^2) eps + std z,
/// (a', b') the next timestep's coefficients or those of the [`FinalStep`].
///
/// This is the crate's [`crate::sampler::Ddim`] on the same noise levels written in timestep
/// form: s' sigma_up of the ancestral split (I36) equals diffusers' std, so that both give the
/// same samples from the same latents and noise streams. Unlike a [`crate::sampler::SigmaGrid`]
/// it starts at sigma = inf (a zero-terminal-SNR table's last timestep, I34), where the state is
/// pure noise, x_0 = latent, and a v-prediction gives D = -v.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteDdim {
    /// The coefficients at t_0, ..., t_{N-1} and the final level.
    levels: Vec<VpLevel>,
    /// (abar, 1 - abar) at the same points, for 1 - abar/abar' = (abar' - abar)/abar'.
    abar: Vec<(f64, f64)>,
    eta: f64,
}

impl DiscreteDdim {
    /// DDIM over `timesteps` (strictly decreasing, each < T) of `table`, with `eta` in [0, 1].
    pub fn new(
        table: &DiscreteTable,
        timesteps: &[usize],
        eta: f64,
        last: FinalStep,
    ) -> Result<Self> {
        in_range("eta", eta, 0.0, 1.0)?;
        if timesteps.is_empty() {
            return Err(Error::CountTooSmall {
                name: "timesteps",
                value: 0,
                min: 1,
            });
        }
        for (index, w) in timesteps.windows(2).enumerate() {
            if w[1] >= w[0] {
                return Err(Error::NotDecreasing {
                    index: index + 1,
                    prev: w[0] as f64,
                    next: w[1] as f64,
                });
            }
        }
        let pairs: Vec<(f64, f64)> = table
            .alphas_cumprod()
            .into_iter()
            .zip(table.one_minus_alphas_cumprod())
            .collect();
        let mut levels = Vec::with_capacity(timesteps.len() + 1);
        let mut abar = Vec::with_capacity(timesteps.len() + 1);
        for &t in timesteps {
            let level = table.level(t).ok_or(Error::OutOfRange {
                name: "timestep",
                value: t as f64,
                min: 0.0,
                max: (table.len() - 1) as f64,
            })?;
            levels.push(level);
            abar.push(pairs[t]);
        }
        match last {
            FinalStep::AlphaOne => {
                levels.push(VpLevel::from_sigma(0.0)?);
                abar.push((1.0, 0.0));
            }
            FinalStep::FirstEntry => {
                levels.extend(table.level(0));
                abar.push(pairs[0]);
            }
        }
        Ok(DiscreteDdim { levels, abar, eta })
    }

    /// The number of steps N (one denoiser evaluation each).
    pub fn steps(&self) -> usize {
        self.levels.len() - 1
    }

    /// The noise standard deviation of step i in x units, eta (b'/b) sqrt(1 - abar/abar'), with
    /// abar' - abar formed from whichever of abar and 1 - abar is the smaller at the next level
    /// (a difference of two float64s that keeps its relative accuracy: Sterbenz where they are
    /// close).
    fn noise_std(&self, i: usize) -> f64 {
        let (from, to) = (self.levels[i], self.levels[i + 1]);
        if self.eta == 0.0 || to.signal == 0.0 {
            return 0.0;
        }
        let ((a, c), (a_next, c_next)) = (self.abar[i], self.abar[i + 1]);
        let gap = if a_next <= 0.5 {
            a_next - a
        } else {
            c - c_next
        };
        self.eta * (to.noise / from.noise) * (gap.max(0.0) / a_next).sqrt()
    }

    /// Runs from the standard normal `latent`: x_0 = b_0 latent (the latent itself at
    /// sigma = inf), then the N steps, each drawing its fresh noise (where std > 0) from
    /// `streams`, one stream per sample as every sampler of the crate does. Returns x_N.
    pub fn sample<S: State, M: DiscreteModel<S>>(
        &self,
        model: &DiscreteDenoiser<M>,
        latent: &S,
        streams: &mut [NoiseStream],
    ) -> Result<S> {
        let mut x = latent.scale(self.levels[0].noise)?;
        for i in 0..self.steps() {
            let (from, to) = (self.levels[i], self.levels[i + 1]);
            let denoised = model.denoise_scaled(&x, from.sigma)?;
            let eps = x.lin_comb(from.noise.recip(), &denoised, -from.signal / from.noise)?;
            let std = self.noise_std(i);
            let direction = (to.noise * to.noise - std * std).max(0.0).sqrt();
            let mut next = denoised.lin_comb(to.signal, &eps, direction)?;
            if std > 0.0 {
                next.lin_comb_assign(1.0, &x.randn_like(streams)?, std)?;
            }
            x = next;
        }
        Ok(x)
    }
}
