//! `edm generate`: images from a model file (by default the embedded digits model) with any
//! sampler, as a PNG grid and optionally one PNG per seed.
//!
//! Sample k depends on its seed only (latent and every later noise draw come from the seed's
//! stream), so the images are bitwise the same for any `--batch` on a given device.

use std::path::PathBuf;

use clap::Args;
use elucidated::Error;
use elucidated::family::Family;
use elucidated::nn::model::Model;
use elucidated::nn::sample::{Request, sample_images, sampler_for, to_u8};
use elucidated::sampler::{Sampler, SamplerName};

use crate::common::{DeviceName, Seeds, device, parse_seeds, progress_bar, sampler_kind};
use crate::discretization::DiscretizationParams;
use crate::error::CliError;

/// Arguments of `edm generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Model file (safetensors written by `edm train`); default: the embedded digits model.
    #[arg(long, visible_alias = "checkpoint")]
    model: Option<PathBuf>,
    /// Seeds, NVlabs style: comma-separated numbers and ranges `a-b` (inclusive).
    #[arg(long, default_value = "0-79", value_parser = parse_seeds)]
    seeds: Seeds,
    /// Class of every sample; default: class `seed mod classes`, one grid row per class.
    #[arg(long)]
    class: Option<usize>,
    /// Classifier-free guidance weight w (I29): 1 = conditional model alone.
    #[arg(long, default_value_t = 1.0)]
    guidance: f64,
    /// Sampler.
    #[arg(long, value_enum, default_value_t = SamplerName::Heun)]
    sampler: SamplerName,
    /// Steps N of the discretisation (Heun: 2N - 1 network evaluations).
    #[arg(long, alias = "n", default_value_t = 18)]
    steps: usize,
    /// Time discretisation (I14); its noise levels are used on EDM's schedule s = 1, sigma = t.
    #[arg(long, value_enum, default_value_t = Family::Edm)]
    discretization: Family,
    #[command(flatten)]
    discretization_params: DiscretizationParams,
    /// Algorithm 2's S_churn, S_tmin, S_tmax, S_noise (only with `--sampler stochastic`;
    /// default 40,0.05,50,1).
    #[arg(
        long,
        value_name = "S_CHURN,S_TMIN,S_TMAX,S_NOISE",
        value_delimiter = ',',
        num_args = 1,
        allow_hyphen_values = true
    )]
    churn: Option<Vec<f64>>,
    /// DDIM's eta in [0, 1] (only with `--sampler ddim`; default 0).
    #[arg(long, allow_hyphen_values = true)]
    eta: Option<f64>,
    /// Samples per batch (the images do not depend on it).
    #[arg(long, default_value_t = 80)]
    batch: usize,
    /// Device (cuda needs a build with `--features cuda`).
    #[arg(long, value_enum, default_value_t = DeviceName::Cpu)]
    device: DeviceName,
    /// The PNG grid.
    #[arg(long, default_value = "digits.png")]
    out: PathBuf,
    /// Columns of the grid when `--class` is given or the model is unconditional.
    #[arg(long, visible_alias = "grid-cols", default_value_t = 8)]
    cols: usize,
    /// Also write one PNG per seed (`000042.png`) into this directory.
    #[arg(long)]
    per_seed: Option<PathBuf>,
}

/// Tiles images (`n x res x res x c`) into a grid: `order[r][j]` is the image in row r,
/// column j (rows may be short).
fn grid(pixels: &[u8], res: usize, c: usize, order: &[Vec<usize>]) -> (Vec<u8>, usize, usize) {
    let cols = order.iter().map(Vec::len).max().unwrap_or(0);
    let (w, h) = (cols * res, order.len() * res);
    let mut out = vec![0u8; w * h * c];
    let tile = res * res * c;
    for (r, row) in order.iter().enumerate() {
        for (j, &k) in row.iter().enumerate() {
            for y in 0..res {
                let src = &pixels[k * tile + y * res * c..][..res * c];
                let dst = ((r * res + y) * w + j * res) * c;
                out[dst..dst + res * c].copy_from_slice(src);
            }
        }
    }
    (out, w, h)
}

/// Runs `edm generate`.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let seeds = &args.seeds.0;
    let device = device(args.device)?;
    let kind = sampler_kind(args.sampler, args.churn.as_deref(), args.eta)?;
    let discretization = args.discretization_params.build(args.discretization)?;
    let sampler = sampler_for(kind, args.steps, &discretization)?;
    let model = match &args.model {
        Some(path) => Model::load(path, &device)?,
        None => Model::embedded(&device)?,
    };
    let label_dim = model.label_dim();
    let classes: Option<Vec<usize>> = (label_dim > 0).then(|| {
        seeds
            .iter()
            .map(|&s| args.class.unwrap_or((s % label_dim as u64) as usize))
            .collect()
    });
    let nfe = sampler.nfe();
    let batches = seeds.len().div_ceil(args.batch.max(1));
    let bar = progress_bar(
        batches * nfe,
        "{bar:40} {pos}/{len} network evaluations [{elapsed_precise}]",
    )?;
    let request = Request {
        seeds,
        classes: classes.as_deref(),
        guidance: args.guidance,
        batch: args.batch,
    };
    let images = sample_images(&model, &sampler, request, &device, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let pixels = to_u8(&images)?;
    let (c, res) = model.img_shape();
    let order: Vec<Vec<usize>> = match &classes {
        Some(cl) if args.class.is_none() => (0..label_dim)
            .map(|k| (0..seeds.len()).filter(|&i| cl[i] == k).collect())
            .filter(|row: &Vec<usize>| !row.is_empty())
            .collect(),
        _ => (0..seeds.len())
            .collect::<Vec<_>>()
            .chunks(args.cols.max(1))
            .map(<[usize]>::to_vec)
            .collect(),
    };
    let (grid_pixels, w, h) = grid(&pixels, res, c, &order);
    crate::png::write(&args.out, &grid_pixels, (w, h, c))?;
    if let Some(dir) = &args.per_seed {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tile = res * res * c;
        for (k, seed) in seeds.iter().enumerate() {
            let path = dir.join(format!("{seed:06}.png"));
            crate::png::write(&path, &pixels[k * tile..(k + 1) * tile], (res, res, c))?;
        }
    }
    eprintln!(
        "{} images ({} NFE each) written to {}",
        seeds.len(),
        nfe,
        args.out.display()
    );
    Ok(())
}
