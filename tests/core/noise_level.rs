//! Training noise-level distributions (I23), checked statistically with a fixed seed.

use elucidated::noise::NoiseStream;
use elucidated::noise_level::NoiseLevels;
use elucidated::schedule::{IddpmTable, Schedule, Vp};
use elucidated::tolerance::{chi_square_bound, mean_bound, variance_ratio_interval};

const DRAWS: usize = 100_000;

fn draws(levels: &NoiseLevels, seed: u64) -> Vec<f64> {
    let mut stream = NoiseStream::new(seed);
    (0..DRAWS).map(|_| levels.sample(&mut stream)).collect()
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// I23, EDM: ln sigma ~ N(P_mean, P_std^2) with P_mean = -1.2, P_std = 1.2.
#[test]
fn i23_edm_log_normal() {
    let levels = NoiseLevels::edm(NoiseLevels::DEFAULT_P_MEAN, NoiseLevels::DEFAULT_P_STD).unwrap();
    let logs: Vec<f64> = draws(&levels, 11).iter().map(|s| s.ln()).collect();
    let (m, v) = mean_var(&logs);
    assert!((m + 1.2).abs() <= mean_bound(1.2, DRAWS).unwrap());
    let (lo, hi) = variance_ratio_interval(DRAWS).unwrap();
    assert!((lo..=hi).contains(&(v / 1.44)));
}

/// I23, VP: sigma^-1(sigma) ~ U(eps_t, 1).
#[test]
fn i23_vp_uniform_time() {
    let vp = Vp::paper();
    let levels = NoiseLevels::vp(vp, Vp::DEFAULT_EPS_T).unwrap();
    let ts: Vec<f64> = draws(&levels, 12)
        .iter()
        .map(|&s| vp.sigma_inv(s).unwrap())
        .collect();
    let eps = Vp::DEFAULT_EPS_T;
    assert!(
        ts.iter()
            .all(|&t| t >= eps * (1.0 - 1e-12) && t <= 1.0 + 1e-12)
    );
    let (m, _) = mean_var(&ts);
    let std = (1.0 - eps) / 12f64.sqrt();
    assert!((m - (1.0 + eps) / 2.0).abs() <= mean_bound(std, DRAWS).unwrap());
}

/// I23, VE: ln sigma ~ U(ln sigma_min, ln sigma_max).
#[test]
fn i23_ve_log_uniform() {
    let levels = NoiseLevels::ve(0.02, 100.0).unwrap();
    let logs: Vec<f64> = draws(&levels, 13).iter().map(|s| s.ln()).collect();
    let (a, b) = (0.02f64.ln(), 100f64.ln());
    assert!(logs.iter().all(|&l| l >= a - 1e-12 && l <= b + 1e-12));
    let (m, _) = mean_var(&logs);
    assert!((m - (a + b) / 2.0).abs() <= mean_bound((b - a) / 12f64.sqrt(), DRAWS).unwrap());
}

/// I23, iDDPM: sigma = u_j with j uniform on {0, ..., M-1}: a chi-square goodness-of-fit test
/// over the M table entries.
#[test]
fn i23_iddpm_uniform_index() {
    let table = IddpmTable::paper();
    let m = table.m();
    let levels = NoiseLevels::iddpm(table.clone());
    let mut counts = vec![0usize; m];
    for s in draws(&levels, 14) {
        let j = table
            .u()
            .iter()
            .position(|&u| u == s)
            .expect("a table entry");
        counts[j] += 1;
    }
    let expected = DRAWS as f64 / m as f64;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 <= chi_square_bound(m - 1).unwrap(), "chi^2 = {chi2}");
}

#[test]
fn i23_constructors_reject_bad_parameters() {
    assert!(NoiseLevels::edm(f64::NAN, 1.2).is_err());
    assert!(NoiseLevels::edm(-1.2, 0.0).is_err());
    assert!(NoiseLevels::vp(Vp::paper(), 0.0).is_err());
    assert!(NoiseLevels::ve(1.0, 1.0).is_err());
}
