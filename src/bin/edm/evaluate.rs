//! `edm evaluate`: generated digits scored by the independent classifier, over sampler x NFE x
//! guidance weight: (a) the fraction classified as the requested class, (b) the Fréchet
//! distance between generated and held-out digits in the classifier's feature space. Writes a
//! markdown table and a PNG plot.
//!
//! Sample k has seed k and class k mod 10 (balanced classes); every cell uses the same seeds.
//! Images are scored as written to PNG (quantised to 8 bits).

mod plot;

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use clap::Args;
use elucidated::Error;
use elucidated::digits::classifier::{Classifier, digits_tensor, feature_statistics, score};
use elucidated::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use elucidated::family::Family;
use elucidated::io::write_atomic;
use elucidated::metrics::frechet_distance;
use elucidated::nn::model::Model;
use elucidated::nn::sample::{Request, sample_images, sampler_for, to_u8};
use elucidated::sampler::{AnySampler, Sampler, SamplerName};
use elucidated::schedule::Edm;
use elucidated::steps::Discretization;

use crate::common::{DeviceName, device, progress_bar};
use crate::error::CliError;

/// Arguments of `edm evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model file; default: the embedded digits model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Classifier file; default: the embedded classifier.
    #[arg(long)]
    classifier: Option<PathBuf>,
    /// Samples per cell (seeds 0..n, class = seed mod 10).
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// Samplers, comma-separated.
    #[arg(
        long,
        value_enum,
        default_value = "euler,heun,stochastic,dpmpp2m",
        value_delimiter = ','
    )]
    samplers: Vec<SamplerName>,
    /// Target NFE values, comma-separated (Heun-type samplers take N = (NFE + 1) / 2 steps).
    #[arg(long, default_value = "5,9,17,35,79", value_delimiter = ',')]
    nfe: Vec<usize>,
    /// Guidance weights, comma-separated (1 = conditional model alone).
    #[arg(long, default_value = "1,2", value_delimiter = ',')]
    guidance: Vec<f64>,
    /// Samples per batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Device of the sampling (cuda needs a build with `--features cuda`); the classifier
    /// scores on the CPU.
    #[arg(long, value_enum, default_value_t = DeviceName::Cpu)]
    device: DeviceName,
    /// Directory for evaluate.md (rewritten after each cell) and evaluate.png.
    #[arg(long, default_value = "evaluation")]
    out: PathBuf,
}

/// One cell of the table.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Sampler name.
    pub sampler: String,
    /// Network evaluations per sample (guided: each counts once).
    pub nfe: usize,
    /// Guidance weight.
    pub guidance: f64,
    /// Fraction classified as requested.
    pub accuracy: f64,
    /// Fréchet distance to the held-out digits.
    pub frechet: f64,
    /// Seconds the cell took.
    pub seconds: f64,
}

/// The images as written to PNG: 8-bit quantised, back in [-1, 1].
fn quantised(images: &Tensor) -> Result<Tensor, Error> {
    let n = images.dims()[0];
    let pixels: Vec<f32> = to_u8(images)?
        .iter()
        .map(|&p| f32::from(p) / 127.5 - 1.0)
        .collect();
    Tensor::from_vec(pixels, (n, 1, PADDED_SIDE, PADDED_SIDE), &Device::Cpu)
        .map_err(|e| Error::candle("quantising images", e))
}

