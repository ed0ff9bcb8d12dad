//! The Gaussian oracle (I30): denoiser, flow and sampling against independent references.

mod common;

use common::{
    REL_LINALG, denoiser_by_solve, normal_vector, rel_err, singular_gaussian, spd_gaussian,
};
use elucidated::analytic::Gaussian;
use elucidated::denoiser::Denoiser;
use elucidated::noise::NoiseStream;
use elucidated::schedule::{Edm, Schedule, Ve, Vp, VpScaled};
use elucidated::tolerance::REL_FLOAT;
use nalgebra::{DMatrix, DVector};

/// I30: the eigenbasis denoiser equals mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu) computed by
/// a dense solve, for full-rank and rank-deficient Sigma.
#[test]
fn i30_denoiser_matches_matrix_formula() {
    let mut s = NoiseStream::new(1);
    for g in [spd_gaussian(3), singular_gaussian(4)] {
        for sigma in [1e-3, 0.1, 1.0, 7.0, 100.0] {
            let x = g.mean() + normal_vector(g.dim(), &mut s) * 2.0;
            let d = g.denoise(&x, sigma).unwrap();
            let reference = denoiser_by_solve(&g, &x, sigma);
            assert!(
                rel_err(&d, &reference, 1.0) <= REL_LINALG,
                "sigma = {sigma}"
            );
        }
    }
}

fn check_identity_and_composition<S: Schedule>(schedule: &S, [t0, t1, t2]: [f64; 3]) {
    let g = singular_gaussian(5);
    let x = DVector::from_vec(vec![0.3, -1.0, 2.0, 0.5]);
    let flow = |a, b, x: &DVector<f64>| g.flow(schedule, x, a, b).unwrap();
    assert_eq!(flow(t1, t1, &x), x);
    let direct = flow(t0, t2, &x);
    let composed = flow(t1, t2, &flow(t0, t1, &x));
    assert!(rel_err(&composed, &direct, 1.0) <= REL_FLOAT);
}

/// I30: the exact flow is the identity from a time to itself and composes:
/// flow(t1 -> t2) o flow(t0 -> t1) = flow(t0 -> t2), for VP, VE, EDM and VP-scaled VE.
#[test]
fn i30_flow_identity_and_composition() {
    check_identity_and_composition(&Vp::paper(), [0.9, 0.3, 0.01]);
    check_identity_and_composition(&Ve, [400.0, 2.0, 1e-4]);
    check_identity_and_composition(&Edm, [80.0, 1.0, 0.002]);
    check_identity_and_composition(&VpScaled::new(Ve), [400.0, 2.0, 1e-4]);
}

/// I30: a batch (columns) gives bitwise the results of its samples taken one at a time, for
/// sampling, the denoiser and the flow.
#[test]
fn i30_batch_equals_single_bitwise() {
    let g = spd_gaussian(6);
    let seeds = [11u64, 12, 13];
    let batch = g.sample_batch(&mut NoiseStream::for_seeds(&seeds));
    for (j, &seed) in seeds.iter().enumerate() {
        assert_eq!(batch.column(j), g.sample(&mut NoiseStream::new(seed)));
    }
    let d: DMatrix<f64> = g.denoise(&batch, 0.7).unwrap();
    let f: DMatrix<f64> = g.flow(&Vp::paper(), &batch, 0.5, 0.1).unwrap();
    for j in 0..seeds.len() {
        let col: DVector<f64> = batch.column(j).into();
        assert_eq!(d.column(j), g.denoise(&col, 0.7).unwrap());
        assert_eq!(f.column(j), g.flow(&Vp::paper(), &col, 0.5, 0.1).unwrap());
    }
}

/// Isotropic data: D(x; sigma) = mu + std^2 / (std^2 + sigma^2) (x - mu) (I30).
#[test]
fn i30_isotropic_denoiser() {
    let g = Gaussian::isotropic(DVector::from_vec(vec![1.0, 2.0]), 0.5).unwrap();
    let x = DVector::from_vec(vec![3.0, -1.0]);
    let d = g.denoise(&x, 1.5).unwrap();
    let k = 0.25 / (0.25 + 2.25);
    let expected = g.mean() + (&x - g.mean()) * k;
    assert!(rel_err(&d, &expected, 1.0) <= REL_FLOAT);
}
