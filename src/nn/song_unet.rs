//! SongUNet: the DDPM++ and NCSN++ architectures of Song et al. (2021) as re-implemented in
//! NVlabs/edm `training/networks.py`, with the same parameter names, shapes and defaults.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::Network;
use super::layers::{
    BlockOptions, Conv2d, ConvOptions, FourierEmbedding, GroupNorm, InitMode, LayerInit, Linear,
    Resample, UNetBlock, positional_embedding,
};
use super::ops::OpImpl;

/// Timestep embedding of [`SongUNet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddingType {
    /// Sinusoidal embedding with endpoint (DDPM++).
    Positional,
    /// Random Fourier features (NCSN++).
    Fourier,
}

/// Encoder architecture of [`SongUNet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncoderType {
    /// Plain U-Net encoder (DDPM++).
    Standard,
    /// Input pyramid added to each resolution through a 1x1 convolution.
    Skip,
    /// Input pyramid carried by strided 3x3 convolutions, averaged with the features (NCSN++).
    Residual,
}

/// Decoder architecture of [`SongUNet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecoderType {
    /// Output from the last resolution only (DDPM++, NCSN++).
    Standard,
    /// Output pyramid summed over resolutions.
    Skip,
}

/// Hyper-parameters of [`SongUNet`]; field names and defaults are NVlabs's.
#[derive(Clone, Debug, PartialEq)]
pub struct SongUNetConfig {
    /// Image resolution at input and output.
    pub img_resolution: usize,
    /// Colour channels at the input.
    pub in_channels: usize,
    /// Colour channels at the output.
    pub out_channels: usize,
    /// Number of class labels, 0 = unconditional.
    pub label_dim: usize,
    /// Dimension of the augmentation labels, 0 = no augmentation.
    pub augment_dim: usize,
    /// Base multiplier for the number of channels (128).
    pub model_channels: usize,
    /// Per-resolution multipliers for the number of channels (`[1, 2, 2, 2]`).
    pub channel_mult: Vec<usize>,
    /// Multiplier for the width of the embedding vector (4).
    pub channel_mult_emb: usize,
    /// Residual blocks per resolution (4).
    pub num_blocks: usize,
    /// Resolutions with self-attention (`[16]`).
    pub attn_resolutions: Vec<usize>,
    /// Dropout probability of intermediate activations (0.10).
    pub dropout: f32,
    /// Dropout probability of class labels, for classifier-free guidance (0).
    pub label_dropout: f32,
    /// Timestep embedding (positional).
    pub embedding_type: EmbeddingType,
    /// Timestep embedding width as a multiple of `model_channels`: 1 for DDPM++, 2 for NCSN++.
    pub channel_mult_noise: usize,
    /// Encoder architecture (standard).
    pub encoder_type: EncoderType,
    /// Decoder architecture (standard).
    pub decoder_type: DecoderType,
    /// Resampling filter: `[1, 1]` for DDPM++, `[1, 3, 3, 1]` for NCSN++.
    pub resample_filter: Vec<f64>,
    /// Which op implementations to use.
    pub ops: OpImpl,
}

impl SongUNetConfig {
    /// NVlabs's defaults for the given resolution and channels.
    pub fn new(img_resolution: usize, in_channels: usize, out_channels: usize) -> Self {
        Self {
            img_resolution,
            in_channels,
            out_channels,
            label_dim: 0,
            augment_dim: 0,
            model_channels: 128,
            channel_mult: vec![1, 2, 2, 2],
            channel_mult_emb: 4,
            num_blocks: 4,
            attn_resolutions: vec![16],
            dropout: 0.10,
            label_dropout: 0.0,
            embedding_type: EmbeddingType::Positional,
            channel_mult_noise: 1,
            encoder_type: EncoderType::Standard,
            decoder_type: DecoderType::Standard,
            resample_filter: vec![1.0, 1.0],
            ops: OpImpl::Auto,
        }
    }

