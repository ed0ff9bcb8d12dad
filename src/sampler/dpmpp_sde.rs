//! DPM-Solver++ SDE (k-diffusion's `sample_dpmpp_sde`, r = 1/2): a stochastic second-order
//! singlestep solver for the unscaled state y = x/s along a [`SigmaGrid`] (I35, I36), with two
//! noise draws per step over overlapping intervals — correlated as one Brownian path dictates
//! when the source is a [`super::BrownianNoise`] (I37).

use super::ddim::AncestralSplit;
use super::grid::SigmaGrid;
use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Run, Sample, Sampler};
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
    sigma: Vec<f64>,
    scale: Vec<f64>,
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
            sigma: grid.sigmas().to_vec(),
            scale: grid.scales().to_vec(),
            eta,
            s_noise,
        })
    }
}

/// y <- (down/sigma) y + (1 - down/sigma) D + noise_std eps: the first-order DPM-Solver++ step
/// to `down`, then the noise of draw `request` (drawn only where noise_std > 0, or under the
/// every-step convention).
fn step_and_noise<S, D, N>(
    run: &mut Run<'_, '_, S, D, N>,
    y: &mut S,
    (sigma, denoised): (f64, &S),
    split: AncestralSplit,
    noise_scale: f64,
    request: NoiseRequest,
) -> Result<()>
where
    S: State,
    D: Denoiser<S> + ?Sized,
    N: NoiseSource<S> + ?Sized,
{
    let keep = split.down / sigma;
    y.lin_comb_assign(keep, denoised, (sigma - split.down) / sigma)?;
    let noise_std = split.up * noise_scale;
    if noise_std > 0.0 {
        let eps = run.draw(y, request)?;
        y.lin_comb_assign(1.0, &eps, noise_std)
    } else {
        run.unused_draw(y, request)
    }
}

impl Sampler for DpmppSde {
    fn steps(&self) -> usize {
        self.sigma.len() - 1
    }

    fn nfe(&self) -> usize {
        2 * self.steps() - usize::from(self.sigma[self.steps()] == 0.0)
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
        let (sigma, scale) = (&self.sigma, &self.scale);
        let mut y = latent.scale(sigma[0])?;
        let mut run = Run::start(denoiser, noise, options, self.steps(), (&y, scale[0]))?;
        for i in 0..self.steps() {
            let (s, next) = (sigma[i], sigma[i + 1]);
            let denoised = run.denoise(&y, s)?;
            if next == 0.0 {
                y.lin_comb_assign(0.0, &denoised, 1.0)?;
            } else {
                let mid = s.sqrt() * next.sqrt();
                let request = |draw, sigma_to| NoiseRequest {
                    step: i,
                    draw,
                    sigma_from: s,
                    sigma_to,
                };
                let mut y_mid = y.clone();
                let first = AncestralSplit::new(s, mid, self.eta)?;
                let at = (s, &denoised);
                step_and_noise(
                    &mut run,
                    &mut y_mid,
                    at,
                    first,
                    self.s_noise,
                    request(0, mid),
                )?;
                let denoised_mid = run.denoise(&y_mid, mid)?;
                let second = AncestralSplit::new(s, next, self.eta)?;
                let at = (s, &denoised_mid);
                step_and_noise(&mut run, &mut y, at, second, self.s_noise, request(1, next))?;
            }
            run.step_done(i, (s, next), (&y, scale[i + 1]), &denoised)?;
        }
        run.finish(y, scale[self.steps()])
    }
}
