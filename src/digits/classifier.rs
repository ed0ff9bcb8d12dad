//! An independent digit classifier for `edm evaluate`: a small CNN trained by the crate on the
//! training split, whose class predictions measure whether a generated digit is of the
//! requested class and whose penultimate activations (64 features) give the Fréchet distance
//! between generated and held-out digits.
//!
//! Architecture: four 3x3 convolutions with ReLU (1 -> 32 at 32x32, then stride 2 to 64, 128,
//! 128 channels at 16x16, 8x8, 4x4), a linear layer to the 64 features (ReLU), a linear layer to
//! the 10 logits. Training is seeded and deterministic on the CPU (weights from
//! [`crate::nn::init`], data order and ±2-pixel translations from [`NoiseStream`]).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{Init, VarBuilder};
use nalgebra::{DMatrix, DVector};

use crate::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use crate::error::{Error, Result};
use crate::metrics::{frechet_distance, mean_and_covariance};
use crate::nn::adam::Adam;
use crate::nn::checkpoint::{TensorSpec, load_bytes, save, tensor_spec};
use crate::nn::init::{seeded_var_builder, splitmix64};
use crate::nn::ops::{OpImpl, conv2d};
use crate::nn::precond::candle as c;
use crate::noise::NoiseStream;

/// Width of the feature layer.
pub const FEATURES: usize = 64;

/// The committed classifier (`assets/models/classifier.safetensors`).
pub static EMBEDDED_CLASSIFIER: &[u8] =
    include_bytes!("../../assets/models/classifier.safetensors");

/// (name, input channels, output channels, stride) of the convolutions.
const CONVS: [(&str, usize, usize, usize); 4] = [
    ("conv0", 1, 32, 1),
    ("conv1", 32, 64, 2),
    ("conv2", 64, 128, 2),
    ("conv3", 128, 128, 2),
];
const FLAT: usize = 128 * 4 * 4;

fn uniform(fan_in: usize) -> Init {
    let b = 1.0 / (fan_in as f64).sqrt();
    Init::Uniform { lo: -b, up: b }
}

/// The classifier network.
#[derive(Debug, Clone)]
pub struct Classifier {
    convs: Vec<(Tensor, Tensor, usize)>,
    fc: (Tensor, Tensor),
    out: (Tensor, Tensor),
}

impl Classifier {
    /// Builds the network from `vb` (tensor names `conv0.weight`, ..., `fc.bias`, `out.bias`).
    ///
    /// # Errors
    ///
    /// A tensor `vb` cannot provide.
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        let mut convs = Vec::new();
        for (name, cin, cout, stride) in CONVS {
            let w = vb.get_with_hints(
                (cout, cin, 3, 3),
                &format!("{name}.weight"),
                uniform(cin * 9),
            )?;
            let b = vb.get_with_hints(cout, &format!("{name}.bias"), Init::Const(0.0))?;
            convs.push((w, b, stride));
        }
        let fc = (
            vb.get_with_hints((FEATURES, FLAT), "fc.weight", uniform(FLAT))?,
            vb.get_with_hints(FEATURES, "fc.bias", Init::Const(0.0))?,
        );
        let out = (
            vb.get_with_hints((CLASSES, FEATURES), "out.weight", uniform(FEATURES))?,
            vb.get_with_hints(CLASSES, "out.bias", Init::Const(0.0))?,
        );
        Ok(Self { convs, fc, out })
    }

    fn features_raw(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.to_dtype(DType::F32)?;
        for (w, b, stride) in &self.convs {
            h = conv2d(OpImpl::Auto, &h, w, Some(b), *stride, 1)?.relu()?;
        }
        let h = h.flatten_from(1)?;
        h.matmul(&self.fc.0.t()?)?.broadcast_add(&self.fc.1)?.relu()
    }

    fn logits_of(&self, features: &Tensor) -> candle_core::Result<Tensor> {
        features
            .matmul(&self.out.0.t()?)?
            .broadcast_add(&self.out.1)
    }

    /// The 64 features (after ReLU) of images `(N, 1, 32, 32)` in [-1, 1].
    ///
    /// # Errors
    ///
    /// Images of another shape.
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        c("classifier features", self.features_raw(x))
    }

    /// The class logits `(N, 10)`.
    ///
    /// # Errors
    ///
    /// Images of another shape.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        c(
            "classifier logits",
            self.features_raw(x).and_then(|f| self.logits_of(&f)),
        )
    }

    /// The tensors by name.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for ((name, ..), (w, b, _)) in CONVS.iter().zip(&self.convs) {
            out.insert(format!("{name}.weight"), w.clone());
            out.insert(format!("{name}.bias"), b.clone());
        }
        for (name, (w, b)) in [("fc", &self.fc), ("out", &self.out)] {
            out.insert(format!("{name}.weight"), w.clone());
            out.insert(format!("{name}.bias"), b.clone());
        }
        out
    }

    fn spec() -> Result<TensorSpec> {
        tensor_spec(Self::new)
    }

    /// A classifier from the bytes of its safetensors file; `source` names it in errors.
    ///
    /// # Errors
    ///
    /// A corrupt file or a missing, extra, wrongly shaped or typed tensor (typed, named).
    pub fn from_bytes(bytes: &[u8], source: &str, device: &Device) -> Result<Self> {
        let tensors = load_bytes(bytes, source, &Self::spec()?, DType::F32, device)?;
        c(
            "building the classifier",
            Self::new(VarBuilder::from_tensors(tensors, DType::F32, device)),
        )
    }

    /// Reads a classifier file.
    ///
    /// # Errors
    ///
    /// An I/O error, or the errors of [`Classifier::from_bytes`].
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let path = path.as_ref();
        let bytes = crate::io::read(path)?;
        Self::from_bytes(&bytes, &path.display().to_string(), device)
    }

    /// The committed classifier ([`EMBEDDED_CLASSIFIER`]).
    ///
    /// # Errors
    ///
    /// A failing op on `device`.
    pub fn embedded(device: &Device) -> Result<Self> {
        Self::from_bytes(EMBEDDED_CLASSIFIER, "embedded classifier", device)
    }

    /// Writes the classifier as safetensors, atomically.
    ///
    /// # Errors
    ///
    /// An I/O error.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save(path, &self.tensors())
    }

    /// The predicted class of each image.
    ///
    /// # Errors
    ///
    /// Images of another shape.
    pub fn predict(&self, images: &Tensor) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        for chunk in chunks(images)? {
            let arg = c("prediction", self.logits(&chunk)?.argmax(D::Minus1))?;
            out.extend(
                c("prediction", arg.to_vec1::<u32>())?
                    .iter()
                    .map(|&k| k as usize),
            );
        }
        Ok(out)
    }
}

