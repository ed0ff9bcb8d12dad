//! DPM-2 (k-diffusion's `sample_dpm_2`, the second-order DPM-Solver step in sigma) and its
//! ancestral variant (`sample_dpm_2_ancestral`), for the unscaled state y = x/s along a
//! [`SigmaGrid`] (I35, I36).

use super::ddim::AncestralSplit;
use super::grid::{SigmaGrid, geometric_mean};
use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Sample, Sampler};
use crate::denoiser::Denoiser;
use crate::error::{Result, in_range};
use crate::state::State;

/// DPM-2 (I35): with d = (y - D(y; sigma_i)) / sigma_i, an Euler step to the midpoint in
/// log sigma, sigma_mid = sqrt(sigma_i sigma_to), then the full step with the slope there:
///
/// y' = y + (sigma_mid - sigma_i) d,  y_{i+1} = y + (sigma_to - sigma_i) (y' - D(y'; sigma_mid)) / sigma_mid,
///
/// with sigma_to = sigma_{i+1} (deterministic, second order) or, for the ancestral variant,
/// sigma_to = sigma_down of the split of I36 followed by s_noise sigma_up eps. A step to
/// sigma_to = 0 is a plain Euler step (it returns D, I08) and adds no noise, as k-diffusion does.
/// NFE: 2 per step, 1 on a step to 0. The midpoint is sqrt(sigma_i) sqrt(sigma_to) rather than
/// k-diffusion's exp of the mean of the logarithms (the same number up to rounding).
#[derive(Debug, Clone, PartialEq)]
pub struct Dpm2 {
    grid: SigmaGrid,
    splits: Option<(Vec<AncestralSplit>, f64)>,
}

impl Dpm2 {
    /// Deterministic DPM-2 along `grid`.
    pub fn new(grid: &SigmaGrid) -> Self {
        Dpm2 {
            grid: grid.clone(),
            splits: None,
        }
    }

    /// DPM-2 ancestral along `grid` with a finite `eta >= 0` and noise scale `s_noise >= 0`
    /// (k-diffusion's defaults: 1, 1).
    pub fn ancestral(grid: &SigmaGrid, eta: f64, s_noise: f64) -> Result<Self> {
        in_range("s_noise", s_noise, 0.0, f64::MAX)?;
        let sigma = grid.sigmas();
        let splits = sigma
            .windows(2)
            .map(|w| AncestralSplit::new(w[0], w[1], eta))
            .collect::<Result<_>>()?;
        Ok(Dpm2 {
            grid: grid.clone(),
            splits: Some((splits, s_noise)),
        })
    }

    /// The level the deterministic part of step i goes to and the noise it adds after.
    fn target(&self, i: usize) -> (f64, f64) {
        match &self.splits {
            None => (self.grid.sigmas()[i + 1], 0.0),
            Some((splits, s_noise)) => (splits[i].down, splits[i].up * s_noise),
        }
    }
}

impl Sampler for Dpm2 {
    fn steps(&self) -> usize {
        self.grid.steps()
    }

    fn nfe(&self) -> usize {
        (0..self.steps())
            .map(|i| if self.target(i).0 > 0.0 { 2 } else { 1 })
            .sum()
    }

    fn sample_with<S, D, N>(
        &self,
        denoiser: &D,
        latent: &S,
        noise: &mut N,
        options: Options<'_, S>,
    ) -> Result<Sample<S>>
    where
        S: State,
        D: Denoiser<S> + ?Sized,
        N: NoiseSource<S> + ?Sized,
    {
        let sigma = self.grid.sigmas();
        self.grid
            .run((denoiser, latent, noise), options, |run, y, i| {
                let s = sigma[i];
                let (to, noise_std) = self.target(i);
                let denoised = run.denoise(y, s)?;
                if to == 0.0 {
                    // Euler to 0: y + (0 - s)(y - D)/s = D; no noise can follow.
                    y.lin_comb_assign(0.0, &denoised, 1.0)?;
                } else {
                    let mid = geometric_mean(s, to);
                    let r1 = (mid - s) / s;
                    let y_mid = y.lin_comb(1.0 + r1, &denoised, -r1)?;
                    let denoised_mid = run.denoise(&y_mid, mid)?;
                    let r2 = (to - s) / mid;
                    y.lin_comb3_assign(1.0, &y_mid, r2, &denoised_mid, -r2)?;
                    run.add_noise(y, NoiseRequest::single(i, s, sigma[i + 1]), noise_std)?;
                }
                Ok(denoised)
            })
    }
}
