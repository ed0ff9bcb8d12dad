//! Training step (forward + backward of a denoising loss) of a ~1M-parameter U-Net at 32x32,
//! batch 64, on the CPU: candle's stock conv2d / group norm against this crate's ops.
//! Prints the ratio stock / ours (goal: >= 4).
//!
//! Run: `cargo bench --features candle --bench train_step` (about 2.5 minutes on an idle 2-core
//! machine; `TRAIN_STEP_PAIRS=n` sets the number of alternating pairs behind the ratio, and a
//! criterion filter such as `-- ours` skips the other variant's criterion timing).

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{Init, VarBuilder, VarMap};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use elucidated::nn::ops::{OpImpl, conv2d, group_norm};

const BATCH: usize = 64;
const RES: usize = 32;
/// Channels per resolution level (32x32, 16x16, 8x8).
const CHANNELS: [usize; 3] = [48, 96, 96];
const GROUPS: usize = 8;

struct Conv {
    w: Tensor,
    b: Tensor,
    stride: usize,
}

impl Conv {
    fn new(vb: VarBuilder, cin: usize, cout: usize, k: usize, stride: usize) -> Result<Self> {
        let bound = 1.0 / ((cin * k * k) as f64).sqrt();
        let init = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let w = vb.get_with_hints((cout, cin, k, k), "weight", init)?;
        let b = vb.get_with_hints(cout, "bias", Init::Const(0.0))?;
        Ok(Self { w, b, stride })
    }

    fn forward(&self, ops: OpImpl, x: &Tensor) -> Result<Tensor> {
        let pad = self.w.dim(2)? / 2;
        conv2d(ops, x, &self.w, Some(&self.b), self.stride, pad)
    }
}

struct Norm {
    g: Tensor,
    b: Tensor,
}

impl Norm {
    fn new(vb: VarBuilder, c: usize) -> Result<Self> {
        let g = vb.get_with_hints(c, "weight", Init::Const(1.0))?;
        let b = vb.get_with_hints(c, "bias", Init::Const(0.0))?;
        Ok(Self { g, b })
    }

    fn silu(&self, ops: OpImpl, x: &Tensor) -> Result<Tensor> {
        group_norm(ops, x, &self.g, &self.b, GROUPS, 1e-5, true)
    }
}

/// `x + conv1(silu(gn1(conv0(silu(gn0(x))))))`, with a 1x1 skip when channels change.
struct Block {
    norm0: Norm,
    conv0: Conv,
    norm1: Norm,
    conv1: Conv,
    skip: Option<Conv>,
}

impl Block {
    fn new(vb: VarBuilder, cin: usize, cout: usize) -> Result<Self> {
        Ok(Self {
            norm0: Norm::new(vb.pp("norm0"), cin)?,
            conv0: Conv::new(vb.pp("conv0"), cin, cout, 3, 1)?,
            norm1: Norm::new(vb.pp("norm1"), cout)?,
            conv1: Conv::new(vb.pp("conv1"), cout, cout, 3, 1)?,
            skip: (cin != cout)
                .then(|| Conv::new(vb.pp("skip"), cin, cout, 1, 1))
                .transpose()?,
        })
    }

    fn forward(&self, ops: OpImpl, x: &Tensor) -> Result<Tensor> {
        let h = self.conv0.forward(ops, &self.norm0.silu(ops, x)?)?;
        let h = self.conv1.forward(ops, &self.norm1.silu(ops, &h)?)?;
        let skip = match &self.skip {
            Some(s) => s.forward(ops, x)?,
            None => x.clone(),
        };
        h + skip
    }
}

struct UNet {
    conv_in: Conv,
    enc: Vec<(Block, Option<Conv>)>,
    mid: Block,
    dec: Vec<(Block, Option<Conv>)>,
    norm_out: Norm,
    conv_out: Conv,
}

