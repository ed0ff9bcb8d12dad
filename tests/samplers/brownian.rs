//! I37: Brownian noise. The increments a sampler receives come from one path per sample: they
//! add up over adjacent intervals, refining a grid queries the same path, the path of a sample
//! depends on its seed only, and the normalised increments are standard normal, independent over
//! disjoint intervals and correlated as sqrt(overlap / length) over nested ones.

use elucidated::Error;
use elucidated::sampler::{BrownianNoise, NoiseRequest, NoiseSource};
use elucidated::steps::Discretization;
use elucidated::tolerance::{REL_FLOAT, mean_bound, variance_ratio_interval};
use nalgebra::{DMatrix, DVector};

const SIGMA_MIN: f64 = 0.002;
const SIGMA_MAX: f64 = 80.0;

/// The path's grid cell, (SIGMA_MAX - SIGMA_MIN) 2^-48: a query is snapped to the nearest grid
/// point and the increment normalised by the grid length, so W(b) - W(a) rebuilt as
/// draw sqrt(|b - a|) is off by at most |Z| cell / (2 sqrt(|b - a|)) per end.
fn cell() -> f64 {
    (SIGMA_MAX - SIGMA_MIN) / (1u64 << 48) as f64
}

/// A bound on |Z| for the handful of normals compared here (P(|Z| > 8) = 1.2e-15).
const Z_MAX: f64 = 8.0;

fn request(from: f64, to: f64) -> NoiseRequest {
    NoiseRequest {
        step: 0,
        draw: 0,
        sigma_from: from,
        sigma_to: to,
    }
}

/// W(to) - W(from) for every sample of the batch `like`.
fn increment<S: elucidated::state::State>(
    source: &mut BrownianNoise,
    like: &S,
    from: f64,
    to: f64,
) -> S {
    source
        .draw(like, &request(from, to))
        .unwrap()
        .scale((to - from).abs().sqrt())
        .unwrap()
}

#[test]
fn i37_brownian_increments_add_up_and_refinement_queries_the_same_path() {
    let like = DVector::zeros(6);
    let mut source = BrownianNoise::new(&[3], SIGMA_MIN, SIGMA_MAX).unwrap();
    let disc = Discretization::edm(SIGMA_MIN, SIGMA_MAX, 7.0).unwrap();
    let coarse = disc.sigmas(9).unwrap();
    let fine = disc.sigmas(17).unwrap();
    // Every other level of the 16-step grid is a level of the 8-step grid (rho = 7 ramps are
    // nested when N - 1 doubles), so each coarse increment is the sum of two fine ones.
    for (i, w) in coarse[..9].windows(2).enumerate() {
        let whole = increment(&mut source, &like, w[0], w[1]);
        let parts = increment(&mut source, &like, fine[2 * i], fine[2 * i + 1])
            + increment(&mut source, &like, fine[2 * i + 1], fine[2 * i + 2]);
        let shortest = (fine[2 * i] - fine[2 * i + 1]).min(fine[2 * i + 1] - fine[2 * i + 2]);
        let snapping = 4.0 * Z_MAX * cell() / (2.0 * shortest.sqrt());
        let scale = whole.amax().max(1.0);
        assert!(
            (&whole - &parts).amax() <= snapping + REL_FLOAT * scale,
            "step {i}: {whole} vs {parts}"
        );
    }
    // Queried again, in another order, by another source: the same path, bit for bit.
    let mut other = BrownianNoise::new(&[3], SIGMA_MIN, SIGMA_MAX).unwrap();
    let late = increment(&mut other, &like, coarse[4], coarse[5]);
    let early = increment(&mut source, &like, coarse[4], coarse[5]);
    assert_eq!(late, early);
}

#[test]
fn i37_brownian_paths_depend_on_their_seed_only_bitwise() {
    let seeds = [5, 1, 9];
    let mut batch = BrownianNoise::new(&seeds, SIGMA_MIN, SIGMA_MAX).unwrap();
    let together = batch
        .draw(&DMatrix::zeros(4, 3), &request(10.0, 3.0))
        .unwrap();
    for (k, &seed) in seeds.iter().enumerate() {
        let mut alone = BrownianNoise::new(&[seed], SIGMA_MIN, SIGMA_MAX).unwrap();
        let one = alone.draw(&DVector::zeros(4), &request(10.0, 3.0)).unwrap();
        assert_eq!(together.column(k).into_owned(), one, "sample {k}");
    }
}

/// Sample correlation of two equally long lists.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va * vb).sqrt()
}

/// Over 8000 paths (one per seed, a batch of 1-D samples): each normalised increment has mean 0
/// and variance 1; increments over the disjoint [3, 1] and [1, 0.5] are uncorrelated; those over
/// the nested [3, 1] and [3, 0.5] are correlated with rho = sqrt(2 / 2.5). The sample correlation
/// r of n pairs is asymptotically normal with standard deviation (1 - rho^2)/sqrt(n), so each
/// bound is mean_bound((1 - rho^2), n) at the false-alarm rate of the crate's statistical tests.
#[test]
fn i37_brownian_increments_are_standard_normal_and_correlated_as_the_path() {
    const N: usize = 8000;
    let seeds: Vec<u64> = (0..N as u64).collect();
    let like = DMatrix::zeros(1, N);
    let mut source = BrownianNoise::new(&seeds, SIGMA_MIN, SIGMA_MAX).unwrap();
    let mut draw = |from, to| -> Vec<f64> {
        source
            .draw(&like, &request(from, to))
            .unwrap()
            .iter()
            .copied()
            .collect()
    };
    let (a, b, nested) = (draw(3.0, 1.0), draw(1.0, 0.5), draw(3.0, 0.5));
    let (lo, hi) = variance_ratio_interval(N).unwrap();
    for (name, x) in [("[3, 1]", &a), ("[1, 0.5]", &b), ("[3, 0.5]", &nested)] {
        let mean = x.iter().sum::<f64>() / N as f64;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (N - 1) as f64;
        assert!(
            mean.abs() <= mean_bound(1.0, N).unwrap(),
            "{name}: mean {mean}"
        );
        assert!((lo..=hi).contains(&var), "{name}: variance {var}");
    }
    let r = correlation(&a, &b);
    assert!(r.abs() <= mean_bound(1.0, N).unwrap(), "disjoint: r = {r}");
    let rho = (2.0f64 / 2.5).sqrt();
    let r = correlation(&a, &nested);
    assert!(
        (r - rho).abs() <= mean_bound(1.0 - rho * rho, N).unwrap(),
        "nested: r = {r}, rho = {rho}"
    );
}

#[test]
fn i37_brownian_rejects_queries_outside_its_range_and_bad_batches() {
    let mut source = BrownianNoise::new(&[1, 2], SIGMA_MIN, SIGMA_MAX).unwrap();
    let like = DMatrix::zeros(2, 2);
    for (from, to) in [(81.0, 1.0), (1.0, 0.0), (1.0, f64::NAN)] {
        assert!(matches!(
            source.draw(&like, &request(from, to)),
            Err(Error::OutOfRange { .. } | Error::NotFinite { .. })
        ));
    }
    assert!(matches!(
        source.draw(&like, &request(1.0, 1.0)),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        source.check(&DMatrix::<f64>::zeros(2, 3)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(BrownianNoise::new(&[1], 1.0, 1.0).is_err());
}
