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
///
/// Samplers keep the unscaled state y = x/s, the denoiser's input, so that no pass over the
/// data is spent on scaling at each evaluation; the scaled x = s y is formed only for the
/// observer, the trajectory and the result, and not at all where s = 1.
pub(crate) struct Run<'a, 'o, S, D: ?Sized> {
    denoiser: &'a D,
    options: Options<'o, S>,
    steps: usize,
    nfe: usize,
    trajectory: Vec<S>,
}

/// A state computed into the storage of `slot` when it holds one (scratch kept from step to
/// step, so that large states are not allocated and freed at every step), else afresh.
pub(crate) fn into_slot<S>(
    slot: Option<S>,
    into: impl FnOnce(&mut S) -> Result<()>,
    fresh: impl FnOnce() -> Result<S>,
) -> Result<S> {
    match slot {
        Some(mut state) => {
            into(&mut state)?;
            Ok(state)
        }
        None => fresh(),
    }
}

/// x = s y, borrowed where s = 1.
fn scaled<S: State>(y: &S, scale: f64) -> Result<std::borrow::Cow<'_, S>> {
    use std::borrow::Cow;
    if scale == 1.0 {
        Ok(Cow::Borrowed(y))
    } else {
        Ok(Cow::Owned(y.scale(scale)?))
    }
}

impl<'a, 'o, S: State, D: Denoiser<S> + ?Sized> Run<'a, 'o, S, D> {
    /// Starts a run of `steps` steps at y_0 = `y0` with scale `scale0`, checking one stream
    /// per sample.
    pub(crate) fn start(
        denoiser: &'a D,
        options: Options<'o, S>,
        steps: usize,
        (y0, scale0): (&S, f64),
        streams: &[NoiseStream],
    ) -> Result<Self> {
        if streams.len() != y0.batch_size() {
            return Err(Error::DimensionMismatch {
                what: "noise streams per sample",
                expected: y0.batch_size(),
                got: streams.len(),
            });
        }
        let trajectory = if options.record {
            vec![scaled(y0, scale0)?.into_owned()]
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

    /// D(y; sigma) for the unscaled state `y`.
    pub(crate) fn denoise(&mut self, y: &S, sigma: f64) -> Result<S> {
        self.nfe += 1;
        self.denoiser.denoise(y, sigma)
    }

    /// Reports the end of step `step` from `sigma` to `sigma_next`, reaching y with scale
    /// `scale` there.
    pub(crate) fn step_done(
        &mut self,
        step: usize,
        (sigma, sigma_next): (f64, f64),
        (y, scale): (&S, f64),
        denoised: &S,
    ) -> Result<()> {
        if self.options.observer.is_none() && !self.options.record {
            return Ok(());
        }
        let x = scaled(y, scale)?;
        if let Some(observer) = self.options.observer.as_mut() {
            observer(&StepEvent {
                step,
                steps: self.steps,
                sigma,
                sigma_next,
                x: &x,
                denoised,
                nfe: self.nfe,
            });
        }
        if self.options.record {
            self.trajectory.push(x.into_owned());
        }
        Ok(())
    }

    /// The result: the final state x = s y.
    pub(crate) fn finish(self, y: S, scale: f64) -> Result<Sample<S>> {
        let x = if scale == 1.0 { y } else { y.scale(scale)? };
        Ok(Sample {
            x,
            nfe: self.nfe,
            trajectory: self.trajectory,
        })
    }
}
