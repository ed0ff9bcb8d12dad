//! What every sampler shares: the [`Sampler`] trait, per-step callbacks, trajectories and the
//! count of denoiser evaluations (NFE).

use super::noise::{NoiseConvention, NoiseRequest, NoiseSource};
use crate::denoiser::Denoiser;
use crate::error::Result;
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

/// How to run a sampler: an optional per-step callback, whether to keep the trajectory, and
/// which noise draws to make ([`NoiseConvention`]).
pub struct Options<'a, S> {
    observer: Option<&'a mut Observer<'a, S>>,
    record: bool,
    convention: NoiseConvention,
}

impl<S> Default for Options<'_, S> {
    fn default() -> Self {
        Options {
            observer: None,
            record: false,
            convention: NoiseConvention::default(),
        }
    }
}

impl<'a, S> Options<'a, S> {
    /// No callback, no trajectory, draws where the noise is used.
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

    /// Makes the draws `convention` says.
    pub fn noise_convention(mut self, convention: NoiseConvention) -> Self {
        self.convention = convention;
        self
    }

    /// Whether a callback was given.
    pub fn observes(&self) -> bool {
        self.observer.is_some()
    }

    /// Whether the trajectory is kept.
    pub fn records(&self) -> bool {
        self.record
    }

    /// Which draws are made.
    pub fn convention(&self) -> NoiseConvention {
        self.convention
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
/// Generic over the [`State`], the [`Denoiser`] and the [`NoiseSource`], so the same code runs
/// on nalgebra vectors with an analytic denoiser and on tensors with a network. Construction
/// validates every parameter; a run fails only when the state, the denoiser or the noise source
/// does. A sampler written outside the crate does its bookkeeping through [`Run`]:
///
/// ```
/// use elucidated::denoiser::{Denoiser, FromFn};
/// use elucidated::noise::NoiseStream;
/// use elucidated::sampler::{NoiseSource, Options, Run, Sample, Sampler};
/// use elucidated::state::State;
/// use elucidated::Result;
/// use nalgebra::DVector;
///
/// /// One Euler step of dx/dsigma = (x - D)/sigma from sigma_max straight to 0: x_1 = D(x_0).
/// struct OneStep {
///     sigma_max: f64,
/// }
///
/// impl Sampler for OneStep {
///     fn steps(&self) -> usize {
///         1
///     }
///
///     fn nfe(&self) -> usize {
///         1
///     }
///
///     fn sample_with<S, D, N>(
///         &self,
///         denoiser: &D,
///         latent: &S,
///         noise: &mut N,
///         options: Options<'_, S>,
///     ) -> Result<Sample<S>>
///     where
///         S: State,
///         D: Denoiser<S> + ?Sized,
///         N: NoiseSource<S> + ?Sized,
///     {
///         let x0 = latent.scale(self.sigma_max)?;
///         let mut run = Run::start(denoiser, noise, options, 1, (&x0, 1.0))?;
///         let denoised = run.denoise(&x0, self.sigma_max)?;
///         run.step_done(0, (self.sigma_max, 0.0), (&denoised, 1.0), &denoised)?;
///         run.finish(denoised, 1.0)
///     }
/// }
///
/// // Data concentrated at y = 3: the exact denoiser is the constant 3.
/// let three = FromFn(|x: &DVector<f64>, _sigma: f64| Ok(x.map(|_| 3.0)));
/// let mut streams = NoiseStream::for_seeds(&[1]);
/// let latent = DVector::from_element(2, 0.7);
/// let run = OneStep { sigma_max: 80.0 }
///     .sample_with(&three, &latent, &mut streams, Options::new().record())?;
/// assert_eq!(run.x, DVector::from_element(2, 3.0));
/// assert_eq!((run.nfe, run.trajectory.len()), (1, 2));
/// # Ok::<(), elucidated::Error>(())
/// ```
pub trait Sampler {
    /// The number of steps N.
    fn steps(&self) -> usize;

    /// The denoiser evaluations (NFE) one run makes.
    fn nfe(&self) -> usize;

    /// Runs from `latent` (standard normal; x_0 = sigma_0 s_0 latent), taking fresh noise from
    /// `noise` (for the crate's determinism, one [`NoiseStream`] per sample of the batch: sample
    /// k's noise from `streams[k]` only).
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
        N: NoiseSource<S> + ?Sized;

    /// [`Sampler::sample_with`] with no callback, returning the final state only.
    fn sample<S, D, N>(&self, denoiser: &D, latent: &S, noise: &mut N) -> Result<S>
    where
        S: State,
        D: Denoiser<S> + ?Sized,
        N: NoiseSource<S> + ?Sized,
    {
        Ok(self
            .sample_with(denoiser, latent, noise, Options::default())?
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

/// The bookkeeping of one run, for samplers inside and outside the crate: counts denoiser
/// evaluations, makes the noise draws the [`NoiseConvention`] asks for, calls the observer and
/// records the trajectory.
///
/// Samplers keep the unscaled state y = x/s, the denoiser's input, so that no pass over the
/// data is spent on scaling at each evaluation; the scaled x = s y is formed only for the
/// observer, the trajectory and the result, and not at all where s = 1.
pub struct Run<'a, 'o, S, D: ?Sized, N: ?Sized> {
    denoiser: &'a D,
    noise: &'a mut N,
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

impl<'a, 'o, S, D, N> Run<'a, 'o, S, D, N>
where
    S: State,
    D: Denoiser<S> + ?Sized,
    N: NoiseSource<S> + ?Sized,
{
    /// Starts a run of `steps` steps at the unscaled state y_0 = `y0` with scale `scale0`
    /// (recorded as x_0 = s_0 y_0), after checking that `noise` can serve the batch.
    pub fn start(
        denoiser: &'a D,
        noise: &'a mut N,
        options: Options<'o, S>,
        steps: usize,
        (y0, scale0): (&S, f64),
    ) -> Result<Self> {
        noise.check(y0)?;
        let trajectory = if options.record {
            vec![scaled(y0, scale0)?.into_owned()]
        } else {
            Vec::new()
        };
        Ok(Run {
            denoiser,
            noise,
            options,
            steps,
            nfe: 0,
            trajectory,
        })
    }

    /// D(y; sigma) for the unscaled state `y`, counted.
    pub fn denoise(&mut self, y: &S, sigma: f64) -> Result<S> {
        self.nfe += 1;
        self.denoiser.denoise(y, sigma)
    }

    /// Standard normal noise shaped like `like`, for a draw the step uses.
    pub fn draw(&mut self, like: &S, request: NoiseRequest) -> Result<S> {
        self.noise.draw(like, &request)
    }

    /// A draw the step does not use (its coefficient is 0): made and discarded under
    /// [`NoiseConvention::EveryStep`], not made under [`NoiseConvention::WhereUsed`].
    pub fn unused_draw(&mut self, like: &S, request: NoiseRequest) -> Result<()> {
        if self.options.convention == NoiseConvention::EveryStep {
            self.noise.draw(like, &request)?;
        }
        Ok(())
    }

    /// y <- y + `std` eps with eps the draw for `request` where `std > 0`; where `std = 0` the
    /// draw is [`Run::unused_draw`].
    pub fn add_noise(&mut self, y: &mut S, request: NoiseRequest, std: f64) -> Result<()> {
        if std > 0.0 {
            let eps = self.draw(y, request)?;
            y.lin_comb_assign(1.0, &eps, std)
        } else {
            self.unused_draw(y, request)
        }
    }

    /// Denoiser evaluations so far.
    pub fn nfe(&self) -> usize {
        self.nfe
    }

    /// Reports the end of step `step` from `sigma` to `sigma_next`, reaching the unscaled state
    /// y with scale `scale` there; `denoised` is the step's first denoiser output.
    pub fn step_done(
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
    pub fn finish(self, y: S, scale: f64) -> Result<Sample<S>> {
        let x = if scale == 1.0 { y } else { y.scale(scale)? };
        Ok(Sample {
            x,
            nfe: self.nfe,
            trajectory: self.trajectory,
        })
    }
}

/// Implements [`Sampler`] for a type whose field `plan` holds its precomputed steps (a plan with
/// `len()`, `nfe()` and `run(denoiser, latent, noise, options)`).
macro_rules! plan_sampler {
    ($t:ty) => {
        impl $crate::sampler::Sampler for $t {
            fn steps(&self) -> usize {
                self.plan.len()
            }

            fn nfe(&self) -> usize {
                self.plan.nfe()
            }

            fn sample_with<S, D, N>(
                &self,
                denoiser: &D,
                latent: &S,
                noise: &mut N,
                options: $crate::sampler::Options<'_, S>,
            ) -> $crate::error::Result<$crate::sampler::Sample<S>>
            where
                S: $crate::state::State,
                D: $crate::denoiser::Denoiser<S> + ?Sized,
                N: $crate::sampler::NoiseSource<S> + ?Sized,
            {
                self.plan.run(denoiser, latent, noise, options)
            }
        }
    };
}
pub(crate) use plan_sampler;