impl UNet {
    fn new(vb: VarBuilder) -> Result<Self> {
        let last = CHANNELS.len() - 1;
        let mut enc = Vec::new();
        let mut cin = CHANNELS[0];
        for (l, &c) in CHANNELS.iter().enumerate() {
            let vb = vb.pp(format!("enc{l}"));
            let down = (l < last).then(|| Conv::new(vb.pp("down"), c, c, 3, 2));
            enc.push((Block::new(vb.pp("block"), cin, c)?, down.transpose()?));
            cin = c;
        }
        let mut dec = Vec::new();
        for (l, &c) in CHANNELS.iter().enumerate().rev() {
            let vb = vb.pp(format!("dec{l}"));
            let up = (l > 0).then(|| Conv::new(vb.pp("up"), c, CHANNELS[l - 1], 3, 1));
            dec.push((Block::new(vb.pp("block"), cin + c, c)?, up.transpose()?));
            cin = CHANNELS[l.saturating_sub(1)];
        }
        Ok(Self {
            conv_in: Conv::new(vb.pp("conv_in"), 3, CHANNELS[0], 3, 1)?,
            enc,
            mid: Block::new(vb.pp("mid"), CHANNELS[last], CHANNELS[last])?,
            dec,
            norm_out: Norm::new(vb.pp("norm_out"), CHANNELS[0])?,
            conv_out: Conv::new(vb.pp("conv_out"), CHANNELS[0], 3, 3, 1)?,
        })
    }

    fn forward(&self, ops: OpImpl, x: &Tensor) -> Result<Tensor> {
        let mut h = self.conv_in.forward(ops, x)?;
        let mut skips = Vec::new();
        for (block, down) in &self.enc {
            h = block.forward(ops, &h)?;
            skips.push(h.clone());
            if let Some(d) = down {
                h = d.forward(ops, &h)?;
            }
        }
        h = self.mid.forward(ops, &h)?;
        for (block, up) in &self.dec {
            let skip = skips.pop().expect("one skip per level");
            h = block.forward(ops, &Tensor::cat(&[&h, &skip], 1)?)?;
            if let Some(u) = up {
                h = u.forward(ops, &upsample2(&h)?)?;
            }
        }
        self.conv_out.forward(ops, &self.norm_out.silu(ops, &h)?)
    }
}

/// Nearest-neighbour upsampling by 2 as a broadcast, whose backward is a cheap sum (candle's
/// `upsample_nearest2d` backward is a grouped convolution).
fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h, 1, w, 1))?
        .broadcast_as((n, c, h, 2, w, 2))?
        .reshape((n, c, 2 * h, 2 * w))
}

/// One training step: the loss `mean((F(x + n) - x)^2)` and its gradient for every parameter.
fn train_step(net: &UNet, ops: OpImpl, x: &Tensor, noise: &Tensor) -> Result<()> {
    let y = net.forward(ops, &(x + noise)?)?;
    let loss = (y - x)?.sqr()?.mean_all()?;
    let grads = loss.backward()?;
    std::hint::black_box(grads);
    Ok(())
}

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let vm = VarMap::new();
    let net = UNet::new(VarBuilder::from_varmap(&vm, DType::F32, &dev)).expect("network");
    let params: usize = vm.all_vars().iter().map(|v| v.elem_count()).sum();
    let x = Tensor::randn(0f32, 1.0, (BATCH, 3, RES, RES), &dev).expect("x");
    let noise = Tensor::randn(0f32, 1.0, (BATCH, 3, RES, RES), &dev).expect("noise");
    println!("U-Net: {params} parameters, batch {BATCH}, {RES}x{RES}");

    // The ratio comes from alternating stock and fast steps, so that load from other processes
    // on the machine slows both alike; criterion then times each variant on its own.
    let pairs: usize = std::env::var("TRAIN_STEP_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut totals = [Duration::ZERO; 2];
    for _ in 0..pairs {
        for (k, ops) in [OpImpl::Stock, OpImpl::Auto].into_iter().enumerate() {
            let start = Instant::now();
            train_step(&net, ops, &x, &noise).expect("step");
            totals[k] += start.elapsed();
        }
    }
    let [stock, ours] = totals.map(|t| t.as_secs_f64() / pairs as f64);
    println!(
        "train_step: stock {stock:.2} s, ours {ours:.2} s per step ({pairs} alternating pairs); \
         ratio stock/ours = {:.2} (goal >= 4)",
        stock / ours
    );

    let mut group = c.benchmark_group("train_step");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    for (name, ops) in [("stock", OpImpl::Stock), ("ours", OpImpl::Auto)] {
        group.bench_function(name, |b| {
            b.iter(|| train_step(&net, ops, &x, &noise).expect("step"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