    /// DDPM++ as in NVlabs's `train.py --arch=ddpmpp` (CIFAR-10: 32x32, 3 channels, dropout
    /// 0.13, augmentation labels of dimension 9).
    pub fn ddpmpp_cifar10() -> Self {
        Self {
            model_channels: 128,
            channel_mult: vec![2, 2, 2],
            dropout: 0.13,
            augment_dim: 9,
            ..Self::new(32, 3, 3)
        }
    }

    /// The class-conditional digits network of `edm train` (32x32, one channel, 10 labels,
    /// model_channels 32, channel_mult 1,2,2, one block per resolution, attention at 8x8, no
    /// dropout: 1,259,745 parameters).
    pub fn digits() -> Self {
        Self {
            label_dim: 10,
            model_channels: 32,
            channel_mult: vec![1, 2, 2],
            num_blocks: 1,
            attn_resolutions: vec![8],
            dropout: 0.0,
            ..Self::new(32, 1, 1)
        }
    }

    /// NCSN++ as in NVlabs's `train.py --arch=ncsnpp` (CIFAR-10 settings as
    /// [`Self::ddpmpp_cifar10`]).
    pub fn ncsnpp_cifar10() -> Self {
        Self {
            embedding_type: EmbeddingType::Fourier,
            encoder_type: EncoderType::Residual,
            channel_mult_noise: 2,
            resample_filter: vec![1.0, 3.0, 3.0, 1.0],
            ..Self::ddpmpp_cifar10()
        }
    }
}

enum EncItem {
    Conv(Conv2d),
    Block(Box<UNetBlock>),
    AuxDown(Conv2d),
    AuxSkip(Conv2d),
    AuxResidual(Conv2d),
}

enum DecItem {
    Block(Box<UNetBlock>),
    AuxUp(Conv2d),
    AuxNorm(GroupNorm),
    AuxConv(Conv2d),
}

enum NoiseEmbedding {
    Positional(usize),
    Fourier(FourierEmbedding),
}

/// The DDPM++ / NCSN++ U-Net (NVlabs's `SongUNet`): the raw network
/// `F(x_in, c_noise, class_labels)` of Karras et al. (2022), Table 1.
pub struct SongUNet {
    config: SongUNetConfig,
    map_noise: NoiseEmbedding,
    map_label: Option<Linear>,
    map_augment: Option<Linear>,
    map_layer0: Linear,
    map_layer1: Linear,
    enc: Vec<EncItem>,
    dec: Vec<DecItem>,
}

/// The options of every [`UNetBlock`] of a [`SongUNet`] (NVlabs's `block_kwargs`).
fn block_options(c: &SongUNetConfig, emb_channels: usize) -> BlockOptions {
    BlockOptions {
        emb_channels,
        num_heads: Some(1),
        channels_per_head: 64,
        dropout: c.dropout,
        skip_scale: 0.5f64.sqrt(),
        eps: 1e-6,
        resample_filter: c.resample_filter.clone(),
        resample_proj: true,
        adaptive_scale: false,
        init: LayerInit::new(InitMode::XavierUniform, 1.0),
        init_zero: LayerInit::new(InitMode::XavierUniform, 1e-5),
        init_attn: LayerInit::new(InitMode::XavierUniform, 0.2f64.sqrt()),
        ops: c.ops,
    }
}

/// The options of a plain convolution of a [`SongUNet`] with initialisation `init`.
fn conv_options(c: &SongUNetConfig, init: LayerInit) -> ConvOptions {
    ConvOptions {
        resample_filter: c.resample_filter.clone(),
        ..ConvOptions::new(init, c.ops)
    }
}

