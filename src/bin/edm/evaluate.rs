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
use elucidated::io::write_atomic;
use elucidated::metrics::frechet_distance;
use elucidated::nn::model::Model;
use elucidated::nn::sample::{Request, edm_sampler, sample_images, to_u8};
use elucidated::sampler::SamplerKind;
use indicatif::{ProgressBar, ProgressStyle};

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
    /// Samplers, comma-separated: euler, heun, stochastic (Algorithm 2), dpmpp2m, ...
    #[arg(
        long,
        default_value = "euler,heun,stochastic,dpmpp2m",
        value_delimiter = ','
    )]
    samplers: Vec<String>,
    /// Target NFE values, comma-separated (Heun-type samplers take N = (NFE + 1) / 2 steps).
    #[arg(long, default_value = "5,9,17,35,79", value_delimiter = ',')]
    nfe: Vec<usize>,
    /// Guidance weights, comma-separated (1 = conditional model alone).
    #[arg(long, default_value = "1,2", value_delimiter = ',')]
    guidance: Vec<f64>,
    /// Samples per batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Device of the sampling: cpu, or cuda (a build with `--features cuda`); the classifier
    /// scores on the CPU.
    #[arg(long, default_value = "cpu")]
    device: String,
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

fn nfe_of(kind: SamplerKind, steps: usize) -> usize {
    match kind {
        SamplerKind::Heun | SamplerKind::Stochastic(_) => 2 * steps - 1,
        _ => steps,
    }
}

/// The images as written to PNG: 8-bit quantised, back in [-1, 1].
fn quantised(images: &Tensor) -> Result<Tensor, Error> {
    let n = images.dims()[0];
    let pixels: Vec<f32> = to_u8(images)?
        .iter()
        .map(|&p| f32::from(p) / 127.5 - 1.0)
        .collect();
    Tensor::from_vec(pixels, (n, 1, PADDED_SIDE, PADDED_SIDE), &Device::Cpu)
        .map_err(|e| elucidated::nn::NnError::candle("quantising images", e).into())
}

/// Runs `edm evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<(), Error> {
    let device = crate::generate::device(&args.device)?;
    let model = match &args.model {
        Some(p) => Model::load(p, &device)?,
        None => Model::embedded(&device)?,
    };
    let classifier = match &args.classifier {
        Some(p) => Classifier::load(p, &Device::Cpu)?,
        None => Classifier::embedded(&Device::Cpu)?,
    };
    if model.label_dim() != CLASSES || model.img_shape() != (1, PADDED_SIDE) {
        return Err(Error::Parse {
            what: "--model".to_owned(),
            detail: "evaluation needs a class-conditional 32x32 digits model".to_owned(),
        });
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
    let kinds = args
        .samplers
        .iter()
        .map(|s| Ok((s.clone(), SamplerKind::from_name(s)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let plan: Vec<(String, SamplerKind, usize, f64)> = kinds
        .iter()
        .flat_map(|(name, kind)| {
            args.nfe.iter().flat_map(move |&nfe| {
                let steps = kind.steps_for_nfe(nfe);
                args.guidance
                    .iter()
                    .map(move |&w| (name.clone(), *kind, steps, w))
            })
        })
        .collect();
    let batches = args.samples.div_ceil(args.batch.max(1));
    let total: usize = plan
        .iter()
        .map(|(_, k, s, _)| nfe_of(*k, *s) * batches)
        .sum();
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} batch evaluations {msg} [{elapsed_precise}<{eta}]",
        )
        .map_err(|e| Error::Parse {
            what: "progress template".to_owned(),
            detail: e.to_string(),
        })?,
    );
    std::fs::create_dir_all(&args.out).map_err(|e| Error::Io {
        path: args.out.display().to_string(),
        detail: e.to_string(),
    })?;
    let table_path = args.out.join("evaluate.md");
    let mut cells = Vec::new();
    for (name, kind, steps, w) in plan {
        bar.set_message(format!("{name} {} NFE w={w}", nfe_of(kind, steps)));
        let start = Instant::now();
        let sampler = edm_sampler(kind, steps, [0.002, 80.0, 7.0])?;
        let request = Request {
            seeds: &seeds,
            classes: Some(&classes),
            guidance: w,
            batch: args.batch,
        };
        let images = sample_images(&model, &sampler, request, &device, &|| bar.inc(1))?;
        let images = quantised(&images)?
            .to_dtype(DType::F32)
            .map_err(|e| elucidated::nn::NnError::candle("quantising images", e))?;
        let s = score(&classifier, &images, &classes, &reference)?;
        cells.push(Cell {
            sampler: name,
            nfe: nfe_of(kind, steps),
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
    let mut t = format!(
        "Generated digits scored by the independent classifier ({samples} samples per cell, \
         class = seed mod 10, EDM steps sigma 0.002..80, rho 7). Fréchet distance in the \
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
