//! `edm generate`: images from a model file (by default the embedded digits model) with any
//! sampler, as a PNG grid and optionally one PNG per seed.
//!
//! Sample k depends on its seed only (latent and every later noise draw come from the seed's
//! stream), so the images are bitwise the same for any `--batch` on a given device.

use std::path::PathBuf;

use candle_core::Device;
use clap::Args;
use elucidated::Error;
use elucidated::nn::model::Model;
use elucidated::nn::sample::{Request, sample_images, sampler_for, to_u8};
use elucidated::sampler::{Churn, Sampler, SamplerKind};
use indicatif::{ProgressBar, ProgressStyle};

use crate::discretization::DiscretizationParams;

/// Arguments of `edm generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Model file (safetensors written by `edm train`); default: the embedded digits model.
    #[arg(long, visible_alias = "checkpoint")]
    model: Option<PathBuf>,
    /// Seeds, NVlabs style: comma-separated numbers and ranges `a-b` (inclusive).
    #[arg(long, default_value = "0-79")]
    seeds: String,
    /// Class of every sample; default: class `seed mod classes`, one grid row per class.
    #[arg(long)]
    class: Option<usize>,
    /// Classifier-free guidance weight w (I29): 1 = conditional model alone.
    #[arg(long, default_value_t = 1.0)]
    guidance: f64,
    /// Sampler: euler, heun, dpmpp2m, ddim, ancestral, stochastic (Algorithm 2), sde.
    #[arg(long, default_value = "heun")]
    sampler: String,
    /// Steps N of the discretisation (Heun: 2N - 1 network evaluations).
    #[arg(long, default_value_t = 18)]
    steps: usize,
    /// Time discretisation (I14): edm, vp, ve or iddpm; its noise levels are used on EDM's
    /// schedule s = 1, sigma = t.
    #[arg(long, default_value = "edm")]
    discretization: String,
    #[command(flatten)]
    discretization_params: DiscretizationParams,
    /// Algorithm 2's S_churn, S_tmin, S_tmax, S_noise (with `--sampler stochastic`).
    #[arg(
        long,
        value_delimiter = ',',
        num_args = 4,
        default_value = "40,0.05,50,1"
    )]
    churn: Vec<f64>,
    /// DDIM's eta (with `--sampler ddim`).
    #[arg(long)]
    eta: Option<f64>,
    /// Samples per batch (the images do not depend on it).
    #[arg(long, default_value_t = 80)]
    batch: usize,
    /// Device: cpu, or cuda (needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
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

/// Parses NVlabs's seed syntax: `0-63`, `1,5,7-9`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, Error> {
    let bad = |detail: String| Error::Parse {
        what: "--seeds".to_owned(),
        detail,
    };
    let mut seeds = Vec::new();
    for part in text.split(',').map(str::trim) {
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad(format!("`{s}` is not a seed (0 to 2^64 - 1)")))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b || b - a >= 1 << 24 {
                    return Err(bad(format!("`{part}`: need a <= b and at most 2^24 seeds")));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(num(part)?),
        }
        if seeds.len() > 1 << 24 {
            return Err(bad("more than 2^24 seeds".to_owned()));
        }
    }
    Ok(seeds)
}

/// The device named `name`.
pub fn device(name: &str) -> Result<Device, Error> {
    match name {
        "cpu" => Ok(Device::Cpu),
        #[cfg(feature = "cuda")]
        "cuda" => Device::new_cuda(0).map_err(|e| Error::Parse {
            what: "--device cuda".to_owned(),
            detail: e.to_string(),
        }),
        #[cfg(not(feature = "cuda"))]
        "cuda" => Err(Error::Parse {
            what: "--device cuda".to_owned(),
            detail: "this build has no CUDA support; rebuild with `--features cuda`".to_owned(),
        }),
        other => Err(Error::UnknownName {
            what: "device",
            name: other.to_owned(),
        }),
    }
}

/// The sampler named `name`, with the churn / eta options.
pub fn sampler_kind(name: &str, churn: &[f64], eta: Option<f64>) -> Result<SamplerKind, Error> {
    Ok(match (SamplerKind::from_name(name)?, eta) {
        (SamplerKind::Stochastic(_), _) => {
            SamplerKind::Stochastic(Churn::new(churn[0], churn[1], churn[2], churn[3])?)
        }
        (SamplerKind::Ddim { .. }, Some(eta)) => SamplerKind::Ddim { eta },
        (kind, _) => kind,
    })
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
pub fn run(args: &GenerateArgs) -> Result<(), Error> {
    let seeds = parse_seeds(&args.seeds)?;
    let device = device(&args.device)?;
    let kind = sampler_kind(&args.sampler, &args.churn, args.eta)?;
    let discretization = args.discretization_params.build(&args.discretization)?;
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
    let bar = ProgressBar::new((batches * nfe) as u64).with_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} network evaluations [{elapsed_precise}]",
        )
        .map_err(|e| Error::Parse {
            what: "progress template".to_owned(),
            detail: e.to_string(),
        })?,
    );
    let request = Request {
        seeds: &seeds,
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
