//! NVlabs/edm network pickles (`network-snapshot-*.pkl`) to the crate's model files, in pure
//! Rust: the pickle is read as data by [`crate::pickle`], never executed.
//!
//! From the `ema` module: the preconditioning from the preconditioner's class and keyword
//! arguments (`EDMPrecond`: sigma_data; `VPPrecond`: beta_d, beta_min, M; `VEPrecond`;
//! `iDDPMPrecond` with the paper's C_1, C_2, M), with NVlabs's defaults for arguments not
//! given; the network configuration from the keyword arguments of `ema.model` (a `SongUNet`,
//! DDPM++ or NCSN++, over [`SongUNetConfig::new`]'s NVlabs defaults); the weights from its
//! state dict, whose constant `resample_filter` buffers are checked against the configuration
//! ([`super::resample`]) and dropped. The result is checked against the network's expected
//! tensors before it is returned.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use super::SongUNetConfig;
use super::model::{Model, ModelPrecond, ModelSpec};
use super::precond::candle;
use super::resample::check_resample_buffer;
use super::song_unet::{DecoderType, EmbeddingType, EncoderType};
use crate::error::{Error, Result};
use crate::pickle::{self, Node, NodeId, Pickle, module};
use crate::precond::VpPrecond;
use crate::schedule::{IddpmTable, Vp};

/// A converted network pickle: the model file's description and tensors, and what NVlabs's
/// preconditioner stored beside them that a model file does not hold.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The model's description.
    pub spec: ModelSpec,
    /// The network's tensors under the crate's names, float32, on the CPU.
    pub tensors: HashMap<String, Tensor>,
    /// The preconditioner's class (`EDMPrecond`, `VPPrecond`, `VEPrecond`, `iDDPMPrecond`).
    pub precond_class: String,
    /// The noise range the preconditioner reports (its `sigma_min`, `sigma_max` attributes),
    /// when it stores one.
    pub sigma_range: Option<(f64, f64)>,
    /// Whether NVlabs ran the network in float16 on GPUs (`use_fp16`); the weights are float32
    /// either way.
    pub use_fp16: bool,
}

