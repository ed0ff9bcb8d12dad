//! Training step (forward + backward of the EDM loss) of the digits model's network (SongUNet,
//! model_channels 32, channel_mult 1,2,2, one block per resolution, attention at 8x8, 1.26M
//! parameters, 32x32x1, batch 64) on the CPU: candle's stock conv2d / group norm against this
//! crate's ops. Prints the ratio stock / ours (goal: >= 4).
//!
//! Run: `cargo bench --bench train_step` (a few minutes on an idle 2-core machine;
//! `TRAIN_STEP_PAIRS=n` sets the number of alternating pairs behind the ratio, and a criterion
//! filter such as `-- ours` skips the other variant's criterion timing).

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use elucidated::digits::mnist::{CLASSES, PADDED_SIDE};
use elucidated::nn::init::seeded_var_builder;
use elucidated::nn::ops::OpImpl;
use elucidated::nn::{NETWORK_DTYPE, Preconditioned, SongUNet, SongUNetConfig};
use elucidated::precond::{EdmPrecond, Preconditioner};

const BATCH: usize = 64;

fn network(ops: OpImpl) -> (Preconditioned<SongUNet, EdmPrecond>, usize) {
    let config = SongUNetConfig {
        ops,
        ..SongUNetConfig::digits()
    };
    // Same seed: both variants start from identical weights.
    let (vb, vars) = seeded_var_builder(0, NETWORK_DTYPE, &Device::Cpu);
    let net = SongUNet::new(vb, config).expect("network");
    let params = vars
        .lock()
        .expect("vars")
        .values()
        .map(|v| v.elem_count())
        .sum();
    (
        Preconditioned::new(net, EdmPrecond::new(0.5).expect("sigma_data")),
        params,
    )
}

/// One training step: the EDM loss of a batch and its gradient for every parameter.
fn train_step(
    d: &Preconditioned<SongUNet, EdmPrecond>,
    (y, n, labels): (&Tensor, &Tensor, &Tensor),
    sigmas: &[f64],
) {
    let x = (y + n).expect("x");
    let out = d.denoise_each(&x, sigmas, Some(labels), true).expect("D");
    let w: Vec<f32> = sigmas
        .iter()
        .map(|&s| d.precond().loss_weight(s) as f32)
        .collect();
    let w = Tensor::from_vec(w, (BATCH, 1, 1, 1), &Device::Cpu).expect("w");
    let loss = (out - y)
        .and_then(|r| r.sqr())
        .and_then(|r| r.broadcast_mul(&w))
        .and_then(|r| r.mean_all())
        .expect("loss");
    std::hint::black_box(loss.backward().expect("backward"));
}

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let (stock, params) = network(OpImpl::Stock);
    let (ours, _) = network(OpImpl::Auto);
    let shape = (BATCH, 1, PADDED_SIDE, PADDED_SIDE);
    let y = Tensor::randn(0f32, 0.5, shape, &dev).expect("y");
    let sigmas: Vec<f64> = (0..BATCH)
        .map(|i| (-1.2 + 1.2 * (i as f64 / 20.0 - 1.5)).exp())
        .collect();
    let n = Tensor::randn(0f32, 1.0, shape, &dev).expect("n");
    let labels = Tensor::eye(CLASSES, DType::F32, &dev)
        .and_then(|e| e.repeat((BATCH / CLASSES + 1, 1)))
        .and_then(|e| e.narrow(0, 0, BATCH))
        .expect("labels");
    let batch = (&y, &n, &labels);
    println!("digits SongUNet: {params} parameters, batch {BATCH}, 32x32x1");

    // The ratio comes from alternating stock and fast steps, so that load from other processes
    // on the machine slows both alike; criterion then times each variant on its own.
    let pairs: usize = std::env::var("TRAIN_STEP_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut totals = [Duration::ZERO; 2];
    for _ in 0..pairs {
        for (k, d) in [&stock, &ours].into_iter().enumerate() {
            let start = Instant::now();
            train_step(d, batch, &sigmas);
            totals[k] += start.elapsed();
        }
    }
    let [t_stock, t_ours] = totals.map(|t| t.as_secs_f64() / pairs as f64);
    println!(
        "train_step: stock {t_stock:.2} s, ours {t_ours:.2} s per step ({pairs} alternating \
         pairs); ratio stock/ours = {:.2} (goal >= 4)",
        t_stock / t_ours
    );

    let mut group = c.benchmark_group("train_step");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    for (name, d) in [("stock", &stock), ("ours", &ours)] {
        group.bench_function(name, |b| b.iter(|| train_step(d, batch, &sigmas)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
