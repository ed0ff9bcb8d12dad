//! Training a preconditioned SongUNet with the EDM loss (I20–I23), Adam with learning-rate
//! warm-up, an exponential moving average of the weights, and label dropout for
//! classifier-free guidance (I29).
//!
//! The loss of a batch is the mean over samples and pixels of
//! lambda(sigma) |D(y + n; sigma) - y|^2 with sigma ~ p_train (I23), n ~ N(0, sigma^2 I), and
//! lambda and the preconditioning from the core (I20, I21); with the output layer initialised
//! (almost) to zero its value at initialisation is ~1 for EDM (I22).
//!
//! Every random number comes from a ChaCha20 stream keyed by the seed and the step (data order:
//! one permutation per epoch; per sample: sigma, label dropout and noise), and a checkpoint
//! holds the whole state (weights, EMA, Adam moments, step), so training is deterministic on
//! the CPU and a resumed run is bitwise the run that was not interrupted.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use serde_json::{Value, json};

use super::adam::Adam;
use super::checkpoint::{TensorSpec, load_bytes, read_metadata, save_with_metadata};
use super::init::{seeded_var_builder, splitmix64};
use super::model::{Model, ModelSpec, PrecondSpec, SPEC_KEY, read_model_file};
use super::precond::{NETWORK_DTYPE, Preconditioned, candle};
use super::{NnError, SongUNet};
use crate::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use crate::error::{Error, Result};
use crate::json::Node;
use crate::noise::NoiseStream;
use crate::noise_level::NoiseLevels;
use crate::precond::{PrecondKind, Preconditioner};
use crate::schedule::{IddpmTable, Vp};

/// The metadata key of a training state's hyper-parameters and progress.
pub const TRAIN_KEY: &str = "elucidated.train";

/// Hyper-parameters of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// The network and its preconditioning.
    pub model: ModelSpec,
    /// Images per step.
    pub batch: usize,
    /// Adam's learning rate after warm-up.
    pub lr: f64,
    /// Images over which the learning rate rises linearly from 0 (NVlabs's `lr_rampup_kimg`).
    pub lr_rampup_images: f64,
    /// Adam's beta_1, beta_2 and epsilon.
    pub adam: [f64; 3],
    /// EMA half-life in images (NVlabs's `ema_halflife_kimg` x 1000).
    pub ema_halflife_images: f64,
    /// The half-life is at most this fraction of the images seen so far (NVlabs's
    /// `ema_rampup_ratio`).
    pub ema_rampup_ratio: f64,
    /// Probability of training a sample without its label (classifier-free guidance).
    pub label_dropout: f64,
    /// EDM's P_mean and P_std (I23; used with the EDM preconditioning).
    pub p_mean_std: [f64; 2],
    /// Seed of every random number of the run.
    pub seed: u64,
}

impl TrainConfig {
    /// Defaults for `model`: batch 64, learning rate 1e-3 reached after 10,000 images, Adam
    /// (0.9, 0.999, 1e-8), EMA half-life 500,000 images ramped at 0.05 (NVlabs), label dropout
    /// 0.1, P_mean = -1.2, P_std = 1.2, seed 0.
    pub fn new(model: ModelSpec) -> Self {
        Self {
            model,
            batch: 64,
            lr: 1e-3,
            lr_rampup_images: 1e4,
            adam: [0.9, 0.999, 1e-8],
            ema_halflife_images: 5e5,
            ema_rampup_ratio: 0.05,
            label_dropout: 0.1,
            p_mean_std: [NoiseLevels::DEFAULT_P_MEAN, NoiseLevels::DEFAULT_P_STD],
            seed: 0,
        }
    }

