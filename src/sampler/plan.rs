//! The step plan of Algorithms 1 and 2 of EDM for any (s, sigma): Euler and second-order steps
//! of the probability-flow ODE (I07) with NVlabs's general second-order (alpha) variant, every
//! coefficient computed at construction, optionally after the churn of Algorithm 2 (I25). The
//! samplers [`super::OdeSampler`] and [`super::StochasticSampler`] run it.

use super::churn::{Churn, ChurnStep};
use super::grid::{TimeGrid, check_step_point, step_point};
use super::noise::{NoiseRequest, NoiseSource};
use super::run::{Options, Run, Sample, into_slot};
use crate::denoiser::Denoiser;
use crate::error::{Result, in_range};
use crate::schedule::Schedule;
use crate::sde::Coefficients;
use crate::state::State;

/// The ODE solver of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solver {
    /// First order: x_{i+1} = x_i + h dx/dt(t_i) (I24, p = 1).
    Euler,
    /// Second order (I24, p = 2): NVlabs's general variant, which evaluates dx/dt again at
    /// t' = t_i + alpha h and takes x_{i+1} = x_i + h ((1 - 1/(2 alpha)) d_i + 1/(2 alpha) d');
    /// alpha = 1 is Heun's method (Algorithm 1), alpha = 1/2 the midpoint method. alpha must lie
    /// in (0, 1]. No correction is made on a step into sigma = 0.
    Heun {
        /// Position of the second evaluation within the step, in (0, 1].
        alpha: f64,
    },
}

impl Solver {
    /// Heun's method, alpha = 1 (Algorithm 1).
    pub const HEUN: Solver = Solver::Heun { alpha: 1.0 };

    fn validate(self) -> Result<Self> {
        if let Solver::Heun { alpha } = self {
            in_range("alpha", alpha, f64::MIN_POSITIVE, 1.0)?;
        }
        Ok(self)
    }
}

/// (h a, h b) for the PF-ODE dx/dt = a x - b D(x/s; sigma) (I07) at the point `c`, with
/// a = sigma'/sigma + s'/s and b = sigma' s / sigma.
///
/// h sigma' / sigma is formed as (h sigma') / sigma: for sigma = t, s = 1 and a step into
/// sigma = 0 it is exactly -1, so that the Euler step returns D exactly (I08).
fn step_rates(c: &Coefficients, h: f64) -> (f64, f64) {
    let r = h * c.sigma_dot / c.sigma;
    (r + h * c.f, r * c.scale)
}

/// The coefficients (c_x, c_D) of the Euler step x + h (a x - b D) = c_x x + c_D D of the
/// PF-ODE (I07) from the point `c`; at sigma = t, s = 1 into sigma = 0 they are exactly (0, 1)
/// (I08).
pub(crate) fn euler_coefficients(c: &Coefficients, h: f64) -> (f64, f64) {
    let (ha, hb) = step_rates(c, h);
    (1.0 + ha, -hb)
}

/// Where the denoiser is evaluated: scale s and noise level sigma at that time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Eval {
    pub(crate) scale: f64,
    pub(crate) sigma: f64,
}

impl From<&Coefficients> for Eval {
    fn from(c: &Coefficients) -> Self {
        Eval {
            scale: c.scale,
            sigma: c.sigma,
        }
    }
}

/// The coefficients of x_{n} = c_x x + c_D D (scaled states at scales `from` and `to`) for the
/// unscaled states y = x/s: y_n = c_x (s / s_n) y + (c_D / s_n) D. Both ratios are exactly the
/// inputs where s = 1.
pub(crate) fn unscaled((cx, cd): (f64, f64), from: f64, to: f64) -> (f64, f64) {
    (cx * (from / to), cd / to)
}

/// The second evaluation of a second-order step, for unscaled states: y' = p_y y + p_D D,
/// D' = D(y'; sigma'), then y_{i+1} = q_y y + q_D D + q_D' D'.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Correction {
    sigma: f64,
    predictor: (f64, f64),
    combine: [f64; 3],
}

