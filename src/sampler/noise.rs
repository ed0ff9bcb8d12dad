//! Where a sampler's fresh noise comes from: a [`NoiseSource`] answers each [`NoiseRequest`]
//! (which step, which draw of the step, over which noise levels) with standard normal noise
//! shaped like the state.
//!
//! - The per-sample ChaCha streams ([`NoiseStream`], as a slice or a `Vec`, one stream per sample
//!   of the batch): independent draws, sample k's from stream k only (design: determinism).
//! - [`Replay`]: given draws keyed by (step, draw), so that another implementation's noise (a
//!   port's, NVlabs's, k-diffusion's) drives the crate's sampler, or the crate's drives theirs.
//! - [`Recorder`]: any source, keeping a copy of every draw with its request (for export).
//!
//! Which draws a run makes is set by [`NoiseConvention`] in [`super::Options`]: only where the
//! noise is used (the default), or one at every step as NVlabs's `edm_sampler` does, so that a
//! stream consumed in order lines up with theirs.

use crate::error::{Error, Result};
use crate::noise::NoiseStream;
use crate::state::State;
use std::collections::BTreeMap;

/// What a sampler asks for: standard normal noise for draw `draw` of step `step`, added while
/// moving from noise level `sigma_from` to `sigma_to` (for the churn of Algorithm 2 the noise
/// raises the level: `sigma_to` is sigma_hat > `sigma_from`; for ancestral and SDE steps it is
/// the step's own interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseRequest {
    /// Index i of the step, 0..N.
    pub step: usize,
    /// Index of the draw within the step (0 for samplers that draw at most once per step).
    pub draw: usize,
    /// The noise level the draw starts from.
    pub sigma_from: f64,
    /// The noise level the draw leads to.
    pub sigma_to: f64,
}

impl NoiseRequest {
    /// The only draw (draw 0) of step `step`, over the step's own levels.
    pub fn single(step: usize, sigma_from: f64, sigma_to: f64) -> Self {
        NoiseRequest {
            step,
            draw: 0,
            sigma_from,
            sigma_to,
        }
    }
}

/// Which draws a run makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseConvention {
    /// A draw only where the sampler adds noise (gamma_i > 0 in Algorithm 2, sigma_up > 0 in an
    /// ancestral step, never on a step into sigma = 0): k-diffusion's `sample_euler`/`sample_heun`
    /// churn and its ancestral samplers draw exactly there.
    #[default]
    WhereUsed,
    /// Every draw a step can make is made, also where its coefficient is 0 (and then
    /// discarded): the churn draw at the start of every step of Algorithm 2, as NVlabs's
    /// `edm_sampler` draws at every step, and the noise at the end of every step of an
    /// ancestral or SDE sampler that does not end at sigma = 0 (no noise can follow a step into
    /// 0). A stream consumed in order then stays aligned with theirs.
    EveryStep,
}

/// A source of standard normal noise for a sampler's steps.
///
/// ```
/// use elucidated::sampler::{NoiseRequest, NoiseSource};
/// use elucidated::state::State;
/// use elucidated::Result;
/// use nalgebra::DVector;
///
/// /// Every draw is the same given vector: a source for tests.
/// struct Constant(DVector<f64>);
///
/// impl NoiseSource<DVector<f64>> for Constant {
///     fn draw(&mut self, like: &DVector<f64>, _request: &NoiseRequest) -> Result<DVector<f64>> {
///         assert_eq!(like.len(), self.0.len());
///         Ok(self.0.clone())
///     }
/// }
///
/// let mut source = Constant(DVector::from_element(2, 0.5));
/// let request = NoiseRequest { step: 0, draw: 0, sigma_from: 2.0, sigma_to: 1.0 };
/// assert_eq!(source.draw(&DVector::zeros(2), &request)?[1], 0.5);
/// # Ok::<(), elucidated::Error>(())
/// ```
pub trait NoiseSource<S: State> {
    /// Standard normal noise shaped like `like` (a batch: sample k's noise for sample k).
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S>;

    /// Checks, before a run starts, that the source can serve states like `like` (the streams'
    /// source: one stream per sample of the batch). Accepts by default.
    fn check(&self, like: &S) -> Result<()> {
        let _ = like;
        Ok(())
    }
}

impl<S: State, N: NoiseSource<S> + ?Sized> NoiseSource<S> for &mut N {
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        (**self).draw(like, request)
    }

    fn check(&self, like: &S) -> Result<()> {
        (**self).check(like)
    }
}

