//! DhariwalUNet: the ADM architecture of Dhariwal & Nichol (2021) as re-implemented in
//! NVlabs/edm `training/networks.py`, with the same parameter names, shapes and defaults.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::Network;
use super::layers::{
    BlockOptions, Conv2d, ConvOptions, GroupNorm, InitMode, LayerInit, Linear, Resample, UNetBlock,
    positional_embedding,
};
use super::ops::OpImpl;
use super::song_unet::label_dropout;

/// Hyper-parameters of [`DhariwalUNet`]; field names and defaults are NVlabs's.
#[derive(Clone, Debug, PartialEq)]
pub struct DhariwalUNetConfig {
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
    /// Base multiplier for the number of channels (192).
    pub model_channels: usize,
    /// Per-resolution multipliers for the number of channels (`[1, 2, 3, 4]`).
    pub channel_mult: Vec<usize>,
    /// Multiplier for the width of the embedding vector (4).
    pub channel_mult_emb: usize,
    /// Residual blocks per resolution (3).
    pub num_blocks: usize,
    /// Resolutions with self-attention (`[32, 16, 8]`).
    pub attn_resolutions: Vec<usize>,
    /// Dropout probability of intermediate activations (0.10).
    pub dropout: f32,
    /// Dropout probability of class labels, for classifier-free guidance (0).
    pub label_dropout: f32,
    /// Which op implementations to use.
    pub ops: OpImpl,
}

impl DhariwalUNetConfig {
    /// NVlabs's defaults for the given resolution and channels.
    pub fn new(img_resolution: usize, in_channels: usize, out_channels: usize) -> Self {
        Self {
            img_resolution,
            in_channels,
            out_channels,
            label_dim: 0,
            augment_dim: 0,
            model_channels: 192,
            channel_mult: vec![1, 2, 3, 4],
            channel_mult_emb: 4,
            num_blocks: 3,
            attn_resolutions: vec![32, 16, 8],
            dropout: 0.10,
            label_dropout: 0.0,
            ops: OpImpl::Auto,
        }
    }

    /// ADM as in NVlabs's `train.py --arch=adm --cond=1` for ImageNet-64 (1000 classes, no
    /// augmentation, the EDM preconditioning's 3 output channels).
    pub fn adm_imagenet64() -> Self {
        Self {
            label_dim: 1000,
            ..Self::new(64, 3, 3)
        }
    }
}

/// The ADM U-Net (NVlabs's `DhariwalUNet`): the raw network `F(x_in, c_noise, class_labels)`
/// of Karras et al. (2022), Table 1.
pub struct DhariwalUNet {
    config: DhariwalUNetConfig,
    map_augment: Option<Linear>,
    map_layer0: Linear,
    map_layer1: Linear,
    map_label: Option<Linear>,
    enc_conv: Conv2d,
    enc: Vec<UNetBlock>,
    dec: Vec<UNetBlock>,
    out_norm: GroupNorm,
    out_conv: Conv2d,
}

/// The options of every [`UNetBlock`] of a [`DhariwalUNet`] (NVlabs's `block_kwargs`):
/// Kaiming-uniform weights scaled by sqrt(1/3), zero-initialised output layers.
fn block_options(c: &DhariwalUNetConfig, emb_channels: usize) -> BlockOptions {
    let third = (1.0f64 / 3.0).sqrt();
    let init = LayerInit {
        mode: InitMode::KaimingUniform,
        weight: third,
        bias: third,
    };
    BlockOptions {
        emb_channels,
        num_heads: None,
        channels_per_head: 64,
        dropout: c.dropout,
        skip_scale: 1.0,
        eps: 1e-5,
        resample_filter: vec![1.0, 1.0],
        resample_proj: false,
        adaptive_scale: true,
        init,
        init_zero: LayerInit::new(InitMode::KaimingUniform, 0.0),
        init_attn: init,
        ops: c.ops,
    }
}

/// The encoder (`enc.*`): the input convolution, then per resolution a downsampling block
/// (after the first) and `num_blocks` blocks. Returns the convolution, the blocks and the
/// channel counts of the skip connections, in order.
fn encoder(
    vbe: &VarBuilder,
    c: &DhariwalUNetConfig,
    bo: &BlockOptions,
) -> Result<(Conv2d, Vec<UNetBlock>, Vec<usize>)> {
    let (mut enc, mut skips) = (Vec::new(), Vec::new());
    let res0 = c.img_resolution;
    let mc = c.model_channels;
    let mut cout = mc * c.channel_mult.first().copied().unwrap_or(1);
    let conv_opts = ConvOptions::new(bo.init, c.ops);
    let conv_name = format!("{res0}x{res0}_conv");
    let enc_conv = Conv2d::new(vbe.pp(conv_name), c.in_channels, cout, 3, &conv_opts)?;
    skips.push(cout);
    for (level, &mult) in c.channel_mult.iter().enumerate() {
        let res = c.img_resolution >> level;
        let name = |s: &str| format!("{res}x{res}_{s}");
        if level > 0 {
            let vb = vbe.pp(name("down"));
            enc.push(UNetBlock::new(vb, cout, cout, Resample::Down, false, bo)?);
            skips.push(cout);
        }
        for idx in 0..c.num_blocks {
            let cin = cout;
            cout = mc * mult;
            let attn = c.attn_resolutions.contains(&res);
            let vb = vbe.pp(name(&format!("block{idx}")));
            enc.push(UNetBlock::new(vb, cin, cout, Resample::None, attn, bo)?);
            skips.push(cout);
        }
    }
    Ok((enc_conv, enc, skips))
}