/// The encoder (`enc.*`): per resolution a downsampling block (after the first), the input
/// pyramid's auxiliary convolutions of the `Skip` and `Residual` encoders, and `num_blocks`
/// blocks. Returns the layers and the channel counts of the skip connections, in order.
fn encoder(
    vbe: &VarBuilder,
    c: &SongUNetConfig,
    bo: &BlockOptions,
) -> Result<(Vec<EncItem>, Vec<usize>)> {
    let init = bo.init;
    let mut enc = Vec::new();
    let mut skips = Vec::new();
    let (mut cout, mut caux) = (c.in_channels, c.in_channels);
    for (level, &mult) in c.channel_mult.iter().enumerate() {
        let res = c.img_resolution >> level;
        let name = |s: &str| format!("{res}x{res}_{s}");
        if level == 0 {
            let cin = cout;
            cout = c.model_channels;
            let conv = Conv2d::new(vbe.pp(name("conv")), cin, cout, 3, &conv_options(c, init))?;
            enc.push(EncItem::Conv(conv));
            skips.push(cout);
        } else {
            let b = UNetBlock::new(vbe.pp(name("down")), cout, cout, Resample::Down, false, bo)?;
            enc.push(EncItem::Block(Box::new(b)));
            skips.push(cout);
            if c.encoder_type == EncoderType::Skip {
                let down = ConvOptions {
                    resample: Resample::Down,
                    ..conv_options(c, init)
                };
                let aux_down = Conv2d::new(vbe.pp(name("aux_down")), caux, caux, 0, &down)?;
                enc.push(EncItem::AuxDown(aux_down));
                let skip_opts = conv_options(c, init);
                let aux_skip = Conv2d::new(vbe.pp(name("aux_skip")), caux, cout, 1, &skip_opts)?;
                enc.push(EncItem::AuxSkip(aux_skip));
            }
            if c.encoder_type == EncoderType::Residual {
                let down = ConvOptions {
                    resample: Resample::Down,
                    fused_resample: true,
                    ..conv_options(c, init)
                };
                let conv = Conv2d::new(vbe.pp(name("aux_residual")), caux, cout, 3, &down)?;
                enc.push(EncItem::AuxResidual(conv));
                caux = cout;
            }
        }
        for idx in 0..c.num_blocks {
            let cin = cout;
            cout = c.model_channels * mult;
            let attn = c.attn_resolutions.contains(&res);
            let vb = vbe.pp(name(&format!("block{idx}")));
            let b = UNetBlock::new(vb, cin, cout, Resample::None, attn, bo)?;
            enc.push(EncItem::Block(Box::new(b)));
            skips.push(cout);
        }
    }
    Ok((enc, skips))
}

/// The decoder (`dec.*`), consuming the encoder's skip connections from the last: per
/// resolution (from the lowest) two blocks at the bottom or an upsampling block,
/// `num_blocks + 1` blocks, and the output branch (every resolution of the `Skip` decoder, the
/// highest only otherwise).
fn decoder(
    vbd: &VarBuilder,
    c: &SongUNetConfig,
    bo: &BlockOptions,
    skips: Vec<usize>,
) -> Result<Vec<DecItem>> {
    let mut dec = Vec::new();
    let levels = c.channel_mult.len();
    let mut cout = skips.last().copied().unwrap_or(c.in_channels);
    let mut skips = skips.into_iter().rev();
    for (level, &mult) in c.channel_mult.iter().enumerate().rev() {
        let res = c.img_resolution >> level;
        let name = |s: &str| format!("{res}x{res}_{s}");
        if level == levels - 1 {
            let in0 = UNetBlock::new(vbd.pp(name("in0")), cout, cout, Resample::None, true, bo)?;
            let in1 = UNetBlock::new(vbd.pp(name("in1")), cout, cout, Resample::None, false, bo)?;
            dec.extend([DecItem::Block(Box::new(in0)), DecItem::Block(Box::new(in1))]);
        } else {
            let up = UNetBlock::new(vbd.pp(name("up")), cout, cout, Resample::Up, false, bo)?;
            dec.push(DecItem::Block(Box::new(up)));
        }
        for idx in 0..=c.num_blocks {
            let skip = skips.next().ok_or_else(|| {
                candle_core::Error::Msg(
                    "SongUNet: fewer encoder outputs than decoder blocks".into(),
                )
            })?;
            let cin = cout + skip;
            cout = c.model_channels * mult;
            let attn = idx == c.num_blocks && c.attn_resolutions.contains(&res);
            let vb = vbd.pp(name(&format!("block{idx}")));
            let b = UNetBlock::new(vb, cin, cout, Resample::None, attn, bo)?;
            dec.push(DecItem::Block(Box::new(b)));
        }
        if c.decoder_type == DecoderType::Skip || level == 0 {
            dec.extend(output_branch(vbd, c, bo, level, cout)?);
        }
    }
    Ok(dec)
}

