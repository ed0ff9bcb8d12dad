//! The preconditioned network on candle tensors (I16, I29): coefficients from the core in
//! float64 with only the results cast, Table 1's composition, tensors as sampler states, and
//! samples that depend on their seed only.

use std::cell::Cell;
use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use elucidated::Error;
use elucidated::denoiser::{Denoiser, Guided};
use elucidated::digits::mnist::{CLASSES, PADDED_SIDE};
use elucidated::family::Family;
use elucidated::nn::init::seeded_var_builder;
use elucidated::nn::model::{Model, ModelPrecond, ModelSpec};
use elucidated::nn::sample::{Request, edm_sampler, sample_images};
use elucidated::nn::{CoefficientTensors, NETWORK_DTYPE, NetDenoiser, Network};
use elucidated::nn::{SongUNet, SongUNetConfig};
use elucidated::noise::NoiseStream;
use elucidated::precond::{Preconditioner, VpPrecond};
use elucidated::sampler::{Sampler, SamplerKind};
use elucidated::schedule::{Schedule, Vp};
use elucidated::state::State;
use elucidated::tolerance::{ULP_FEW, ulp_distance};

fn tiny_config() -> SongUNetConfig {
    SongUNetConfig {
        label_dim: CLASSES,
        model_channels: 8,
        channel_mult: vec![1, 2],
        num_blocks: 1,
        attn_resolutions: vec![],
        dropout: 0.0,
        ..SongUNetConfig::new(PADDED_SIDE, 1, 1)
    }
}

/// The weights of a tiny class-conditional network: seeded random values spread over
/// (-1, 1), so that no layer is near zero and F matters.
fn tiny_weights() -> HashMap<String, Tensor> {
    let (vb, vars) = seeded_var_builder(3, NETWORK_DTYPE, &Device::Cpu);
    SongUNet::new(vb, tiny_config()).unwrap();
    vars.lock()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), (v.as_tensor() * 1e4).unwrap().tanh().unwrap()))
        .collect()
}

fn model_with(precond: ModelPrecond, tensors: HashMap<String, Tensor>) -> Model {
    let spec = ModelSpec {
        network: tiny_config(),
        precond,
    };
    Model::from_tensors(spec, tensors, &Device::Cpu).unwrap()
}

/// A tiny class-conditional model with the weights of [`tiny_weights`].
fn tiny_model(precond: ModelPrecond) -> Model {
    model_with(precond, tiny_weights())
}

fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn bits(t: &Tensor) -> Vec<u64> {
    values(t).iter().map(|v| v.to_bits()).collect()
}

fn noise(n: usize, seed: u64) -> Tensor {
    let mut streams: Vec<NoiseStream> = (0..n as u64).map(|k| NoiseStream::new(seed + k)).collect();
    let t = Tensor::zeros((n, 1, PADDED_SIDE, PADDED_SIDE), DType::F64, &Device::Cpu).unwrap();
    State::randn_like(&t, &mut streams).unwrap()
}

fn one_hot(classes: &[usize]) -> Tensor {
    let eye = Tensor::eye(CLASSES, DType::F32, &Device::Cpu).unwrap();
    let idx = Tensor::from_vec(
        classes.iter().map(|&c| c as u32).collect::<Vec<_>>(),
        classes.len(),
        &Device::Cpu,
    )
    .unwrap();
    eye.index_select(&idx, 0).unwrap()
}

/// NVlabs's VP sigma(t) with t and every intermediate in float32 (`VPPrecond.sigma`), with a
/// correctly rounded float32 exp (an exp one ULP high gives 1.0358e-3 instead: 3.5% high).
fn nvlabs_vp_sigma_f32(t: f32) -> f32 {
    ((0.5 * 19.9 * t * t + 0.1 * t).exp() - 1.0).sqrt()
}

/// NVlabs's VP c_noise = (M - 1) sigma^-1(sigma) with sigma and every intermediate in float32.
fn nvlabs_vp_c_noise_f32(sigma: f32) -> f32 {
    let x = (1.0f32 + sigma * sigma).ln();
    let t = ((0.1f32 * 0.1 + 2.0 * 19.9 * x).sqrt() - 0.1) / 19.9;
    999.0 * t
}

