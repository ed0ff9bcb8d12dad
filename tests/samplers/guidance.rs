//! I29: classifier-free guidance D_w = D_uncond + w (D_cond - D_uncond), equivalently on eps or
//! on the score.

use crate::common::samplers::latents;
use elucidated::analytic::Gaussian;
use elucidated::analytic::problems::log_spaced_gaussian;
use elucidated::conversions::{eps_from_denoised, score_from_denoised};
use elucidated::denoiser::{Denoiser, Guided};
use elucidated::family::Family;
use elucidated::sampler::{OdeSampler, Sampler, Solver};
use elucidated::schedule::Edm;
use elucidated::steps::Discretization;
use elucidated::tolerance::REL_FLOAT;
use nalgebra::DVector;
use proptest::prelude::*;

/// The unconditional and the conditional data: two Gaussians of different mean and spectrum.
fn pair() -> (Gaussian, Gaussian) {
    (
        log_spaced_gaussian(4, 1e-2, 2.0, 0.0).unwrap(),
        log_spaced_gaussian(4, 0.5, 0.05, 1.5).unwrap(),
    )
}

fn vec4() -> impl Strategy<Value = DVector<f64>> {
    proptest::collection::vec(-10.0f64..10.0, 4).prop_map(DVector::from_vec)
}

proptest! {
    /// I29: w = 0 returns the unconditional denoiser and w = 1 the conditional one, bit for bit.
    #[test]
    fn i29_guidance_at_w0_and_w1_is_exact(x in vec4(), sigma in 1e-3f64..1e3) {
        let (u, c) = pair();
        let at = |w| Guided::new(&u, &c, w).unwrap().denoise(&x, sigma).unwrap();
        prop_assert_eq!(at(0.0), u.denoise(&x, sigma).unwrap());
        prop_assert_eq!(at(1.0), c.denoise(&x, sigma).unwrap());
    }

    /// I29: D_w - D_uncond = w (D_cond - D_uncond) for every weight, and the same weights applied
    /// to eps or to the score (I27) give the eps and the score of D_w.
    #[test]
    fn i29_guidance_is_linear_and_form_independent(
        x in vec4(),
        sigma in 1e-2f64..1e2,
        scale in 0.1f64..=1.0,
        w in -2.0f64..10.0,
    ) {
        let (u, c) = pair();
        let y = &x / scale;
        let (du, dc) = (u.denoise(&y, sigma).unwrap(), c.denoise(&y, sigma).unwrap());
        let dw = Guided::new(&u, &c, w).unwrap().denoise(&y, sigma).unwrap();
        let size = du.amax().max(dc.amax()).max(1.0) * w.abs().max(1.0);
        prop_assert!((&dw - &du - (&dc - &du) * w).amax() <= REL_FLOAT * size);
        let eps = |d: &DVector<f64>| eps_from_denoised(&y, d, sigma).unwrap();
        let guided_eps = eps(&du) + (eps(&dc) - eps(&du)) * w;
        let eps_size = (size + y.amax()) / sigma;
        prop_assert!((eps(&dw) - guided_eps).amax() <= REL_FLOAT * eps_size);
        let score = |d: &DVector<f64>| score_from_denoised(&x, d, scale, sigma).unwrap();
        let guided_score = score(&du) + (score(&dc) - score(&du)) * w;
        let score_size = eps_size / (scale * sigma);
        prop_assert!((score(&dw) - guided_score).amax() <= REL_FLOAT * score_size);
    }
}

/// A guided denoiser drives a sampler like any other: at w = 1 the sample is the conditional
/// sampler's, bit for bit.
#[test]
fn i29_guided_sampler_at_w1_is_conditional_sampler() {
    let (u, c) = pair();
    let times = Discretization::paper(Family::Edm)
        .times_for(12, &Edm)
        .unwrap();
    let heun = OdeSampler::new(&Edm, &times, Solver::HEUN).unwrap();
    let (latent, streams) = latents(4, &[1, 2]);
    let guided = Guided::new(&u, &c, 1.0).unwrap();
    let a = heun.sample(&guided, &latent, &mut streams.clone()).unwrap();
    let b = heun.sample(&c, &latent, &mut streams.clone()).unwrap();
    assert_eq!(a, b);
    assert!(Guided::new(&u, &c, f64::NAN).is_err());
}
