//! Discrete DDPM beta schedules (I15) and the one-step recursion (I04).

use elucidated::ddpm::BetaSchedule;
use elucidated::noise::NoiseStream;
use elucidated::schedule::{Edm, Schedule, ScheduleKind, Ve, Vp};
use elucidated::tolerance::{REL_FLOAT, mean_bound, rel_diff, variance_ratio_interval};

/// I15, linear: beta_t = beta_1 + (t - 1)/(T - 1) (beta_T - beta_1), endpoints exact.
#[test]
fn i15_linear_betas() {
    let s = BetaSchedule::linear(1e-4, 0.02, 1000).unwrap();
    let b = s.betas();
    assert_eq!((b[0], b[999]), (1e-4, 0.02));
    for (k, &beta) in b.iter().enumerate() {
        let expected = 1e-4 + k as f64 / 999.0 * (0.02 - 1e-4);
        assert!(rel_diff(beta, expected) <= REL_FLOAT);
    }
}

/// I15, cosine: abar_t = f(t)/f(0) with f(t) = cos^2(((t/T + s)/(1 + s)) pi/2); every beta is
/// positive (no integer division of t by T zeroing all but the last), at most 0.999.
#[test]
fn i15_cosine_betas_give_the_cosine_alpha_bar() {
    let (s, t) = (BetaSchedule::DEFAULT_COSINE_S, 1000);
    let sched = BetaSchedule::cosine(s, t).unwrap();
    let f = |k: usize| {
        (((k as f64 / t as f64) + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2)
            .cos()
            .powi(2)
    };
    assert!(sched.betas().iter().all(|&b| b > 0.0 && b <= 0.999));
    assert!(
        sched.betas()[0] < 1e-3,
        "the first beta is small but not zero"
    );
    let abar = sched.alpha_bars();
    for k in 1..t {
        // Unclipped steps reproduce f(t)/f(0); the clipping at 0.999 only acts at the very end.
        if sched.betas()[..k].iter().all(|&b| b < 0.999) {
            assert!(
                rel_diff(abar[k - 1], f(k) / f(0)) <= 1e3 * REL_FLOAT,
                "abar at {k}"
            );
        }
    }
}

/// I15: abar_t = prod (1 - beta_s) ~ exp(-sum beta_s), with |ln abar_t + sum beta| <= sum beta^2
/// (ln(1 - b) lies in [-b - b^2, -b] for b <= 1/2); and sigma_t = sqrt((1 - abar)/abar).
#[test]
fn i15_alpha_bar_is_exp_of_minus_integrated_beta() {
    let sched = BetaSchedule::linear(1e-4, 0.02, 1000).unwrap();
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    let ln_abar = sched.ln_alpha_bars();
    let sigmas = sched.sigmas();
    for (k, &b) in sched.betas().iter().enumerate() {
        sum += b;
        sum_sq += b * b;
        assert!((ln_abar[k] + sum).abs() <= sum_sq * (1.0 + REL_FLOAT) + 1e-15);
        let abar = ln_abar[k].exp();
        assert!(rel_diff(sigmas[k], ((1.0 - abar) / abar).sqrt()) <= 1e4 * REL_FLOAT);
    }
}

#[test]
fn i15_constructors_reject_bad_parameters() {
    assert!(BetaSchedule::linear(f64::NAN, 0.02, 1000).is_err());
    assert!(BetaSchedule::linear(1e-4, 0.02, 1).is_err());
    assert!(BetaSchedule::linear(-1e-4, 0.02, 10).is_err());
    assert!(BetaSchedule::cosine(-0.1, 1000).is_err());
    assert!(BetaSchedule::from_betas(vec![0.1, 1.0]).is_err());
    assert!(BetaSchedule::from_betas(vec![]).is_err());
}

/// An increasing time grid on which sigma increases.
fn grid(schedule: &ScheduleKind) -> Vec<f64> {
    let top = match schedule {
        ScheduleKind::Vp(_) => 1.0,
        _ => 50.0,
    };
    (1..=40).map(|k| top * k as f64 / 40.0).collect()
}

/// I04: the recursion x_t = (s_t/s_{t-1}) x_{t-1} + s_t sqrt(sigma_t^2 - sigma_{t-1}^2) eps_t
/// propagates mean s_t x_0 and variance s_t^2 sigma_t^2 (the kernel of I01) — exactly, by moment
/// algebra, and by Monte Carlo with a fixed seed.
#[test]
fn i04_one_step_recursion_has_the_kernel_marginals() {
    let x0 = 0.8;
    let n = 20_000;
    for schedule in [
        ScheduleKind::Vp(Vp::paper()),
        ScheduleKind::Ve(Ve),
        ScheduleKind::Edm(Edm),
    ] {
        let ts = grid(&schedule);
        let (s0, sig0) = (schedule.scale_at(ts[0]), schedule.sigma_at(ts[0]));
        let (mut mean, mut var) = (s0 * x0, (s0 * sig0).powi(2));
        let mut stream = NoiseStream::new(4);
        let mut xs: Vec<f64> = (0..n).map(|_| s0 * (x0 + sig0 * stream.normal())).collect();
        for w in ts.windows(2) {
            let (sp, s) = (schedule.scale_at(w[0]), schedule.scale_at(w[1]));
            let (gp, g) = (schedule.sigma_at(w[0]), schedule.sigma_at(w[1]));
            let step = s * (g * g - gp * gp).sqrt();
            mean *= s / sp;
            var = (s / sp).powi(2) * var + step * step;
            for x in &mut xs {
                *x = s / sp * *x + step * stream.normal();
            }
            assert!(rel_diff(mean, s * x0) <= REL_FLOAT, "{schedule:?} mean");
            assert!(
                rel_diff(var, (s * g).powi(2)) <= 1e2 * REL_FLOAT,
                "{schedule:?} var"
            );
        }
        let t = *ts.last().unwrap();
        let (s, g) = (schedule.scale_at(t), schedule.sigma_at(t));
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!(
            (m - s * x0).abs() <= mean_bound(s * g, n).unwrap(),
            "{schedule:?} MC mean"
        );
        let (lo, hi) = variance_ratio_interval(n).unwrap();
        assert!(
            (lo..=hi).contains(&(v / (s * g).powi(2))),
            "{schedule:?} MC var"
        );
    }
}