/// Independent draws: sample k's noise from `streams[k]` only.
impl<S: State> NoiseSource<S> for [NoiseStream] {
    fn draw(&mut self, like: &S, _request: &NoiseRequest) -> Result<S> {
        like.randn_like(self)
    }

    fn check(&self, like: &S) -> Result<()> {
        if self.len() == like.batch_size() {
            Ok(())
        } else {
            Err(Error::DimensionMismatch {
                what: "noise streams per sample",
                expected: like.batch_size(),
                got: self.len(),
            })
        }
    }
}

/// Independent draws: sample k's noise from `streams[k]` only.
impl<S: State> NoiseSource<S> for Vec<NoiseStream> {
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        self.as_mut_slice().draw(like, request)
    }

    fn check(&self, like: &S) -> Result<()> {
        self.as_slice().check(like)
    }
}

/// Independent draws: sample k's noise from `streams[k]` only.
impl<S: State, const K: usize> NoiseSource<S> for [NoiseStream; K] {
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        self.as_mut_slice().draw(like, request)
    }

    fn check(&self, like: &S) -> Result<()> {
        self.as_slice().check(like)
    }
}

/// Given draws keyed by (step, draw): the noise of another run replayed exactly.
///
/// A request without a draw is a typed error naming the step; draws that are never requested
/// are allowed (a run under [`NoiseConvention::WhereUsed`] skips the steps where the noise is
/// unused, which another implementation may have drawn anyway).
///
/// ```
/// use elucidated::sampler::{NoiseRequest, NoiseSource, Replay};
/// use nalgebra::DVector;
///
/// let mut replay = Replay::new();
/// replay.insert(3, 0, DVector::from_vec(vec![0.25, -1.0]));
/// let request = NoiseRequest { step: 3, draw: 0, sigma_from: 1.0, sigma_to: 0.5 };
/// assert_eq!(replay.draw(&DVector::zeros(2), &request)?[1], -1.0);
/// let missing = NoiseRequest { step: 4, ..request };
/// assert!(replay.draw(&DVector::zeros(2), &missing).is_err());
/// # Ok::<(), elucidated::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Replay<S> {
    draws: BTreeMap<(usize, usize), S>,
}

impl<S> Default for Replay<S> {
    fn default() -> Self {
        Replay {
            draws: BTreeMap::new(),
        }
    }
}

impl<S> Replay<S> {
    /// No draws yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the noise of draw `draw` of step `step`, returning the one it replaces.
    pub fn insert(&mut self, step: usize, draw: usize, noise: S) -> Option<S> {
        self.draws.insert((step, draw), noise)
    }

    /// The draws of a [`Recorder`], keyed by their requests.
    pub fn from_recorded(recorded: Vec<(NoiseRequest, S)>) -> Self {
        Replay {
            draws: recorded
                .into_iter()
                .map(|(r, noise)| ((r.step, r.draw), noise))
                .collect(),
        }
    }

    /// The number of draws held.
    pub fn len(&self) -> usize {
        self.draws.len()
    }

    /// Whether no draw is held.
    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }
}

impl<S: State> NoiseSource<S> for Replay<S> {
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        let noise = self
            .draws
            .get(&(request.step, request.draw))
            .ok_or(Error::MissingDraw {
                step: request.step,
                draw: request.draw,
            })?;
        if noise.batch_size() != like.batch_size() {
            return Err(Error::DimensionMismatch {
                what: "samples in a replayed draw",
                expected: like.batch_size(),
                got: noise.batch_size(),
            });
        }
        Ok(noise.clone())
    }
}

/// Any source, keeping a copy of every draw it hands out together with its request.
#[derive(Debug)]
pub struct Recorder<N, S> {
    inner: N,
    draws: Vec<(NoiseRequest, S)>,
}

impl<N, S> Recorder<N, S> {
    /// Records the draws of `inner`.
    pub fn new(inner: N) -> Self {
        Recorder {
            inner,
            draws: Vec::new(),
        }
    }

    /// The draws so far, in the order they were made.
    pub fn draws(&self) -> &[(NoiseRequest, S)] {
        &self.draws
    }

    /// The source and the draws it made.
    pub fn into_parts(self) -> (N, Vec<(NoiseRequest, S)>) {
        (self.inner, self.draws)
    }
}

impl<S: State, N: NoiseSource<S>> NoiseSource<S> for Recorder<N, S> {
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        let noise = self.inner.draw(like, request)?;
        self.draws.push((*request, noise.clone()));
        Ok(noise)
    }

    fn check(&self, like: &S) -> Result<()> {
        self.inner.check(like)
    }
}
