//! CPU/GPU agreement of the neural half (feature `cuda`, run on a machine with a GPU): the
//! network on the fast CPU ops and on candle's CUDA ops gives the same outputs and gradients,
//! the same sampler run gives the same digits on both devices, and on the GPU a sample depends
//! on its seed only, whatever the batch size.
//!
//! Run: `cargo test --release --features cuda --test nn cuda::` (fails without a GPU: these tests
//! are only built with the feature, for the machines that have one).
#![cfg(feature = "cuda")]

use candle_core::{Device, Result, Tensor};
use elucidated::digits::mnist::{CLASSES, PADDED_SIDE};
use elucidated::nn::init::{Vars, seeded_var_builder, stream_seed};
use elucidated::nn::model::Model;
use elucidated::nn::sample::{Request, edm_sampler, sample_images};
use elucidated::nn::{NETWORK_DTYPE, Network, SongUNet, SongUNetConfig, is_buffer};
use elucidated::noise::NoiseStream;
use elucidated::sampler::SamplerKind;
use elucidated::tolerance::{ABS_PIXEL_DEVICES, REL_F32_DEVICES};

fn cuda() -> Result<Device> {
    Device::new_cuda(0)
}

/// The digits network with seeded weights on `device`, every tensor perturbed by N(0, 0.02^2)
/// so that the zero-initialised output layers take part; the same weights on every device.
fn network(device: &Device) -> Result<(SongUNet, Vars)> {
    let (vb, vars) = seeded_var_builder(7, NETWORK_DTYPE, device);
    let net = SongUNet::new(vb, SongUNetConfig::digits())?;
    for (name, var) in vars.lock().expect("vars").iter() {
        let noise = normal(8, name, var.elem_count(), device)?.reshape(var.shape())?;
        var.set(&(var.as_tensor() + (noise * 0.02)?)?)?;
    }
    Ok((net, vars))
}

fn normal(seed: u64, name: &str, n: usize, device: &Device) -> Result<Tensor> {
    let mut s = NoiseStream::new(stream_seed(seed, name));
    let v: Vec<f32> = (0..n).map(|_| s.normal() as f32).collect();
    Tensor::from_vec(v, n, device)
}

fn inputs(device: &Device) -> Result<(Tensor, Tensor, Tensor)> {
    let n = 4;
    let x = normal(1, "x", n * PADDED_SIDE * PADDED_SIDE, device)?.reshape((
        n,
        1,
        PADDED_SIDE,
        PADDED_SIDE,
    ))?;
    let c_noise = Tensor::new(&[-1.5f32, -0.2, 0.6, 1.1], device)?;
    let labels = Tensor::eye(CLASSES, candle_core::DType::F32, device)?.narrow(0, 3, n)?;
    Ok((x, c_noise, labels))
}

fn rel_err(got: &Tensor, want: &Tensor) -> Result<f64> {
    let got = got.to_device(&Device::Cpu)?;
    let want = want.to_device(&Device::Cpu)?;
    let num = (&got - &want)?.abs()?.max_all()?.to_scalar::<f32>()?;
    let den = want.abs()?.max_all()?.to_scalar::<f32>()?;
    Ok(f64::from(num) / f64::from(den))
}

#[test]
fn network_outputs_and_gradients_agree_on_cpu_and_cuda() -> Result<()> {
    let gpu = cuda()?;
    let (net_cpu, vars_cpu) = network(&Device::Cpu)?;
    let (net_gpu, vars_gpu) = network(&gpu)?;
    let (x, c, y) = inputs(&Device::Cpu)?;
    let (xg, cg, yg) = inputs(&gpu)?;
    let out_cpu = net_cpu.forward(&x, &c, Some(&y))?;
    let out_gpu = net_gpu.forward(&xg, &cg, Some(&yg))?;
    let e = rel_err(&out_gpu, &out_cpu)?;
    assert!(e < REL_F32_DEVICES, "output rel err {e}");
    let g_cpu = out_cpu.sqr()?.sum_all()?.backward()?;
    let g_gpu = out_gpu.sqr()?.sum_all()?.backward()?;
    let (vc, vg) = (
        vars_cpu.lock().expect("vars"),
        vars_gpu.lock().expect("vars"),
    );
    assert_eq!(vc.len(), vg.len());
    for (name, var) in vc.iter() {
        let a = g_cpu.get(var.as_tensor());
        let b = g_gpu.get(vg[name].as_tensor());
        match (a, b) {
            (Some(a), Some(b)) => {
                let e = rel_err(b, a)?;
                assert!(e < REL_F32_DEVICES, "gradient of {name}: rel err {e}");
            }
            (None, None) => assert!(is_buffer(name), "no gradient for {name}"),
            _ => panic!("gradient of {name} on one device only"),
        }
    }
    Ok(())
}

fn digits(model: &Model, seeds: &[u64], batch: usize, device: &Device) -> Result<Vec<f64>> {
    let sampler = edm_sampler(SamplerKind::Heun, 9, [0.002, 80.0, 7.0]).expect("sampler");
    let classes: Vec<usize> = seeds.iter().map(|&s| s as usize % CLASSES).collect();
    let request = Request {
        seeds,
        classes: Some(&classes),
        guidance: 2.0,
        batch,
    };
    let images = sample_images(model, &sampler, request, device, &|| {}).expect("sampling");
    images.flatten_all()?.to_vec1::<f64>()
}

#[test]
fn heun_digits_agree_on_cpu_and_cuda() -> Result<()> {
    let gpu = cuda()?;
    let seeds: Vec<u64> = (0..6).collect();
    let cpu_model = Model::embedded(&Device::Cpu).expect("embedded model");
    let gpu_model = Model::embedded(&gpu).expect("embedded model");
    let a = digits(&cpu_model, &seeds, 6, &Device::Cpu)?;
    let b = digits(&gpu_model, &seeds, 6, &gpu)?;
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(worst < ABS_PIXEL_DEVICES, "max pixel difference {worst}");
    Ok(())
}

#[test]
fn cuda_samples_depend_on_their_seed_only() -> Result<()> {
    let gpu = cuda()?;
    let model = Model::embedded(&gpu).expect("embedded model");
    let seeds: Vec<u64> = (10..17).collect();
    let whole = digits(&model, &seeds, 7, &gpu)?;
    for batch in [1, 3] {
        let parts = digits(&model, &seeds, batch, &gpu)?;
        let same = whole
            .iter()
            .zip(&parts)
            .all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same, "batch {batch} differs from batch 7");
    }
    Ok(())
}
