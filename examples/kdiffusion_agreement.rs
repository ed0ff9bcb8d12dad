//! Runs one of the crate's samplers on the d = 8 Gaussian of the sampler comparisons with given
//! noise draws replayed, for the comparison with k-diffusion
//! (ports/python/kdiffusion/agreement.py, docs/kdiffusion-agreement.md).
//!
//! `cargo run --no-default-features --example kdiffusion_agreement -- problem` prints the data
//! (mean, eigenvectors as rows, eigenvalues, covariance); `... -- run < request.json` reads
//! `{"sampler": NAME, "sigmas": [...], "latent": [[...], ...], "draws": [{"step", "draw",
//! "value"}], "eta", "s_noise", "order", "solver_type", "s_churn", "s_tmin", "s_tmax"}` (latent and draw values one row per
//! sample) and prints `{"x": rows, "trajectory": [rows per x_i]}` with round-trip floats.

use elucidated::Result;
use elucidated::analytic::Gaussian;
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    Churn, Ddim, Dpm2, Dpmpp2m, Dpmpp2sAncestral, DpmppMultistepSde, DpmppSde, Lms, OdeSampler,
    Options, Replay, Sample, Sampler, SecondOrder, SigmaGrid, Solver, StochasticSampler,
};
use elucidated::schedule::Edm;
use nalgebra::{DMatrix, DVector};
use serde_json::{Value, json};
use std::io::Read;

/// The dimension of the problem.
const D: usize = 8;

/// N(mu, Q diag(lambda) Q^T): eigenvalues log-spaced from 1e-4 to 1, mean entries +-0.1, Q the
/// Q factor of a matrix of standard normals from the stream of seed 17 (the `stiff8` problem of
/// the sampler tests).
fn stiff8() -> Result<Gaussian> {
    let (lo, hi) = (1e-4_f64, 1.0_f64);
    let eigenvalues = DVector::from_fn(D, |k, _| lo * (hi / lo).powf(k as f64 / (D - 1) as f64));
    let mean = DVector::from_fn(D, |k, _| if k % 2 == 0 { 0.1 } else { -0.1 });
    let mut stream = NoiseStream::new(17);
    let q = DMatrix::from_fn(D, D, |_, _| stream.normal()).qr().q();
    Gaussian::from_eigen(mean, q, eigenvalues)
}

fn rows(m: &DMatrix<f64>) -> Value {
    json!(
        (0..m.ncols())
            .map(|j| m.column(j).iter().copied().collect::<Vec<f64>>())
            .collect::<Vec<_>>()
    )
}

fn matrix_rows(m: &DMatrix<f64>) -> Value {
    json!(
        (0..m.nrows())
            .map(|i| m.row(i).iter().copied().collect::<Vec<f64>>())
            .collect::<Vec<_>>()
    )
}

/// A d x B state from B rows of d numbers (one row per sample).
fn state(value: &Value) -> Option<DMatrix<f64>> {
    let samples = value.as_array()?;
    let mut m = DMatrix::zeros(D, samples.len());
    for (j, sample) in samples.iter().enumerate() {
        let entries = sample.as_array()?;
        if entries.len() != D {
            return None;
        }
        for (i, v) in entries.iter().enumerate() {
            m[(i, j)] = v.as_f64()?;
        }
    }
    Some(m)
}

fn number(request: &Value, key: &str, default: f64) -> f64 {
    request.get(key).and_then(Value::as_f64).unwrap_or(default)
}

