//! Image generation with a model file's denoiser: any sampler of the core, class labels and
//! classifier-free guidance (I29), in batches, each sample a function of its seed only.

use candle_core::{DType, Device, Tensor};

use super::model::Model;
use super::precond::candle;
use super::state::NetDenoiser;
use crate::denoiser::{Denoiser, Guided};
use crate::error::{Error, Result};
use crate::sampler::{AnySampler, Sampler, SamplerKind, generate};
use crate::schedule::Edm;
use crate::steps::Discretization;

/// What to generate: one sample per seed, optionally of a given class each.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// One seed per sample: the latent and every later noise draw come from it.
    pub seeds: &'a [u64],
    /// One class per sample for a class-conditional model (ignored by an unconditional one,
    /// required by a conditional one).
    pub classes: Option<&'a [usize]>,
    /// Guidance weight w (I29): 1 = the conditional model alone, 0 = the unconditional one
    /// (zero labels, as trained with label dropout).
    pub guidance: f64,
    /// Samples per batch (results do not depend on it).
    pub batch: usize,
}

fn one_hot(classes: &[usize], label_dim: usize, device: &Device) -> Result<Tensor> {
    let mut v = vec![0f32; classes.len() * label_dim];
    for (i, &c) in classes.iter().enumerate() {
        if c >= label_dim {
            return Err(Error::CountOutOfRange {
                name: "class",
                value: c,
                min: 0,
                max: label_dim - 1,
            });
        }
        v[i * label_dim + c] = 1.0;
    }
    candle(
        "class labels",
        Tensor::from_vec(v, (classes.len(), label_dim), device),
    )
}

/// `kind` with `steps` steps of EDM's discretisation (sigma_min, sigma_max, rho) on EDM's
/// schedule s = 1, sigma = t (I13, I14), the setting of EDM's image generation.
///
/// # Errors
///
/// Invalid discretisation parameters or a zero step count.
pub fn edm_sampler(
    kind: SamplerKind,
    steps: usize,
    [sigma_min, sigma_max, rho]: [f64; 3],
) -> Result<AnySampler> {
    sampler_for(
        kind,
        steps,
        &Discretization::edm(sigma_min, sigma_max, rho)?,
    )
}

/// `kind` with `steps` noise levels of `discretization` (I14) on EDM's schedule s = 1,
/// sigma = t (I13): NVlabs's ablation sampler with `--schedule=linear --scaling=none`, which is
/// how it combines a network with the VP, VE or iDDPM time steps.
///
/// # Errors
///
/// A zero or too large step count, or steps that are not strictly decreasing.
pub fn sampler_for(
    kind: SamplerKind,
    steps: usize,
    discretization: &Discretization,
) -> Result<AnySampler> {
    kind.build(&Edm, &discretization.times_for(steps, &Edm)?)
}

/// A denoiser that calls `tick` before each evaluation (progress reporting).
struct Counted<'a, D> {
    inner: D,
    tick: &'a dyn Fn(),
}

impl<D: Denoiser<Tensor>> Denoiser<Tensor> for Counted<'_, D> {
    fn denoise(&self, x: &Tensor, sigma: f64) -> Result<Tensor> {
        (self.tick)();
        self.inner.denoise(x, sigma)
    }
}

/// Generates `request.seeds.len()` images `(N, C, H, W)` in float64 with `sampler` (its time
/// steps fixed when it was built), calling `on_eval()` before each evaluation of the denoiser
/// (one per batch and NFE; the guided denoiser counts once).
///
/// # Errors
///
/// A conditional model without classes, a class out of range, a class list of the wrong
/// length, a non-finite guidance weight or a zero batch size (all typed), or a failing op.
pub fn sample_images(
    model: &Model,
    sampler: &(impl Sampler + ?Sized),
    request: Request<'_>,
    device: &Device,
    on_eval: &dyn Fn(),
) -> Result<Tensor> {
    crate::error::finite("guidance", request.guidance)?;
    crate::error::count("batch", request.batch, 1)?;
    let n = request.seeds.len();
    let label_dim = model.label_dim();
    let classes = match (label_dim, request.classes) {
        (0, _) => None,
        (_, None) => {
            return Err(Error::MissingClassLabels { label_dim });
        }
        (_, Some(c)) if c.len() != n => {
            return Err(Error::DimensionMismatch {
                what: "classes per seed",
                expected: n,
                got: c.len(),
            });
        }
        (_, Some(c)) => Some(c),
    };
    let (channels, res) = model.img_shape();
    let mut parts = Vec::new();
    for start in (0..n).step_by(request.batch) {
        let end = (start + request.batch).min(n);
        let seeds = &request.seeds[start..end];
        let template = candle(
            "latent template",
            Tensor::zeros((end - start, channels, res, res), DType::F64, device),
        )?;
        let labels = classes
            .map(|c| one_hot(&c[start..end], label_dim, device))
            .transpose()?;
        let cond = NetDenoiser::new(model.denoiser(), labels.clone());
        let x = match &labels {
            Some(l) if request.guidance != 1.0 => {
                let zeros = candle("zero labels", l.zeros_like())?;
                let uncond = NetDenoiser::new(model.denoiser(), Some(zeros));
                let guided = Counted {
                    inner: Guided::new(uncond, cond, request.guidance)?,
                    tick: on_eval,
                };
                generate(sampler, &guided, &template, seeds)?
            }
            _ => {
                let counted = Counted {
                    inner: cond,
                    tick: on_eval,
                };
                generate(sampler, &counted, &template, seeds)?
            }
        };
        parts.push(x);
    }
    candle("joining batches", Tensor::cat(&parts, 0))
}

/// Images in [-1, 1] as 8-bit pixels, NVlabs's `(x * 127.5 + 128).clip(0, 255)`, `(N, H, W,
/// C)` row-major.
///
/// # Errors
///
/// A failing op.
pub fn to_u8(images: &Tensor) -> Result<Vec<u8>> {
    candle(
        "converting images",
        (|| {
            images
                .affine(127.5, 128.0)?
                .clamp(0.0, 255.0)?
                .floor()?
                .permute((0, 2, 3, 1))?
                .to_dtype(DType::U8)?
                .flatten_all()?
                .to_vec1::<u8>()
        })(),
    )
}
