//! The trainer on a tiny configuration (the CI smoke test of the training pipeline): the loss
//! of a fixed batch falls, runs are deterministic, a resumed run is bitwise the uninterrupted
//! one, model files round-trip, and bad configurations and files get typed errors.

use crate::common::TempDir;
use candle_core::{Device, Tensor};
use elucidated::Error;
use elucidated::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use elucidated::digits::train::{TrainConfig, Trainer};
use elucidated::family::Family;
use elucidated::nn::SongUNetConfig;
use elucidated::nn::model::{Model, ModelPrecond, ModelSpec};

fn tiny(precond: Family) -> TrainConfig {
    let network = SongUNetConfig {
        label_dim: CLASSES,
        model_channels: 8,
        channel_mult: vec![1, 2],
        num_blocks: 1,
        attn_resolutions: vec![],
        dropout: 0.0,
        ..SongUNetConfig::new(PADDED_SIDE, 1, 1)
    };
    TrainConfig {
        batch: 16,
        lr: 2e-3,
        lr_rampup_images: 64.0,
        ema_halflife_images: 500.0,
        seed: 7,
        ..TrainConfig::new(ModelSpec {
            network,
            precond: ModelPrecond::paper(precond, 0.9).unwrap(),
        })
    }
}

fn data() -> (Mnist, Vec<usize>) {
    let data = Mnist::embedded().unwrap();
    let (train, _) = data.split();
    (data, train[..256].to_vec())
}

fn tensors_equal(
    a: &std::collections::HashMap<String, Tensor>,
    b: &std::collections::HashMap<String, Tensor>,
) {
    assert_eq!(a.len(), b.len());
    for (name, t) in a {
        let (x, y) = (t.flatten_all().unwrap(), b[name].flatten_all().unwrap());
        let (x, y) = (x.to_vec1::<f32>().unwrap(), y.to_vec1::<f32>().unwrap());
        assert!(
            x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()),
            "{name} differs"
        );
    }
}

#[test]
fn loss_of_a_fixed_batch_falls() -> elucidated::Result<()> {
    let (data, idx) = data();
    for precond in [Family::Edm, Family::Vp, Family::Ve] {
        let mut t = Trainer::new(tiny(precond), &data, &idx, &Device::Cpu)?;
        let fixed = 1_000_000;
        let before = t.loss_of_batch(fixed)?;
        for _ in 0..12 {
            t.train_step()?;
        }
        let after = t.loss_of_batch(fixed)?;
        eprintln!("{precond}: {before} -> {after}");
        assert!(after < before, "{precond}: {before} -> {after}");
    }
    Ok(())
}

#[test]
fn training_is_deterministic_and_resume_is_bitwise() -> elucidated::Result<()> {
    let (data, idx) = data();
    let dir = TempDir::new("train");
    let state = dir.join("state.safetensors");
    let mut straight = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    let mut again = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    for _ in 0..4 {
        let (a, b) = (straight.train_step()?, again.train_step()?);
        assert_eq!(a.loss.to_bits(), b.loss.to_bits());
    }
    let mut first = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    first.train_step()?;
    first.train_step()?;
    first.save_state(&state)?;
    let mut resumed = Trainer::resume(&state, &data, &idx, &Device::Cpu)?;
    assert_eq!(resumed.step(), 2);
    assert_eq!(resumed.config(), straight.config());
    resumed.train_step()?;
    resumed.train_step()?;
    tensors_equal(&resumed.raw_tensors(), &straight.raw_tensors());
    tensors_equal(&resumed.ema_tensors(), &straight.ema_tensors());
    Ok(())
}

