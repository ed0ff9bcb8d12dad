//! The hyper-parameters of a training run, the paper's (and NVlabs's) defaults, and their JSON
//! in a training state's header.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::json::Node;
use crate::nn::model::{ModelPrecond, ModelSpec};
use crate::noise_level::NoiseLevels;
use crate::schedule::{IddpmTable, Ve, Vp};

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
    /// Default images per step.
    pub const DEFAULT_BATCH: usize = 64;
    /// Default learning rate after warm-up.
    pub const DEFAULT_LR: f64 = 1e-3;
    /// Default warm-up, in images (NVlabs's `lr_rampup_kimg` = 10).
    pub const DEFAULT_LR_RAMPUP_IMAGES: f64 = 1e4;
    /// Default Adam beta_1, beta_2 and epsilon (NVlabs's).
    pub const DEFAULT_ADAM: [f64; 3] = [0.9, 0.999, 1e-8];
    /// Default EMA half-life in images (NVlabs's `ema_halflife_kimg` = 500).
    pub const DEFAULT_EMA_HALFLIFE_IMAGES: f64 = 5e5;
    /// Default EMA ramp-up ratio (NVlabs's `ema_rampup_ratio`).
    pub const DEFAULT_EMA_RAMPUP_RATIO: f64 = 0.05;
    /// Default probability of dropping a label (classifier-free guidance, I29).
    pub const DEFAULT_LABEL_DROPOUT: f64 = 0.1;

    /// Defaults for `model`: batch 64, learning rate 1e-3 reached after 10,000 images, Adam
    /// (0.9, 0.999, 1e-8), EMA half-life 500,000 images ramped at 0.05 (NVlabs), label dropout
    /// 0.1, P_mean = -1.2, P_std = 1.2 (the paper's, I23), seed 0.
    pub fn new(model: ModelSpec) -> Self {
        Self {
            model,
            batch: Self::DEFAULT_BATCH,
            lr: Self::DEFAULT_LR,
            lr_rampup_images: Self::DEFAULT_LR_RAMPUP_IMAGES,
            adam: Self::DEFAULT_ADAM,
            ema_halflife_images: Self::DEFAULT_EMA_HALFLIFE_IMAGES,
            ema_rampup_ratio: Self::DEFAULT_EMA_RAMPUP_RATIO,
            label_dropout: Self::DEFAULT_LABEL_DROPOUT,
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
        crate::error::count("batch", self.batch, 1)?;
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
            ModelPrecond::Edm { .. } => NoiseLevels::edm(self.p_mean_std[0], self.p_mean_std[1]),
            ModelPrecond::Vp {
                beta_d, beta_min, ..
            } => NoiseLevels::vp(Vp::new(beta_d, beta_min)?, Vp::DEFAULT_EPS_T),
            ModelPrecond::Ve => NoiseLevels::ve(Ve::DEFAULT_SIGMA_MIN, Ve::DEFAULT_SIGMA_MAX),
            ModelPrecond::Iddpm => Ok(NoiseLevels::iddpm(IddpmTable::paper())),
        }
    }

    pub(super) fn to_json(&self, step: u64) -> String {
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

    pub(super) fn from_json(model: ModelSpec, text: &str, source: &str) -> Result<(Self, u64)> {
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