    /// Checks every hyper-parameter.
    ///
    /// # Errors
    ///
    /// A typed error naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        crate::error::positive("batch", self.batch as f64)?;
        crate::error::positive("lr", self.lr)?;
        crate::error::in_range("lr_rampup_images", self.lr_rampup_images, 0.0, f64::MAX)?;
        crate::error::in_range("adam beta1", self.adam[0], 0.0, 1.0 - f64::EPSILON)?;
        crate::error::in_range("adam beta2", self.adam[1], 0.0, 1.0 - f64::EPSILON)?;
        crate::error::positive("adam epsilon", self.adam[2])?;
        crate::error::positive("ema_halflife_images", self.ema_halflife_images)?;
        crate::error::in_range("ema_rampup_ratio", self.ema_rampup_ratio, 0.0, f64::MAX)?;
        crate::error::in_range("label_dropout", self.label_dropout, 0.0, 1.0)?;
        self.noise_levels()?;
        self.model.precond.build()?;
        Ok(())
    }

    /// p_train of the run's preconditioning (I23): EDM's log-normal, VP's uniform t on
    /// [1e-5, 1], VE's log-uniform on [0.02, 100], iDDPM's uniform index.
    ///
    /// # Errors
    ///
    /// Invalid parameters.
    pub fn noise_levels(&self) -> Result<NoiseLevels> {
        match self.model.precond {
            PrecondSpec::Edm { .. } => NoiseLevels::edm(self.p_mean_std[0], self.p_mean_std[1]),
            PrecondSpec::Vp {
                beta_d, beta_min, ..
            } => NoiseLevels::vp(Vp::new(beta_d, beta_min)?, Vp::DEFAULT_EPS_T),
            PrecondSpec::Ve => NoiseLevels::ve(0.02, 100.0),
            PrecondSpec::Iddpm => Ok(NoiseLevels::iddpm(IddpmTable::paper())),
        }
    }

    fn to_json(&self, step: u64) -> String {
        json!({
            "step": step,
            "batch": self.batch,
            "lr": self.lr,
            "lr_rampup_images": self.lr_rampup_images,
            "adam": self.adam,
            "ema_halflife_images": self.ema_halflife_images,
            "ema_rampup_ratio": self.ema_rampup_ratio,
            "label_dropout": self.label_dropout,
            "p_mean_std": self.p_mean_std,
            // As a string: JSON numbers are read back as float64.
            "seed": self.seed.to_string(),
        })
        .to_string()
    }

    fn from_json(model: ModelSpec, text: &str, source: &str) -> Result<(Self, u64)> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
            what: format!("{source}: training state"),
            detail: e.to_string(),
        })?;
        let root = Node::root(&value, source);
        let pair = |k: &str| -> Result<Vec<f64>> { root.field(k)?.numbers() };
        let (adam, p) = (pair("adam")?, pair("p_mean_std")?);
        let seed_node = root.field("seed")?;
        let seed = seed_node
            .string()?
            .parse()
            .map_err(|_| seed_node.error("expected a 64-bit unsigned integer"))?;
        if adam.len() != 3 || p.len() != 2 {
            return Err(root.error("`adam` needs 3 numbers and `p_mean_std` 2"));
        }
        let config = TrainConfig {
            model,
            batch: root.field("batch")?.count()?,
            lr: root.field("lr")?.number()?,
            lr_rampup_images: root.field("lr_rampup_images")?.number()?,
            adam: [adam[0], adam[1], adam[2]],
            ema_halflife_images: root.field("ema_halflife_images")?.number()?,
            ema_rampup_ratio: root.field("ema_rampup_ratio")?.number()?,
            label_dropout: root.field("label_dropout")?.number()?,
            p_mean_std: [p[0], p[1]],
            seed,
        };
        config.validate()?;
        Ok((config, root.field("step")?.count()? as u64))
    }
}

/// What one training step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// The step's index (0 for the first).
    pub step: u64,
    /// Mean of lambda(sigma) |D - y|^2 over the batch's samples and pixels, before the update.
    pub loss: f64,
    /// The learning rate used.
    pub lr: f64,
}

