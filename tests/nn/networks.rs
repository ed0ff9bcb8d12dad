//! SongUNet (DDPM++, NCSN++) and DhariwalUNet (ADM): parameter names, shapes and counts against
//! NVlabs/edm, and forward/backward agreement of the fast CPU ops with candle's stock ops.

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use elucidated::nn::checkpoint::{TensorSpec, tensor_spec};
use elucidated::nn::layers::{Conv2d, ConvOptions, InitMode, LayerInit, Resample};
use elucidated::nn::ops::OpImpl;
use elucidated::nn::song_unet::{DecoderType, EmbeddingType, EncoderType};
use elucidated::nn::{
    DhariwalUNet, DhariwalUNetConfig, Network, SongUNet, SongUNetConfig, is_buffer,
};
use elucidated::tolerance::REL_F32_NETWORK;

// Expected values: from NVlabs/edm `training/networks.py` (commit 0a2ff34), by a Python script
// that re-traces the constructors of `Linear`, `Conv2d`, `GroupNorm`, `UNetBlock`, `SongUNet` and
// `DhariwalUNet` (which tensors each creates and with which shape, buffers included) without
// torch, for the keyword arguments of NVlabs's `train.py --arch=...`. `params` excludes the
// buffer `map_noise.freqs`; `fnv` is FNV-1a 64 of the sorted lines `name:d0,d1,...\n`. The
// DDPM++ count without augmentation, 55,732,739, is also the figure quoted for NVlabs's
// CIFAR-10 network elsewhere, and the ADM count 295.9M is the paper's "296M" (Table 7).

/// Number of trained parameters, FNV-1a 64 of the listing, and number of tensors.
fn summary(spec: &TensorSpec) -> (usize, u64, usize) {
    let params = spec
        .iter()
        .filter(|(n, _)| !is_buffer(n))
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, shape) in spec {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        for b in format!("{name}:{}\n", dims.join(",")).bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (params, h, spec.len())
}

fn assert_shapes(spec: &TensorSpec, expected: &[(&str, &[usize])]) {
    for (name, shape) in expected {
        assert_eq!(spec.get(*name).map(Vec::as_slice), Some(*shape), "{name}");
    }
}

#[test]
fn ddpmpp_cifar10_names_shapes_and_count_match_nvlabs() -> elucidated::Result<()> {
    let spec = tensor_spec(|vb| SongUNet::new(vb, SongUNetConfig::ddpmpp_cifar10()))?;
    assert_eq!(summary(&spec), (55_733_891, 0x3690_f9d2_d528_182a, 417));
    assert_shapes(
        &spec,
        &[
            ("map_layer0.weight", &[512, 128]),
            ("map_augment.weight", &[128, 9]),
            ("enc.32x32_conv.weight", &[128, 3, 3, 3]),
            ("enc.16x16_block0.qkv.weight", &[768, 256, 1, 1]),
            ("dec.32x32_aux_conv.weight", &[3, 256, 3, 3]),
        ],
    );
    let no_augment = SongUNetConfig {
        augment_dim: 0,
        ..SongUNetConfig::ddpmpp_cifar10()
    };
    let spec = tensor_spec(|vb| SongUNet::new(vb, no_augment))?;
    assert_eq!(summary(&spec).0, 55_732_739);
    Ok(())
}

#[test]
fn ncsnpp_cifar10_names_shapes_and_count_match_nvlabs() -> elucidated::Result<()> {
    let spec = tensor_spec(|vb| SongUNet::new(vb, SongUNetConfig::ncsnpp_cifar10()))?;
    assert_eq!(summary(&spec), (56_397_827, 0x2031_2c6c_e6bd_249b, 422));
    assert_shapes(
        &spec,
        &[
            ("map_noise.freqs", &[128]),
            ("map_layer0.weight", &[512, 256]),
            ("enc.16x16_aux_residual.weight", &[256, 3, 3, 3]),
            ("enc.8x8_aux_residual.weight", &[256, 256, 3, 3]),
        ],
    );
    Ok(())
}

#[test]
fn adm_imagenet64_names_shapes_and_count_match_nvlabs() -> elucidated::Result<()> {
    let spec = tensor_spec(|vb| DhariwalUNet::new(vb, DhariwalUNetConfig::adm_imagenet64()))?;
    assert_eq!(summary(&spec), (295_899_267, 0x94a6_1c99_d2b2_5250, 541));
    assert_shapes(
        &spec,
        &[
            ("map_label.weight", &[768, 1000]),
            ("enc.64x64_conv.weight", &[192, 3, 3, 3]),
            ("dec.8x8_in0.qkv.weight", &[2304, 768, 1, 1]),
            ("out_conv.weight", &[3, 192, 3, 3]),
        ],
    );
    assert!(!spec.contains_key("enc.32x32_down.skip.weight"));
    Ok(())
}

fn rel_err(got: &Tensor, want: &Tensor) -> Result<f64> {
    let num = (got - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
    let den = want.abs()?.max_all()?.to_scalar::<f32>()?;
    Ok(f64::from(num) / f64::from(den))
}

/// Overwrites every variable with N(0, 0.2^2) values, so that zero-initialised layers matter.
fn randomise(vm: &VarMap) -> Result<()> {
    for v in vm.all_vars() {
        v.set(&(Tensor::randn(0f32, 0.2, v.shape(), &Device::Cpu)?))?;
    }
    Ok(())
}

fn inputs(n: usize, res: usize, labels: usize) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (n, 3, res, res), &dev)?;
    let c_noise = Tensor::new(&[-1.2f32, 0.3, 2.0][..n], &dev)?;
    let y = (labels > 0)
        .then(|| Tensor::eye(labels, DType::F32, &dev)?.narrow(0, 0, n))
        .transpose()?;
    Ok((x, c_noise, y))
}