fn run(request: &Value) -> std::result::Result<Value, String> {
    let data = stiff8().map_err(|e| e.to_string())?;
    let sigmas: Vec<f64> = request["sigmas"]
        .as_array()
        .ok_or("sigmas: a list of numbers")?
        .iter()
        .map(|v| v.as_f64().ok_or("sigmas: a list of numbers"))
        .collect::<std::result::Result<_, _>>()?;
    let latent = state(&request["latent"]).ok_or("latent: rows of 8 numbers")?;
    let mut replay = Replay::new();
    for draw in request["draws"].as_array().ok_or("draws: a list")? {
        let step = draw["step"].as_u64().ok_or("draw: step")? as usize;
        let index = draw["draw"].as_u64().ok_or("draw: draw")? as usize;
        let value = state(&draw["value"]).ok_or("draw: value rows of 8 numbers")?;
        replay.insert(step, index, value);
    }
    let (eta, s_noise) = (number(request, "eta", 1.0), number(request, "s_noise", 1.0));
    let grid =
        SigmaGrid::new(sigmas.clone(), vec![1.0; sigmas.len()]).map_err(|e| e.to_string())?;
    let name = request["sampler"].as_str().ok_or("sampler: a name")?;
    let options = || Options::new().record();
    let go = |result: Result<Sample<DMatrix<f64>>>| result.map_err(|e| e.to_string());
    let mut noise = replay;
    let sample = match name {
        "euler" | "heun" => {
            let solver = if name == "euler" {
                Solver::Euler
            } else {
                Solver::HEUN
            };
            let s_churn = number(request, "s_churn", 0.0);
            if s_churn > 0.0 {
                let churn = Churn::new(
                    s_churn,
                    number(request, "s_tmin", 0.0),
                    number(request, "s_tmax", f64::INFINITY),
                    s_noise,
                )
                .map_err(|e| e.to_string())?;
                let sampler = StochasticSampler::new(&Edm, &sigmas, solver, churn)
                    .map_err(|e| e.to_string())?;
                go(sampler.sample_with(&data, &latent, &mut noise, options()))?
            } else {
                let sampler = OdeSampler::new(&Edm, &sigmas, solver).map_err(|e| e.to_string())?;
                go(sampler.sample_with(&data, &latent, &mut noise, options()))?
            }
        }
        "dpm_2" => go(Dpm2::new(&grid).sample_with(&data, &latent, &mut noise, options()))?,
        "lms" => {
            let order = number(request, "order", 4.0) as usize;
            let sampler = Lms::new(&grid, order).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpmpp_2m" => go(Dpmpp2m::new(&grid).sample_with(&data, &latent, &mut noise, options()))?,
        "euler_ancestral" => {
            let sampler = Ddim::ancestral(&grid, eta, s_noise).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpm_2_ancestral" => {
            let sampler = Dpm2::ancestral(&grid, eta, s_noise).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpmpp_2s_ancestral" => {
            let sampler = Dpmpp2sAncestral::new(&grid, eta, s_noise).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpmpp_sde" => {
            let sampler = DpmppSde::new(&grid, eta, s_noise).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpmpp_2m_sde" => {
            let form = match request["solver_type"].as_str().unwrap_or("midpoint") {
                "midpoint" => SecondOrder::Midpoint,
                "heun" => SecondOrder::Heun,
                other => return Err(format!("unknown solver_type {other}")),
            };
            let sampler =
                DpmppMultistepSde::two_m(&grid, eta, s_noise, form).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        "dpmpp_3m_sde" => {
            let sampler =
                DpmppMultistepSde::three_m(&grid, eta, s_noise).map_err(|e| e.to_string())?;
            go(sampler.sample_with(&data, &latent, &mut noise, options()))?
        }
        other => return Err(format!("unknown sampler {other}")),
    };
    Ok(json!({
        "x": rows(&sample.x),
        "trajectory": sample.trajectory.iter().map(rows).collect::<Vec<_>>(),
        "nfe": sample.nfe,
    }))
}

fn main() -> std::result::Result<(), String> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let out = match mode.as_str() {
        "problem" => {
            let data = stiff8().map_err(|e| e.to_string())?;
            json!({
                "mean": data.mean().iter().copied().collect::<Vec<f64>>(),
                "eigenvectors": matrix_rows(data.eigenvectors()),
                "eigenvalues": data.eigenvalues().iter().copied().collect::<Vec<f64>>(),
                "covariance": matrix_rows(data.covariance()),
            })
        }
        "run" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| e.to_string())?;
            let request: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            run(&request)?
        }
        _ => return Err("usage: kdiffusion_agreement problem | run < request.json".into()),
    };
    println!("{out}");
    Ok(())
}
