//! Schedules: the forward process (I01, I02) and the built-in schedules (I10–I13).

use elucidated::noise::NoiseStream;
use elucidated::schedule::{
    Checked, Edm, Iddpm, IddpmTable, Scalar, Schedule, ScheduleKind, Ve, Vp, VpScaled,
};
use elucidated::sde::Coefficients;
use elucidated::tolerance::{
    REL_FLOAT, REL_QUADRATURE, mean_bound, rel_diff, ulp_distance, variance_ratio_interval,
};
use proptest::prelude::*;

/// Times inside (0, 1] at which the VP tests look, from the training floor to the top.
const VP_TIMES: [f64; 6] = [1e-5, 1e-3, 0.1, 0.5, 0.9, 1.0];

/// Gauss–Legendre nodes and weights on [-1, 1], 5 points (exact for degree 9).
const GL5: [(f64, f64); 5] = [
    (0.0, 0.568_888_888_888_888_9),
    (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (-0.906_179_845_938_664, 0.236_926_885_056_189_08),
    (0.906_179_845_938_664, 0.236_926_885_056_189_08),
];

/// Composite 5-point Gauss–Legendre quadrature of `f` over [a, b] with `panels` panels.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let h = (b - a) / panels as f64;
    (0..panels)
        .map(|k| {
            let mid = a + (k as f64 + 0.5) * h;
            GL5.iter()
                .map(|(x, w)| w * f(mid + 0.5 * h * x))
                .sum::<f64>()
                * 0.5
                * h
        })
        .sum()
}

/// I01: x_t = s(t) (x_0 + sigma(t) eps) has mean s x_0 and variance s^2 sigma^2. Checked by
/// Monte Carlo (fixed seed) against bounds at the crate's false-alarm rate.
#[test]
fn i01_perturbation_kernel_moments() {
    let n = 20_000;
    let x0 = 0.7;
    for (schedule, t) in [
        (ScheduleKind::Vp(Vp::paper()), 0.3),
        (ScheduleKind::Ve(Ve), 4.0),
        (ScheduleKind::Edm(Edm), 2.5),
    ] {
        let (s, sigma) = (schedule.scale_at(t), schedule.sigma_at(t));
        let mut stream = NoiseStream::new(1);
        let xs: Vec<f64> = (0..n).map(|_| s * (x0 + sigma * stream.normal())).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let std = s * sigma;
        assert!(
            (mean - s * x0).abs() <= mean_bound(std, n).unwrap(),
            "{schedule:?} mean"
        );
        let (lo, hi) = variance_ratio_interval(n).unwrap();
        let ratio = var / (std * std);
        assert!(
            lo <= ratio && ratio <= hi,
            "{schedule:?} variance ratio {ratio}"
        );
    }
}

/// I02 (s, sigma) -> (f, g): the derived drift and diffusion equal each schedule's closed form
/// (VP: f = -beta/2, g = sqrt(beta); VE: f = 0, g = 1; EDM: f = 0, g = sqrt(2t)).
#[test]
fn i02_f_g_from_s_sigma_closed_forms() {
    let vp = Vp::paper();
    for t in VP_TIMES {
        let c = Coefficients::at(&vp, t);
        assert!(rel_diff(c.f, -0.5 * vp.beta(t)) <= REL_FLOAT, "VP f at {t}");
        assert!(rel_diff(c.g, vp.beta(t).sqrt()) <= REL_FLOAT, "VP g at {t}");
    }
    for t in [1e-4, 0.5, 3.0, 1e4] {
        let ve = Coefficients::at(&Ve, t);
        assert_eq!(ve.f, 0.0);
        assert!(rel_diff(ve.g, 1.0) <= REL_FLOAT, "VE g at {t}");
        let edm = Coefficients::at(&Edm, t);
        assert_eq!(edm.f, 0.0);
        assert!(
            rel_diff(edm.g, (2.0 * t).sqrt()) <= REL_FLOAT,
            "EDM g at {t}"
        );
    }
}

/// I02 (f, g) -> (s, sigma): integrating the derived f and g numerically recovers
/// s(t) = exp(int_0^t f) and sigma(t)^2 = int_0^t g^2 / s^2, for VP, VE, EDM and a VP-scaled VE.
#[test]
fn i02_round_trip_integrates_f_and_g_back_to_s_and_sigma() {
    fn check<S: Schedule + std::fmt::Debug>(schedule: &S, t: f64) {
        let f = |r: f64| Coefficients::at(schedule, r).f;
        let g2_over_s2 = |r: f64| {
            let c = Coefficients::at(schedule, r);
            (c.g / c.scale).powi(2)
        };
        let s = integrate(f, 0.0, t, 64).exp();
        let sigma2 = integrate(g2_over_s2, 0.0, t, 64);
        assert!(
            rel_diff(s, schedule.scale_at(t) / schedule.scale_at(0.0)) <= REL_QUADRATURE,
            "{schedule:?}: s at {t}"
        );
        assert!(
            rel_diff(sigma2, schedule.sigma_at(t).powi(2)) <= REL_QUADRATURE,
            "{schedule:?}: sigma^2 at {t}"
        );
    }
    for t in [0.2, 0.7, 1.0] {
        check(&Vp::paper(), t);
        check(&Ve, t);
        check(&Edm, t);
        check(&VpScaled::new(Ve), t);
    }
}

