//! Time discretisations (I14).

use elucidated::family::Family;
use elucidated::schedule::{Edm, IddpmTable, Schedule, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};
use elucidated::tolerance::{REL_FLOAT, rel_diff};
use proptest::prelude::*;

/// The numbers of steps the paper and NVlabs use, and the edge cases 1 and 2.
const STEP_COUNTS: [usize; 8] = [1, 2, 5, 18, 40, 79, 256, 1000];

fn assert_valid(steps: &[f64], n: usize, first: f64, what: &str) {
    assert_eq!(steps.len(), n + 1, "{what}: N + 1 values");
    assert_eq!(*steps.last().unwrap(), 0.0, "{what}: ends at 0");
    assert!(
        rel_diff(steps[0], first) <= REL_FLOAT,
        "{what}: starts at {first}, got {}",
        steps[0]
    );
    for w in steps.windows(2) {
        assert!(
            w[1] < w[0] && w[0].is_finite(),
            "{what}: strictly decreasing"
        );
    }
}

/// I14: every paper discretisation is strictly decreasing, starts at the schedule's largest
/// noise level and ends at 0; the last nonzero level is the smallest.
#[test]
fn i14_paper_discretizations_decrease_from_sigma_max_to_zero() {
    let vp = Vp::paper();
    for n in STEP_COUNTS {
        let edm = Discretization::paper(Family::Edm).sigmas(n).unwrap();
        assert_valid(&edm, n, 80.0, "edm");
        if n > 1 {
            let last = edm[n - 1];
            let ulps = elucidated::tolerance::ulp_distance(last, 0.002);
            // sigma_{N-1} is sigma_min itself: the double-double evaluation rounds it back exactly.
            assert!(
                ulps <= elucidated::tolerance::ULP_BITWISE,
                "edm last step {last} ({ulps} ULP)"
            );
        }
        let ve = Discretization::paper(Family::Ve);
        assert_valid(&ve.sigmas(n).unwrap(), n, 100.0, "ve sigma");
        assert_valid(&ve.native_times(n).unwrap(), n, 1e4, "ve t");
        let vpd = Discretization::paper(Family::Vp);
        assert_valid(&vpd.native_times(n).unwrap(), n, 1.0, "vp t");
        assert_valid(&vpd.sigmas(n).unwrap(), n, vp.sigma_at(1.0), "vp sigma");
        if n <= 991 {
            let iddpm = Discretization::paper(Family::Iddpm).sigmas(n).unwrap();
            assert_valid(&iddpm, n, IddpmTable::paper().u()[8], "iddpm");
        }
    }
}

/// I14, VP: t_i = 1 + i/(N-1) (eps_s - 1), with both ends exact, and sigma_i = sigma(t_i).
#[test]
fn i14_vp_times_are_the_linear_ramp() {
    let vp = Vp::paper();
    let d = Discretization::paper(Family::Vp);
    for n in [2, 5, 18] {
        let t = d.native_times(n).unwrap();
        let s = d.sigmas(n).unwrap();
        assert_eq!((t[0], t[n - 1]), (1.0, Vp::DEFAULT_EPS_S));
        for i in 0..n {
            let expected = 1.0 + i as f64 / (n - 1) as f64 * (Vp::DEFAULT_EPS_S - 1.0);
            assert!(rel_diff(t[i], expected) <= REL_FLOAT);
            // sigma_i is sigma at the exact t_i, t[i] its rounding: equal up to sigma's
            // conditioning t sigma'/sigma (< 100 here) times half an ULP of t.
            assert!(rel_diff(s[i], vp.sigma_at(t[i])) <= REL_FLOAT);
        }
    }
}

/// I14, iDDPM with the paper's formula: index floor(j0 + (M - 1 - j0) i/(N - 1) + 1/2),
/// evaluated in exact integer arithmetic.
#[test]
fn i14_iddpm_paper_indices() {
    let table = IddpmTable::paper();
    let u = table.u();
    let s = Discretization::paper(Family::Iddpm).sigmas(5).unwrap();
    // (M - 1 - j0)/(N - 1) = 991/4 = 247.75: indices 8, 256 (255.75 + .5), 504 (503.5 + .5), 751, 999.
    assert_eq!(s[..5], [u[8], u[256], u[504], u[751], u[999]]);
}

