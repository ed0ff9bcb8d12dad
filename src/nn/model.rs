//! A trained denoiser in one file: the network's weights as safetensors with NVlabs's tensor
//! names, and in the header (metadata key [`SPEC_KEY`]) a JSON description of the network's
//! configuration and its preconditioning, so that the file alone rebuilds `D(x; sigma)`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use serde_json::{Value, json};

use super::checkpoint::{TensorSpec, load_bytes, read_metadata, save_with_metadata, tensor_spec};
use super::ops::OpImpl;
use super::precond::{NETWORK_DTYPE, Preconditioned, candle};
use super::song_unet::{DecoderType, EmbeddingType, EncoderType};
use super::{SongUNet, SongUNetConfig};
use crate::error::{Error, Result};
use crate::json::Node;
use crate::precond::{EdmPrecond, IddpmPrecond, PrecondKind, VePrecond, VpPrecond};
use crate::schedule::{IddpmTable, Vp};

/// The safetensors metadata key holding the model's JSON description.
pub const SPEC_KEY: &str = "elucidated.model";

/// The preconditioning of a model (Table 1, I16), as stored in its file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrecondSpec {
    /// EDM with data standard deviation `sigma_data`.
    Edm {
        /// sigma_data.
        sigma_data: f64,
    },
    /// VP over the schedule (beta_d, beta_min) with M training steps.
    Vp {
        /// beta_d.
        beta_d: f64,
        /// beta_min.
        beta_min: f64,
        /// M.
        m: f64,
    },
    /// VE.
    Ve,
    /// iDDPM over the paper's u-table.
    Iddpm,
}

impl PrecondSpec {
    /// The paper's preconditioning by name (`edm` with sigma_data, `vp`, `ve`, `iddpm`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownName`] for another name, or a bad sigma_data.
    pub fn paper(name: &str, sigma_data: f64) -> Result<Self> {
        let spec = match name {
            "edm" => PrecondSpec::Edm { sigma_data },
            "vp" => PrecondSpec::Vp {
                beta_d: Vp::DEFAULT_BETA_D,
                beta_min: Vp::DEFAULT_BETA_MIN,
                m: VpPrecond::DEFAULT_M,
            },
            "ve" => PrecondSpec::Ve,
            "iddpm" => PrecondSpec::Iddpm,
            _ => {
                return Err(Error::UnknownName {
                    what: "preconditioning",
                    name: name.to_owned(),
                });
            }
        };
        spec.build()?;
        Ok(spec)
    }

    /// The preconditioner.
    ///
    /// # Errors
    ///
    /// Invalid parameters (the constructors' errors).
    pub fn build(&self) -> Result<PrecondKind> {
        Ok(match *self {
            PrecondSpec::Edm { sigma_data } => PrecondKind::Edm(EdmPrecond::new(sigma_data)?),
            PrecondSpec::Vp {
                beta_d,
                beta_min,
                m,
            } => PrecondKind::Vp(VpPrecond::new(Vp::new(beta_d, beta_min)?, m)?),
            PrecondSpec::Ve => PrecondKind::Ve(VePrecond),
            PrecondSpec::Iddpm => PrecondKind::Iddpm(IddpmPrecond::new(IddpmTable::paper())),
        })
    }

    /// The name (`edm`, `vp`, `ve`, `iddpm`).
    pub fn name(&self) -> &'static str {
        match self {
            PrecondSpec::Edm { .. } => "edm",
            PrecondSpec::Vp { .. } => "vp",
            PrecondSpec::Ve => "ve",
            PrecondSpec::Iddpm => "iddpm",
        }
    }

    fn to_json(self) -> Value {
        match self {
            PrecondSpec::Edm { sigma_data } => json!({"name": "edm", "sigma_data": sigma_data}),
            PrecondSpec::Vp {
                beta_d,
                beta_min,
                m,
            } => json!({"name": "vp", "beta_d": beta_d, "beta_min": beta_min, "m": m}),
            PrecondSpec::Ve | PrecondSpec::Iddpm => json!({"name": self.name()}),
        }
    }

    fn from_json(node: &Node<'_>) -> Result<Self> {
        let name = node.field("name")?;
        let spec = match name.string()? {
            "edm" => PrecondSpec::Edm {
                sigma_data: node.field("sigma_data")?.number()?,
            },
            "vp" => PrecondSpec::Vp {
                beta_d: node.field("beta_d")?.number()?,
                beta_min: node.field("beta_min")?.number()?,
                m: node.field("m")?.number()?,
            },
            "ve" => PrecondSpec::Ve,
            "iddpm" => PrecondSpec::Iddpm,
            other => return Err(name.error(format!("unknown preconditioning `{other}`"))),
        };
        spec.build().map_err(|e| node.error(e.to_string()))?;
        Ok(spec)
    }
}