impl Correction {
    /// The alpha-variant of NVlabs's ablation sampler from `start` towards `next` with step
    /// `h`, in x: x' = x + alpha h d, x_{i+1} = x + h ((1 - 1/(2 alpha)) d + 1/(2 alpha) d'),
    /// expanded into one linear combination of x, D and D' (no difference x' - x is formed,
    /// so no rounding is amplified for small alpha), then written for y = x/s. At alpha = 1
    /// the second evaluation is at the grid time t_{i+1} itself.
    fn new<S: Schedule>(
        schedule: &S,
        (start, next): (&Coefficients, &Coefficients),
        h: f64,
        alpha: f64,
    ) -> Result<Self> {
        let mid = if alpha == 1.0 {
            check_step_point(next)?
        } else {
            step_point(schedule, start.t + alpha * h)?
        };
        let (ha, hb) = step_rates(start, h);
        let (ha2, hb2) = step_rates(&mid, h);
        let (w1, w2) = (1.0 - 0.5 / alpha, 0.5 / alpha);
        let (p0, p1) = (1.0 + alpha * ha, -alpha * hb);
        let q = [
            1.0 + w1 * ha + w2 * ha2 * p0,
            -w1 * hb + w2 * ha2 * p1,
            -w2 * hb2,
        ];
        let (q0, q1) = unscaled((q[0], q[1]), start.scale, next.scale);
        Ok(Correction {
            sigma: mid.sigma,
            predictor: unscaled((p0, p1), start.scale, mid.scale),
            combine: [q0, q1, q[2] / next.scale],
        })
    }
}

/// One step of Algorithm 1 or 2 for unscaled states, every coefficient computed at
/// construction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanStep {
    churn: Option<ChurnStep>,
    sigma: f64,
    sigma_from: f64,
    sigma_next: f64,
    scale_next: f64,
    euler: (f64, f64),
    correction: Option<Correction>,
}

impl PlanStep {
    pub(crate) fn churn(&self) -> Option<&ChurnStep> {
        self.churn.as_ref()
    }
}

/// The steps of Algorithm 1 (no churn) or 2.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    steps: Vec<PlanStep>,
    start: Eval,
}

impl Plan {
    pub(crate) fn new<S: Schedule>(
        schedule: &S,
        times: &[f64],
        solver: Solver,
        churn: Option<&Churn>,
    ) -> Result<Self> {
        let solver = solver.validate()?;
        let grid = TimeGrid::new(schedule, times)?;
        let points = grid.points();
        let n = grid.steps();
        let steps = points
            .windows(2)
            .map(|w| {
                let (cur, next) = (&w[0], &w[1]);
                let churn = match churn {
                    Some(c) => c.step(schedule, cur, n)?,
                    None => None,
                };
                let start = churn.as_ref().map_or(*cur, |c| c.at);
                let h = next.t - start.t;
                let correction = match solver {
                    Solver::Heun { alpha } if next.sigma > 0.0 => {
                        Some(Correction::new(schedule, (&start, next), h, alpha)?)
                    }
                    _ => None,
                };
                Ok(PlanStep {
                    churn,
                    sigma: start.sigma,
                    sigma_from: cur.sigma,
                    sigma_next: next.sigma,
                    scale_next: next.scale,
                    euler: unscaled(euler_coefficients(&start, h), start.scale, next.scale),
                    correction,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Plan {
            steps,
            start: Eval::from(&points[0]),
        })
    }

    pub(crate) fn steps(&self) -> &[PlanStep] {
        &self.steps
    }

    pub(crate) fn nfe(&self) -> usize {
        self.steps.len() + self.steps.iter().filter(|s| s.correction.is_some()).count()
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
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
        let mut y = latent.scale(self.start.sigma)?;
        let start = (&y, self.start.scale);
        let mut run = Run::start(denoiser, noise, options, self.steps.len(), start)?;
        let mut scratch: Option<S> = None;
        for (i, step) in self.steps.iter().enumerate() {
            let request = NoiseRequest {
                step: i,
                draw: 0,
                sigma_from: step.sigma_from,
                sigma_to: step.sigma,
            };
            match &step.churn {
                Some(churn) => {
                    let eps = run.draw(&y, request)?;
                    churn.apply_unscaled(&mut y, &eps)?;
                }
                None => run.unused_draw(&y, request)?,
            }
            let denoised = run.denoise(&y, step.sigma)?;
            match &step.correction {
                None => y.lin_comb_assign(step.euler.0, &denoised, step.euler.1)?,
                Some(c) => {
                    let (py, pd) = c.predictor;
                    let y_prime = into_slot(
                        scratch.take(),
                        |out| y.lin_comb_into(py, &denoised, pd, out),
                        || y.lin_comb(py, &denoised, pd),
                    )?;
                    let denoised_prime = run.denoise(&y_prime, c.sigma)?;
                    scratch = Some(y_prime);
                    let [q0, q1, q2] = c.combine;
                    y.lin_comb3_assign(q0, &denoised, q1, &denoised_prime, q2)?;
                }
            }
            let levels = (step.sigma_from, step.sigma_next);
            run.step_done(i, levels, (&y, step.scale_next), &denoised)?;
        }
        let scale = self.steps.last().map_or(self.start.scale, |s| s.scale_next);
        run.finish(y, scale)
    }
}
