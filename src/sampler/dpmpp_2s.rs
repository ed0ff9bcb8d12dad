//! DPM-Solver++(2S) ancestral (k-diffusion's `sample_dpmpp_2s_ancestral`), for the unscaled state
//! y = x/s along a [`SigmaGrid`] (I35, I36).

use super::ddim::AncestralSplit;
use super::grid::{SigmaGrid, geometric_mean};
use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Sample, Sampler};
use crate::denoiser::Denoiser;
use crate::error::{Result, in_range};
use crate::state::State;

/// DPM-Solver++(2S) ancestral: the ancestral split of I36 gives (sigma_down, sigma_up); the
/// deterministic part is the singlestep second-order DPM-Solver++ from sigma_i to sigma_down
/// through sigma_s = sqrt(sigma_i sigma_down) (I35),
///
/// y' = (sigma_s/sigma_i) y + (1 - sigma_s/sigma_i) D(y; sigma_i),
/// y_{i+1} = (sigma_down/sigma_i) y + (1 - sigma_down/sigma_i) D(y'; sigma_s) + s_noise sigma_up eps,
///
/// with a plain Euler step (to D) where sigma_down = 0, and noise on every step that does not end
/// at sigma = 0, as k-diffusion adds it. NFE: 2 per step with sigma_down > 0, else 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Dpmpp2sAncestral {
    grid: SigmaGrid,
    splits: Vec<AncestralSplit>,
    s_noise: f64,
}

impl Dpmpp2sAncestral {
    /// The sampler along `grid` with finite `eta >= 0` and `s_noise >= 0` (k-diffusion's
    /// defaults: 1, 1).
    pub fn new(grid: &SigmaGrid, eta: f64, s_noise: f64) -> Result<Self> {
        in_range("s_noise", s_noise, 0.0, f64::MAX)?;
        let sigma = grid.sigmas();
        let splits = sigma
            .windows(2)
            .map(|w| AncestralSplit::new(w[0], w[1], eta))
            .collect::<Result<_>>()?;
        Ok(Dpmpp2sAncestral {
            grid: grid.clone(),
            splits,
            s_noise,
        })
    }
}

impl Sampler for Dpmpp2sAncestral {
    fn steps(&self) -> usize {
        self.grid.steps()
    }

    fn nfe(&self) -> usize {
        self.splits
            .iter()
            .map(|s| if s.down > 0.0 { 2 } else { 1 })
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
                let (s, next) = (sigma[i], sigma[i + 1]);
                let split = self.splits[i];
                let denoised = run.denoise(y, s)?;
                if split.down == 0.0 {
                    y.lin_comb_assign(0.0, &denoised, 1.0)?;
                } else {
                    let mid = geometric_mean(s, split.down);
                    let y_mid = y.lin_comb(mid / s, &denoised, (s - mid) / s)?;
                    let denoised_mid = run.denoise(&y_mid, mid)?;
                    y.lin_comb_assign(split.down / s, &denoised_mid, (s - split.down) / s)?;
                }
                if next > 0.0 {
                    let request = NoiseRequest::single(i, s, next);
                    run.add_noise(y, request, split.up * self.s_noise)?;
                }
                Ok(denoised)
            })
    }
}
