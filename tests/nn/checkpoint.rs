//! Safetensors checkpoints with NVlabs names: round trip, atomic save, and one typed error per
//! kind of bad file.

use std::collections::HashMap;

use crate::common::TempDir;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use elucidated::Error;
use elucidated::nn::checkpoint::{TensorSpec, load, save, tensor_spec};
use elucidated::nn::{Network, SongUNet, SongUNetConfig};

fn tiny() -> SongUNetConfig {
    SongUNetConfig {
        model_channels: 16,
        channel_mult: vec![1, 2],
        num_blocks: 1,
        attn_resolutions: vec![8],
        ..SongUNetConfig::new(16, 3, 3)
    }
}

/// A freshly initialised tiny network's tensors, and its spec.
fn weights() -> (HashMap<String, Tensor>, TensorSpec) {
    let vm = VarMap::new();
    SongUNet::new(
        VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
        tiny(),
    )
    .expect("net");
    let data = vm.data().lock().expect("lock");
    let map = data
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    (
        map,
        tensor_spec(|vb| SongUNet::new(vb, tiny())).expect("spec"),
    )
}

fn nn_err(r: elucidated::Result<HashMap<String, Tensor>>) -> Error {
    match r {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn checkpoint_round_trip_gives_the_same_network_output() -> elucidated::Result<()> {
    let (w, spec) = weights();
    let dir = TempDir::new("checkpoint-roundtrip");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let loaded = load(&path, &spec, DType::F32, &Device::Cpu)?;
    assert_eq!(loaded.len(), w.len());
    let dev = Device::Cpu;
    let run = || -> candle_core::Result<Vec<f32>> {
        let a = SongUNet::new(VarBuilder::from_tensors(w, DType::F32, &dev), tiny())?;
        let b = SongUNet::new(VarBuilder::from_tensors(loaded, DType::F32, &dev), tiny())?;
        let x = Tensor::ones((1, 3, 16, 16), DType::F32, &dev)?;
        let c = Tensor::new(&[0.5f32], &dev)?;
        let (ya, yb) = (a.forward(&x, &c, None)?, b.forward(&x, &c, None)?);
        (ya - yb)?.flatten_all()?.to_vec1()
    };
    assert!(run().expect("forward").iter().all(|d| *d == 0.0));
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "net.safetensors")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    Ok(())
}

#[test]
fn checkpoint_missing_tensor_is_named() -> elucidated::Result<()> {
    let (mut w, spec) = weights();
    w.remove("dec.16x16_aux_conv.bias");
    let dir = TempDir::new("checkpoint-missing");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    assert!(matches!(&e, Error::MissingTensor { name, .. } if name == "dec.16x16_aux_conv.bias"));
    Ok(())
}

#[test]
fn checkpoint_extra_tensor_is_named() -> elucidated::Result<()> {
    let (mut w, spec) = weights();
    let t = Tensor::zeros(3, DType::F32, &Device::Cpu).expect("zeros");
    w.insert("model.extra".into(), t);
    let dir = TempDir::new("checkpoint-extra");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    assert!(matches!(&e, Error::UnexpectedTensor { name, .. } if name == "model.extra"));
    Ok(())
}

#[test]
fn checkpoint_wrong_shape_is_named() -> elucidated::Result<()> {
    let (mut w, spec) = weights();
    let t = Tensor::zeros((16, 64), DType::F32, &Device::Cpu).expect("zeros");
    w.insert("map_layer0.weight".into(), t);
    let dir = TempDir::new("checkpoint-shape");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    let want = Error::WrongShape {
        path: path.display().to_string(),
        name: "map_layer0.weight".into(),
        expected: vec![64, 16],
        got: vec![16, 64],
    };
    assert_eq!(e, want);
    Ok(())
}

#[test]
fn checkpoint_wrong_dtype_is_named() -> elucidated::Result<()> {
    let (mut w, spec) = weights();
    let t = w["map_layer1.bias"].to_dtype(DType::F64).expect("cast");
    w.insert("map_layer1.bias".into(), t);
    let dir = TempDir::new("checkpoint-dtype");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    assert!(matches!(&e, Error::WrongDType { name, .. } if name == "map_layer1.bias"));
    Ok(())
}

#[test]
fn checkpoint_corrupt_file_is_reported() -> elucidated::Result<()> {
    let (w, spec) = weights();
    let dir = TempDir::new("checkpoint-corrupt");
    let path = dir.join("net.safetensors");
    save(&path, &w)?;
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    assert!(matches!(e, Error::CorruptCheckpoint { .. }), "{e}");
    std::fs::write(&path, b"not a checkpoint").expect("write");
    let e = nn_err(load(&path, &spec, DType::F32, &Device::Cpu));
    assert!(matches!(e, Error::CorruptCheckpoint { .. }), "{e}");
    let missing = load(path.with_extension("nope"), &spec, DType::F32, &Device::Cpu);
    assert!(matches!(missing, Err(Error::Io { .. })));
    Ok(())
}

/// A model file whose network cannot be built is an error naming the field, never a panic:
/// 64 `channel_mult` levels once reached `img_resolution >> level` (overflow in debug builds).
#[test]
fn model_description_with_an_impossible_network_is_a_typed_error() {
    use elucidated::family::Family;
    use elucidated::nn::model::{ModelPrecond, ModelSpec};
    let spec = ModelSpec {
        network: SongUNetConfig {
            dropout: 0.0,
            ..tiny()
        },
        precond: ModelPrecond::paper(Family::Edm, 0.5).unwrap(),
    };
    let text = spec.to_json();
    assert_eq!(ModelSpec::from_json(&text, "model").unwrap(), spec);
    let levels_64 = format!("\"channel_mult\":[{}]", vec!["1"; 64].join(","));
    let cases = [
        ("\"channel_mult\":[1,2]", levels_64.as_str(), "channel_mult"),
        (
            "\"channel_mult\":[1,2]",
            "\"channel_mult\":[]",
            "channel_mult",
        ),
        (
            "\"channel_mult\":[1,2]",
            "\"channel_mult\":[1,0]",
            "channel_mult",
        ),
        (
            "\"img_resolution\":16",
            "\"img_resolution\":0",
            "img_resolution",
        ),
        (
            "\"img_resolution\":16",
            "\"img_resolution\":5",
            "channel_mult",
        ),
        (
            "\"model_channels\":16",
            "\"model_channels\":0",
            "model_channels",
        ),
        ("\"num_blocks\":1", "\"num_blocks\":0", "num_blocks"),
        ("\"dropout\":0.0", "\"dropout\":2.0", "dropout"),
        (
            "\"resample_filter\":[1.0,1.0]",
            "\"resample_filter\":[]",
            "resample_filter",
        ),
        (
            "\"resample_filter\":[1.0,1.0]",
            "\"resample_filter\":[1.0,-1.0]",
            "resample_filter",
        ),
    ];
    for (from, to, field) in cases {
        assert!(text.contains(from), "{from} not in {text}");
        let bad = text.replace(from, to);
        match ModelSpec::from_json(&bad, "model") {
            Err(Error::InvalidField { field: f, .. }) => {
                assert!(f.ends_with(field), "{to}: error names {f}, want {field}")
            }
            other => panic!("{to}: expected an invalid field, got {other:?}"),
        }
    }
}