/// I10: VP's s = 1/sqrt(sigma^2 + 1), the DDPM link abar = s^2 with
/// sigma = sqrt((1 - abar)/abar), and sigma^-1(sigma(t)) = t.
#[test]
fn i10_vp_scale_link_and_inverse() {
    let vp = Vp::paper();
    for t in VP_TIMES {
        let (sigma, s) = (vp.sigma_at(t), vp.scale_at(t));
        assert!(rel_diff(s, 1.0 / sigma.hypot(1.0)) <= REL_FLOAT, "s at {t}");
        let abar = s * s;
        assert!(
            rel_diff(((1.0 - abar) / abar).sqrt(), sigma) <= 1e3 * REL_FLOAT / t.min(1.0),
            "DDPM link at {t}"
        );
        let back = vp.sigma_inv(sigma).unwrap();
        assert!(
            rel_diff(back, t) <= REL_FLOAT,
            "sigma^-1(sigma({t})) = {back}"
        );
    }
    assert_eq!(Vp::DEFAULT_BETA_D, 19.9);
    assert_eq!(Vp::DEFAULT_BETA_MIN, 0.1);
    assert_eq!(Vp::DEFAULT_EPS_S, 1e-3);
    assert_eq!(Vp::DEFAULT_EPS_T, 1e-5);
}

/// I10: VP from a sigma range (NVlabs's ablation sampler) reproduces the range it was built
/// from, and the paper's range gives back the paper's betas.
#[test]
fn i10_vp_from_sigma_range() {
    let paper = Vp::paper();
    let (lo, hi) = (paper.sigma_at(Vp::DEFAULT_EPS_S), paper.sigma_at(1.0));
    let vp = Vp::from_sigma_range(lo, hi, Vp::DEFAULT_EPS_S).unwrap();
    assert!(rel_diff(vp.beta_d(), paper.beta_d()) <= REL_FLOAT);
    assert!(rel_diff(vp.beta_min(), paper.beta_min()) <= 1e2 * REL_FLOAT);
    let custom = Vp::from_sigma_range(0.01, 50.0, 1e-3).unwrap();
    assert!(rel_diff(custom.sigma_at(1e-3), 0.01) <= REL_FLOAT);
    assert!(rel_diff(custom.sigma_at(1.0), 50.0) <= REL_FLOAT);
}

/// I11: VE has s = 1, sigma = sqrt(t), sigma^-1 = sigma^2, and the paper's range.
#[test]
fn i11_ve_definition() {
    for t in [0.0004, 1.0, 2.0, 1e4] {
        assert_eq!(Ve.scale_at(t), 1.0);
        assert_eq!(Ve.sigma_at(t), t.sqrt());
        assert!(ulp_distance(Ve.sigma_inv(t.sqrt()).unwrap(), t) <= 1.0);
    }
    assert_eq!(
        (Ve::DEFAULT_SIGMA_MIN, Ve::DEFAULT_SIGMA_MAX),
        (0.02, 100.0)
    );
    assert!(
        Ve.sigma_inv(1e200).is_err(),
        "sigma^2 overflows: typed error"
    );
    assert!(Ve.sigma_inv(-1.0).is_err());
}

/// I12: the iDDPM table satisfies its recursion, is strictly decreasing and ends with u_M = 0.
#[test]
fn i12_iddpm_table_recursion() {
    let table = IddpmTable::paper();
    let (c1, c2, m) = (table.c1(), table.c2(), table.m());
    assert_eq!((c1, c2, m), (0.001, 0.008, 1000));
    let u = table.u();
    assert_eq!(u.len(), m + 1);
    assert_eq!(u[m], 0.0);
    let abar = |j: usize| {
        (std::f64::consts::FRAC_PI_2 * j as f64 / (m as f64 * (c2 + 1.0)))
            .sin()
            .powi(2)
    };
    for j in (1..=m).rev() {
        assert!(u[j - 1] > u[j], "decreasing at {j}");
        let ratio = (abar(j - 1) / abar(j)).max(c1);
        // The recursion squared: (u_{j-1}^2 + 1) ratio = u_j^2 + 1, which is well conditioned
        // (u_{j-1} itself is not, through (u_j^2 + 1)/ratio - 1 when ratio ~ 1).
        let lhs = (u[j - 1] * u[j - 1] + 1.0) * ratio;
        assert!(
            rel_diff(lhs, u[j] * u[j] + 1.0) <= REL_FLOAT,
            "recursion at {j}"
        );
    }
    let schedule = Iddpm::paper();
    assert_eq!(schedule.sigma_at(3.0), 3.0);
    assert_eq!(schedule.scale_at(3.0), 1.0);
}

