//! I27: eps <-> D <-> score conversions, the DDPM mean, DDIM at eta = 0 as Euler in x/s, and
//! DDIM at eta = 1 with DDPM's variance.

use crate::common::samplers::latents;
use elucidated::analytic::problems::{log_spaced_gaussian, stiff_gaussian8};
use elucidated::conversions::{
    ddpm_mean, denoised_from_eps, denoised_from_score, eps_from_denoised, eps_from_score,
    score_from_denoised, score_from_eps,
};
use elucidated::ddpm::BetaSchedule;
use elucidated::denoiser::Denoiser;
use elucidated::family::Family;
use elucidated::sampler::{
    Ddim, Ddpm, DdpmVariance, OdeSampler, Options, Sampler, SigmaGrid, Solver, StepEvent,
};
use elucidated::schedule::{Edm, Schedule, Vp};
use elucidated::state::State;
use elucidated::steps::Discretization;
use elucidated::tolerance::{REL_BEYOND_ROUNDING, REL_FLOAT, REL_SAMPLER_ROUNDING};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

fn close(a: &DVector<f64>, b: &DVector<f64>, scale: f64) -> bool {
    (a - b).amax() <= REL_FLOAT * scale
}

fn vec4() -> impl Strategy<Value = DVector<f64>> {
    proptest::collection::vec(-10.0f64..10.0, 4).prop_map(DVector::from_vec)
}

proptest! {
    /// I27: eps = (x/s - D)/sigma, D = x/s - sigma eps, score = (D - x/s)/(s sigma^2) =
    /// -eps/(s sigma): each conversion inverts the other and the two routes to the score agree.
    #[test]
    fn i27_conversions_round_trip(
        x in vec4(),
        d in vec4(),
        scale in 1e-3f64..=1.0,
        sigma in 1e-3f64..1e3,
    ) {
        let y = &x / scale;
        let size = y.amax().max(d.amax()).max(1.0);
        let eps = eps_from_denoised(&y, &d, sigma).unwrap();
        prop_assert!(close(&denoised_from_eps(&y, &eps, sigma).unwrap(), &d, size));
        let score = score_from_denoised(&x, &d, scale, sigma).unwrap();
        prop_assert!(close(&denoised_from_score(&x, &score, scale, sigma).unwrap(), &d, size));
        let score_scale = size / (scale * sigma * sigma);
        prop_assert!(close(&score_from_eps(&eps, scale, sigma).unwrap(), &score, score_scale));
        prop_assert!(close(&eps_from_score(&score, scale, sigma).unwrap(), &eps, size / sigma));
    }

    /// I27: the DDPM mean (x_t - beta_t/sqrt(1 - abar_t) eps)/sqrt(alpha_t) is the posterior
    /// mean sqrt(abar_{t-1}) beta_t/(1 - abar_t) x_0 + sqrt(alpha_t)(1 - abar_{t-1})/(1 - abar_t) x_t
    /// of q(x_{t-1} | x_t, x_0) with x_0 = x_t/s - sigma eps (Ho et al. Eq. 7), for both beta
    /// schedules at every t.
    #[test]
    fn i27_ddpm_mean_is_posterior_mean(
        x_t in vec4(),
        eps in vec4(),
        t in 2usize..=1000,
        cosine in any::<bool>(),
    ) {
        let betas = if cosine {
            BetaSchedule::cosine(0.008, 1000).unwrap()
        } else {
            BetaSchedule::linear(1e-4, 0.02, 1000).unwrap()
        };
        let ln_abar = betas.ln_alpha_bars();
        let (beta, sigma) = (betas.betas()[t - 1], betas.sigmas()[t - 1]);
        let (a, a_prev) = (ln_abar[t - 1].exp(), ln_abar[t - 2].exp());
        let (one_minus, one_minus_prev) = (-ln_abar[t - 1].exp_m1(), -ln_abar[t - 2].exp_m1());
        let x0 = &x_t / a.sqrt() - &eps * sigma;
        let posterior = &x0 * (a_prev.sqrt() * beta / one_minus)
            + &x_t * ((1.0 - beta).sqrt() * one_minus_prev / one_minus);
        let mean = ddpm_mean(&x_t, &eps, beta, sigma).unwrap();
        let size = x_t.amax().max(x0.amax()).max(1.0);
        prop_assert!((mean - posterior).amax() <= REL_FLOAT * size);
    }
}

