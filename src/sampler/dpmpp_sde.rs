//! DPM-Solver++ SDE (k-diffusion's `sample_dpmpp_sde`, r = 1/2): a stochastic second-order
//! singlestep solver for the unscaled state y = x/s along a [`SigmaGrid`] (I35, I36), with two
//! noise draws per step over overlapping intervals — correlated as one Brownian path dictates
//! when the source is a [`super::BrownianNoise`] (I37).

use super::ddim::AncestralSplit;
use super::grid::{SigmaGrid, geometric_mean};
use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Sample, Sampler};
use crate::denoiser::Denoiser;
use crate::error::{Result, in_range};
use crate::state::State;

/// DPM-Solver++ SDE with r = 1/2: with lambda = -ln sigma, h = lambda_{i+1} - lambda_i and the
/// midpoint sigma_s = sigma_i e^{-h/2} = sqrt(sigma_i sigma_{i+1}),
///
/// 1. (d1, u1) = split(sigma_i -> sigma_s), y' = (d1/sigma_i) y + (1 - d1/sigma_i) D + s_noise u1 eps_1,
/// 2. (d2, u2) = split(sigma_i -> sigma_{i+1}),
///    y_{i+1} = (d2/sigma_i) y + (1 - d2/sigma_i) D(y'; sigma_s) + s_noise u2 eps_2,
///
/// where split is the ancestral split of I36 at `eta` and eps_1, eps_2 are the draws over
/// [sigma_i, sigma_s] and [sigma_i, sigma_{i+1}] (draws 0 and 1 of the step). Each part is the
/// first-order DPM-Solver++ step of I35 to sigma_down, written without the exp(-(-ln sigma))
/// round trip (which is not the identity in float64); with eta = 0 the method is the
/// deterministic second-order DPM-Solver++(2S). A step to sigma_{i+1} = 0 is the Euler step to
/// D (I08). NFE: 2 per step, 1 on the step to 0.
#[derive(Debug, Clone, PartialEq)]
pub struct DpmppSde {
    grid: SigmaGrid,
    eta: f64,
    s_noise: f64,
}

impl DpmppSde {
    /// The solver along `grid` with finite `eta >= 0` and `s_noise >= 0` (k-diffusion's
    /// defaults: 1, 1).
    pub fn new(grid: &SigmaGrid, eta: f64, s_noise: f64) -> Result<Self> {
        in_range("eta", eta, 0.0, f64::MAX)?;
        in_range("s_noise", s_noise, 0.0, f64::MAX)?;
        Ok(DpmppSde {
            grid: grid.clone(),
            eta,
            s_noise,
        })
    }
}

/// y <- (down/sigma) y + (1 - down/sigma) D: the first-order DPM-Solver++ step to `down` (I35).
fn first_order_step<S: State>(
    y: &mut S,
    (sigma, denoised): (f64, &S),
    split: AncestralSplit,
) -> Result<()> {
    y.lin_comb_assign(split.down / sigma, denoised, (sigma - split.down) / sigma)
}

impl Sampler for DpmppSde {
    fn steps(&self) -> usize {
        self.grid.steps()
    }

    fn nfe(&self) -> usize {
        2 * self.steps() - usize::from(self.grid.sigmas()[self.steps()] == 0.0)
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
                let denoised = run.denoise(y, s)?;
                if next == 0.0 {
                    y.lin_comb_assign(0.0, &denoised, 1.0)?;
                } else {
                    let mid = geometric_mean(s, next);
                    let request = |draw, sigma_to| NoiseRequest {
                        step: i,
                        draw,
                        sigma_from: s,
                        sigma_to,
                    };
                    let mut y_mid = y.clone();
                    let first = AncestralSplit::new(s, mid, self.eta)?;
                    first_order_step(&mut y_mid, (s, &denoised), first)?;
                    run.add_noise(&mut y_mid, request(0, mid), first.up * self.s_noise)?;
                    let denoised_mid = run.denoise(&y_mid, mid)?;
                    let second = AncestralSplit::new(s, next, self.eta)?;
                    first_order_step(y, (s, &denoised_mid), second)?;
                    run.add_noise(y, request(1, next), second.up * self.s_noise)?;
                }
                Ok(denoised)
            })
    }
}
