//! Preconditioning (I16) and loss weights (I21).

use elucidated::family::Family;
use elucidated::precond::{
    EdmPrecond, IddpmPrecond, PrecondKind, Preconditioner, VePrecond, VpPrecond,
};
use elucidated::schedule::{IddpmTable, Schedule, Vp};
use elucidated::tolerance::{REL_FLOAT, ULP_FEW, rel_diff, ulp_distance};
use proptest::prelude::*;

/// Noise levels across the range networks see, and beyond.
const SIGMAS: [f64; 9] = [1e-6, 1e-3, 0.002, 0.1, 0.5, 1.0, 80.0, 1e4, 1e8];

/// I16, EDM column of Table 1: each coefficient against the textbook formula (which is
/// accurate in this range, where nothing overflows).
#[test]
fn i16_edm_table1_column() {
    for sd in [0.5, 0.3, 1.0 / 3.0, 2.0] {
        let p = EdmPrecond::new(sd).unwrap();
        for s in SIGMAS {
            let (s2, d2) = (s * s, sd * sd);
            assert!(
                rel_diff(p.c_skip(s), d2 / (s2 + d2)) <= REL_FLOAT,
                "c_skip({s})"
            );
            assert!(rel_diff(p.c_out(s), s * sd / (s2 + d2).sqrt()) <= REL_FLOAT);
            assert!(rel_diff(p.c_in(s), 1.0 / (s2 + d2).sqrt()) <= REL_FLOAT);
            assert!(rel_diff(p.c_noise(s), s.ln() / 4.0) <= REL_FLOAT);
        }
    }
}

/// I16, VP, VE and iDDPM columns of Table 1.
#[test]
fn i16_vp_ve_iddpm_table1_columns() {
    let vp = VpPrecond::paper();
    let table = IddpmTable::paper();
    let iddpm = IddpmPrecond::new(table.clone());
    for s in SIGMAS {
        let c_in = 1.0 / (s * s + 1.0).sqrt();
        assert_eq!((vp.c_skip(s), vp.c_out(s)), (1.0, -s));
        assert!(rel_diff(vp.c_in(s), c_in) <= REL_FLOAT);
        let t = Vp::paper().sigma_inv(s).unwrap();
        assert!(
            rel_diff(vp.c_noise(s), 999.0 * t) <= REL_FLOAT,
            "VP c_noise({s})"
        );
        assert_eq!((VePrecond.c_skip(s), VePrecond.c_out(s)), (1.0, s));
        assert_eq!(VePrecond.c_in(s), 1.0);
        assert!(rel_diff(VePrecond.c_noise(s), (s / 2.0).ln()) <= REL_FLOAT);
        assert_eq!((iddpm.c_skip(s), iddpm.c_out(s)), (1.0, -s));
        assert!(rel_diff(iddpm.c_in(s), c_in) <= REL_FLOAT);
        // c_noise = M - 1 - argmin_j |u_j - sigma|, checked by brute force.
        let u = table.u();
        let argmin = (0..u.len())
            .min_by(|&a, &b| (u[a] - s).abs().total_cmp(&(u[b] - s).abs()))
            .unwrap();
        let expected = table.m() as f64 - 1.0 - argmin as f64;
        assert_eq!(iddpm.c_noise(s), expected, "iDDPM c_noise({s})");
        assert_eq!(iddpm.round_sigma(s), u[argmin]);
    }
}

/// I16: the coefficients come from the float64 sigma. The VP formula evaluated in float32 (as a
/// float32 reference implementation does) gives sigma_min = sigma(eps_t = 1e-5) = 2^-10 exactly,
/// 2.4% below the true 1.0005e-3 (exp(x) - 1 cancels in float32), and a VP c_noise at
/// sigma = 0.002 1.3% off; ours agree with the float64 formulas.
#[test]
fn i16_vp_coefficients_use_float64_sigma() {
    let vp = Vp::paper();
    let sigma_min = vp.sigma_at(Vp::DEFAULT_EPS_T);
    let exact = (19.9f64 / 2.0 * 1e-10 + 0.1 * 1e-5).exp_m1().sqrt();
    assert!(rel_diff(sigma_min, exact) <= REL_FLOAT);
    let t32 = 1e-5f32;
    let float32 = ((0.5 * 19.9f32 * t32 * t32 + 0.1 * t32).exp() - 1.0).sqrt();
    assert_eq!(float32 as f64, 2f64.powi(-10));
    assert!(rel_diff(float32 as f64, sigma_min) > 0.02);
    // c_noise = (M - 1) sigma^-1(sigma) at sigma = 0.002, float64 vs float32 evaluation.
    let c = VpPrecond::paper().c_noise(0.002);
    let t = vp.sigma_inv(0.002).unwrap();
    assert!(rel_diff(c, 999.0 * t) <= REL_FLOAT);
    let s32 = 0.002f32;
    let t_float32 = ((0.1f32 * 0.1 + 2.0 * 19.9 * (s32 * s32 + 1.0).ln()).sqrt() - 0.1) / 19.9;
    assert!(rel_diff(999.0 * t_float32 as f64, c) > 0.01);
}

