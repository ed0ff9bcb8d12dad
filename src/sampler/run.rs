//! What every sampler shares: the [`Sampler`] trait, per-step callbacks, trajectories and the
//! count of denoiser evaluations (NFE).

use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::noise::NoiseStream;
use crate::state::State;

/// What a sampler reports after each step.
#[derive(Debug)]
pub struct StepEvent<'a, S> {
    /// Index i of the step just taken, 0..N.
    pub step: usize,
    /// The number of steps N.
    pub steps: usize,
    /// sigma_i, the noise level the step started from (before any churn).
    pub sigma: f64,
    /// sigma_{i+1}, the noise level reached.
    pub sigma_next: f64,
    /// The state x_{i+1} reached (scaled, in the schedule's x).
    pub x: &'a S,
    /// The first denoiser output of the step, D(x_i / s_i; sigma_i) (after churn, at t_hat).
    pub denoised: &'a S,
    /// Denoiser evaluations so far.
    pub nfe: usize,
}

/// A per-step callback (progress bars, live previews).
pub type Observer<'a, S> = dyn FnMut(&StepEvent<'_, S>) + 'a;

/// How to run a sampler: an optional per-step callback and whether to keep the trajectory.
pub struct Options<'a, S> {
    observer: Option<&'a mut Observer<'a, S>>,
    record: bool,
}

impl<S> Default for Options<'_, S> {
    fn default() -> Self {
        Options {
            observer: None,
            record: false,
        }
    }
}

impl<'a, S> Options<'a, S> {
    /// No callback, no trajectory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `observer` after every step.
    pub fn observe(mut self, observer: &'a mut Observer<'a, S>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Keeps x_0, x_1, ..., x_N in [`Sample::trajectory`].
    pub fn record(mut self) -> Self {
        self.record = true;
        self
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Sample<S> {
    /// The final state x_N.
    pub x: S,
    /// Denoiser evaluations made.
    pub nfe: usize,
    /// x_0, ..., x_N if recording was asked for, else empty.
    pub trajectory: Vec<S>,
}

/// A sampler: maps standard normal latents to samples by calling a denoiser N times or more.
///
/// Generic over the [`State`] and the [`Denoiser`], so the same code runs on nalgebra vectors
/// with an analytic denoiser and on tensors with a network. Construction validates every
/// parameter; a run fails only when the state or the denoiser does.
pub trait Sampler {
    /// The number of steps N.
    fn steps(&self) -> usize;

    /// The denoiser evaluations (NFE) one run makes.
    fn nfe(&self) -> usize;

    /// Runs from `latent` (standard normal; x_0 = sigma_0 s_0 latent). Sample k's noise comes
    /// from `streams[k]` only, one stream per sample of the batch.
    fn sample_with<S: State, D: Denoiser<S> + ?Sized>(
        &self,
        denoiser: &D,
        latent: &S,
        streams: &mut [NoiseStream],
        options: Options<'_, S>,
    ) -> Result<Sample<S>>;

    /// [`Sampler::sample_with`] with no callback, returning the final state only.
    fn sample<S: State, D: Denoiser<S> + ?Sized>(
        &self,
        denoiser: &D,
        latent: &S,
        streams: &mut [NoiseStream],
    ) -> Result<S> {
        Ok(self
            .sample_with(denoiser, latent, streams, Options::default())?
            .x)
    }
}

/// Draws each sample's latent from the stream seeded by its seed, then samples: the whole
/// randomness of sample k is a function of `seeds[k]`. `template` gives the shape and batch
/// size (one sample per seed).
pub fn generate<P: Sampler + ?Sized, S: State, D: Denoiser<S> + ?Sized>(
    sampler: &P,
    denoiser: &D,
    template: &S,
    seeds: &[u64],
) -> Result<S> {
    let mut streams = NoiseStream::for_seeds(seeds);
    let latent = template.randn_like(&mut streams)?;
    sampler.sample(denoiser, &latent, &mut streams)
}

/// The bookkeeping of one run: counts evaluations, calls the observer, records the trajectory.
pub(crate) struct Run<'a, 'o, S, D: ?Sized> {
    denoiser: &'a D,
    options: Options<'o, S>,
    steps: usize,
    nfe: usize,
    trajectory: Vec<S>,
}

impl<'a, 'o, S: State, D: Denoiser<S> + ?Sized> Run<'a, 'o, S, D> {
    /// Starts a run of `steps` steps at x_0 = `x0`, checking one stream per sample.
    pub(crate) fn start(
        denoiser: &'a D,
        options: Options<'o, S>,
        steps: usize,
        x0: &S,
        streams: &[NoiseStream],
    ) -> Result<Self> {
        if streams.len() != x0.batch_size() {
            return Err(Error::DimensionMismatch {
                what: "noise streams per sample",
                expected: x0.batch_size(),
                got: streams.len(),
            });
        }
        let trajectory = if options.record {
            vec![x0.clone()]
        } else {
            Vec::new()
        };
        Ok(Run {
            denoiser,
            options,
            steps,
            nfe: 0,
            trajectory,
        })
    }

    /// D(x / s; sigma) for the scaled state `x`; the division is skipped at s = 1.
    pub(crate) fn denoise(&mut self, x: &S, scale: f64, sigma: f64) -> Result<S> {
        self.nfe += 1;
        if scale == 1.0 {
            self.denoiser.denoise(x, sigma)
        } else {
            self.denoiser.denoise(&x.scale(scale.recip())?, sigma)
        }
    }

    /// Reports the end of step `step` from `sigma` to `sigma_next`, reaching `x`.
    pub(crate) fn step_done(
        &mut self,
        step: usize,
        (sigma, sigma_next): (f64, f64),
        x: &S,
        denoised: &S,
    ) {
        if let Some(observer) = self.options.observer.as_mut() {
            observer(&StepEvent {
                step,
                steps: self.steps,
                sigma,
                sigma_next,
                x,
                denoised,
                nfe: self.nfe,
            });
        }
        if self.options.record {
            self.trajectory.push(x.clone());
        }
    }

    /// The result, with the final state `x`.
    pub(crate) fn finish(self, x: S) -> Sample<S> {
        Sample {
            x,
            nfe: self.nfe,
            trajectory: self.trajectory,
        }
    }
}
