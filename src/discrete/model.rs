//! A discrete-time model (called with the VP-scaled state and a timestep) as a [`Denoiser`].

use super::{DiscreteSchedule, Prediction, VpLevel};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::state::State;

/// A network of a discrete-time model: it receives the VP-scaled state x = a y + b n (I32) and a
/// timestep t in [0, T-1] (an integer, or fractional under k-diffusion's interpolation) and
/// returns its prediction (eps, v or x0; see [`Prediction`]).
pub trait DiscreteModel<S: State> {
    /// The model's output at the VP-scaled state `x` and timestep `t`.
    fn predict(&self, x: &S, t: f64) -> Result<S>;
}

impl<S: State, F: Fn(&S, f64) -> Result<S>> DiscreteModel<S> for F {
    fn predict(&self, x: &S, t: f64) -> Result<S> {
        self(x, t)
    }
}

/// How a noise level becomes the timestep a [`DiscreteModel`] is called with (I33).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timestep {
    /// The fractional t(sigma) of k-diffusion, ln sigma interpolated between table entries
    /// ([`DiscreteSchedule`]'s inverse).
    Interpolated,
    /// The integer timestep nearest in ln sigma ([`DiscreteSchedule::nearest_timestep`]).
    Nearest,
}

/// An eps-, v- or x0-predicting [`DiscreteModel`] as a [`Denoiser`] (I32): D(x~; sigma) with
/// a = 1/sqrt(1 + sigma^2), x = a x~ the VP-scaled input, t the model's timestep of sigma, and
/// D from the prediction by [`Prediction::denoised`]. The noise level itself (not the timestep's)
/// sets a and b, as k-diffusion's discrete wrappers do.
///
/// ```
/// use elucidated::denoiser::Denoiser;
/// use elucidated::discrete::{
///     DiscreteDenoiser, DiscreteSchedule, DiscreteTable, Prediction, Timestep, VpLevel,
/// };
/// use elucidated::schedule::Schedule;
/// use nalgebra::DVector;
///
/// // Data concentrated at y = 0: x = b n, so the exact v-prediction is v = a n = (a / b) x.
/// let schedule = DiscreteSchedule::new(DiscreteTable::linear(1e-4, 0.02, 1000).unwrap());
/// let table_schedule = schedule.clone();
/// let v_model = move |x: &DVector<f64>, t: f64| {
///     let level = VpLevel::from_sigma(table_schedule.sigma_at(t))?;
///     Ok(x * (level.signal / level.noise))
/// };
/// let d = DiscreteDenoiser::new(v_model, schedule.clone(), Prediction::V, Timestep::Interpolated);
/// let out = d.denoise(&DVector::from_element(2, 3.0), 1.5).unwrap();
/// assert!(out.amax() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct DiscreteDenoiser<M> {
    model: M,
    schedule: DiscreteSchedule,
    prediction: Prediction,
    timestep: Timestep,
}

impl<M> DiscreteDenoiser<M> {
    /// `model` predicting `prediction` on `schedule`'s table, called at timesteps chosen by
    /// `timestep`.
    pub fn new(
        model: M,
        schedule: DiscreteSchedule,
        prediction: Prediction,
        timestep: Timestep,
    ) -> Self {
        DiscreteDenoiser {
            model,
            schedule,
            prediction,
            timestep,
        }
    }

    /// The schedule whose table the model was trained on.
    pub fn schedule(&self) -> &DiscreteSchedule {
        &self.schedule
    }

    /// The timestep at which the model is called for noise level `sigma` (inf gives a
    /// zero-terminal-SNR table's last timestep, I34).
    pub fn timestep_of(&self, sigma: f64) -> Result<f64> {
        let table = self.schedule.table();
        if sigma.is_infinite() && table.is_zero_terminal_snr() {
            return Ok((table.len() - 1) as f64);
        }
        match self.timestep {
            Timestep::Interpolated => crate::schedule::Schedule::sigma_inv(&self.schedule, sigma),
            Timestep::Nearest => self.schedule.nearest_timestep(sigma).map(|k| k as f64),
        }
    }

    /// D from the VP-scaled state `x` = a y + b n at noise level `sigma` in (0, inf]: the form
    /// that reaches sigma = inf (zero terminal SNR, I34), where a v-prediction gives D = -v and
    /// an eps-prediction a typed error.
    pub fn denoise_scaled<S: State>(&self, x: &S, sigma: f64) -> Result<S>
    where
        M: DiscreteModel<S>,
    {
        let level = VpLevel::from_sigma(sigma)?;
        let output = self.model.predict(x, self.timestep_of(sigma)?)?;
        self.prediction.denoised(x, level, &output)
    }
}

impl<S: State, M: DiscreteModel<S>> Denoiser<S> for DiscreteDenoiser<M> {
    /// D(x~; sigma) for the unscaled x~ (the [`Denoiser`] convention): the model sees a x~.
    fn denoise(&self, x: &S, sigma: f64) -> Result<S> {
        if sigma.is_infinite() {
            return Err(Error::NotFinite {
                name: "sigma of an unscaled state (use denoise_scaled at sigma = inf)",
                value: sigma,
            });
        }
        crate::error::positive("sigma", sigma)?;
        let level = VpLevel::from_sigma(sigma)?;
        self.denoise_scaled(&x.scale(level.signal)?, sigma)
    }
}