/// Builds the network twice on one set of random weights, with the fast ops and with candle's,
/// and checks the outputs and the gradients of every parameter agree.
fn check_fast_matches_stock<N: Network>(
    build: impl Fn(VarBuilder, OpImpl) -> Result<N>,
    res: usize,
    labels: usize,
    what: &str,
) -> Result<()> {
    let vm = VarMap::new();
    let fast = build(
        VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
        OpImpl::Auto,
    )?;
    let stock = build(
        VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
        OpImpl::Stock,
    )?;
    randomise(&vm)?;
    let (x, c_noise, y) = inputs(3, res, labels)?;
    let out = fast.forward(&x, &c_noise, y.as_ref())?;
    let want = stock.forward(&x, &c_noise, y.as_ref())?;
    assert_eq!(out.dims(), &[3, 3, res, res], "{what}");
    let e = rel_err(&out, &want)?;
    assert!(e < REL_F32_NETWORK, "{what}: output rel err {e}");
    let g_fast = out.sqr()?.sum_all()?.backward()?;
    let g_stock = want.sqr()?.sum_all()?.backward()?;
    let data = vm.data().lock().expect("varmap lock");
    for (name, var) in data.iter() {
        let (a, b) = (g_fast.get(var.as_tensor()), g_stock.get(var.as_tensor()));
        match (a, b) {
            (Some(a), Some(b)) => {
                let e = rel_err(a, b)?;
                assert!(
                    e < REL_F32_NETWORK,
                    "{what}: gradient of {name} rel err {e}"
                );
            }
            (None, None) => assert!(is_buffer(name), "{what}: no gradient for {name}"),
            _ => panic!("{what}: gradient of {name} present in only one"),
        }
    }
    Ok(())
}

fn tiny_song(enc: EncoderType, dec: DecoderType, emb: EmbeddingType) -> SongUNetConfig {
    SongUNetConfig {
        model_channels: 16,
        channel_mult: vec![1, 2, 2],
        num_blocks: 1,
        attn_resolutions: vec![8],
        label_dim: 3,
        embedding_type: emb,
        channel_mult_noise: if emb == EmbeddingType::Fourier { 2 } else { 1 },
        encoder_type: enc,
        decoder_type: dec,
        resample_filter: if enc == EncoderType::Residual {
            vec![1.0, 3.0, 3.0, 1.0]
        } else {
            vec![1.0, 1.0]
        },
        ..SongUNetConfig::new(16, 3, 3)
    }
}

#[test]
fn song_unet_fast_ops_match_stock_for_every_encoder_and_decoder() -> Result<()> {
    use {DecoderType as D, EmbeddingType as E, EncoderType as En};
    let cases = [
        (En::Standard, D::Standard, E::Positional),
        (En::Skip, D::Skip, E::Positional),
        (En::Residual, D::Standard, E::Fourier),
        (En::Residual, D::Skip, E::Fourier),
    ];
    for (enc, dec, emb) in cases {
        let cfg = tiny_song(enc, dec, emb);
        let build =
            |vb: VarBuilder<'_>, ops| SongUNet::new(vb, SongUNetConfig { ops, ..cfg.clone() });
        check_fast_matches_stock(build, 16, 3, &format!("{enc:?}/{dec:?}/{emb:?}"))?;
    }
    Ok(())
}

#[test]
fn dhariwal_unet_fast_ops_match_stock() -> Result<()> {
    let cfg = DhariwalUNetConfig {
        model_channels: 64,
        channel_mult: vec![1, 2],
        num_blocks: 1,
        attn_resolutions: vec![8],
        label_dim: 3,
        ..DhariwalUNetConfig::new(16, 3, 3)
    };
    let build =
        |vb: VarBuilder<'_>, ops| DhariwalUNet::new(vb, DhariwalUNetConfig { ops, ..cfg.clone() });
    check_fast_matches_stock(build, 16, 3, "adm")
}

/// NVlabs upsamples with `conv_transpose2d(x, 4 f f^T, stride 2, padding 1)` per channel for
/// the NCSN++ filter `[1, 3, 3, 1]`; ours inserts zeros and convolves.
#[test]
fn fir_upsampling_matches_transposed_convolution() -> Result<()> {
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (2, 3, 5, 5), &dev)?;
    let opts = ConvOptions {
        resample: Resample::Up,
        resample_filter: vec![1.0, 3.0, 3.0, 1.0],
        ..ConvOptions::new(LayerInit::new(InitMode::XavierUniform, 1.0), OpImpl::Auto)
    };
    let vm = VarMap::new();
    let up = Conv2d::new(
        VarBuilder::from_varmap(&vm, DType::F32, &dev),
        3,
        3,
        0,
        &opts,
    )?;
    let f = [1f32, 3., 3., 1.];
    let k: Vec<f32> = (0..16).map(|i| 4.0 * f[i / 4] * f[i % 4] / 64.0).collect();
    let k = Tensor::from_vec(k, (1, 1, 4, 4), &dev)?;
    let want = x
        .reshape((6, 1, 5, 5))?
        .conv_transpose2d(&k, 1, 0, 2, 1)?
        .reshape((2, 3, 10, 10))?;
    let e = rel_err(&up.forward(&x)?, &want)?;
    assert!(e < REL_F32_NETWORK, "rel err {e}");
    Ok(())
}
