//! The one-evaluation step that DDIM, DDPM, DPM-Solver++(2M) and reverse-SDE Euler–Maruyama
//! share: x_{i+1} = c_x x_i + c_D D_i + c_P D_{i-1} + c_n eps, with D_i = D(x_i / s_i; sigma_i).

use super::ode::Eval;
use super::run::{Options, Run, Sample};
use crate::denoiser::Denoiser;
use crate::error::Result;
use crate::noise::NoiseStream;
use crate::state::State;

/// The coefficients of one step, computed at construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AffineStep {
    /// Where the denoiser is evaluated (s_i, sigma_i).
    pub(crate) at: Eval,
    /// sigma_{i+1}, for the step report.
    pub(crate) sigma_next: f64,
    /// c_x.
    pub(crate) x: f64,
    /// c_D.
    pub(crate) denoised: f64,
    /// c_P, the weight of the previous step's D (0: not used, nothing is combined).
    pub(crate) previous: f64,
    /// c_n, the standard deviation of fresh noise (0: nothing is drawn).
    pub(crate) noise: f64,
}

/// A sequence of [`AffineStep`]s from x_0 = x0_factor n.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AffinePlan {
    pub(crate) steps: Vec<AffineStep>,
    pub(crate) x0_factor: f64,
}

impl AffinePlan {
    pub(crate) fn run<S: State, D: Denoiser<S> + ?Sized>(
        &self,
        denoiser: &D,
        latent: &S,
        streams: &mut [NoiseStream],
        options: Options<'_, S>,
    ) -> Result<Sample<S>> {
        let mut x = latent.scale(self.x0_factor)?;
        let mut run = Run::start(denoiser, options, self.steps.len(), &x, streams)?;
        let mut previous: Option<S> = None;
        for (i, step) in self.steps.iter().enumerate() {
            let denoised = run.denoise(&x, step.at.scale, step.at.sigma)?;
            x.lin_comb_assign(step.x, &denoised, step.denoised)?;
            if let (Some(prev), true) = (&previous, step.previous != 0.0) {
                x.lin_comb_assign(1.0, prev, step.previous)?;
            }
            if step.noise > 0.0 {
                let eps = x.randn_like(streams)?;
                x.lin_comb_assign(1.0, &eps, step.noise)?;
            }
            run.step_done(i, (step.at.sigma, step.sigma_next), &x, &denoised);
            previous = Some(denoised);
        }
        Ok(run.finish(x))
    }

    pub(crate) fn nfe(&self) -> usize {
        self.steps.len()
    }
}

/// Implements [`super::Sampler`] for a type with an `AffinePlan` field `plan`.
macro_rules! affine_sampler {
    ($t:ty) => {
        impl $crate::sampler::Sampler for $t {
            fn steps(&self) -> usize {
                self.plan.steps.len()
            }

            fn nfe(&self) -> usize {
                self.plan.nfe()
            }

            fn sample_with<S: $crate::state::State, D: $crate::denoiser::Denoiser<S> + ?Sized>(
                &self,
                denoiser: &D,
                latent: &S,
                streams: &mut [$crate::noise::NoiseStream],
                options: $crate::sampler::Options<'_, S>,
            ) -> $crate::error::Result<$crate::sampler::Sample<S>> {
                self.plan.run(denoiser, latent, streams, options)
            }
        }
    };
}
pub(crate) use affine_sampler;