#[test]
fn model_file_round_trips_the_ema_denoiser() -> elucidated::Result<()> {
    let (data, idx) = data();
    let dir = TempDir::new("model");
    let mut t = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    t.train_step()?;
    let path = dir.join("model.safetensors");
    t.save_ema_model(&path)?;
    let loaded = Model::load(&path, &Device::Cpu)?;
    assert_eq!(loaded.spec(), &t.config().model);
    let direct = Model::from_tensors(t.config().model.clone(), t.ema_tensors(), &Device::Cpu)?;
    let x = Tensor::from_vec(data.padded_f32(&idx[..3])?, (3, 1, 32, 32), &Device::Cpu).unwrap();
    let x = x.to_dtype(candle_core::DType::F64).unwrap();
    let labels = Tensor::eye(CLASSES, candle_core::DType::F32, &Device::Cpu)
        .unwrap()
        .narrow(0, 0, 3)
        .unwrap();
    let a = loaded.denoiser().denoise(&x, 0.7, Some(&labels))?;
    let b = direct.denoiser().denoise(&x, 0.7, Some(&labels))?;
    let (a, b) = (a.flatten_all().unwrap(), b.flatten_all().unwrap());
    assert_eq!(a.to_vec1::<f64>().unwrap(), b.to_vec1::<f64>().unwrap());

    // A model file is not a training state: the missing entry is named.
    match Trainer::resume(&path, &data, &idx, &Device::Cpu) {
        Err(Error::CorruptCheckpoint { detail, .. }) => {
            assert!(detail.contains("elucidated.train"), "{detail}")
        }
        other => panic!("expected a corrupt-checkpoint error, got {:?}", other.err()),
    }
    std::fs::write(&path, b"not safetensors").unwrap();
    assert!(matches!(
        Model::load(&path, &Device::Cpu),
        Err(Error::CorruptCheckpoint { .. })
    ));
    Ok(())
}

#[test]
fn bad_training_configurations_are_typed_errors() {
    let (data, idx) = data();
    let mut c = tiny(Family::Edm);
    c.lr = -1.0;
    assert!(matches!(
        Trainer::new(c, &data, &idx, &Device::Cpu),
        Err(Error::NotPositive { name: "lr", .. })
    ));
    let mut c = tiny(Family::Edm);
    c.model.network.dropout = 0.1;
    assert!(matches!(
        Trainer::new(c, &data, &idx, &Device::Cpu),
        Err(Error::InvalidField { .. })
    ));
    let mut c = tiny(Family::Edm);
    c.model.network.img_resolution = 16;
    assert!(Trainer::new(c, &data, &idx, &Device::Cpu).is_err());
    assert!(Trainer::new(tiny(Family::Edm), &data, &[], &Device::Cpu).is_err());
    assert!(matches!(
        ModelPrecond::paper(Family::Edm, 0.0),
        Err(Error::NotPositive { .. })
    ));
}

#[test]
fn fresh_run_initialised_from_a_model_file_takes_its_weights() -> elucidated::Result<()> {
    let (data, idx) = data();
    let mut source = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    source.train_step()?;
    source.train_step()?;
    let dir = TempDir::new("init");
    let path = dir.join("model.safetensors");
    source.save_ema_model(&path)?;
    let bytes = std::fs::read(&path).unwrap();

    let mut fresh = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    fresh.initialise_from(&bytes, "model")?;
    assert_eq!(fresh.step(), 0);
    tensors_equal(&fresh.raw_tensors(), &source.ema_tensors());
    tensors_equal(&fresh.ema_tensors(), &source.ema_tensors());
    // Training goes on from there and leaves the file's weights untouched.
    fresh.train_step()?;
    let reloaded = Model::load(&path, &Device::Cpu)?;
    assert_eq!(reloaded.spec(), &source.config().model);

    // Another network, a run that has taken steps, and a file that is not a model file.
    let mut other = tiny(Family::Edm);
    other.model.network.model_channels = 16;
    let mut wider = Trainer::new(other, &data, &idx, &Device::Cpu)?;
    match wider.initialise_from(&bytes, "model") {
        Err(Error::InvalidField { field, .. }) => assert_eq!(field, "elucidated.model"),
        other => panic!("expected a mismatch error, got {:?}", other.err()),
    }
    assert!(matches!(
        fresh.initialise_from(&bytes, "model"),
        Err(Error::InvalidField { .. })
    ));
    let mut again = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    assert!(matches!(
        again.initialise_from(b"not safetensors", "junk"),
        Err(Error::CorruptCheckpoint { .. })
    ));
    Ok(())
}

/// The EMA is a running sum with the variables; without detaching, each step's EMA tensors
/// would record the previous ones, and a run would hold a copy of the weights per step taken.
#[test]
fn training_keeps_no_computation_graph_between_steps() -> elucidated::Result<()> {
    let (data, idx) = data();
    let mut t = Trainer::new(tiny(Family::Edm), &data, &idx, &Device::Cpu)?;
    for _ in 0..2 {
        t.train_step()?;
    }
    for (name, e) in t.ema_tensors() {
        assert!(
            !e.track_op(),
            "EMA tensor {name} records a computation graph"
        );
    }
    Ok(())
}