#[test]
fn i16_coefficients_cast_only_after_float64() {
    // sigma_min = sigma(eps_t = 1e-5): the core's float64 value is the exact one to a few
    // ULP; NVlabs's float32 evaluation gives exactly 2^-10, 2.4% low (c_noise: 1.3% high).
    let vp = Vp::paper();
    let ours = vp.sigma_at(1e-5);
    let exact = (0.5f64 * 19.9 * 1e-10 + 0.1 * 1e-5).exp_m1().sqrt();
    assert!(ulp_distance(ours, exact) <= ULP_FEW, "{ours} vs {exact}");
    let theirs = nvlabs_vp_sigma_f32(1e-5);
    assert_eq!(theirs, 2f32.powi(-10));
    assert!((f64::from(theirs) - ours).abs() / ours > 0.02);

    // c_noise at sigma = 0.002: the tensor holds the float64 coefficient rounded once to
    // float32, while NVlabs's float32 evaluation is more than 1% off.
    let p = VpPrecond::paper();
    let c = CoefficientTensors::new(&p, &[0.002], DType::F64, &Device::Cpu).unwrap();
    let tensor = c.c_noise.to_vec1::<f32>().unwrap()[0];
    assert_eq!(tensor, p.c_noise(0.002) as f32);
    assert_eq!(c.c_noise.dtype(), NETWORK_DTYPE);
    let theirs = f64::from(nvlabs_vp_c_noise_f32(0.002));
    let rel = (theirs - p.c_noise(0.002)).abs() / p.c_noise(0.002);
    assert!(rel > 0.01, "NVlabs's float32 c_noise is only {rel} off");
    // The other coefficients stay in the state's float64.
    assert_eq!(values(&c.c_in)[0], p.c_in(0.002));
    assert_eq!(values(&c.c_out)[0], p.c_out(0.002));
}

#[test]
fn i16_preconditioned_network_composes_table1() {
    let x = noise(2, 10).affine(1.3, 0.0).unwrap();
    let labels = one_hot(&[3, 7]);
    for name in [Family::Edm, Family::Vp, Family::Ve, Family::Iddpm] {
        let model = tiny_model(ModelPrecond::paper(name, 0.9).unwrap());
        let d = model.denoiser();
        for sigma in [0.01, 0.7, 40.0] {
            let c = d.precond().coefficients(sigma).unwrap();
            let x_in = x
                .affine(c.c_in, 0.0)
                .unwrap()
                .to_dtype(NETWORK_DTYPE)
                .unwrap();
            let c_noise = Tensor::full(c.c_noise as f32, 2, &Device::Cpu).unwrap();
            let f = d.net().forward(&x_in, &c_noise, Some(&labels)).unwrap();
            let f = f.to_dtype(DType::F64).unwrap();
            let by_hand =
                (x.affine(c.c_skip, 0.0).unwrap() + f.affine(c.c_out, 0.0).unwrap()).unwrap();
            let one = d.denoise(&x, sigma, Some(&labels)).unwrap();
            let each = d
                .denoise_each(&x, &[sigma, sigma], Some(&labels), false)
                .unwrap();
            assert_eq!(bits(&one), bits(&by_hand), "{name} at {sigma}");
            assert_eq!(
                bits(&each),
                bits(&by_hand),
                "{name} at {sigma} (per sample)"
            );
            assert_eq!(one.dtype(), DType::F64);
        }
    }
}

#[test]
fn i16_zero_output_layer_denoises_by_the_skip_connection() {
    // NVlabs initialises the output convolution with weights of scale 1e-5, not zero; zeroing
    // it (and nothing else) makes F = 0 exactly, whatever the rest of the network computes.
    let mut tensors = tiny_weights();
    let output = format!("dec.{PADDED_SIDE}x{PADDED_SIDE}_aux_conv.");
    let mut zeroed = 0;
    for (name, t) in tensors.iter_mut() {
        if name.starts_with(&output) {
            *t = t.zeros_like().unwrap();
            zeroed += 1;
        }
    }
    assert_eq!(zeroed, 2, "the output convolution's weight and bias");
    let x = noise(3, 20);
    let labels = one_hot(&[0, 1, 2]);
    let intact = tiny_model(ModelPrecond::paper(Family::Vp, 0.5).unwrap());
    assert_ne!(
        bits(&intact.denoiser().denoise(&x, 0.5, Some(&labels)).unwrap()),
        bits(&x),
        "with its output layer, the network must change D for this test to mean anything"
    );
    for name in [Family::Edm, Family::Vp, Family::Ve, Family::Iddpm] {
        let model = model_with(ModelPrecond::paper(name, 0.5).unwrap(), tensors.clone());
        let d = model.denoiser();
        for sigma in [0.002, 0.5, 80.0] {
            let want = x.affine(d.precond().c_skip(sigma), 0.0).unwrap();
            let got = d.denoise(&x, sigma, Some(&labels)).unwrap();
            assert_eq!(bits(&got), bits(&want), "{name} at sigma = {sigma}");
            let each = d
                .denoise_each(&x, &[sigma; 3], Some(&labels), false)
                .unwrap();
            assert_eq!(
                bits(&each),
                bits(&want),
                "{name} at sigma = {sigma} (per sample)"
            );
        }
    }
}

