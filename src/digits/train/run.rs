//! A training run: creating it (seeded, or from a model file), its accessors, and one step
//! (the loss, its gradients, Adam at the warmed-up learning rate, the EMA).

use candle_core::{Device, Tensor, Var};

use super::{StepReport, TrainConfig, Trainer, invalid};
use crate::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use crate::error::{Error, Result};
use crate::nn::SongUNet;
use crate::nn::adam::Adam;
use crate::nn::init::seeded_var_builder;
use crate::nn::model::{SPEC_KEY, read_model_file};
use crate::nn::precond::{NETWORK_DTYPE, Preconditioned, candle};

impl Trainer {
    /// A fresh run on the digits `indices` of `data` (`N x 1 x 32 x 32` in [-1, 1]), weights
    /// initialised from the seed (see [`crate::nn::init`]).
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
    /// A run that has already taken steps, the errors of [`crate::nn::model::Model::from_bytes`], or a file whose
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
                .ok_or_else(|| Error::CorruptCheckpoint {
                    path: source.to_owned(),
                    detail: format!("no tensor `{name}`"),
                })?;
            candle("initialising a variable", var.set(&t))?;
            *ema = candle("initialising the EMA", t.copy())?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn assemble(
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
            .filter(|(n, _)| !crate::nn::is_buffer(n))
            .map(|(_, v)| v.elem_count())
            .sum()
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
}
