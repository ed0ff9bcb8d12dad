//! The cost of the AD-derived coefficients (`Coefficients::at`: sigma', s', f, g by automatic
//! differentiation of the one definition of VP's sigma(t) and s(t)) relative to the same
//! coefficients written out by hand, measured in one run and printed as a ratio.
//!
//! Both sides use the accurate double-double sigma(t) and s(t) (`sigma_at`, `scale_at`), so the
//! first ratio is the price of AD alone; the second compares with a closed form evaluated
//! entirely in float64 (expm1, exp), the cheapest possible evaluation.
//!
//! `cargo bench --bench coefficients`

use criterion::{Criterion, criterion_group, criterion_main};
use elucidated::schedule::{Schedule, Vp};
use elucidated::sde::Coefficients;
use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// VP's sigma', s', f and g written out (I10): sigma' = beta e^x / (2 sigma) with
/// e^x = 1 + sigma^2, f = -beta/2, s' = f s, g = sqrt(beta).
fn closed_form(vp: &Vp, sigma: f64, scale: f64, t: f64) -> [f64; 6] {
    let beta = vp.beta(t);
    let f = -0.5 * beta;
    let sigma_dot = beta * sigma.mul_add(sigma, 1.0) / (2.0 * sigma);
    [sigma, scale, sigma_dot, f * scale, f, beta.sqrt()]
}

/// The same in plain float64: sigma = sqrt(expm1(x)), s = exp(-x/2).
fn closed_form_f64(vp: &Vp, t: f64) -> [f64; 6] {
    let x = t * (vp.beta_min() + 0.5 * vp.beta_d() * t);
    closed_form(vp, x.exp_m1().sqrt(), (-0.5 * x).exp(), t)
}

/// Times `f` over the grid `ts`, `iters` times, adding the time per call to `total`.
fn timed(iters: u64, ts: &[f64], total: &RefCell<(Duration, u64)>, f: impl Fn(f64)) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        for &t in ts {
            f(black_box(t));
        }
    }
    let elapsed = start.elapsed();
    let mut tot = total.borrow_mut();
    tot.0 += elapsed;
    tot.1 += iters * ts.len() as u64;
    elapsed
}

fn per_call(total: &RefCell<(Duration, u64)>) -> f64 {
    let (d, n) = *total.borrow();
    d.as_secs_f64() / n as f64
}

fn coefficients(c: &mut Criterion) {
    let vp = Vp::paper();
    let ts: Vec<f64> = (0..64)
        .map(|k| 1e-3 + (1.0 - 1e-3) * f64::from(k) / 63.0)
        .collect();
    let (ad, hand, plain) = (RefCell::default(), RefCell::default(), RefCell::default());
    let mut group = c.benchmark_group("vp_coefficients");
    group.bench_function("ad", |b| {
        b.iter_custom(|n| {
            timed(n, &ts, &ad, |t| {
                black_box(Coefficients::at(&vp, t));
            })
        })
    });
    group.bench_function("closed_form", |b| {
        b.iter_custom(|n| {
            timed(n, &ts, &hand, |t| {
                black_box(closed_form(&vp, vp.sigma_at(t), vp.scale_at(t), t));
            })
        })
    });
    group.bench_function("closed_form_f64", |b| {
        b.iter_custom(|n| {
            timed(n, &ts, &plain, |t| {
                black_box(closed_form_f64(&vp, t));
            })
        })
    });
    group.finish();
    let (a, h, p) = (per_call(&ad), per_call(&hand), per_call(&plain));
    println!(
        "VP coefficients per call: AD {:.1} ns, closed form {:.1} ns, closed form in f64 {:.1} ns",
        a * 1e9,
        h * 1e9,
        p * 1e9
    );
    println!(
        "ratio AD / closed form (same accurate sigma, s): {:.2}",
        a / h
    );
    println!("ratio AD / closed form in plain f64: {:.2}", a / p);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = coefficients
}
criterion_main!(benches);
