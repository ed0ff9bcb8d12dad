//! The neural half on the CPU, in one run:
//! - sampler overhead: the time of a whole Heun run (EDM steps, float64 state) of a small
//!   class-conditional SongUNet divided by NFE x the time of one preconditioned network
//!   evaluation, measured alternately (goal: <= 1.02);
//! - forward throughput of NVlabs's CIFAR-10 DDPM++ configuration (55.7M parameters, random
//!   weights) at batch 16, in images per second.
//!
//! Run: `cargo bench --bench nn_sampler` (several minutes on 2 cores; `NN_BENCH_REPS=n` sets the
//! repetitions behind each printed figure, default 3).

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use elucidated::digits::mnist::{CLASSES, PADDED_SIDE};
use elucidated::nn::init::seeded_var_builder;
use elucidated::nn::model::{Model, ModelPrecond, ModelSpec};
use elucidated::nn::sample::{Request, edm_sampler, sample_images};
use elucidated::nn::{NETWORK_DTYPE, Network, SongUNet, SongUNetConfig};
use elucidated::sampler::{AnySampler, SamplerKind};

const BATCH: usize = 8;
const STEPS: usize = 10;

fn reps() -> usize {
    std::env::var("NN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

fn small_model() -> Model {
    let network = SongUNetConfig::digits();
    let (vb, vars) = seeded_var_builder(1, NETWORK_DTYPE, &Device::Cpu);
    SongUNet::new(vb, network.clone()).expect("network");
    let tensors = vars
        .lock()
        .expect("vars")
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let spec = ModelSpec {
        network,
        precond: ModelPrecond::Edm { sigma_data: 0.5 },
    };
    Model::from_tensors(spec, tensors, &Device::Cpu).expect("model")
}

fn heun_run(model: &Model, sampler: &AnySampler, seeds: &[u64], classes: &[usize]) {
    let request = Request {
        seeds,
        classes: Some(classes),
        guidance: 1.0,
        batch: BATCH,
    };
    std::hint::black_box(
        sample_images(model, sampler, request, &Device::Cpu, &|| {}).expect("run"),
    );
}

fn one_eval(model: &Model, x: &Tensor, labels: &Tensor) {
    std::hint::black_box(model.denoiser().denoise(x, 1.7, Some(labels)).expect("D"));
}

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let model = small_model();
    let sampler = edm_sampler(SamplerKind::Heun, STEPS, [0.002, 80.0, 7.0]).expect("sampler");
    let nfe = 2 * STEPS - 1;
    let seeds: Vec<u64> = (0..BATCH as u64).collect();
    let classes: Vec<usize> = (0..BATCH).map(|k| k % CLASSES).collect();
    let x_small = Tensor::randn(0f64, 1.0, (BATCH, 1, PADDED_SIDE, PADDED_SIDE), &dev).expect("x");
    let labels = Tensor::eye(CLASSES, DType::F32, &dev)
        .and_then(|e| e.narrow(0, 0, BATCH))
        .expect("labels");
    let (mut run, mut eval) = (Duration::ZERO, Duration::ZERO);
    let reps = reps();
    heun_run(&model, &sampler, &seeds, &classes);
    for _ in 0..reps {
        let start = Instant::now();
        heun_run(&model, &sampler, &seeds, &classes);
        run += start.elapsed();
        let start = Instant::now();
        for _ in 0..nfe {
            one_eval(&model, &x_small, &labels);
        }
        eval += start.elapsed();
    }
    println!(
        "sampler overhead: Heun {STEPS} steps ({nfe} NFE), batch {BATCH}: run {:.3} s, \
         NFE x evaluation {:.3} s; ratio = {:.4} (goal <= 1.02)",
        run.as_secs_f64() / reps as f64,
        eval.as_secs_f64() / reps as f64,
        run.as_secs_f64() / eval.as_secs_f64()
    );

    let cifar = SongUNetConfig::ddpmpp_cifar10();
    let (vb, _) = seeded_var_builder(2, NETWORK_DTYPE, &dev);
    let net = SongUNet::new(vb, cifar).expect("DDPM++");
    let x = Tensor::randn(0f32, 1.0, (16, 3, 32, 32), &dev).expect("x");
    let c_noise = Tensor::full(0.5f32, 16, &dev).expect("c_noise");
    let forward = || std::hint::black_box(net.forward(&x, &c_noise, None).expect("forward"));
    forward();
    let start = Instant::now();
    for _ in 0..reps {
        forward();
    }
    let per = start.elapsed().as_secs_f64() / reps as f64;
    println!(
        "DDPM++ CIFAR-10 forward, batch 16, CPU: {per:.2} s per batch = {:.2} images/s",
        16.0 / per
    );

    let mut group = c.benchmark_group("nn_sampler");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    group.bench_function("heun_run", |b| {
        b.iter(|| heun_run(&model, &sampler, &seeds, &classes))
    });
    group.bench_function("one_evaluation", |b| {
        b.iter(|| one_eval(&model, &x_small, &labels))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
