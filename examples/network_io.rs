//! Golden input/output vectors of the NVlabs network configurations, and their forward
//! throughput, on a chosen device: the crate's half of the comparison with NVlabs's PyTorch
//! networks (`scripts/nvlabs_compare.py` is the other half).
//!
//! ```text
//! cargo run --release --example network_io -- CONFIG DEVICE OUT.safetensors [BATCH] [REPS]
//! ```
//!
//! CONFIG is `ddpmpp` or `ncsnpp` (CIFAR-10, 32x32) or `adm` (ImageNet-64, 1000 classes);
//! DEVICE is `cpu` or `cuda` (a build with `--features cuda`). The weights are NVlabs's seeded
//! initialisation plus N(0, 0.02^2) on every tensor, so that the zero-initialised layers take
//! part; the file holds them under NVlabs's parameter names, and beside them `io.x`,
//! `io.noise_labels`, `io.class_labels` (conditional networks) and the output `io.y`, all f32.
//! Then it times REPS forward passes at batch BATCH (after one warm-up pass, synchronising the
//! device) and prints the throughput in images per second.

use std::collections::HashMap;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use elucidated::nn::init::{seeded_var_builder, stream_seed};
use elucidated::nn::{DhariwalUNet, DhariwalUNetConfig, NETWORK_DTYPE, Network};
use elucidated::nn::{SongUNet, SongUNetConfig};
use elucidated::noise::NoiseStream;

/// Standard deviation of the perturbation added to every initial weight.
const PERTURBATION: f64 = 0.02;
/// Seed of the weights and inputs.
const SEED: u64 = 2022;

type Failure = Box<dyn std::error::Error>;

fn normal(seed: u64, name: &str, n: usize) -> Vec<f32> {
    let mut s = NoiseStream::new(stream_seed(seed, name));
    (0..n).map(|_| s.normal() as f32).collect()
}

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err(
            "usage: network_io ddpmpp|ncsnpp|adm cpu|cuda OUT.safetensors [BATCH] [REPS]".into(),
        );
    }
    let device = match args[1].as_str() {
        "cpu" => Device::Cpu,
        "cuda" => Device::new_cuda(0)?,
        other => return Err(format!("unknown device `{other}`").into()),
    };
    let batch: usize = args.get(3).map_or(Ok(16), |s| s.parse())?;
    let reps: usize = args.get(4).map_or(Ok(10), |s| s.parse())?;
    let (vb, vars) = seeded_var_builder(SEED, NETWORK_DTYPE, &device);
    let (net, res, label_dim): (Box<dyn Network>, usize, usize) = match args[0].as_str() {
        "ddpmpp" | "ncsnpp" => {
            let config = if args[0] == "ddpmpp" {
                SongUNetConfig::ddpmpp_cifar10()
            } else {
                SongUNetConfig::ncsnpp_cifar10()
            };
            (Box::new(SongUNet::new(vb, config)?), 32, 0)
        }
        "adm" => {
            let config = DhariwalUNetConfig::adm_imagenet64();
            (Box::new(DhariwalUNet::new(vb, config)?), 64, 1000)
        }
        other => return Err(format!("unknown configuration `{other}`").into()),
    };
    let mut tensors = HashMap::new();
    for (name, var) in vars.lock().map_err(|_| "poisoned variable map")?.iter() {
        let noise = normal(SEED + 1, name, var.elem_count());
        let noise = Tensor::from_vec(noise, var.shape(), &device)?;
        var.set(&(var.as_tensor() + (noise * PERTURBATION)?)?)?;
        tensors.insert(name.clone(), var.as_tensor().clone());
    }
    let x = Tensor::from_vec(
        normal(SEED, "io.x", batch * 3 * res * res),
        (batch, 3, res, res),
        &device,
    )?;
    // Noise labels of the EDM preconditioning, c_noise = ln(sigma) / 4, for sigma from 0.002 to 80.
    let labels: Vec<f32> = (0..batch)
        .map(|k| {
            let f = if batch > 1 {
                k as f64 / (batch - 1) as f64
            } else {
                0.5
            };
            ((0.002f64.ln() + f * (80.0f64 / 0.002).ln()) / 4.0) as f32
        })
        .collect();
    let c_noise = Tensor::from_vec(labels, batch, &device)?;
    let classes = (label_dim > 0)
        .then(|| {
            let idx: Vec<u32> = (0..batch).map(|k| (k * 37 % label_dim) as u32).collect();
            let idx = Tensor::from_vec(idx, batch, &device)?;
            Tensor::eye(label_dim, DType::F32, &device)?.index_select(&idx, 0)
        })
        .transpose()?;
    let y = net.forward(&x, &c_noise, classes.as_ref())?;
    tensors.insert("io.x".to_owned(), x.clone());
    tensors.insert("io.noise_labels".to_owned(), c_noise.clone());
    if let Some(c) = &classes {
        tensors.insert("io.class_labels".to_owned(), c.clone());
    }
    tensors.insert("io.y".to_owned(), y);
    let tensors: HashMap<String, Tensor> = tensors
        .into_iter()
        .map(|(k, v)| Ok((k, v.to_device(&Device::Cpu)?)))
        .collect::<candle_core::Result<_>>()?;
    elucidated::nn::checkpoint::save(&args[2], &tensors)?;
    device.synchronize()?;
    let start = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(net.forward(&x, &c_noise, classes.as_ref())?);
    }
    device.synchronize()?;
    let per = start.elapsed().as_secs_f64() / reps as f64;
    println!(
        "{} forward on {}, batch {batch}: {:.4} s per batch = {:.1} images/s ({reps} reps)",
        args[0],
        args[1],
        per,
        batch as f64 / per
    );
    Ok(())
}
