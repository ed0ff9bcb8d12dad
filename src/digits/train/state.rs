//! A run on disk: the EMA weights as a model file, and the whole training state (weights, EMA,
//! Adam moments, hyper-parameters and step) that a run resumes from bitwise.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};

use super::{TRAIN_KEY, TrainConfig, Trainer};
use crate::digits::mnist::Mnist;
use crate::error::{Error, Result};
use crate::nn::SongUNet;
use crate::nn::adam::Adam;
use crate::nn::checkpoint::{TensorSpec, load_bytes, read_metadata, save_with_metadata};
use crate::nn::model::{Model, ModelSpec, SPEC_KEY};
use crate::nn::precond::{NETWORK_DTYPE, candle};

/// The prefixes of the four tensor sets of a training state.
const PREFIXES: [&str; 4] = ["net.", "ema.", "adam_m.", "adam_v."];

impl Trainer {
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
            meta.get(key).ok_or_else(|| Error::CorruptCheckpoint {
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
