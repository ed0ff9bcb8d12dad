//! One Euler step of the probability-flow ODE (I07) on analytic data, from arbitrary x, t and
//! t_next: a finite state or a typed error, and on EDM's schedule the step to t_next = 0 lands
//! on the denoiser's output, x + (0 - t)(x - D)/t = D (I08).
//!
//! The crate's samplers are not yet part of the core; the step here is the plain Euler step
//! x + (t_next - t)(a x - b D(x/s; sigma)) with the crate's ODE coefficients, `State` and
//! `Denoiser`, and a 1-D Gaussian denoiser D(x; sigma) = mu + v / (v + sigma^2) (x - mu) (I05).
#![no_main]

use arbitrary::Arbitrary;
use elucidated::denoiser::Denoiser;
use elucidated::error::{Error, Result};
use elucidated::schedule::{Edm, Schedule, ScheduleKind, Vp};
use elucidated::sde::Coefficients;
use elucidated::state::State;
use libfuzzer_sys::fuzz_target;
use nalgebra::DVector;

/// Bound, in units of f64::EPSILON relative to |x| + |D|, on |step to 0 - D| for EDM:
/// (x - D)/t, times -t, plus x: four roundings, the last two relative to |x| and |x - D|.
const EULER_TO_ZERO_EPS: f64 = 4.0;

/// Largest state the target builds.
const MAX_DIM: usize = 16;

/// The posterior mean of N(mu, v) data under noise sigma: mu + v / (v + sigma^2) (x - mu) (I05).
#[derive(Debug)]
struct Gaussian {
    mu: f64,
    v: f64,
}

impl Gaussian {
    fn new(mu: f64, v: f64) -> Result<Self> {
        if !mu.is_finite() {
            return Err(Error::NotFinite {
                name: "mu",
                value: mu,
            });
        }
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::Negative {
                name: "v",
                value: v,
            });
        }
        Ok(Gaussian { mu, v })
    }

    /// v / (v + sigma^2) = 1 / (1 + (sigma / sqrt v)^2), which cannot overflow to NaN.
    fn weight(&self, sigma: f64) -> f64 {
        if self.v == 0.0 {
            return 0.0;
        }
        let r = sigma / self.v.sqrt();
        (r.mul_add(r, 1.0)).recip()
    }
}

impl Denoiser<DVector<f64>> for Gaussian {
    fn denoise(&self, x: &DVector<f64>, sigma: f64) -> Result<DVector<f64>> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::NotPositive {
                name: "sigma",
                value: sigma,
            });
        }
        if let Some(&bad) = x.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                name: "x",
                value: bad,
            });
        }
        let w = self.weight(sigma);
        Ok(x.map(|xi| w.mul_add(xi - self.mu, self.mu)))
    }
}

/// x + (t_next - t)(a x - b D(x/s; sigma)) (I07), with t in the schedule's range and
/// t_next in [t_min, t).
fn euler_step<S: Schedule>(
    schedule: &S,
    denoiser: &Gaussian,
    x: &DVector<f64>,
    t: f64,
    t_next: f64,
) -> Result<DVector<f64>> {
    let (lo, hi) = schedule.t_range();
    if !(t.is_finite() && t_next.is_finite() && lo <= t_next && t_next < t && t <= hi) {
        return Err(Error::InvalidTimeRange {
            min: t_next,
            max: t,
        });
    }
    let c = Coefficients::at(schedule, t);
    let ode = c.ode();
    let d = denoiser.denoise(&State::scale(x, c.scale.recip())?, c.sigma)?;
    let slope = x.lin_comb(ode.a, &d, -ode.b)?;
    let next = x.lin_comb(1.0, &slope, t_next - t)?;
    match next.iter().find(|v| !v.is_finite()) {
        Some(_) => Err(Error::Overflow {
            what: "Euler step",
            value: t,
        }),
        None => Ok(next),
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    x: Vec<f64>,
    t: f64,
    t_next: f64,
    mu: f64,
    v: f64,
    vp: bool,
}

fn run(input: &Input) {
    let Ok(gaussian) = Gaussian::new(input.mu, input.v) else {
        return;
    };
    let len = input.x.len().clamp(1, MAX_DIM);
    let x = DVector::from_iterator(len, input.x.iter().copied().chain([0.0]).take(len));
    let schedule = if input.vp {
        ScheduleKind::Vp(Vp::paper())
    } else {
        ScheduleKind::Edm(Edm)
    };
    let (t, t_next) = (input.t.abs(), input.t_next.abs());
    match euler_step(&schedule, &gaussian, &x, t, t_next) {
        Ok(next) => {
            assert!(next.iter().all(|v| v.is_finite()));
            if !input.vp && t_next == 0.0 {
                check_lands_on_denoiser(&gaussian, &x, t, &next);
            }
        }
        Err(e) => assert!(
            matches!(
                e,
                Error::InvalidTimeRange { .. }
                    | Error::NotFinite { .. }
                    | Error::NotPositive { .. }
                    | Error::Overflow { .. }
            ),
            "unexpected {e:?} for {input:?}"
        ),
    }
}

/// Whether x / t is exactly zero or a normal float64 (a subnormal or underflowed quotient has
/// lost relative accuracy).
fn normal_quotient(x: f64, t: f64) -> bool {
    x == 0.0 || (x / t).abs() >= f64::MIN_POSITIVE
}

/// I08 (sigma = t, s = 1): the Euler step from t to 0 is x - t (x - D)/t = D, checked wherever
/// the step's quotients x/t and D/t are normal float64 numbers.
fn check_lands_on_denoiser(g: &Gaussian, x: &DVector<f64>, t: f64, next: &DVector<f64>) {
    let d = g.denoise(x, t).unwrap();
    for ((&xi, &di), &ni) in x.iter().zip(d.iter()).zip(next.iter()) {
        if !(normal_quotient(xi, t) && normal_quotient(di, t)) {
            continue;
        }
        let err = (ni - di).abs() / ((xi.abs() + di.abs()) * f64::EPSILON);
        assert!(
            ni == di || err <= EULER_TO_ZERO_EPS,
            "Euler step to 0 gave {ni:?}, D = {di:?} ({err} eps) from x = {xi:?}, t = {t:?}"
        );
    }
}

fuzz_target!(|input: Input| run(&input));
