//! The one-evaluation step that DDIM, DDPM, DPM-Solver++(2M) and reverse-SDE Euler–Maruyama
//! share, for the unscaled state y = x/s: y_{i+1} = c_y y_i + c_D D_i + c_P D_{i-1} + c_n eps,
//! with D_i = D(y_i; sigma_i).

use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Run, Sample};
use crate::denoiser::Denoiser;
use crate::error::Result;
use crate::state::State;

/// The noise level and scale at the two ends of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ends {
    pub(crate) sigma: f64,
    pub(crate) scale: f64,
    pub(crate) sigma_next: f64,
    pub(crate) scale_next: f64,
}

/// The coefficients of one step, computed at construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AffineStep {
    pub(crate) ends: Ends,
    /// c_y, c_D, c_P (the previous step's D; 0: not used), c_n (fresh noise; 0: none drawn).
    pub(crate) c: [f64; 4],
}

impl AffineStep {
    /// A step given by its coefficients for the unscaled state.
    pub(crate) fn unscaled(ends: Ends, c: [f64; 4]) -> Self {
        AffineStep { ends, c }
    }

    /// A step given for the scaled state, x_{i+1} = c_x x_i + c_D D + c_P D_prev + c_n eps:
    /// divided by s_{i+1}, with x_i = s_i y_i.
    pub(crate) fn scaled(ends: Ends, [cx, cd, cp, cn]: [f64; 4]) -> Self {
        let to = ends.scale_next;
        AffineStep {
            ends,
            c: [cx * (ends.scale / to), cd / to, cp / to, cn / to],
        }
    }

    /// The standard deviation of the fresh noise in x units, s_{i+1} c_n.
    pub(crate) fn noise_std(&self) -> f64 {
        self.c[3] * self.ends.scale_next
    }
}

/// A sequence of [`AffineStep`]s from y_0 = sigma_0 n (at least one step).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AffinePlan {
    pub(crate) steps: Vec<AffineStep>,
    start: (f64, f64),
}

impl AffinePlan {
    /// The plan of `steps`, starting at the noise level and scale of the first.
    pub(crate) fn new(steps: Vec<AffineStep>) -> Self {
        let start = steps
            .first()
            .map_or((0.0, 1.0), |s| (s.ends.sigma, s.ends.scale));
        AffinePlan { steps, start }
    }

    pub(crate) fn run<S, D, N>(
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
        let (sigma0, scale0) = self.start;
        let mut y = latent.scale(sigma0)?;
        let start = (&y, scale0);
        let mut run = Run::start(denoiser, noise, options, self.steps.len(), start)?;
        let mut previous: Option<S> = None;
        for (i, step) in self.steps.iter().enumerate() {
            let [cy, cd, cp, cn] = step.c;
            let denoised = run.denoise(&y, step.ends.sigma)?;
            let request = NoiseRequest {
                step: i,
                draw: 0,
                sigma_from: step.ends.sigma,
                sigma_to: step.ends.sigma_next,
            };
            let eps = if cn > 0.0 {
                Some(run.draw(&y, request)?)
            } else {
                if step.ends.sigma_next > 0.0 {
                    run.unused_draw(&y, request)?;
                }
                None
            };
            let extra = [
                previous.as_ref().map(|p| (p, cp)),
                eps.as_ref().map(|e| (e, cn)),
            ];
            match extra {
                [None, None] => y.lin_comb_assign(cy, &denoised, cd)?,
                [Some((p, c)), None] | [None, Some((p, c))] => {
                    y.lin_comb3_assign(cy, &denoised, cd, p, c)?
                }
                [Some((p, c)), Some((e, n))] => {
                    y.lin_comb3_assign(cy, &denoised, cd, p, c)?;
                    y.lin_comb_assign(1.0, e, n)?;
                }
            }
            let ends = step.ends;
            let levels = (ends.sigma, ends.sigma_next);
            run.step_done(i, levels, (&y, ends.scale_next), &denoised)?;
            let kept = self.steps.get(i + 1).is_some_and(|s| s.c[2] != 0.0);
            previous = kept.then_some(denoised);
        }
        let scale = self.steps.last().map_or(scale0, |s| s.ends.scale_next);
        run.finish(y, scale)
    }

    pub(crate) fn nfe(&self) -> usize {
        self.steps.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }
}
