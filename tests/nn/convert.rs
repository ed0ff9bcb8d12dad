//! NVlabs-structured network pickles (`tests/data/nvlabs`, written by
//! `scripts/make_nvlabs_fixtures.py`) converted to model files: the preconditioning and network
//! configuration from the stored keyword arguments, the weights bitwise as written, the
//! `resample_filter` buffers checked against the configuration, and the result loading and
//! denoising like any model file.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::common::TempDir;
use candle_core::{DType, Device, Tensor};
use elucidated::Error;
use elucidated::nn::convert::{Converted, convert_bytes, convert_file};
use elucidated::nn::model::{Model, ModelPrecond};
use elucidated::nn::resample::{check_resample_buffer, resample_buffer};
use elucidated::nn::song_unet::{DecoderType, EmbeddingType, EncoderType};

const FIXTURES: [&str; 4] = ["edm_ddpmpp", "vp_ddpmpp_cond", "ve_ncsnpp", "edm_skip_fp16"];

fn path(name: &str, ext: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "data", "nvlabs"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.{ext}"))
}

fn convert(name: &str) -> Converted {
    let bytes = std::fs::read(path(name, "pkl")).expect("fixture");
    convert_bytes(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all()
        .and_then(|t| t.to_vec1())
        .expect("f32 tensor")
}

#[test]
fn every_fixture_converts_to_the_weights_it_was_written_with() {
    for name in FIXTURES {
        let c = convert(name);
        let expected: HashMap<String, Tensor> =
            candle_core::safetensors::load(path(name, "safetensors"), &Device::Cpu)
                .expect("reference tensors");
        let mut names: Vec<&String> = c.tensors.keys().collect();
        names.sort();
        let mut want: Vec<&String> = expected.keys().collect();
        want.sort();
        assert_eq!(names, want, "{name}");
        for (k, t) in &c.tensors {
            assert_eq!(t.dtype(), DType::F32);
            assert_eq!(t.dims(), expected[k].dims(), "{name}: {k}");
            let (a, b) = (values(t), values(&expected[k]));
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{name}: {k} differs"
            );
        }
    }
}

#[test]
fn preconditioning_and_configuration_come_from_the_keyword_arguments() {
    let c = convert("edm_ddpmpp");
    assert_eq!(c.spec.precond, ModelPrecond::Edm { sigma_data: 0.5 });
    assert_eq!(c.precond_class, "EDMPrecond");
    assert_eq!(c.sigma_range, Some((0.0, f64::INFINITY)));
    let n = &c.spec.network;
    assert_eq!(
        (n.img_resolution, n.in_channels, n.out_channels, n.label_dim),
        (8, 3, 3, 0)
    );
    assert_eq!((n.model_channels, n.num_blocks), (4, 1));
    assert_eq!(n.channel_mult, [1, 2]);
    assert_eq!(n.attn_resolutions, [4]);
    assert_eq!(n.dropout, 0.13);
    assert_eq!(
        n.channel_mult_emb, 4,
        "NVlabs's default where none is stored"
    );

    let c = convert("vp_ddpmpp_cond");
    assert_eq!(
        c.spec.precond,
        ModelPrecond::Vp {
            beta_d: 19.9,
            beta_min: 0.1,
            m: 1000.0
        }
    );
    assert_eq!(
        (c.spec.network.label_dim, c.spec.network.augment_dim),
        (10, 9)
    );
    assert_eq!(c.spec.network.label_dropout, 0.1);

    let c = convert("ve_ncsnpp");
    assert_eq!(c.spec.precond, ModelPrecond::Ve);
    assert_eq!(c.sigma_range, Some((0.02, 100.0)));
    let n = &c.spec.network;
    assert_eq!(n.embedding_type, EmbeddingType::Fourier);
    assert_eq!(n.encoder_type, EncoderType::Residual);
    assert_eq!(n.channel_mult_noise, 2);
    assert_eq!(n.resample_filter, [1.0, 3.0, 3.0, 1.0]);

    let c = convert("edm_skip_fp16");
    assert_eq!(c.spec.precond, ModelPrecond::Edm { sigma_data: 0.6 });
    assert!(c.use_fp16);
    assert_eq!(c.spec.network.encoder_type, EncoderType::Skip);
    assert_eq!(c.spec.network.decoder_type, DecoderType::Skip);
}

#[test]
fn converted_files_load_as_models_and_denoise() -> elucidated::Result<()> {
    let dir = TempDir::new("convert");
    for name in FIXTURES {
        let out = dir.join(format!("{name}.safetensors"));
        let converted = convert_file(path(name, "pkl"), &out)?;
        let model = Model::load(&out, &Device::Cpu)?;
        assert_eq!(*model.spec(), converted.spec, "{name}");
        let (ch, res) = model.img_shape();
        let x = Tensor::ones((2, ch, res, res), DType::F64, &Device::Cpu).expect("x");
        let labels = (model.label_dim() > 0).then(|| {
            Tensor::zeros((2, model.label_dim()), DType::F32, &Device::Cpu).expect("labels")
        });
        let d = model.denoiser().denoise(&x, 1.5, labels.as_ref())?;
        assert_eq!(d.dims(), [2, ch, res, res]);
        let v: Vec<f64> = d.flatten_all().and_then(|t| t.to_vec1()).expect("f64");
        assert!(v.iter().all(|x| x.is_finite()), "{name}");
    }
    Ok(())
}