/// Images in batches of at most 500 (bounded memory for long lists).
fn chunks(images: &Tensor) -> Result<Vec<Tensor>> {
    let n = c("images", images.dim(0))?;
    (0..n)
        .step_by(500)
        .map(|s| c("images", images.narrow(0, s, 500.min(n - s))))
        .collect()
}

/// Decay per step of the exponential average of the weights that [`train_classifier`]
/// returns (a window of about 100 steps, 1.4 epochs).
const WEIGHT_AVERAGE_DECAY: f64 = 0.99;

/// Hyper-parameters of [`train_classifier`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifierConfig {
    /// Passes over the training digits.
    pub epochs: usize,
    /// Digits per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Largest random translation, in pixels.
    pub max_shift: usize,
    /// Seed of the weights, the data order and the translations.
    pub seed: u64,
}

impl Default for ClassifierConfig {
    /// 10 epochs of batch 128 at learning rate 2e-3 decayed linearly to 2e-4, translations up
    /// to 2 pixels, seed 0.
    fn default() -> Self {
        Self {
            epochs: 10,
            batch: 128,
            lr: 2e-3,
            max_shift: 2,
            seed: 0,
        }
    }
}

/// Translates each 32x32 image of `x` (in place) by (dy, dx), filling with the background -1.
fn shift(image: &mut [f32], dy: isize, dx: isize) {
    let side = PADDED_SIDE as isize;
    let src = image.to_vec();
    for y in 0..side {
        for x in 0..side {
            let (sy, sx) = (y - dy, x - dx);
            image[(y * side + x) as usize] = if (0..side).contains(&sy) && (0..side).contains(&sx) {
                src[(sy * side + sx) as usize]
            } else {
                -1.0
            };
        }
    }
}