/// A training run on digits: the network's variables, their EMA and Adam moments, and the
/// training data.
pub struct Trainer {
    config: TrainConfig,
    model: Preconditioned<SongUNet, PrecondKind>,
    levels: NoiseLevels,
    names: Vec<String>,
    vars: Vec<Var>,
    ema: Vec<Tensor>,
    adam: Adam,
    step: u64,
    images: Tensor,
    labels: Vec<u8>,
    epoch: Option<(u64, Vec<usize>)>,
}

const PREFIXES: [&str; 4] = ["net.", "ema.", "adam_m.", "adam_v."];

impl Trainer {
    /// A fresh run on the digits `indices` of `data` (`N x 1 x 32 x 32` in [-1, 1]), weights
    /// initialised from the seed (see [`super::init`]).
    ///
    /// # Errors
    ///
    /// Invalid hyper-parameters, a network that is not 32 x 32 x 1 with 0 or 10 labels, or no
    /// training digits.
    pub fn new(
        config: TrainConfig,
        data: &Mnist,
        indices: &[usize],
        device: &Device,
    ) -> Result<Self> {
        config.validate()?;
        let (vb, vars) = seeded_var_builder(config.seed, NETWORK_DTYPE, device);
        let net = candle(
            "building the network",
            SongUNet::new(vb, config.model.network.clone()),
        )?;
        let vars = vars
            .lock()
            .map_err(|_| invalid("poisoned variable map"))?
            .clone();
        let (names, vars): (Vec<String>, Vec<Var>) = vars.into_iter().unzip();
        let adam = Adam::new(config.adam, &vars)?;
        let ema = vars
            .iter()
            .map(|v| candle("EMA", v.as_tensor().copy()))
            .collect::<Result<Vec<_>>>()?;
        Self::assemble(
            config, net, names, vars, ema, adam, 0, data, indices, device,
        )
    }