#[test]
fn resample_buffers_are_checked_against_the_filter() {
    let taps = [1.0, 3.0, 3.0, 1.0];
    let (shape, values) = resample_buffer(&taps);
    assert_eq!(shape, [1, 1, 4, 4]);
    assert_eq!(values[5], 9.0 / 64.0);
    let name = "enc.4x4_down.conv0.resample_filter";
    assert!(check_resample_buffer("f", name, &shape, &values, &taps).is_ok());
    // Another filter than the configuration's, a wrong shape, a non-resampling layer.
    let wrong = [
        check_resample_buffer("f", name, &shape, &values, &[1.0, 1.0]),
        check_resample_buffer("f", name, &[1, 1, 16], &values, &taps),
        check_resample_buffer("f", "enc.8x8_conv.resample_filter", &shape, &values, &taps),
    ];
    for r in wrong {
        assert!(
            matches!(&r, Err(Error::InvalidField { field, .. }) if field.ends_with("resample_filter")),
            "{r:?}"
        );
    }
    let mut tampered = values.clone();
    tampered[0] = f32::from_bits(tampered[0].to_bits() + 1);
    assert!(check_resample_buffer("f", name, &shape, &tampered, &taps).is_err());
}

#[test]
fn pickles_that_are_not_networks_are_typed_errors() {
    // A valid pickle that is not a snapshot dict, and a truncated fixture.
    assert!(matches!(
        convert_bytes(&[0x80, 4, b'N', b'.'], "none"),
        Err(Error::InvalidField { field, .. }) if field == "ema"
    ));
    let bytes = std::fs::read(path("edm_ddpmpp", "pkl")).expect("fixture");
    assert!(matches!(
        convert_bytes(&bytes[..bytes.len() / 2], "half"),
        Err(Error::PickleTruncated { .. })
    ));
}

#[test]
fn model_files_with_nvlabs_resample_buffers_load_when_the_buffers_match() -> elucidated::Result<()>
{
    use elucidated::nn::checkpoint::save_with_metadata;
    use elucidated::nn::model::SPEC_KEY;
    let dir = TempDir::new("convert-buffers");
    let c = convert("ve_ncsnpp");
    let meta = || Some(HashMap::from([(SPEC_KEY.to_owned(), c.spec.to_json())]));
    let (shape, good) = resample_buffer(&c.spec.network.resample_filter);
    let name = "enc.4x4_down.conv0.resample_filter";
    let with = |values: Vec<f32>| {
        let mut t = c.tensors.clone();
        t.insert(
            name.to_owned(),
            Tensor::from_vec(values, shape.as_slice(), &Device::Cpu).expect("buffer"),
        );
        t
    };
    let ok = dir.join("ok.safetensors");
    save_with_metadata(&ok, &with(good.clone()), meta())?;
    let model = Model::load(&ok, &Device::Cpu)?;
    assert_eq!(*model.spec(), c.spec);
    let mut tampered = good;
    tampered[3] *= 2.0;
    let bad = dir.join("bad.safetensors");
    save_with_metadata(&bad, &with(tampered), meta())?;
    assert!(matches!(
        Model::load(&bad, &Device::Cpu),
        Err(Error::InvalidField { field, .. }) if field == name
    ));
    Ok(())
}

/// The fixture `name` with every occurrence of `from` replaced by `to` (of the same length, so
/// that every declared length stays right).
fn relabelled(name: &str, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path(name, "pkl")).expect("fixture");
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    bytes
}

#[test]
fn unsupported_networks_and_inconsistent_arguments_are_named() {
    // Another network than SongUNet (the model files hold SongUNet only).
    let bytes = relabelled("edm_ddpmpp", b"SongUNet", b"Dhariwal");
    assert!(matches!(
        convert_bytes(&bytes, "adm"),
        Err(Error::InvalidField { field, .. }) if field == "ema._init_kwargs.model_type"
    ));
    // A VP network relabelled VE keeps VP's arguments, which VEPrecond does not take.
    let bytes = relabelled("vp_ddpmpp_cond", b"VPPrecond", b"VEPrecond");
    assert!(matches!(
        convert_bytes(&bytes, "ve?"),
        Err(Error::InvalidField { field, .. }) if field == "ema._init_kwargs.M"
    ));
    // An unknown preconditioner.
    let bytes = relabelled("ve_ncsnpp", b"VEPrecond", b"XXPrecond");
    assert!(matches!(
        convert_bytes(&bytes, "xx"),
        Err(Error::InvalidField { field, .. }) if field == "ema"
    ));
}