/// What a model file describes: the network's configuration and its preconditioning.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The raw network F (its `ops` field is a run-time choice and is not stored).
    pub network: SongUNetConfig,
    /// The preconditioning.
    pub precond: PrecondSpec,
}

fn names<T: Copy + PartialEq>(table: &[(T, &'static str)], v: T) -> &'static str {
    table.iter().find(|(t, _)| *t == v).map_or("?", |(_, n)| n)
}

fn parse<T: Copy>(node: &Node<'_>, table: &[(T, &'static str)]) -> Result<T> {
    let s = node.string()?;
    table
        .iter()
        .find(|(_, n)| *n == s)
        .map(|(t, _)| *t)
        .ok_or_else(|| node.error(format!("unknown value `{s}`")))
}

const EMBEDDINGS: [(EmbeddingType, &str); 2] = [
    (EmbeddingType::Positional, "positional"),
    (EmbeddingType::Fourier, "fourier"),
];
const ENCODERS: [(EncoderType, &str); 3] = [
    (EncoderType::Standard, "standard"),
    (EncoderType::Skip, "skip"),
    (EncoderType::Residual, "residual"),
];
const DECODERS: [(DecoderType, &str); 2] = [
    (DecoderType::Standard, "standard"),
    (DecoderType::Skip, "skip"),
];

impl ModelSpec {
    /// The JSON description stored under [`SPEC_KEY`].
    pub fn to_json(&self) -> String {
        let c = &self.network;
        json!({
            "format": 1,
            "architecture": "SongUNet",
            "network": {
                "img_resolution": c.img_resolution,
                "in_channels": c.in_channels,
                "out_channels": c.out_channels,
                "label_dim": c.label_dim,
                "augment_dim": c.augment_dim,
                "model_channels": c.model_channels,
                "channel_mult": c.channel_mult,
                "channel_mult_emb": c.channel_mult_emb,
                "num_blocks": c.num_blocks,
                "attn_resolutions": c.attn_resolutions,
                "dropout": c.dropout,
                "label_dropout": c.label_dropout,
                "embedding_type": names(&EMBEDDINGS, c.embedding_type),
                "channel_mult_noise": c.channel_mult_noise,
                "encoder_type": names(&ENCODERS, c.encoder_type),
                "decoder_type": names(&DECODERS, c.decoder_type),
                "resample_filter": c.resample_filter,
            },
            "precond": self.precond.to_json(),
        })
        .to_string()
    }

    /// Parses the JSON description; `source` names the file in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] for malformed JSON, [`Error::InvalidField`] naming a missing or bad
    /// field.
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
            what: format!("{source}: model description"),
            detail: e.to_string(),
        })?;
        let root = Node::root(&value, source);
        let format = root.field("format")?;
        if format.count()? != 1 {
            return Err(format.error("unsupported format version (this build reads 1)"));
        }
        let arch = root.field("architecture")?;
        if arch.string()? != "SongUNet" {
            return Err(arch.error("unsupported architecture (this build reads SongUNet)"));
        }
        let n = root.field("network")?;
        let count = |k: &str| n.field(k)?.count();
        let counts = |k: &str| -> Result<Vec<usize>> {
            n.field(k)?.elements()?.iter().map(Node::count).collect()
        };
        let network = SongUNetConfig {
            img_resolution: count("img_resolution")?,
            in_channels: count("in_channels")?,
            out_channels: count("out_channels")?,
            label_dim: count("label_dim")?,
            augment_dim: count("augment_dim")?,
            model_channels: count("model_channels")?,
            channel_mult: counts("channel_mult")?,
            channel_mult_emb: count("channel_mult_emb")?,
            num_blocks: count("num_blocks")?,
            attn_resolutions: counts("attn_resolutions")?,
            dropout: n.field("dropout")?.number()? as f32,
            label_dropout: n.field("label_dropout")?.number()? as f32,
            embedding_type: parse(&n.field("embedding_type")?, &EMBEDDINGS)?,
            channel_mult_noise: count("channel_mult_noise")?,
            encoder_type: parse(&n.field("encoder_type")?, &ENCODERS)?,
            decoder_type: parse(&n.field("decoder_type")?, &DECODERS)?,
            resample_filter: n.field("resample_filter")?.numbers()?,
            ops: OpImpl::Auto,
        };
        let precond = PrecondSpec::from_json(&root.field("precond")?)?;
        Ok(ModelSpec { network, precond })
    }

    /// The names and shapes of the network's tensors.
    ///
    /// # Errors
    ///
    /// A configuration the network cannot be built from.
    pub fn tensor_spec(&self) -> Result<TensorSpec> {
        tensor_spec(|vb| SongUNet::new(vb, self.network.clone()))
    }
}

/// The model file of the digits model trained by `edm train` with its defaults (EMA weights;
/// `assets/models/README.md` records its training run).
pub static EMBEDDED_DIGITS: &[u8] = include_bytes!("../../assets/models/digits-edm.safetensors");