    /// Starts a fresh run (step 0) from the weights of a model file instead of the seeded
    /// initialisation: the weights and their EMA become the file's, the Adam moments stay 0 and
    /// the learning-rate warm-up runs again. The file must describe exactly this run's network
    /// and preconditioning.
    ///
    /// # Errors
    ///
    /// A run that has already taken steps, the errors of [`Model::from_bytes`], or a file whose
    /// description differs from the run's (naming both).
    pub fn initialise_from(&mut self, bytes: &[u8], source: &str) -> Result<()> {
        if self.step != 0 {
            return Err(invalid(
                "only a fresh run (step 0) can be initialised from a model file",
            ));
        }
        let device = self.images.device().clone();
        let (spec, mut tensors) = read_model_file(bytes, source, &device)?;
        if spec != self.config.model {
            return Err(Error::InvalidField {
                file: source.to_owned(),
                field: SPEC_KEY.to_owned(),
                reason: format!(
                    "the file describes {}, the run {}",
                    spec.to_json(),
                    self.config.model.to_json()
                ),
            });
        }
        for ((name, var), ema) in self.names.iter().zip(&self.vars).zip(&mut self.ema) {
            let t = tensors
                .remove(name)
                .ok_or_else(|| NnError::CorruptCheckpoint {
                    path: source.to_owned(),
                    detail: format!("no tensor `{name}`"),
                })?;
            candle("initialising a variable", var.set(&t))?;
            *ema = candle("initialising the EMA", t.copy())?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        config: TrainConfig,
        net: SongUNet,
        names: Vec<String>,
        vars: Vec<Var>,
        ema: Vec<Tensor>,
        adam: Adam,
        step: u64,
        data: &Mnist,
        indices: &[usize],
        device: &Device,
    ) -> Result<Self> {
        let c = &config.model.network;
        if c.img_resolution != PADDED_SIDE
            || c.in_channels != 1
            || c.out_channels != 1
            || !(c.label_dim == 0 || c.label_dim == CLASSES)
        {
            return Err(invalid(
                "the digits need img_resolution 32, in/out channels 1 and label_dim 0 or 10",
            ));
        }
        if c.dropout != 0.0 || c.label_dropout != 0.0 {
            return Err(invalid(
                "network dropout and label_dropout must be 0: candle's CPU random numbers cannot \
                 be seeded; label dropout is drawn by the trainer (TrainConfig::label_dropout)",
            ));
        }
        if indices.is_empty() {
            return Err(invalid("no training digits"));
        }
        let pixels = data.padded_f32(indices)?;
        let images = candle(
            "training images",
            Tensor::from_vec(pixels, (indices.len(), 1, PADDED_SIDE, PADDED_SIDE), device),
        )?;
        let labels = indices
            .iter()
            .map(|&i| data.label(i))
            .collect::<Result<_>>()?;
        Ok(Self {
            levels: config.noise_levels()?,
            model: Preconditioned::new(net, config.model.precond.build()?),
            config,
            names,
            vars,
            ema,
            adam,
            step,
            images,
            labels,
            epoch: None,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Images seen so far.
    pub fn images_seen(&self) -> f64 {
        self.step as f64 * self.config.batch as f64
    }

    /// Number of trained parameters.
    pub fn parameter_count(&self) -> usize {
        self.names
            .iter()
            .zip(&self.vars)
            .filter(|(n, _)| !super::is_buffer(n))
            .map(|(_, v)| v.elem_count())
            .sum()
    }

    /// Training image `position` of the endless stream: epoch `position / N` visits the images
    /// in a permutation drawn from the seed and the epoch.
    fn image_at(&mut self, position: u64) -> usize {
        let n = self.labels.len() as u64;
        let epoch = position / n;
        if self.epoch.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut stream = NoiseStream::new(splitmix64(self.config.seed ^ splitmix64(!epoch)));
            let mut perm: Vec<usize> = (0..self.labels.len()).collect();
            stream.shuffle(&mut perm);
            self.epoch = Some((epoch, perm));
        }
        self.epoch
            .as_ref()
            .map_or(0, |(_, p)| p[(position % n) as usize])
    }

    /// The batch of step `step`: images, noisy images, sigmas, labels (one-hot, zero rows for
    /// dropped labels, or none for an unconditional network).
    fn batch(&mut self, step: u64) -> Result<(Tensor, Tensor, Vec<f64>, Option<Tensor>)> {
        let b = self.config.batch;
        let dim = PADDED_SIDE * PADDED_SIDE;
        let mut index = Vec::with_capacity(b);
        let (mut sigmas, mut noise) = (Vec::with_capacity(b), vec![0f32; b * dim]);
        let mut onehot = vec![0f32; b * CLASSES];
        let mut buf = vec![0f64; dim];
        for i in 0..b {
            let k = self.image_at(step * b as u64 + i as u64);
            index.push(k as u32);
            let key = splitmix64(splitmix64(self.config.seed ^ splitmix64(step)) ^ i as u64);
            let mut stream = NoiseStream::new(key);
            let sigma = self.levels.sample(&mut stream);
            let keep = stream.uniform() >= self.config.label_dropout;
            stream.fill_normal(&mut buf);
            for (o, z) in noise[i * dim..(i + 1) * dim].iter_mut().zip(&buf) {
                *o = (z * sigma) as f32;
            }
            if keep {
                onehot[i * CLASSES + usize::from(self.labels[k])] = 1.0;
            }
            sigmas.push(sigma);
        }
        let dev = self.images.device().clone();
        let labelled = self.config.model.network.label_dim > 0;
        candle(
            "assembling a batch",
            (|| {
                let idx = Tensor::from_vec(index, b, &dev)?;
                let y = self.images.index_select(&idx, 0)?;
                let n = Tensor::from_vec(noise, (b, 1, PADDED_SIDE, PADDED_SIDE), &dev)?;
                let labels = labelled
                    .then(|| Tensor::from_vec(onehot, (b, CLASSES), &dev))
                    .transpose()?;
                Ok((y.clone(), (y + n)?, sigmas, labels))
            })(),
        )
    }

    /// The EDM loss (I20) of step `step`'s batch under the current weights.
    fn loss(&mut self, step: u64) -> Result<Tensor> {
        let (y, x, sigmas, labels) = self.batch(step)?;
        let d = self
            .model
            .denoise_each(&x, &sigmas, labels.as_ref(), true)?;
        let weights: Vec<f32> = sigmas
            .iter()
            .map(|&s| self.model.precond().loss_weight(s) as f32)
            .collect();
        let b = sigmas.len();
        candle(
            "loss",
            (|| {
                let w = Tensor::from_vec(weights, (b, 1, 1, 1), y.device())?;
                (d - &y)?.sqr()?.broadcast_mul(&w)?.mean_all()
            })(),
        )
    }

    /// The loss of the next step's batch, without updating anything.
    ///
    /// # Errors
    ///
    /// A failing candle op.
    pub fn peek_loss(&mut self) -> Result<f64> {
        self.loss_of_batch(self.step)
    }

    /// The loss of step `step`'s batch (its digits, sigmas, label dropout and noise) under the
    /// current weights, without updating anything: the same batch before and after training
    /// measures progress without sampling noise.
    ///
    /// # Errors
    ///
    /// A failing candle op.
    pub fn loss_of_batch(&mut self, step: u64) -> Result<f64> {
        let loss = self.loss(step)?;
        candle("loss", loss.to_scalar::<f32>()).map(f64::from)
    }

    /// One step: the loss of the next batch, its gradients, an Adam update at the warmed-up
    /// learning rate, and the EMA update.
    ///
    /// # Errors
    ///
    /// [`Error::NotFinite`] when the loss or a gradient is not finite (nothing is updated),
    /// or a failing candle op.
    pub fn train_step(&mut self) -> Result<StepReport> {
        let step = self.step;
        let loss = self.loss(step)?;
        let value = f64::from(candle("loss", loss.to_scalar::<f32>())?);
        crate::error::finite("training loss", value)?;
        let grads = candle("backward pass", loss.backward())?;
        let c = &self.config;
        let b = c.batch as f64;
        let lr = c.lr * ((self.images_seen() + b) / c.lr_rampup_images.max(1e-300)).min(1.0);
        self.adam.update(&self.vars, &grads, lr, step + 1)?;
        self.step += 1;
        self.update_ema()?;
        Ok(StepReport {
            step,
            loss: value,
            lr,
        })
    }

    /// NVlabs's EMA: half-life min(H, ratio x images seen), beta = 0.5^(batch / half-life).
    fn update_ema(&mut self) -> Result<()> {
        let c = &self.config;
        let mut half_life = c.ema_halflife_images;
        if c.ema_rampup_ratio > 0.0 {
            half_life = half_life.min(self.images_seen() * c.ema_rampup_ratio);
        }
        let beta = 0.5f64.powf(c.batch as f64 / half_life.max(1e-8));
        for (e, v) in self.ema.iter_mut().zip(&self.vars) {
            // Detached: a sum with a variable records its operands for backpropagation, and
            // each EMA would hold the previous one, a chain that grows by a copy of the
            // weights at every step.
            *e = candle(
                "EMA",
                (|| Ok(((&*e * beta)? + (v.as_tensor() * (1.0 - beta))?)?.detach()))(),
            )?;
        }
        Ok(())
    }

    fn named(&self, prefix: &str, tensors: &[Tensor], out: &mut HashMap<String, Tensor>) {
        for (n, t) in self.names.iter().zip(tensors) {
            out.insert(format!("{prefix}{n}"), t.clone());
        }
    }

    /// The EMA weights by NVlabs's names.
    pub fn ema_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        self.named("", &self.ema, &mut out);
        out
    }

    /// The current (raw) weights by NVlabs's names.
    pub fn raw_tensors(&self) -> HashMap<String, Tensor> {
        let tensors: Vec<Tensor> = self.vars.iter().map(|v| v.as_tensor().clone()).collect();
        let mut out = HashMap::new();
        self.named("", &tensors, &mut out);
        out
    }

    /// Writes the EMA weights as a model file (see [`Model`]), atomically.
    ///
    /// # Errors
    ///
    /// An I/O error.
    pub fn save_ema_model(&self, path: impl AsRef<Path>) -> Result<()> {
        Model::save(path, &self.config.model, &self.ema_tensors())
    }

    /// Writes the whole training state (weights, EMA, Adam moments, hyper-parameters and
    /// step), atomically.
    ///
    /// # Errors
    ///
    /// An I/O error.
    pub fn save_state(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut tensors = HashMap::new();
        let raw: Vec<Tensor> = self.vars.iter().map(|v| v.as_tensor().clone()).collect();
        for (prefix, list) in PREFIXES
            .iter()
            .zip([&raw, &self.ema, &self.adam.m, &self.adam.v])
        {
            self.named(prefix, list, &mut tensors);
        }
        let meta = HashMap::from([
            (SPEC_KEY.to_owned(), self.config.model.to_json()),
            (TRAIN_KEY.to_owned(), self.config.to_json(self.step)),
        ]);
        save_with_metadata(path, &tensors, Some(meta))
    }

    /// Resumes from a state written by [`Trainer::save_state`], on the same training digits.
    ///
    /// # Errors
    ///
    /// An I/O error, a file that is not a training state (typed, naming the missing tensor or
    /// field), or invalid hyper-parameters in it.
    pub fn resume(
        path: impl AsRef<Path>,
        data: &Mnist,
        indices: &[usize],
        device: &Device,
    ) -> Result<Self> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let bytes = crate::io::read(path)?;
        let meta = read_metadata(&bytes, &source)?;
        let entry = |key: &str| {
            meta.get(key).ok_or_else(|| NnError::CorruptCheckpoint {
                path: source.clone(),
                detail: format!("no `{key}` entry in the header: not a training state"),
            })
        };
        let model = ModelSpec::from_json(entry(SPEC_KEY)?, &source)?;
        let (config, step) = TrainConfig::from_json(model, entry(TRAIN_KEY)?, &source)?;
        let net_spec = config.model.tensor_spec()?;
        let mut spec = TensorSpec::new();
        for prefix in PREFIXES {
            for (n, s) in &net_spec {
                spec.insert(format!("{prefix}{n}"), s.clone());
            }
        }
        let mut tensors = load_bytes(&bytes, &source, &spec, NETWORK_DTYPE, device)?;
        let names: Vec<String> = net_spec.keys().cloned().collect();
        let mut take = |prefix: &str| -> Vec<Tensor> {
            names
                .iter()
                .filter_map(|n| tensors.remove(&format!("{prefix}{n}")))
                .collect()
        };
        let (raw, ema, m, v) = (take("net."), take("ema."), take("adam_m."), take("adam_v."));
        let vars = raw
            .iter()
            .map(|t| candle("restoring variables", Var::from_tensor(t)))
            .collect::<Result<Vec<_>>>()?;
        let by_name: HashMap<String, Tensor> = names
            .iter()
            .cloned()
            .zip(vars.iter().map(|v| v.as_tensor().clone()))
            .collect();
        let adam = Adam {
            params: config.adam,
            m,
            v,
        };
        let vb = candle_nn::VarBuilder::from_tensors(by_name, DType::F32, device);
        let net = candle(
            "building the network",
            SongUNet::new(vb, config.model.network.clone()),
        )?;
        Self::assemble(
            config, net, names, vars, ema, adam, step, data, indices, device,
        )
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidField {
        file: "training configuration".to_owned(),
        field: "(run)".to_owned(),
        reason: reason.to_owned(),
    }
}