/// Reads the network pickle at `path` and writes its `ema` network as a model file at `out`.
///
/// # Errors
///
/// [`Error::Io`] for unreadable or unwritable files, the errors of [`convert_bytes`].
pub fn convert_file(path: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<Converted> {
    let path = path.as_ref();
    let bytes = crate::io::read(path)?;
    let converted = convert_bytes(&bytes, &path.display().to_string())?;
    Model::save(out, &converted.spec, &converted.tensors)?;
    Ok(converted)
}

/// Converts the bytes of a network pickle; `source` names it in errors.
///
/// # Errors
///
/// The pickle reader's errors ([`Error::PickleOpcode`], [`Error::PickleGlobal`], ...), and
/// [`Error::InvalidField`] naming the field (`ema`, `ema._init_kwargs.model_type`, a tensor's
/// name, ...) that is missing, of the wrong type, unsupported (another network than SongUNet,
/// iDDPM with other constants than the paper's) or inconsistent with the network.
pub fn convert_bytes(bytes: &[u8], source: &str) -> Result<Converted> {
    let p = pickle::parse(bytes)?;
    let r = Reader { p: &p, source };
    let ema = p
        .get(p.root(), "ema")
        .ok_or_else(|| r.fail("ema", "the pickle has no `ema` entry"))?;
    let (precond_class, state) = p
        .persistent(ema)
        .ok_or_else(|| r.fail("ema", "not a persistent module"))?;
    let kwargs = r.kwargs(ema, "ema")?;
    let (precond, default_model) = r.precond(precond_class, &kwargs)?;
    let model_type = match kwargs.get("model_type") {
        Some(&id) => r.string(id, "ema._init_kwargs.model_type")?,
        None => default_model,
    };
    if model_type != "SongUNet" {
        return Err(r.fail(
            "ema._init_kwargs.model_type",
            format!("`{model_type}`: model files hold SongUNet networks (DDPM++, NCSN++) only"),
        ));
    }
    let model = module::submodule(&p, ema, "model", "ema")?;
    match p.persistent(model) {
        Some((class, _)) if class == model_type => {}
        _ => return Err(r.fail("ema.model", format!("not a persistent `{model_type}`"))),
    }
    let model_kwargs = r.kwargs(model, "ema.model")?;
    r.forwarded_only(precond_class, &kwargs, &model_kwargs)?;
    let network = r.song_unet(&model_kwargs)?;
    if network.out_channels != network.in_channels {
        return Err(r.fail(
            "ema.model._init_kwargs.out_channels",
            "differs from in_channels (a network with learned variances); the preconditioned \
             model needs out_channels = in_channels",
        ));
    }
    let spec = ModelSpec { network, precond };
    let tensors = r.tensors(model, &spec)?;
    let attr = |k: &str| p.get(state, k).and_then(|id| r.number(id, k).ok());
    let use_fp16 = match kwargs.get("use_fp16") {
        Some(&id) => r.boolean(id, "ema._init_kwargs.use_fp16")?,
        None => false,
    };
    Ok(Converted {
        spec,
        tensors,
        precond_class: precond_class.to_owned(),
        sigma_range: attr("sigma_min").zip(attr("sigma_max")),
        use_fp16,
    })
}

struct Reader<'p, 'a> {
    p: &'p Pickle<'a>,
    source: &'p str,
}

type Kwargs<'a> = HashMap<&'a str, NodeId>;

impl<'a> Reader<'_, 'a> {
    fn fail(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::InvalidField {
            file: self.source.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    fn kwargs(&self, id: NodeId, path: &str) -> Result<Kwargs<'a>> {
        Ok(module::init_kwargs(self.p, id, path)?.into_iter().collect())
    }

    fn number(&self, id: NodeId, field: &str) -> Result<f64> {
        match self.p.node(id) {
            Node::Int(v) => Ok(*v as f64),
            Node::Float(v) => Ok(*v),
            other => Err(self.fail(field, format!("a {}, not a number", other.kind()))),
        }
    }

    fn count(&self, id: NodeId, field: &str) -> Result<usize> {
        match self.p.node(id) {
            Node::Int(v) => {
                usize::try_from(*v).map_err(|_| self.fail(field, format!("{v} is not a count")))
            }
            other => Err(self.fail(field, format!("a {}, not an int", other.kind()))),
        }
    }

    fn boolean(&self, id: NodeId, field: &str) -> Result<bool> {
        match self.p.node(id) {
            Node::Bool(v) => Ok(*v),
            other => Err(self.fail(field, format!("a {}, not a bool", other.kind()))),
        }
    }

    fn string(&self, id: NodeId, field: &str) -> Result<&'a str> {
        match self.p.node(id) {
            Node::Str(s) => Ok(s),
            other => Err(self.fail(field, format!("a {}, not a str", other.kind()))),
        }
    }

    fn list(&self, id: NodeId, field: &str) -> Result<Vec<NodeId>> {
        match self.p.node(id) {
            Node::List(v) | Node::Tuple(v) => Ok(v.clone()),
            other => Err(self.fail(field, format!("a {}, not a list", other.kind()))),
        }
    }

    fn number_or(&self, kwargs: &Kwargs<'_>, key: &str, default: f64) -> Result<f64> {
        kwargs.get(key).map_or(Ok(default), |&id| {
            self.number(id, &format!("ema._init_kwargs.{key}"))
        })
    }

    /// The preconditioning of `class` with its keyword arguments, and the class's default
    /// `model_type`.
    fn precond(&self, class: &str, kwargs: &Kwargs<'_>) -> Result<(ModelPrecond, &'static str)> {
        let spec = match class {
            "EDMPrecond" => ModelPrecond::Edm {
                sigma_data: self.number_or(kwargs, "sigma_data", 0.5)?,
            },
            "VPPrecond" => ModelPrecond::Vp {
                beta_d: self.number_or(kwargs, "beta_d", Vp::DEFAULT_BETA_D)?,
                beta_min: self.number_or(kwargs, "beta_min", Vp::DEFAULT_BETA_MIN)?,
                m: self.number_or(kwargs, "M", VpPrecond::DEFAULT_M)?,
            },
            "VEPrecond" => ModelPrecond::Ve,
            "iDDPMPrecond" => {
                let constants = (
                    self.number_or(kwargs, "C_1", IddpmTable::DEFAULT_C1)?,
                    self.number_or(kwargs, "C_2", IddpmTable::DEFAULT_C2)?,
                    self.number_or(kwargs, "M", IddpmTable::DEFAULT_M as f64)?,
                );
                let paper = (
                    IddpmTable::DEFAULT_C1,
                    IddpmTable::DEFAULT_C2,
                    IddpmTable::DEFAULT_M as f64,
                );
                if constants != paper {
                    return Err(self.fail(
                        "ema._init_kwargs",
                        format!(
                            "iDDPM with (C_1, C_2, M) = {constants:?}: model files hold the \
                             paper's {paper:?}"
                        ),
                    ));
                }
                ModelPrecond::Iddpm
            }
            other => {
                return Err(self.fail("ema", format!("unknown preconditioner class `{other}`")));
            }
        };
        spec.build()
            .map_err(|e| self.fail("ema._init_kwargs", e.to_string()))?;
        let default_model = match class {
            "VPPrecond" | "VEPrecond" => "SongUNet",
            _ => "DhariwalUNet",
        };
        Ok((spec, default_model))
    }

    /// Checks that each keyword argument of the preconditioner is one of its own (those of
    /// every preconditioner, and of its class) or one it forwarded to the network.
    fn forwarded_only(&self, class: &str, kwargs: &Kwargs<'_>, model: &Kwargs<'_>) -> Result<()> {
        const COMMON: [&str; 5] = [
            "img_resolution",
            "img_channels",
            "label_dim",
            "use_fp16",
            "model_type",
        ];
        let own: &[&str] = match class {
            "EDMPrecond" => &["sigma_min", "sigma_max", "sigma_data"],
            "VPPrecond" => &["beta_d", "beta_min", "M", "epsilon_t"],
            "VEPrecond" => &["sigma_min", "sigma_max"],
            _ => &["C_1", "C_2", "M"],
        };
        let mut keys: Vec<&str> = kwargs.keys().copied().collect();
        keys.sort_unstable();
        match keys
            .into_iter()
            .find(|k| !COMMON.contains(k) && !own.contains(k) && !model.contains_key(k))
        {
            Some(k) => Err(self.fail(
                &format!("ema._init_kwargs.{k}"),
                format!("neither a {class} argument nor one passed to its network"),
            )),
            None => Ok(()),
        }
    }

    /// SongUNet's configuration from its keyword arguments over NVlabs's defaults.
    fn song_unet(&self, kwargs: &Kwargs<'_>) -> Result<SongUNetConfig> {
        let field = |k: &str| format!("ema.model._init_kwargs.{k}");
        let required = |k: &str| {
            kwargs
                .get(k)
                .ok_or_else(|| self.fail(&field(k), "missing"))
                .and_then(|&id| self.count(id, &field(k)))
        };
        let mut c = SongUNetConfig::new(
            required("img_resolution")?,
            required("in_channels")?,
            required("out_channels")?,
        );
        let mut keys: Vec<(&&str, &NodeId)> = kwargs.iter().collect();
        keys.sort_by_key(|(k, _)| **k);
        for (&key, &id) in keys {
            let f = field(key);
            let counts = || -> Result<Vec<usize>> {
                self.list(id, &f)?
                    .into_iter()
                    .map(|i| self.count(i, &f))
                    .collect()
            };
            let choice = |table: &[&str]| -> Result<usize> {
                let s = self.string(id, &f)?;
                table
                    .iter()
                    .position(|t| *t == s)
                    .ok_or_else(|| self.fail(&f, format!("unknown value `{s}`")))
            };
            match key {
                "img_resolution" | "in_channels" | "out_channels" => {}
                "label_dim" => c.label_dim = self.count(id, &f)?,
                "augment_dim" => c.augment_dim = self.count(id, &f)?,
                "model_channels" => c.model_channels = self.count(id, &f)?,
                "channel_mult" => c.channel_mult = counts()?,
                "channel_mult_emb" => c.channel_mult_emb = self.count(id, &f)?,
                "num_blocks" => c.num_blocks = self.count(id, &f)?,
                "attn_resolutions" => c.attn_resolutions = counts()?,
                "dropout" => c.dropout = self.number(id, &f)? as f32,
                "label_dropout" => c.label_dropout = self.number(id, &f)? as f32,
                "channel_mult_noise" => c.channel_mult_noise = self.count(id, &f)?,
                "embedding_type" => {
                    c.embedding_type = [EmbeddingType::Positional, EmbeddingType::Fourier]
                        [choice(&["positional", "fourier"])?];
                }
                "encoder_type" => {
                    c.encoder_type = [
                        EncoderType::Standard,
                        EncoderType::Skip,
                        EncoderType::Residual,
                    ][choice(&["standard", "skip", "residual"])?];
                }
                "decoder_type" => {
                    c.decoder_type =
                        [DecoderType::Standard, DecoderType::Skip][choice(&["standard", "skip"])?];
                }
                "resample_filter" => {
                    c.resample_filter = self
                        .list(id, &f)?
                        .into_iter()
                        .map(|i| self.number(i, &f))
                        .collect::<Result<_>>()?;
                }
                _ => return Err(self.fail(&f, "not a SongUNet argument")),
            }
        }
        Ok(c)
    }

    /// The network's tensors from the state dict of `model`, checked against `spec`.
    fn tensors(&self, model: NodeId, spec: &ModelSpec) -> Result<HashMap<String, Tensor>> {
        let expected = spec.tensor_spec()?;
        let mut out = HashMap::with_capacity(expected.len());
        for (name, t) in module::state_dict(self.p, model)? {
            // Straight to float32, without a float64 copy of the network: float32 weights are
            // copied exactly, float16 and bfloat16 widened exactly, float64 rounded.
            let storage = self.p.storage_of(&t)?;
            let values: Vec<f32> = t
                .indices()
                .map(|i| storage.float(i).map(|v| v as f32))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    self.fail(&name, format!("a tensor of {:?}, not floats", t.dtype))
                })?;
            if name.ends_with(".resample_filter") {
                check_resample_buffer(
                    self.source,
                    &name,
                    &t.shape,
                    &values,
                    &spec.network.resample_filter,
                )?;
                continue;
            }
            match expected.get(&name) {
                None => return Err(self.fail(&name, "a tensor the network does not have")),
                Some(shape) if *shape != t.shape => {
                    return Err(self.fail(
                        &name,
                        format!("shape {:?}, the network's is {shape:?}", t.shape),
                    ));
                }
                Some(_) => {}
            }
            let tensor = candle(
                "building a converted tensor",
                Tensor::from_vec(values, t.shape.as_slice(), &Device::Cpu),
            )?;
            if out.insert(name.clone(), tensor).is_some() {
                return Err(self.fail(&name, "appears twice in the state dict"));
            }
        }
        if let Some(missing) = expected.keys().find(|k| !out.contains_key(*k)) {
            return Err(self.fail(missing, "missing from the state dict"));
        }
        Ok(out)
    }
}
