//! A trained denoiser in one file: the network's weights as safetensors with NVlabs's tensor
//! names, and in the header (metadata key [`SPEC_KEY`]) a JSON description of the network's
//! configuration and its preconditioning, so that the file alone rebuilds `D(x; sigma)`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use serde_json::{Value, json};

use super::checkpoint::{
    TensorSpec, load_bytes_with_filter, read_metadata, save_with_metadata, tensor_spec,
};
use super::ops::OpImpl;
use super::precond::{NETWORK_DTYPE, Preconditioned, candle};
use super::song_unet::{DecoderType, EmbeddingType, EncoderType};
use super::{SongUNet, SongUNetConfig};
use crate::error::{Error, Result};
use crate::family::Family;
use crate::json::Node;
use crate::precond::{EdmPrecond, IddpmPrecond, PrecondKind, VePrecond, VpPrecond};
use crate::schedule::{IddpmTable, Vp};

/// The safetensors metadata key holding the model's JSON description.
pub const SPEC_KEY: &str = "elucidated.model";

/// The preconditioning of a model (Table 1, I16), as stored in its file. (The golden vectors'
/// [`crate::vectors::PrecondSpec`] spells out iDDPM's table constants too; a model's
/// iDDPM preconditioning always uses the paper's table.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelPrecond {
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