/// The decoder (`dec.*`), consuming the encoder's skip connections from the last: per
/// resolution (from the lowest) two blocks at the bottom or an upsampling block, then
/// `num_blocks + 1` blocks. Returns the blocks and their output channels.
fn decoder(
    vbd: &VarBuilder,
    c: &DhariwalUNetConfig,
    bo: &BlockOptions,
    skips: Vec<usize>,
) -> Result<(Vec<UNetBlock>, usize)> {
    let mut dec = Vec::new();
    let levels = c.channel_mult.len();
    let mut cout = skips.last().copied().unwrap_or(c.in_channels);
    let mut skips = skips.into_iter().rev();
    for (level, &mult) in c.channel_mult.iter().enumerate().rev() {
        let res = c.img_resolution >> level;
        let name = |s: &str| format!("{res}x{res}_{s}");
        if level == levels - 1 {
            dec.push(UNetBlock::new(
                vbd.pp(name("in0")),
                cout,
                cout,
                Resample::None,
                true,
                bo,
            )?);
            dec.push(UNetBlock::new(
                vbd.pp(name("in1")),
                cout,
                cout,
                Resample::None,
                false,
                bo,
            )?);
        } else {
            dec.push(UNetBlock::new(
                vbd.pp(name("up")),
                cout,
                cout,
                Resample::Up,
                false,
                bo,
            )?);
        }
        for idx in 0..=c.num_blocks {
            let cin = cout + skips.next().ok_or_else(missing_skip)?;
            cout = c.model_channels * mult;
            let attn = c.attn_resolutions.contains(&res);
            let vb = vbd.pp(name(&format!("block{idx}")));
            dec.push(UNetBlock::new(vb, cin, cout, Resample::None, attn, bo)?);
        }
    }
    Ok((dec, cout))
}

/// A decoder block that takes a skip connection finds none left (a configuration whose
/// encoder and decoder disagree).
fn missing_skip() -> candle_core::Error {
    candle_core::Error::Msg("DhariwalUNet: fewer encoder outputs than decoder blocks".into())
}

impl DhariwalUNet {
    /// Creates (or loads, through `vb`) the network; parameter names are NVlabs's
    /// (`map_layer0.weight`, `enc.64x64_conv.weight`, `dec.8x8_in0.qkv.weight`, ...).
    pub fn new(vb: VarBuilder, config: DhariwalUNetConfig) -> Result<Self> {
        let c = &config;
        let emb_channels = c.model_channels * c.channel_mult_emb;
        let bo = block_options(c, emb_channels);
        let (init, init_zero) = (bo.init, bo.init_zero);
        let mc = c.model_channels;
        let map_augment = (c.augment_dim > 0)
            .then(|| Linear::new(vb.pp("map_augment"), c.augment_dim, mc, false, init_zero))
            .transpose()?;
        let map_layer0 = Linear::new(vb.pp("map_layer0"), mc, emb_channels, true, init)?;
        let map_layer1 = Linear::new(vb.pp("map_layer1"), emb_channels, emb_channels, true, init)?;
        let label_init = LayerInit::new(InitMode::KaimingNormal, (c.label_dim as f64).sqrt());
        let map_label = (c.label_dim > 0)
            .then(|| {
                let vb = vb.pp("map_label");
                Linear::new(vb, c.label_dim, emb_channels, false, label_init)
            })
            .transpose()?;
        let (enc_conv, enc, skips) = encoder(&vb.pp("enc"), c, &bo)?;
        let (dec, cout) = decoder(&vb.pp("dec"), c, &bo, skips)?;
        let out_norm = GroupNorm::new(vb.pp("out_norm"), cout, 1e-5, c.ops)?;
        let out_opts = ConvOptions::new(init_zero, c.ops);
        let out_conv = Conv2d::new(vb.pp("out_conv"), cout, c.out_channels, 3, &out_opts)?;
        Ok(Self {
            config,
            map_augment,
            map_layer0,
            map_layer1,
            map_label,
            enc_conv,
            enc,
            dec,
            out_norm,
            out_conv,
        })
    }

    /// The configuration the network was built with.
    pub fn config(&self) -> &DhariwalUNetConfig {
        &self.config
    }
}

impl Network for DhariwalUNet {
    fn forward_with(
        &self,
        x: &Tensor,
        c_noise: &Tensor,
        class_labels: Option<&Tensor>,
        augment_labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let mut emb = positional_embedding(c_noise, self.config.model_channels, 10000.0, false)?;
        if let (Some(map), Some(aug)) = (&self.map_augment, augment_labels) {
            emb = (emb + map.forward(aug)?)?;
        }
        let mut emb = self
            .map_layer1
            .forward(&self.map_layer0.forward(&emb)?.silu()?)?;
        if let (Some(map), Some(labels)) = (&self.map_label, class_labels) {
            let labels = label_dropout(labels, self.config.label_dropout, train)?;
            emb = (emb + map.forward(&labels)?)?;
        }
        let emb = emb.silu()?;
        let mut x = self.enc_conv.forward(x)?;
        let mut skips = vec![x.clone()];
        for b in &self.enc {
            x = b.forward(&x, &emb, train)?;
            skips.push(x.clone());
        }
        for b in &self.dec {
            if x.dim(1)? != b.in_channels() {
                let s = skips.pop().ok_or_else(missing_skip)?;
                x = Tensor::cat(&[&x, &s], 1)?;
            }
            x = b.forward(&x, &emb, train)?;
        }
        self.out_conv.forward(&self.out_norm.forward(&x, true)?)
    }

    fn label_dim(&self) -> usize {
        self.config.label_dim
    }
}