/// I13: EDM is sigma = t, s = 1 with the paper's constants.
#[test]
fn i13_edm_definition() {
    for t in [0.002, 1.0, 80.0] {
        assert_eq!(Edm.sigma_at(t), t);
        assert_eq!(Edm.scale_at(t), 1.0);
        assert_eq!(Edm.sigma_inv(t).unwrap(), t);
        let c = Coefficients::at(&Edm, t);
        assert_eq!((c.sigma_dot, c.scale_dot), (1.0, 0.0));
    }
    assert_eq!(Edm::DEFAULT_SIGMA_MIN, 0.002);
    assert_eq!(Edm::DEFAULT_SIGMA_MAX, 80.0);
    assert_eq!(Edm::DEFAULT_SIGMA_DATA, 0.5);
    assert_eq!(Edm::DEFAULT_RHO, 7.0);
}

/// A user schedule: sigma(t) = tan(pi t / 2), s = cos(pi t / 2) (abar = cos^2), with no
/// closed-form inverse given.
#[derive(Debug)]
struct Cosine;

impl Schedule for Cosine {
    fn sigma<D: Scalar>(&self, t: D) -> D {
        (t * std::f64::consts::FRAC_PI_2).tan()
    }
    fn scale<D: Scalar>(&self, t: D) -> D {
        (t * std::f64::consts::FRAC_PI_2).cos()
    }
    fn t_range(&self) -> (f64, f64) {
        (0.0, 0.99)
    }
}

/// I02 for a user-defined schedule: AD gives f = -(pi/2) tan(pi t/2) and
/// g^2 = s^2 d(sigma^2)/dt = pi tan(pi t / 2); Newton's sigma^-1 inverts sigma.
#[test]
fn i02_user_schedule_gets_derived_coefficients() {
    let cosine = Checked::new(Cosine, 512).unwrap();
    for t in [0.01, 0.3, 0.5, 0.9] {
        let c = Coefficients::at(&cosine, t);
        let tan = (t * std::f64::consts::FRAC_PI_2).tan();
        assert!(rel_diff(c.f, -std::f64::consts::FRAC_PI_2 * tan) <= REL_FLOAT);
        assert!(rel_diff(c.g * c.g, std::f64::consts::PI * tan) <= REL_FLOAT);
        assert!(ulp_distance(cosine.sigma_inv(c.sigma).unwrap(), t) <= 2.0);
    }
    assert!(
        cosine.sigma_inv(1e6).is_err(),
        "beyond sigma(t_max): typed error"
    );
}

/// A schedule whose sigma decreases somewhere: `Checked` must reject it.
struct Bumpy;

impl Schedule for Bumpy {
    fn sigma<D: Scalar>(&self, t: D) -> D {
        t - (t * 20.0).sin() * 0.1
    }
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }
}

#[test]
fn checked_rejects_non_monotone_user_schedule() {
    assert!(matches!(
        Checked::new(Bumpy, 256),
        Err(elucidated::Error::InvalidSchedule { .. })
    ));
}

#[test]
fn vp_constructor_rejects_bad_parameters() {
    for (bd, bmin) in [
        (f64::NAN, 0.1),
        (19.9, f64::INFINITY),
        (-1.0, 0.1),
        (0.0, 0.0),
        (1e6, 0.1),
    ] {
        assert!(Vp::new(bd, bmin).is_err(), "({bd}, {bmin})");
    }
    assert!(Vp::from_sigma_range(1.0, 0.5, 1e-3).is_err());
    assert!(IddpmTable::new(0.0, 0.008, 1000).is_err());
    assert!(IddpmTable::new(0.001, -1.0, 1000).is_err());
    assert!(IddpmTable::new(0.001, 0.008, 1).is_err());
}

proptest! {
    /// I10 over random valid VP parameters: sigma is strictly increasing, s = 1/sqrt(1 + sigma^2)
    /// and sigma^-1(sigma(t)) = t.
    #[test]
    fn i10_vp_monotone_and_invertible(bd in 0.0..40.0f64, bmin in 0.01..2.0f64, t in 1e-4..1.0f64) {
        let vp = Vp::new(bd, bmin).unwrap();
        let t2 = (t * 1.01).min(1.0);
        prop_assert!(t2 == t || vp.sigma_at(t2) > vp.sigma_at(t));
        prop_assert!(rel_diff(vp.scale_at(t), 1.0 / vp.sigma_at(t).hypot(1.0)) <= REL_FLOAT);
        prop_assert!(rel_diff(vp.sigma_inv(vp.sigma_at(t)).unwrap(), t) <= 1e3 * REL_FLOAT);
    }
}