impl ModelPrecond {
    /// The family's preconditioning with the paper's constants, EDM's with `sigma_data`.
    ///
    /// # Errors
    ///
    /// A bad sigma_data.
    pub fn paper(family: Family, sigma_data: f64) -> Result<Self> {
        let spec = match family {
            Family::Edm => ModelPrecond::Edm { sigma_data },
            Family::Vp => ModelPrecond::Vp {
                beta_d: Vp::DEFAULT_BETA_D,
                beta_min: Vp::DEFAULT_BETA_MIN,
                m: VpPrecond::DEFAULT_M,
            },
            Family::Ve => ModelPrecond::Ve,
            Family::Iddpm => ModelPrecond::Iddpm,
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
            ModelPrecond::Edm { sigma_data } => PrecondKind::Edm(EdmPrecond::new(sigma_data)?),
            ModelPrecond::Vp {
                beta_d,
                beta_min,
                m,
            } => PrecondKind::Vp(VpPrecond::new(Vp::new(beta_d, beta_min)?, m)?),
            ModelPrecond::Ve => PrecondKind::Ve(VePrecond),
            ModelPrecond::Iddpm => PrecondKind::Iddpm(IddpmPrecond::new(IddpmTable::paper())),
        })
    }

    /// The family.
    pub fn family(&self) -> Family {
        match self {
            ModelPrecond::Edm { .. } => Family::Edm,
            ModelPrecond::Vp { .. } => Family::Vp,
            ModelPrecond::Ve => Family::Ve,
            ModelPrecond::Iddpm => Family::Iddpm,
        }
    }

    /// The name (`edm`, `vp`, `ve`, `iddpm`), the family's.
    pub fn name(&self) -> &'static str {
        self.family().name()
    }

    fn to_json(self) -> Value {
        match self {
            ModelPrecond::Edm { sigma_data } => {
                json!({"name": self.name(), "sigma_data": sigma_data})
            }
            ModelPrecond::Vp {
                beta_d,
                beta_min,
                m,
            } => json!({"name": self.name(), "beta_d": beta_d, "beta_min": beta_min, "m": m}),
            ModelPrecond::Ve | ModelPrecond::Iddpm => json!({"name": self.name()}),
        }
    }

    fn from_json(node: &Node<'_>) -> Result<Self> {
        let name = node.field("name")?;
        let text = name.string()?;
        let family = text
            .parse()
            .map_err(|_| name.error(format!("unknown preconditioning `{text}`")))?;
        let spec = match family {
            Family::Edm => ModelPrecond::Edm {
                sigma_data: node.field("sigma_data")?.number()?,
            },
            Family::Vp => ModelPrecond::Vp {
                beta_d: node.field("beta_d")?.number()?,
                beta_min: node.field("beta_min")?.number()?,
                m: node.field("m")?.number()?,
            },
            Family::Ve => ModelPrecond::Ve,
            Family::Iddpm => ModelPrecond::Iddpm,
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
    pub precond: ModelPrecond,
}

/// Largest image side a model file may describe.
pub const MAX_RESOLUTION: usize = 1 << 14;
/// Largest channel count of any layer (`model_channels` times a multiplier) or of the images.
pub const MAX_CHANNELS: usize = 1 << 16;
/// Most class or augmentation labels.
pub const MAX_LABELS: usize = 1 << 20;
/// Most residual blocks per resolution.
pub const MAX_BLOCKS: usize = 256;
/// Most taps of the resampling filter.
pub const MAX_FILTER_TAPS: usize = 64;

/// Checks that the network described under `n` can be built: every size within its limit, one
/// level per halving of the resolution at most (so `img_resolution >> level` stays a whole
/// side), probabilities in [0, 1] and a finite resampling filter with a nonzero sum.
fn check_network(n: &Node<'_>, c: &SongUNetConfig) -> Result<()> {
    let within = |key: &str, v: usize, min: usize, max: usize| -> Result<()> {
        if (min..=max).contains(&v) {
            Ok(())
        } else {
            Err(n
                .field(key)?
                .error(format!("must lie in {min}..={max}, got {v}")))
        }
    };
    within("img_resolution", c.img_resolution, 1, MAX_RESOLUTION)?;
    within("in_channels", c.in_channels, 1, MAX_CHANNELS)?;
    within("out_channels", c.out_channels, 1, MAX_CHANNELS)?;
    within("label_dim", c.label_dim, 0, MAX_LABELS)?;
    within("augment_dim", c.augment_dim, 0, MAX_LABELS)?;
    within("model_channels", c.model_channels, 1, MAX_CHANNELS)?;
    within("num_blocks", c.num_blocks, 1, MAX_BLOCKS)?;
    let widest = MAX_CHANNELS / c.model_channels;
    within("channel_mult_emb", c.channel_mult_emb, 1, widest)?;
    within("channel_mult_noise", c.channel_mult_noise, 1, widest)?;
    let levels = c.img_resolution.trailing_zeros() as usize + 1;
    let mult = n.field("channel_mult")?;
    if !(1..=levels).contains(&c.channel_mult.len()) {
        return Err(mult.error(format!(
            "needs 1 to {levels} levels (one per halving of img_resolution {}), got {}",
            c.img_resolution,
            c.channel_mult.len()
        )));
    }
    for (k, &m) in c.channel_mult.iter().enumerate() {
        if !(1..=widest).contains(&m) {
            return Err(mult.error(format!("entry {k} must lie in 1..={widest}, got {m}")));
        }
    }
    for (key, p) in [("dropout", c.dropout), ("label_dropout", c.label_dropout)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(n.field(key)?.error(format!("must lie in [0, 1], got {p}")));
        }
    }
    let f = &c.resample_filter;
    let sum: f64 = f.iter().sum();
    if f.is_empty() || f.len() > MAX_FILTER_TAPS || !sum.is_finite() || sum == 0.0 {
        return Err(n.field("resample_filter")?.error(format!(
            "needs 1 to {MAX_FILTER_TAPS} finite taps with a nonzero sum, got {f:?}"
        )));
    }
    Ok(())
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
    /// field, or a network that cannot be built (a size out of its limit, more levels in
    /// `channel_mult` than halvings of `img_resolution`, a probability outside [0, 1], a
    /// resampling filter with a zero or non-finite sum).
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
        check_network(&n, &network)?;
        let precond = ModelPrecond::from_json(&root.field("precond")?)?;
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
    /// [`Error::CorruptCheckpoint`] for a file that is not safetensors or lacks the
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
            let t = tensors.get(name).ok_or_else(|| Error::MissingTensor {
                path: p.clone(),
                name: name.clone(),
            })?;
            if t.dims() != shape.as_slice() {
                return Err(Error::WrongShape {
                    path: p,
                    name: name.clone(),
                    expected: shape.clone(),
                    got: t.dims().to_vec(),
                });
            }
        }
        if let Some(extra) = tensors.keys().find(|k| !expected.contains_key(*k)) {
            return Err(Error::UnexpectedTensor {
                path: p,
                name: extra.clone(),
            });
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
    let text = meta.get(SPEC_KEY).ok_or_else(|| Error::CorruptCheckpoint {
        path: source.to_owned(),
        detail: format!("no `{SPEC_KEY}` entry in the header: not a model file"),
    })?;
    let spec = ModelSpec::from_json(text, source)?;
    let taps = Some(spec.network.resample_filter.as_slice());
    let tensors = load_bytes_with_filter(
        bytes,
        source,
        &spec.tensor_spec()?,
        taps,
        NETWORK_DTYPE,
        device,
    )?;
    Ok((spec, tensors))
}