/// I27 with analytic data: the score from the exact Gaussian denoiser is the exact score of
/// p_t = N(s mu, s^2 (Sigma + sigma^2 I)) (I03, I30), and for DDPM's s sigma = sqrt(1 - abar_t)
/// it is -eps / sqrt(1 - abar_t).
#[test]
fn i27_score_of_exact_denoiser_is_gaussian_score() {
    let data = log_spaced_gaussian(5, 1e-3, 2.0, 0.4).unwrap();
    let vp = Vp::paper();
    let x = DVector::from_vec(vec![0.3, -1.2, 2.0, 0.05, -0.7]);
    for t in [0.01, 0.2, 0.5, 0.9] {
        let (s, sigma) = (vp.scale_at(t), vp.sigma_at(t));
        let d = data.denoise(&(&x / s), sigma).unwrap();
        let score = score_from_denoised(&x, &d, s, sigma).unwrap();
        let exact = data.marginal(&vp, t).unwrap().score(&x, 0.0).unwrap();
        assert!(close(&score, &exact, exact.amax()));
        let eps = eps_from_denoised(&(&x / s), &d, sigma).unwrap();
        let one_minus_abar = sigma * sigma / (1.0 + sigma * sigma);
        let ddpm = -&eps / one_minus_abar.sqrt();
        assert!(close(&ddpm, &score, exact.amax()));
    }
}

/// I27: the first DDPM step is mu_theta(x_T, eps_theta) + sigma_T z, with eps_theta from D and z
/// the next draws of the sample's stream.
#[test]
fn i27_ddpm_step_is_mean_plus_noise() {
    let betas = BetaSchedule::linear(1e-4, 0.02, 1000).unwrap();
    let ddpm = Ddpm::new(&betas, DdpmVariance::Beta);
    let data = log_spaced_gaussian(4, 1e-2, 1.0, 0.3).unwrap();
    let (latent, mut streams) = latents(4, &[9]);
    let mut replay = streams.clone();
    let mut first: Option<DMatrix<f64>> = None;
    let mut observer = |e: &StepEvent<'_, DMatrix<f64>>| {
        if e.step == 0 {
            first = Some(e.x.clone());
        }
    };
    ddpm.sample_with(
        &data,
        &latent,
        &mut streams,
        Options::new().observe(&mut observer),
    )
    .unwrap();
    let abar_t = betas.alpha_bars()[999];
    let (beta, sigma, s) = (betas.betas()[999], betas.sigmas()[999], abar_t.sqrt());
    let x_t = &latent * (1.0 - abar_t).sqrt();
    let d = data.denoise(&(&x_t / s), sigma).unwrap();
    let eps = eps_from_denoised(&(&x_t / s), &d, sigma).unwrap();
    let mean = ddpm_mean(&x_t, &eps, beta, sigma).unwrap();
    let z = x_t.randn_like(&mut replay).unwrap();
    let expected = mean + z * beta.sqrt();
    assert!((first.unwrap() - &expected).amax() <= REL_FLOAT * expected.amax());
}

