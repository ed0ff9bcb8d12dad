//! Algorithm 1 of EDM for any (s, sigma): Euler and Heun steps of the probability-flow ODE
//! (I07), with NVlabs's general second-order (alpha) variant, and the step plan that Algorithm 2
//! ([`super::StochasticSampler`]) shares.

use super::grid::{TimeGrid, check_step_point, step_point};
use super::run::{Options, Run, Sample, Sampler};
use super::stochastic::{Churn, ChurnStep};
use crate::denoiser::Denoiser;
use crate::error::{Result, in_range};
use crate::noise::NoiseStream;
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

/// Where and how the denoiser is evaluated: scale s and noise level sigma at that time.
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

/// The second evaluation of a second-order step: x' = p_x x + p_D D, D' = D(x'/s'; sigma'),
/// then x_{i+1} = q_x x + q_D D + q_D' D'.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Correction {
    at: Eval,
    predictor: (f64, f64),
    combine: [f64; 3],
}

impl Correction {
    /// The alpha-variant of NVlabs's ablation sampler from `start` towards `next` with step
    /// `h`, expanded into one linear combination of x, D and D' (no difference x' - x is formed,
    /// so no rounding is amplified for small alpha). At alpha = 1 the second evaluation is at
    /// the grid time t_{i+1} itself.
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
        let predictor = (1.0 + alpha * ha, -alpha * hb);
        let combine = [
            1.0 + w1 * ha + w2 * ha2 * predictor.0,
            -w1 * hb + w2 * ha2 * predictor.1,
            -w2 * hb2,
        ];
        Ok(Correction {
            at: Eval::from(&mid),
            predictor,
            combine,
        })
    }
}

/// One step of Algorithm 1 or 2, every coefficient computed at construction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanStep {
    churn: Option<ChurnStep>,
    at: Eval,
    sigma_from: f64,
    sigma_next: f64,
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
    x0_factor: f64,
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
                    at: Eval::from(&start),
                    sigma_from: cur.sigma,
                    sigma_next: next.sigma,
                    euler: euler_coefficients(&start, h),
                    correction,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Plan {
            steps,
            x0_factor: points[0].sigma * points[0].scale,
        })
    }

    pub(crate) fn steps(&self) -> &[PlanStep] {
        &self.steps
    }

    pub(crate) fn nfe(&self) -> usize {
        self.steps.len() + self.steps.iter().filter(|s| s.correction.is_some()).count()
    }

    pub(crate) fn run<S: State, D: Denoiser<S> + ?Sized>(
        &self,
        denoiser: &D,
        latent: &S,
        streams: &mut [NoiseStream],
        options: Options<'_, S>,
    ) -> Result<Sample<S>> {
        let mut x = latent.scale(self.x0_factor)?;
        let mut run = Run::start(denoiser, options, self.steps.len(), &x, streams)?;
        for (i, step) in self.steps.iter().enumerate() {
            if let Some(churn) = &step.churn {
                churn.apply(&mut x, streams)?;
            }
            let denoised = run.denoise(&x, step.at.scale, step.at.sigma)?;
            match &step.correction {
                None => x.lin_comb_assign(step.euler.0, &denoised, step.euler.1)?,
                Some(c) => {
                    let (px, pd) = c.predictor;
                    let x_prime = x.lin_comb(px, &denoised, pd)?;
                    let denoised_prime = run.denoise(&x_prime, c.at.scale, c.at.sigma)?;
                    x.lin_comb_assign(c.combine[0], &denoised, c.combine[1])?;
                    x.lin_comb_assign(1.0, &denoised_prime, c.combine[2])?;
                }
            }
            run.step_done(i, (step.sigma_from, step.sigma_next), &x, &denoised);
        }
        Ok(run.finish(x))
    }
}

/// Algorithm 1 of EDM, generalised to any (s, sigma) as NVlabs's ablation sampler: x_0 =
/// sigma(t_0) s(t_0) n, then Euler or second-order steps of dx/dt = a x - b D(x/s; sigma) (I07)
/// at the times t_0 > ... > t_N (from [`crate::steps::Discretization::times_for`] or
/// [`crate::steps::Discretization::native_times`]). NFE: N for Euler, 2N - 1 for Heun on a grid ending at sigma = 0.
///
/// ```
/// use elucidated::denoiser::FromFn;
/// use elucidated::sampler::{OdeSampler, Sampler, Solver};
/// use elucidated::schedule::Edm;
/// use elucidated::steps::Discretization;
/// use nalgebra::DVector;
///
/// let times = Discretization::paper("edm")?.times_for(18, &Edm)?;
/// let heun = OdeSampler::new(&Edm, &times, Solver::HEUN)?;
/// assert_eq!(heun.nfe(), 35);
/// // Data concentrated at y = 1: the exact denoiser is the constant 1.
/// let one = FromFn(|x: &DVector<f64>, _| Ok(x.map(|_| 1.0)));
/// let x = elucidated::sampler::generate(&heun, &one, &DVector::zeros(4), &[7])?;
/// assert!(x.iter().all(|&v| (v - 1.0).abs() < 1e-12));
/// # Ok::<(), elucidated::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OdeSampler {
    plan: Plan,
}

impl OdeSampler {
    /// The sampler for `schedule` at `times`: finite, strictly decreasing, inside the
    /// schedule's `t_range()`, with sigma(t_i) > 0 for i < N (a grid ending at sigma(t_N) = 0
    /// samples the data; one ending above stops at that noise level).
    pub fn new<S: Schedule>(schedule: &S, times: &[f64], solver: Solver) -> Result<Self> {
        Ok(OdeSampler {
            plan: Plan::new(schedule, times, solver, None)?,
        })
    }
}

impl Sampler for OdeSampler {
    fn steps(&self) -> usize {
        self.plan.steps().len()
    }

    fn nfe(&self) -> usize {
        self.plan.nfe()
    }

    fn sample_with<S: State, D: Denoiser<S> + ?Sized>(
        &self,
        denoiser: &D,
        latent: &S,
        streams: &mut [NoiseStream],
        options: Options<'_, S>,
    ) -> Result<Sample<S>> {
        self.plan.run(denoiser, latent, streams, options)
    }
}