/// The output branch of the decoder at `level` (`aux_up` below the lowest resolution of the
/// `Skip` decoder, `aux_norm`, `aux_conv`) on `cout` channels.
fn output_branch(
    vbd: &VarBuilder,
    c: &SongUNetConfig,
    bo: &BlockOptions,
    level: usize,
    cout: usize,
) -> Result<Vec<DecItem>> {
    let res = c.img_resolution >> level;
    let name = |s: &str| format!("{res}x{res}_{s}");
    let mut out = Vec::new();
    if c.decoder_type == DecoderType::Skip && level < c.channel_mult.len() - 1 {
        let up = ConvOptions {
            resample: Resample::Up,
            ..conv_options(c, bo.init)
        };
        let oc = c.out_channels;
        out.push(DecItem::AuxUp(Conv2d::new(
            vbd.pp(name("aux_up")),
            oc,
            oc,
            0,
            &up,
        )?));
    }
    let norm = GroupNorm::new(vbd.pp(name("aux_norm")), cout, 1e-6, c.ops)?;
    out.push(DecItem::AuxNorm(norm));
    let zero = conv_options(c, bo.init_zero);
    let conv = Conv2d::new(vbd.pp(name("aux_conv")), cout, c.out_channels, 3, &zero)?;
    out.push(DecItem::AuxConv(conv));
    Ok(out)
}

impl SongUNet {
    /// Creates (or loads, through `vb`) the network; parameter names are NVlabs's
    /// (`map_layer0.weight`, `enc.32x32_conv.weight`, `dec.16x16_block0.norm0.bias`, ...).
    pub fn new(vb: VarBuilder, config: SongUNetConfig) -> Result<Self> {
        let c = &config;
        let emb_channels = c.model_channels * c.channel_mult_emb;
        let noise_channels = c.model_channels * c.channel_mult_noise;
        let init = LayerInit::new(InitMode::XavierUniform, 1.0);
        let map_noise = match c.embedding_type {
            EmbeddingType::Positional => NoiseEmbedding::Positional(noise_channels),
            EmbeddingType::Fourier => {
                NoiseEmbedding::Fourier(FourierEmbedding::new(vb.pp("map_noise"), noise_channels)?)
            }
        };
        let map_label = (c.label_dim > 0)
            .then(|| Linear::new(vb.pp("map_label"), c.label_dim, noise_channels, true, init))
            .transpose()?;
        let map_augment = (c.augment_dim > 0)
            .then(|| {
                let vb = vb.pp("map_augment");
                Linear::new(vb, c.augment_dim, noise_channels, false, init)
            })
            .transpose()?;
        let map_layer0 = Linear::new(
            vb.pp("map_layer0"),
            noise_channels,
            emb_channels,
            true,
            init,
        )?;
        let map_layer1 = Linear::new(vb.pp("map_layer1"), emb_channels, emb_channels, true, init)?;
        let bo = block_options(c, emb_channels);
        let (enc, skips) = encoder(&vb.pp("enc"), c, &bo)?;
        let dec = decoder(&vb.pp("dec"), c, &bo, skips)?;
        Ok(Self {
            config,
            map_noise,
            map_label,
            map_augment,
            map_layer0,
            map_layer1,
            enc,
            dec,
        })
    }