/// I16: D = c_skip x + c_out F(c_in x) returns the clean y when F outputs the effective target
/// F_target = (y - c_skip x)/c_out (I18), for every preconditioning.
#[test]
fn i16_effective_target_reconstructs_clean_data() {
    let (x, y) = (1.7, -0.4);
    for name in [Family::Vp, Family::Ve, Family::Iddpm, Family::Edm] {
        let p = PrecondKind::paper(name, 0.5).unwrap();
        for s in [0.01, 1.0, 50.0] {
            let c = p.coefficients(s).unwrap();
            let target = (y - c.c_skip * x) / c.c_out;
            let d = c.c_skip * x + c.c_out * target;
            assert!(
                (d - y).abs() <= REL_FLOAT * (x.abs() + y.abs()),
                "{name} at {s}"
            );
        }
    }
}

/// I21: EDM's lambda = (sigma^2 + sigma_d^2)/(sigma sigma_d)^2 makes lambda c_out^2 = 1; VP, VE and
/// iDDPM weigh by 1/sigma^2.
#[test]
fn i21_loss_weights() {
    for sd in [0.5, 0.3, 2.0] {
        let p = EdmPrecond::new(sd).unwrap();
        for s in SIGMAS {
            let product = p.loss_weight(s) * p.c_out(s).powi(2);
            assert!(
                ulp_distance(product, 1.0) <= ULP_FEW,
                "lambda c_out^2 at {s}: {product}"
            );
        }
    }
    for name in [Family::Vp, Family::Ve, Family::Iddpm] {
        let p = PrecondKind::paper(name, 0.5).unwrap();
        for s in SIGMAS {
            assert!(rel_diff(p.loss_weight(s), 1.0 / (s * s)) <= REL_FLOAT);
        }
    }
}

/// Extreme noise levels: finite coefficients or a typed error, never NaN or inf.
#[test]
fn i16_extreme_sigma_gives_finite_values_or_typed_error() {
    let p = EdmPrecond::new(0.5).unwrap();
    let c = p.coefficients(1e300).unwrap();
    assert_eq!(c.c_skip, 0.0);
    assert!(ulp_distance(c.c_out, 0.5) <= ULP_FEW);
    assert!(ulp_distance(c.c_in, 1e-300) <= ULP_FEW);
    assert!(ulp_distance(c.loss_weight, 4.0) <= ULP_FEW);
    assert!(matches!(
        p.coefficients(1e-300),
        Err(elucidated::Error::Overflow { .. })
    ));
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(p.coefficients(bad).is_err());
    }
    assert!(EdmPrecond::new(0.0).is_err());
    assert!(EdmPrecond::new(f64::NAN).is_err());
    assert!(VpPrecond::new(Vp::paper(), 1.0).is_err());
}

proptest! {
    /// I16/I17/I19 over random sigma and sigma_data: c_skip in [0, 1] and
    /// c_in sqrt(sigma^2 + sigma_data^2) = 1.
    #[test]
    fn i16_c_skip_in_unit_interval_and_c_in_normalises(
        log_s in -12.0..12.0f64, log_d in -3.0..3.0f64,
    ) {
        let (s, sd) = (10f64.powf(log_s), 10f64.powf(log_d));
        let p = EdmPrecond::new(sd).unwrap();
        let c = p.coefficients(s).unwrap();
        prop_assert!((0.0..=1.0).contains(&c.c_skip));
        prop_assert!(ulp_distance(c.c_in * s.hypot(sd), 1.0) <= ULP_FEW);
    }
}