/// I27: DDIM at eta = 0 on the VP schedule is, step by step, the Euler step of the sigma = t,
/// s = 1 ODE (I08) taken in x/s: its trajectory divided by s_i is the trajectory of the Euler
/// sampler of the EDM schedule at the same noise levels. It is not the Euler step of I07 in VP's
/// own t, which ends far away.
#[test]
fn i27_ddim_eta0_is_euler_in_x_over_s() {
    let vp = Vp::paper();
    let n = 20;
    let times = Discretization::paper(Family::Vp).native_times(n).unwrap();
    let grid = SigmaGrid::from_schedule(&vp, &times).unwrap();
    let data = stiff_gaussian8().unwrap();
    let (latent, streams) = latents(8, &[1, 2, 3]);
    let ddim = Ddim::new(&grid, 0.0)
        .unwrap()
        .sample_with(
            &data,
            &latent,
            &mut streams.clone(),
            Options::new().record(),
        )
        .unwrap();
    let euler_edm = OdeSampler::new(&Edm, grid.sigmas(), Solver::Euler)
        .unwrap()
        .sample_with(
            &data,
            &latent,
            &mut streams.clone(),
            Options::new().record(),
        )
        .unwrap();
    for i in 0..=n {
        let y = &ddim.trajectory[i] / grid.scales()[i];
        let e = &euler_edm.trajectory[i];
        assert!(
            (&y - e).amax() <= REL_SAMPLER_ROUNDING * e.amax(),
            "step {i}: {}",
            (&y - e).amax()
        );
    }
    let euler_vp = OdeSampler::new(&vp, &times, Solver::Euler)
        .unwrap()
        .sample(&data, &latent, &mut streams.clone())
        .unwrap();
    assert!((euler_vp - &ddim.x).amax() > REL_BEYOND_ROUNDING * ddim.x.amax());
}

/// With s = 1 the two are the same code path: DDIM at eta = 0 on the EDM schedule equals the
/// Euler sampler bit for bit.
#[test]
fn i27_ddim_eta0_is_euler_bitwise_at_unit_scale() {
    let times = Discretization::paper(Family::Edm)
        .times_for(18, &Edm)
        .unwrap();
    let data = stiff_gaussian8().unwrap();
    let (latent, streams) = latents(8, &[7, 8]);
    let ddim = Ddim::new(&SigmaGrid::from_schedule(&Edm, &times).unwrap(), 0.0)
        .unwrap()
        .sample(&data, &latent, &mut streams.clone())
        .unwrap();
    let euler = OdeSampler::new(&Edm, &times, Solver::Euler)
        .unwrap()
        .sample(&data, &latent, &mut streams.clone())
        .unwrap();
    assert_eq!(ddim, euler);
}

/// I27: DDIM at eta = 1 over the full chain adds noise of DDPM's posterior variance
/// beta_tilde_t = (1 - abar_{t-1})/(1 - abar_t) beta_t at every step (in x units, s_{t-1}
/// sigma_up), for the linear and the cosine schedule; DDPM's sampler with that variance uses
/// the same, and the two samplers give the same samples.
#[test]
fn i27_ddim_eta1_has_ddpm_variance() {
    for betas in [
        BetaSchedule::linear(1e-4, 0.02, 1000).unwrap(),
        BetaSchedule::cosine(0.008, 1000).unwrap(),
    ] {
        let t_max = betas.len();
        let steps: Vec<usize> = (1..=t_max).rev().collect();
        let ddim = Ddim::new(&SigmaGrid::from_betas(&betas, &steps).unwrap(), 1.0).unwrap();
        let ddpm = Ddpm::new(&betas, DdpmVariance::Posterior);
        let one_minus: Vec<f64> = betas.ln_alpha_bars().iter().map(|l| -l.exp_m1()).collect();
        for (i, &t) in steps.iter().enumerate().filter(|&(_, &t)| t > 1) {
            let tilde = one_minus[t - 2] / one_minus[t - 1] * betas.betas()[t - 1];
            let (a, b) = (ddim.noise_std(i).unwrap(), ddpm.noise_std(i).unwrap());
            assert!((a * a - tilde).abs() <= REL_FLOAT * tilde, "t {t}: {a}");
            assert!((a - b).abs() <= REL_FLOAT * b, "t {t}: {a} {b}");
        }
        assert_eq!(ddim.noise_std(t_max - 1), Some(0.0));
        let data = stiff_gaussian8().unwrap();
        let (latent, streams) = latents(8, &[21, 22]);
        let a = ddim.sample(&data, &latent, &mut streams.clone()).unwrap();
        let b = ddpm.sample(&data, &latent, &mut streams.clone()).unwrap();
        assert!((&a - &b).amax() <= REL_SAMPLER_ROUNDING * b.amax().max(1.0));
    }
}