#[test]
fn tensor_state_is_a_vector_space_with_per_sample_noise() {
    let (a, b) = (noise(4, 0), noise(4, 100));
    let lc = a.lin_comb(0.25, &b, -3.0).unwrap();
    let want: Vec<f64> = values(&a)
        .iter()
        .zip(values(&b))
        .map(|(x, y)| 0.25 * x + -3.0 * y)
        .collect();
    assert_eq!(values(&lc), want);
    assert_eq!(
        values(&a.scale(2.0).unwrap()),
        values(&a).iter().map(|v| 2.0 * v).collect::<Vec<_>>()
    );
    assert_eq!(a.batch_size(), 4);
    // Sample k's noise is the same alone as in a batch.
    for k in 0..4 {
        assert_eq!(
            bits(&noise(1, k)),
            bits(&a.narrow(0, k as usize, 1).unwrap())
        );
    }
    let short = noise(3, 0);
    assert_eq!(
        a.lin_comb(1.0, &short, 1.0).err(),
        Some(Error::ShapeMismatch {
            what: "state",
            expected: a.dims().to_vec(),
            got: short.dims().to_vec(),
        })
    );
    let mut streams = NoiseStream::for_seeds(&[1, 2]);
    assert!(matches!(
        State::randn_like(&a, &mut streams),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn i29_guidance_on_tensors_at_w0_and_w1_is_exact() {
    let model = tiny_model(ModelPrecond::paper(Family::Edm, 0.9).unwrap());
    let labels = one_hot(&[4, 9]);
    let cond = NetDenoiser::new(model.denoiser(), Some(labels.clone()));
    let uncond = NetDenoiser::new(model.denoiser(), Some(labels.zeros_like().unwrap()));
    let x = noise(2, 5);
    let c = cond.denoise(&x, 1.5).unwrap();
    let u = uncond.denoise(&x, 1.5).unwrap();
    let w1 = Guided::new(&uncond, &cond, 1.0).unwrap();
    let w0 = Guided::new(&uncond, &cond, 0.0).unwrap();
    assert_eq!(bits(&w1.denoise(&x, 1.5).unwrap()), bits(&c));
    assert_eq!(bits(&w0.denoise(&x, 1.5).unwrap()), bits(&u));
    assert_ne!(
        bits(&c),
        bits(&u),
        "the labels must matter for this test to mean anything"
    );
}

#[test]
fn samples_are_bitwise_independent_of_the_batch_size() {
    let model = tiny_model(ModelPrecond::paper(Family::Edm, 0.9).unwrap());
    let seeds: Vec<u64> = (0..6).collect();
    let classes: Vec<usize> = seeds.iter().map(|&s| s as usize % CLASSES).collect();
    for kind in [
        SamplerKind::Heun,
        SamplerKind::from_name("stochastic").unwrap(),
    ] {
        let sampler = edm_sampler(kind, 3, [0.002, 80.0, 7.0]).unwrap();
        let run = |batch, guidance| {
            let request = Request {
                seeds: &seeds,
                classes: Some(&classes),
                guidance,
                batch,
            };
            bits(&sample_images(&model, &sampler, request, &Device::Cpu, &|| {}).unwrap())
        };
        for guidance in [1.0, 2.5] {
            let whole = run(6, guidance);
            assert_eq!(run(4, guidance), whole, "{kind:?}, w = {guidance}, batch 4");
            assert_eq!(run(1, guidance), whole, "{kind:?}, w = {guidance}, batch 1");
        }
    }
}

#[test]
fn progress_ticks_once_per_batch_and_evaluation() {
    let model = tiny_model(ModelPrecond::paper(Family::Edm, 0.9).unwrap());
    let seeds: Vec<u64> = (0..5).collect();
    let classes: Vec<usize> = vec![0, 1, 2, 3, 4];
    for (kind, guidance) in [
        (SamplerKind::Heun, 1.0),
        (SamplerKind::Heun, 2.0),
        (SamplerKind::Euler, 0.0),
    ] {
        let sampler = edm_sampler(kind, 3, [0.002, 80.0, 7.0]).unwrap();
        let ticks = Cell::new(0);
        let request = Request {
            seeds: &seeds,
            classes: Some(&classes),
            guidance,
            batch: 2,
        };
        sample_images(&model, &sampler, request, &Device::Cpu, &|| {
            ticks.set(ticks.get() + 1)
        })
        .unwrap();
        // Batches of 2, 2 and 1; a guided evaluation counts once.
        assert_eq!(ticks.get(), 3 * sampler.nfe(), "{kind:?}, w = {guidance}");
    }
}

#[test]
fn sampling_requests_are_checked() {
    let model = tiny_model(ModelPrecond::paper(Family::Edm, 0.9).unwrap());
    let sampler = edm_sampler(SamplerKind::Euler, 2, [0.002, 80.0, 7.0]).unwrap();
    let seeds = [0, 1];
    let req = |classes, guidance, batch| Request {
        seeds: &seeds,
        classes,
        guidance,
        batch,
    };
    let go = |r| sample_images(&model, &sampler, r, &Device::Cpu, &|| {});
    assert!(matches!(
        go(req(None, 1.0, 2)),
        Err(Error::MissingClassLabels { label_dim: 10 })
    ));
    assert!(matches!(
        go(req(Some(&[1]), 1.0, 2)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        go(req(Some(&[1, 10]), 1.0, 2)),
        Err(Error::CountOutOfRange {
            name: "class",
            value: 10,
            min: 0,
            max: 9
        })
    ));
    assert!(matches!(
        go(req(Some(&[1, 2]), f64::NAN, 2)),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        go(req(Some(&[1, 2]), 1.0, 0)),
        Err(Error::CountTooSmall {
            name: "batch",
            value: 0,
            min: 1
        })
    ));
}