/// Runs `edm evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<(), CliError> {
    let device = device(args.device)?;
    let model = match &args.model {
        Some(p) => Model::load(p, &device)?,
        None => Model::embedded(&device)?,
    };
    let classifier = match &args.classifier {
        Some(p) => Classifier::load(p, &Device::Cpu)?,
        None => Classifier::embedded(&Device::Cpu)?,
    };
    if model.label_dim() != CLASSES || model.img_shape() != (1, PADDED_SIDE) {
        return Err(CliError::Usage(
            "--model: evaluation needs a class-conditional 32x32 digits model".to_owned(),
        ));
    }
    let data = Mnist::embedded()?;
    let (train, held_out) = data.split();
    let reference = feature_statistics(&classifier, &digits_tensor(&data, &held_out)?)?;
    let train_sample: Vec<usize> = train
        .iter()
        .copied()
        .step_by(9)
        .take(held_out.len())
        .collect();
    let (mu, cov) = feature_statistics(&classifier, &digits_tensor(&data, &train_sample)?)?;
    let floor = frechet_distance((&mu, &cov), (&reference.0, &reference.1))?;

    let seeds: Vec<u64> = (0..args.samples as u64).collect();
    let classes: Vec<usize> = seeds
        .iter()
        .map(|&s| (s % CLASSES as u64) as usize)
        .collect();
    let discretization = Discretization::paper(Family::Edm);
    let mut plan: Vec<(SamplerName, AnySampler, f64)> = Vec::new();
    for &name in &args.samplers {
        let kind = name.kind()?;
        for &nfe in &args.nfe {
            let sampler = sampler_for(kind, kind.steps_for_nfe(nfe), &discretization)?;
            for &w in &args.guidance {
                plan.push((name, sampler.clone(), w));
            }
        }
    }
    let batches = args.samples.div_ceil(args.batch.max(1));
    let total: usize = plan.iter().map(|(_, s, _)| s.nfe() * batches).sum();
    let bar = progress_bar(
        total,
        "{bar:40} {pos}/{len} batch evaluations {msg} [{elapsed_precise}<{eta}]",
    )?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let table_path = args.out.join("evaluate.md");
    let mut cells = Vec::new();
    for (name, sampler, w) in plan {
        bar.set_message(format!("{name} {} NFE w={w}", sampler.nfe()));
        let start = Instant::now();
        let request = Request {
            seeds: &seeds,
            classes: Some(&classes),
            guidance: w,
            batch: args.batch,
        };
        let images = sample_images(&model, &sampler, request, &device, &|| bar.inc(1))?;
        let images = quantised(&images)?
            .to_dtype(DType::F32)
            .map_err(|e| Error::candle("quantising images", e))?;
        let s = score(&classifier, &images, &classes, &reference)?;
        cells.push(Cell {
            sampler: name.to_string(),
            nfe: sampler.nfe(),
            guidance: w,
            accuracy: s.accuracy,
            frechet: s.frechet,
            seconds: start.elapsed().as_secs_f64(),
        });
        // The table so far, so that an interrupted evaluation keeps the cells it finished.
        write_atomic(
            &table_path,
            markdown(&cells, args.samples, floor).as_bytes(),
        )?;
    }
    bar.finish_and_clear();
    let table = markdown(&cells, args.samples, floor);
    write_atomic(&table_path, table.as_bytes())?;
    plot::png(&args.out.join("evaluate.png"), &cells)?;
    print!("{table}");
    Ok(())
}

fn markdown(cells: &[Cell], samples: usize, floor: f64) -> String {
    let (lo, hi, rho) = (
        Edm::DEFAULT_SIGMA_MIN,
        Edm::DEFAULT_SIGMA_MAX,
        Edm::DEFAULT_RHO,
    );
    let mut t = format!(
        "Generated digits scored by the independent classifier ({samples} samples per cell, \
         class = seed mod 10, EDM steps sigma {lo}..{hi}, rho {rho}). Fréchet distance in the \
         classifier's 64 features to the 1,000 held-out digits; 1,000 training digits are at \
         {floor:.3}.\n\n| sampler | NFE | guidance | class accuracy | Fréchet distance | seconds |\n\
         |---|---:|---:|---:|---:|---:|\n"
    );
    for c in cells {
        t.push_str(&format!(
            "| {} | {} | {} | {:.2}% | {:.3} | {:.0} |\n",
            c.sampler,
            c.nfe,
            c.guidance,
            100.0 * c.accuracy,
            c.frechet,
            c.seconds
        ));
    }
    t
}