/// A preconditioned SongUNet denoiser, with the description it was built from.
pub struct Model {
    spec: ModelSpec,
    denoiser: Preconditioned<SongUNet, PrecondKind>,
}

impl Model {
    /// The model of `spec` with the weights `tensors` (NVlabs's names, float32) on `device`.
    ///
    /// # Errors
    ///
    /// A bad preconditioning, or tensors the network cannot use.
    pub fn from_tensors(
        spec: ModelSpec,
        tensors: HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<Self> {
        let precond = spec.precond.build()?;
        let vb = VarBuilder::from_tensors(tensors, NETWORK_DTYPE, device);
        let net = candle(
            "building the network",
            SongUNet::new(vb, spec.network.clone()),
        )?;
        Ok(Model {
            spec,
            denoiser: Preconditioned::new(net, precond),
        })
    }

    /// The embedded digits model ([`EMBEDDED_DIGITS`]).
    ///
    /// # Errors
    ///
    /// A failing op on `device`.
    pub fn embedded(device: &Device) -> Result<Self> {
        Self::from_bytes(EMBEDDED_DIGITS, "embedded digits model", device)
    }

    /// Reads a model file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if it cannot be read, the errors of [`Model::from_bytes`].
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let path = path.as_ref();
        let bytes = crate::io::read(path)?;
        Self::from_bytes(&bytes, &path.display().to_string(), device)
    }

    /// A model from the bytes of a model file; `source` names it in errors.
    ///
    /// # Errors
    ///
    /// [`super::NnError::CorruptCheckpoint`] for a file that is not safetensors or lacks the
    /// description, the errors of [`ModelSpec::from_json`], and a missing, extra, wrongly
    /// shaped or wrongly typed tensor (see [`super::checkpoint::load`]).
    pub fn from_bytes(bytes: &[u8], source: &str, device: &Device) -> Result<Self> {
        let (spec, tensors) = read_model_file(bytes, source, device)?;
        Self::from_tensors(spec, tensors, device)
    }

    /// Writes a model file: `tensors` (the network's weights) with `spec`'s description,
    /// atomically.
    ///
    /// # Errors
    ///
    /// Tensors that do not match `spec` exactly (checked before writing), or an I/O error.
    pub fn save(
        path: impl AsRef<Path>,
        spec: &ModelSpec,
        tensors: &HashMap<String, Tensor>,
    ) -> Result<()> {
        let expected = spec.tensor_spec()?;
        let path = path.as_ref();
        let p = path.display().to_string();
        for (name, shape) in &expected {
            let t = tensors
                .get(name)
                .ok_or_else(|| super::NnError::MissingTensor {
                    path: p.clone(),
                    name: name.clone(),
                })?;
            if t.dims() != shape.as_slice() {
                return Err(super::NnError::WrongShape {
                    path: p,
                    name: name.clone(),
                    expected: shape.clone(),
                    got: t.dims().to_vec(),
                }
                .into());
            }
        }
        if let Some(extra) = tensors.keys().find(|k| !expected.contains_key(*k)) {
            return Err(super::NnError::UnexpectedTensor {
                path: p,
                name: extra.clone(),
            }
            .into());
        }
        let meta = HashMap::from([(SPEC_KEY.to_owned(), spec.to_json())]);
        save_with_metadata(path, tensors, Some(meta))
    }

    /// The description.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The preconditioned network D(x; sigma).
    pub fn denoiser(&self) -> &Preconditioned<SongUNet, PrecondKind> {
        &self.denoiser
    }

    /// Number of classes, 0 for an unconditional model.
    pub fn label_dim(&self) -> usize {
        self.spec.network.label_dim
    }

    /// `(channels, resolution)` of the images.
    pub fn img_shape(&self) -> (usize, usize) {
        (
            self.spec.network.in_channels,
            self.spec.network.img_resolution,
        )
    }
}

/// The description and the tensors (checked against it, on `device`) of the model file
/// `bytes`; `source` names it in errors.
///
/// # Errors
///
/// As [`Model::from_bytes`].
pub fn read_model_file(
    bytes: &[u8],
    source: &str,
    device: &Device,
) -> Result<(ModelSpec, HashMap<String, Tensor>)> {
    let meta = read_metadata(bytes, source)?;
    let text = meta
        .get(SPEC_KEY)
        .ok_or_else(|| super::NnError::CorruptCheckpoint {
            path: source.to_owned(),
            detail: format!("no `{SPEC_KEY}` entry in the header: not a model file"),
        })?;
    let spec = ModelSpec::from_json(text, source)?;
    let tensors = load_bytes(bytes, source, &spec.tensor_spec()?, NETWORK_DTYPE, device)?;
    Ok((spec, tensors))
}