/// Trains a classifier on the digits `indices` of `data` and returns the exponential average
/// of its weights; `on_step(step, steps, loss)` after each step. Deterministic for a given configuration on the CPU.
///
/// # Errors
///
/// Invalid hyper-parameters (typed), no digits, or a non-finite loss.
pub fn train_classifier(
    config: &ClassifierConfig,
    data: &Mnist,
    indices: &[usize],
    mut on_step: impl FnMut(usize, usize, f64),
) -> Result<Classifier> {
    crate::error::count("epochs", config.epochs, 1)?;
    crate::error::count("batch", config.batch, 1)?;
    crate::error::positive("lr", config.lr)?;
    if indices.is_empty() {
        return Err(Error::DimensionMismatch {
            what: "training digits (at least)",
            expected: 1,
            got: 0,
        });
    }
    let dev = Device::Cpu;
    let (vb, vars) = seeded_var_builder(config.seed, DType::F32, &dev);
    let net = c("building the classifier", Classifier::new(vb))?;
    let vars: Vec<Var> = vars
        .lock()
        .map_err(|_| Error::Parse {
            what: "classifier variables".to_owned(),
            detail: "poisoned lock".to_owned(),
        })?
        .values()
        .cloned()
        .collect();
    let mut adam = Adam::new([0.9, 0.999, 1e-8], &vars)?;
    let mut average: Vec<Tensor> = vars
        .iter()
        .map(|v| c("weight average", v.as_tensor().copy()))
        .collect::<Result<_>>()?;
    let per_epoch = indices.len().div_ceil(config.batch);
    let steps = config.epochs * per_epoch;
    let plane = PADDED_SIDE * PADDED_SIDE;
    let mut step = 0;
    for epoch in 0..config.epochs {
        let mut stream = NoiseStream::new(splitmix64(config.seed ^ splitmix64(epoch as u64)));
        let mut order = indices.to_vec();
        stream.shuffle(&mut order);
        for batch in order.chunks(config.batch) {
            let mut pixels = data.padded_f32(batch)?;
            let span = 2 * config.max_shift + 1;
            for image in pixels.chunks_exact_mut(plane) {
                let mut draw =
                    || (stream.uniform() * span as f64) as isize - config.max_shift as isize;
                let (dy, dx) = (draw(), draw());
                shift(image, dy, dx);
            }
            let labels: Vec<u32> = batch
                .iter()
                .map(|&i| data.label(i).map(u32::from))
                .collect::<Result<_>>()?;
            let n = batch.len();
            let loss = c(
                "classifier loss",
                (|| {
                    let x = Tensor::from_vec(pixels, (n, 1, PADDED_SIDE, PADDED_SIDE), &dev)?;
                    let y = Tensor::from_vec(labels, n, &dev)?;
                    candle_nn::loss::cross_entropy(&net.logits_of(&net.features_raw(&x)?)?, &y)
                })(),
            )?;
            let value = f64::from(c("classifier loss", loss.to_scalar::<f32>())?);
            crate::error::finite("classifier loss", value)?;
            let grads = c("classifier backward pass", loss.backward())?;
            // Learning rate decayed linearly to a tenth over the run.
            let lr = config.lr * (1.0 - 0.9 * step as f64 / steps as f64);
            step += 1;
            adam.update(&vars, &grads, lr, step as u64)?;
            for (a, v) in average.iter_mut().zip(&vars) {
                let d = WEIGHT_AVERAGE_DECAY;
                *a = c(
                    "weight average",
                    (&*a * d).and_then(|x| x + (v.as_tensor() * (1.0 - d))?),
                )?;
            }
            on_step(step, steps, value);
        }
    }
    let names: Vec<String> = Classifier::spec()?.into_keys().collect();
    let by_name: HashMap<String, Tensor> = names.into_iter().zip(average).collect();
    c(
        "building the classifier",
        Classifier::new(VarBuilder::from_tensors(by_name, DType::F32, &dev)),
    )
}

/// The fraction of `images` the classifier assigns to `requested` and the Fréchet distance of
/// their features from `reference` (mean, covariance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Fraction classified as the requested class.
    pub accuracy: f64,
    /// Fréchet distance in the classifier's feature space.
    pub frechet: f64,
}

/// Feature mean and covariance of `images` `(N, 1, 32, 32)` in [-1, 1] (N >= 2).
///
/// # Errors
///
/// Fewer than 2 images, images of another shape, or non-finite features.
pub fn feature_statistics(
    classifier: &Classifier,
    images: &Tensor,
) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let mut rows = Vec::new();
    for chunk in chunks(images)? {
        let f = classifier.features(&chunk)?;
        let f = c(
            "features",
            f.to_dtype(DType::F64).and_then(|t| t.flatten_all()),
        )?;
        rows.extend(c("features", f.to_vec1::<f64>())?);
    }
    let n = rows.len() / FEATURES;
    mean_and_covariance(&DMatrix::from_row_slice(n, FEATURES, &rows))
}

/// Scores generated `images` against the requested classes and reference statistics.
///
/// # Errors
///
/// A class list of the wrong length, fewer than 2 images, or a failing op.
pub fn score(
    classifier: &Classifier,
    images: &Tensor,
    requested: &[usize],
    reference: &(DVector<f64>, DMatrix<f64>),
) -> Result<Scores> {
    let predicted = classifier.predict(images)?;
    if predicted.len() != requested.len() {
        return Err(Error::DimensionMismatch {
            what: "requested classes per image",
            expected: predicted.len(),
            got: requested.len(),
        });
    }
    let hits = predicted
        .iter()
        .zip(requested)
        .filter(|(p, r)| p == r)
        .count();
    let (mu, cov) = feature_statistics(classifier, images)?;
    Ok(Scores {
        accuracy: hits as f64 / predicted.len().max(1) as f64,
        frechet: frechet_distance((&mu, &cov), (&reference.0, &reference.1))?,
    })
}

/// The digits `indices` of `data` as an `(N, 1, 32, 32)` tensor in [-1, 1].
///
/// # Errors
///
/// An index out of range.
pub fn digits_tensor(data: &Mnist, indices: &[usize]) -> Result<Tensor> {
    let pixels = data.padded_f32(indices)?;
    c(
        "digits",
        Tensor::from_vec(
            pixels,
            (indices.len(), 1, PADDED_SIDE, PADDED_SIDE),
            &Device::Cpu,
        ),
    )
}