/// I14, iDDPM as NVlabs's ablation sampler picks it: the kept entries within
/// [sigma_min, sigma_max], index round((len - 1)/(N - 1) i) with halves rounded to even.
/// With sigma_max = 80 there are 991 kept values and N = 5 gives 990/4 * 3 = 742.5 -> 742.
#[test]
fn i14_iddpm_nvlabs_rounds_ties_to_even() {
    let table = IddpmTable::paper();
    let kept: Vec<f64> = table
        .u()
        .iter()
        .copied()
        .filter(|&u| (0.002..=80.0).contains(&u))
        .collect();
    assert_eq!(kept.len(), 991);
    let d = Discretization::iddpm(
        table,
        IddpmSelection::Nvlabs {
            sigma_min: 0.002,
            sigma_max: 80.0,
        },
    )
    .unwrap();
    let s = d.sigmas(5).unwrap();
    // 247.5 -> 248 (even), 495 exact, 742.5 -> 742 (even), 990.
    assert_eq!(
        s[..5],
        [kept[0], kept[248], kept[495], kept[742], kept[990]]
    );
}

/// I14 ablation: EDM's noise levels mapped through VP's sigma^-1 give times whose VP sigma is
/// the EDM level again.
#[test]
fn i14_ablation_times_map_back_to_the_same_noise_levels() {
    let vp = Vp::paper();
    let d = Discretization::edm(vp.sigma_at(1e-3), vp.sigma_at(1.0), 7.0).unwrap();
    let sigmas = d.sigmas(18).unwrap();
    let times = d.times_for(18, &vp).unwrap();
    for (s, t) in sigmas.iter().zip(&times).take(18) {
        assert!(rel_diff(vp.sigma_at(*t), *s) <= 1e3 * REL_FLOAT);
    }
    let ve_times = d.times_for(18, &Ve).unwrap();
    for (s, t) in sigmas.iter().zip(&ve_times).take(18) {
        assert!(rel_diff(Ve.sigma_at(*t), *s) <= REL_FLOAT);
    }
    let edm_times = d.times_for(18, &Edm).unwrap();
    assert_eq!(edm_times, sigmas);
}

#[test]
fn i14_constructors_reject_bad_parameters() {
    assert!(Discretization::edm(0.002, 80.0, 0.0).is_err());
    assert!(Discretization::edm(0.002, 80.0, f64::NAN).is_err());
    assert!(Discretization::edm(80.0, 0.002, 7.0).is_err());
    assert!(Discretization::edm(-1.0, 80.0, 7.0).is_err());
    assert!(Discretization::ve(0.0, 1.0).is_err());
    assert!(Discretization::vp(Vp::paper(), 1.0).is_err());
    assert!(Discretization::vp(Vp::paper(), 0.0).is_err());
    assert!(Discretization::iddpm(IddpmTable::paper(), IddpmSelection::Paper { j0: 999 }).is_err());
    assert!(Discretization::paper(Family::Edm).sigmas(0).is_err());
    assert!("bogus".parse::<Family>().is_err());
    // More iDDPM steps than table entries cannot be strictly decreasing.
    assert!(matches!(
        Discretization::paper(Family::Iddpm).sigmas(1000),
        Err(elucidated::Error::NotDecreasing { .. })
    ));
}

proptest! {
    /// I14 over random valid EDM parameters: strictly decreasing from sigma_max, ending at 0.
    #[test]
    fn i14_edm_steps_strictly_decreasing(
        lo in 1e-4..1.0f64, ratio in 1.5..1e4f64, rho in 0.5..20.0f64, n in 1usize..300,
    ) {
        let d = Discretization::edm(lo, lo * ratio, rho).unwrap();
        let s = d.sigmas(n).unwrap();
        prop_assert_eq!(s.len(), n + 1);
        prop_assert!(rel_diff(s[0], lo * ratio) <= REL_FLOAT);
        prop_assert_eq!(s[n], 0.0);
        prop_assert!(s.windows(2).all(|w| w[1] < w[0]));
    }
}
