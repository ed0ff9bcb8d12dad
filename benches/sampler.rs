//! The sampler's own cost per step per element, with a denoiser that costs next to nothing (it
//! returns a copy of its input, the least an owning `Denoiser` can do), as a ratio to a plain
//! axpy over the same data (the floor: one pass reading two vectors and writing one).
//!
//! `cargo bench --bench sampler` prints `ratio <sampler>: <x>` lines after criterion's timings.
//! The denoiser's fresh output buffers are freed at every step; glibc's allocator then often
//! returns that memory to the system and faults it in again at the next step, which costs more
//! than the sampler's arithmetic. To see the sampler's own cost, run the bench binary with
//! `GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.mmap_threshold=4294967295`.

use criterion::{Criterion, criterion_group};
use elucidated::denoiser::FromFn;
use elucidated::family::Family;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{Dpmpp2m, OdeSampler, Sampler, SigmaGrid, Solver};
use elucidated::schedule::{Edm, Vp};
use elucidated::steps::Discretization;
use nalgebra::DVector;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Elements per state: large enough that per-step scalar work is negligible, small enough to
/// stay in cache-friendly territory on a small machine.
const LEN: usize = 1 << 16;
/// Steps per sampler run.
const STEPS: usize = 32;

type Vector = DVector<f64>;

fn copy(x: &Vector, _sigma: f64) -> elucidated::Result<Vector> {
    Ok(x.clone())
}

/// One sampler run from a latent.
type Run = Box<dyn Fn(&Vector) -> Vector>;

/// A sampler with the copying denoiser and a single stream, and its evaluations per step.
fn boxed<P: Sampler + 'static>(sampler: P) -> (f64, Run) {
    let per_step = sampler.nfe() as f64 / sampler.steps() as f64;
    let run = Box::new(move |x: &Vector| {
        sampler
            .sample(&FromFn(copy), x, &mut [NoiseStream::new(0)])
            .expect("the bench's sampler runs")
    });
    (per_step, run)
}

/// The samplers measured, each with STEPS steps.
fn samplers() -> Vec<(&'static str, (f64, Run))> {
    let edm = Discretization::paper(Family::Edm)
        .times_for(STEPS, &Edm)
        .unwrap();
    let vp = Vp::paper();
    let vp_times = Discretization::paper(Family::Vp)
        .native_times(STEPS)
        .unwrap();
    let grid = SigmaGrid::from_schedule(&Edm, &edm).unwrap();
    vec![
        (
            "euler (s = 1)",
            boxed(OdeSampler::new(&Edm, &edm, Solver::Euler).unwrap()),
        ),
        (
            "heun (s = 1)",
            boxed(OdeSampler::new(&Edm, &edm, Solver::HEUN).unwrap()),
        ),
        (
            "heun (vp, s != 1)",
            boxed(OdeSampler::new(&vp, &vp_times, Solver::HEUN).unwrap()),
        ),
        ("dpm++(2m) (s = 1)", boxed(Dpmpp2m::new(&grid))),
    ]
}

fn axpy(y: &mut Vector, x: &Vector) {
    y.axpy(0.5, x, 0.25);
}

fn bench(c: &mut Criterion) {
    let x = Vector::from_element(LEN, 0.5);
    let mut y = Vector::from_element(LEN, 1.0);
    c.bench_function("axpy", |b| {
        b.iter(|| axpy(black_box(&mut y), black_box(&x)))
    });
    for (name, (_, f)) in samplers() {
        c.bench_function(&format!("{name}, {STEPS} steps"), |b| {
            b.iter(|| f(black_box(&x)))
        });
    }
}

/// The fastest of `reps` timings of `f`: the least disturbed by other load.
fn best_of(reps: usize, mut f: impl FnMut()) -> Duration {
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Ratios of the best per-step time of each sampler to the best per-call time of axpy, both
/// timed over windows of similar length so that other load disturbs them alike: in total, and
/// for the sampler's own work, without the denoiser's copies (timed alone the same way).
fn ratios() {
    let x = Vector::from_element(LEN, 0.5);
    let mut y = Vector::from_element(LEN, 1.0);
    let calls = 4 * STEPS;
    let per_call = |d: Duration| d.as_secs_f64() / calls as f64;
    let floor = per_call(best_of(30, || {
        for _ in 0..calls {
            axpy(black_box(&mut y), black_box(&x));
        }
    }));
    let denoiser = per_call(best_of(30, || {
        for _ in 0..calls {
            black_box(copy(black_box(&x), 1.0).expect("copies"));
        }
    }));
    println!(
        "axpy over {LEN} elements: {:.2} us; the copying denoiser: {:.2} x axpy",
        floor * 1e6,
        denoiser / floor
    );
    for (name, (evals, f)) in samplers() {
        let per_step = best_of(30, || {
            black_box(f(black_box(&x)));
        })
        .as_secs_f64()
            / STEPS as f64;
        let own = per_step - evals * denoiser;
        println!(
            "ratio {name}: {:.2} x axpy per step in total, {:.2} x the sampler's own \
             ({evals:.2} evaluations per step)",
            per_step / floor,
            own / floor
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(2));
    targets = bench
}

fn main() {
    benches();
    ratios();
}
