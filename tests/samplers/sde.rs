//! I26: the reverse SDE (Eq. 6) moves the marginal covariance of Gaussian data as the PF-ODE
//! does, for any beta(t), and with beta = sigma'/sigma it is Song et al.'s reverse SDE.

use elucidated::analytic::Gaussian;
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{EmStep, ReverseSde, Sampler};
use elucidated::schedule::{Schedule, ScheduleKind, Vp};
use elucidated::sde::Coefficients;
use elucidated::state::State;
use elucidated::tolerance::{ORDER_FIT, REL_FLOAT};
use nalgebra::DMatrix;

/// A Langevin rate beta(t) as a function of the schedule's coefficients.
type Beta = fn(&Coefficients) -> f64;

/// The Langevin rates tested: none (the PF-ODE's Euler step), Song's sigma'/sigma, and a
/// constant.
fn betas() -> [(&'static str, Beta); 3] {
    [
        ("zero", |_| 0.0),
        ("song", |c| c.sigma_dot / c.sigma),
        ("constant", |_| 3.0),
    ]
}

/// Largest relative error, over the eigen-directions of `data`, of the covariance after one
/// Euler–Maruyama step `em` from the exact marginal at `cur`, against the exact marginal at
/// `next`: for mean-zero Gaussian data D(y)_k = A_k y_k, A_k = lambda_k/(lambda_k + sigma^2)
/// (I30), so x' = (c_x + c_D A_k / s) x + c_n eps and Var x' = (c_x + c_D A_k/s)^2 C_k + c_n^2,
/// C_k = s^2 (lambda_k + sigma^2) (I03).
fn covariance_error(
    data: &Gaussian,
    em: &EmStep,
    cur: &Coefficients,
    next: &Coefficients,
) -> (f64, f64) {
    let mut worst = (0.0f64, 0.0f64);
    for &lambda in data.eigenvalues().iter() {
        let c_k = cur.scale.powi(2) * (lambda + cur.sigma.powi(2));
        let a_k = lambda / (lambda + cur.sigma.powi(2));
        let gain = em.x + em.denoised * a_k / cur.scale;
        let moved = gain * gain * c_k + em.noise * em.noise;
        let exact = next.scale.powi(2) * (lambda + next.sigma.powi(2));
        worst.0 = worst.0.max(((moved - exact) / exact).abs());
        worst.1 = worst.1.max(((exact - c_k) / c_k).abs());
    }
    worst
}

/// I26, exact on Gaussian data: from the marginal at t, one step of size h changes the
/// covariance by O(h) (the motion itself) and misses the exact marginal at t - h by O(h^2), for
/// every beta: the Langevin term's drift and noise cancel to first order, so the reverse SDE
/// and the PF-ODE move the covariance identically. Fitted over halvings of h at sigma(t) = 1 on
/// the VP, VE and EDM schedules.
#[test]
fn i26_reverse_sde_and_pf_ode_move_covariance_identically() {
    let data = log_spaced_gaussian(8, 1e-2, 1.0, 0.0).unwrap();
    for name in [Family::Vp, Family::Ve, Family::Edm] {
        let schedule = ScheduleKind::paper(name);
        let t = schedule.sigma_inv(1.0).unwrap();
        for (beta_name, beta) in betas() {
            let errors: Vec<(f64, f64)> = (8..12)
                .map(|k| {
                    let h = t * 0.5f64.powi(k);
                    let times = [t, t - h];
                    let em = ReverseSde::new(&schedule, &times, beta)
                        .unwrap()
                        .step(0)
                        .unwrap();
                    let (cur, next) = (
                        Coefficients::at(&schedule, t),
                        Coefficients::at(&schedule, t - h),
                    );
                    covariance_error(&data, &em, &cur, &next)
                })
                .collect();
            for w in errors.windows(2) {
                let miss = (w[0].0 / w[1].0).log2();
                let motion = (w[0].1 / w[1].1).log2();
                assert!(
                    (miss - 2.0).abs() <= ORDER_FIT && (motion - 1.0).abs() <= ORDER_FIT,
                    "{name} beta {beta_name}: miss order {miss}, motion order {motion}"
                );
            }
        }
    }
}

/// I26: with beta = sigma'/sigma the step is Song et al.'s Euler–Maruyama step of
/// dx = [f x - g^2 grad log p_t] dt + g dw with grad log p_t = (D - x/s) / (s sigma^2) (I06),
/// f and g from I02; for VP also f = -beta_VP(t)/2 and g^2 = beta_VP(t) (I10), for VE f = 0
/// and g^2 = d sigma^2/dt = 1 (I11).
#[test]
fn i26_song_beta_is_song_reverse_sde() {
    let vp = Vp::paper();
    for name in [Family::Vp, Family::Ve, Family::Edm, Family::Iddpm] {
        let schedule = ScheduleKind::paper(name);
        for sigma in [0.05, 0.7, 3.0, 40.0] {
            let t = schedule.sigma_inv(sigma).unwrap();
            let h = -0.01 * t;
            let em = ReverseSde::song(&schedule, &[t, t + h])
                .unwrap()
                .step(0)
                .unwrap();
            let c = Coefficients::at(&schedule, t);
            let (mut f, mut g2) = (c.f, c.g * c.g);
            if name == Family::Vp {
                assert!((f + 0.5 * vp.beta(t)).abs() <= REL_FLOAT * vp.beta(t));
                assert!((g2 - vp.beta(t)).abs() <= REL_FLOAT * vp.beta(t));
                (f, g2) = (-0.5 * vp.beta(t), vp.beta(t));
            }
            if name == Family::Ve {
                assert_eq!(f, 0.0);
                assert!((g2 - 1.0).abs() <= REL_FLOAT);
            }
            let k = g2 / (c.scale * c.sigma * c.sigma);
            let song = EmStep {
                x: 1.0 + h * f + h * k / c.scale,
                denoised: -h * k,
                noise: g2.sqrt() * (-h).sqrt(),
            };
            for (got, want) in [
                (em.x, song.x),
                (em.denoised, song.denoised),
                (em.noise, song.noise),
            ] {
                assert!(
                    (got - want).abs() <= REL_FLOAT * want.abs().max(1.0),
                    "{name} sigma {sigma}: {got} != {want}"
                );
            }
        }
    }
}

/// The sampler applies its step map: x_1 = c_x x_0 + c_D D(x_0/s_0) + c_n eps with eps the
/// next draws of each sample's stream.
#[test]
fn reverse_sde_run_applies_its_step() {
    let vp = Vp::paper();
    let data = log_spaced_gaussian(3, 0.01, 1.0, 0.3).unwrap();
    let times = [0.6, 0.5];
    let sde = ReverseSde::song(&vp, &times).unwrap();
    let em = sde.step(0).unwrap();
    let mut streams = NoiseStream::for_seeds(&[5, 6]);
    let latent = DMatrix::zeros(3, 2).randn_like(&mut streams).unwrap();
    let mut replay = streams.clone();
    let out = sde.sample(&data, &latent, &mut streams).unwrap();
    let c = Coefficients::at(&vp, 0.6);
    let x0 = &latent * (c.sigma * c.scale);
    let d: DMatrix<f64> =
        elucidated::denoiser::Denoiser::denoise(&data, &(&x0 / c.scale), c.sigma).unwrap();
    let eps = x0.randn_like(&mut replay).unwrap();
    let expected = &x0 * em.x + d * em.denoised + eps * em.noise;
    assert!((out - &expected).amax() <= REL_FLOAT * expected.amax());
}