    /// The configuration the network was built with.
    pub fn config(&self) -> &SongUNetConfig {
        &self.config
    }

    fn embedding(
        &self,
        c_noise: &Tensor,
        class_labels: Option<&Tensor>,
        augment_labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let emb = match &self.map_noise {
            NoiseEmbedding::Positional(ch) => positional_embedding(c_noise, *ch, 10000.0, true)?,
            NoiseEmbedding::Fourier(f) => f.forward(c_noise)?,
        };
        // NVlabs swaps the cos and sin halves here.
        let half = emb.dim(1)? / 2;
        let mut emb = Tensor::cat(&[emb.narrow(1, half, half)?, emb.narrow(1, 0, half)?], 1)?;
        if let (Some(map), Some(labels)) = (&self.map_label, class_labels) {
            let labels = label_dropout(labels, self.config.label_dropout, train)?;
            emb = (emb + map.forward(&(labels * (self.config.label_dim as f64).sqrt())?)?)?;
        }
        if let (Some(map), Some(aug)) = (&self.map_augment, augment_labels) {
            emb = (emb + map.forward(aug)?)?;
        }
        let emb = self.map_layer0.forward(&emb)?.silu()?;
        self.map_layer1.forward(&emb)?.silu()
    }
}

/// Zeroes each row of `labels` with probability `p` when training (classifier-free guidance).
pub(crate) fn label_dropout(labels: &Tensor, p: f32, train: bool) -> Result<Tensor> {
    if !train || p <= 0.0 {
        return Ok(labels.clone());
    }
    let keep = Tensor::rand(0f32, 1.0, (labels.dim(0)?, 1), labels.device())?
        .ge(p)?
        .to_dtype(labels.dtype())?;
    labels.broadcast_mul(&keep)
}

impl Network for SongUNet {
    fn forward_with(
        &self,
        x: &Tensor,
        c_noise: &Tensor,
        class_labels: Option<&Tensor>,
        augment_labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let emb = self.embedding(c_noise, class_labels, augment_labels, train)?;
        let mut skips: Vec<Tensor> = Vec::new();
        let (mut x, mut aux) = (x.clone(), x.clone());
        for item in &self.enc {
            match item {
                EncItem::AuxDown(c) => aux = c.forward(&aux)?,
                EncItem::AuxSkip(c) => {
                    x = (x + c.forward(&aux)?)?;
                    *skips.last_mut().expect("aux after a block") = x.clone();
                }
                EncItem::AuxResidual(c) => {
                    x = ((x + c.forward(&aux)?)? / 2f64.sqrt())?;
                    aux = x.clone();
                    *skips.last_mut().expect("aux after a block") = x.clone();
                }
                EncItem::Conv(c) => {
                    x = c.forward(&x)?;
                    skips.push(x.clone());
                }
                EncItem::Block(b) => {
                    x = b.forward(&x, &emb, train)?;
                    skips.push(x.clone());
                }
            }
        }
        let mut out: Option<Tensor> = None;
        let mut tmp: Option<Tensor> = None;
        for item in &self.dec {
            match item {
                DecItem::AuxUp(c) => out = out.map(|a| c.forward(&a)).transpose()?,
                DecItem::AuxNorm(n) => tmp = Some(n.forward(&x, true)?),
                DecItem::AuxConv(c) => {
                    let t = c.forward(tmp.as_ref().expect("aux_norm before aux_conv"))?;
                    out = Some(match out {
                        Some(a) => (t + a)?,
                        None => t,
                    });
                }
                DecItem::Block(b) => {
                    if x.dim(1)? != b.in_channels() {
                        let s = skips.pop().expect("one skip per decoder block");
                        x = Tensor::cat(&[&x, &s], 1)?;
                    }
                    x = b.forward(&x, &emb, train)?;
                }
            }
        }
        out.ok_or_else(|| candle_core::Error::Msg("SongUNet: decoder has no output".into()))
    }

    fn label_dim(&self) -> usize {
        self.config.label_dim
    }
}
