//! `edm train`, `edm generate` and `edm evaluate` end to end on a tiny configuration: files
//! written, resumption, per-seed images bitwise independent of the batch size, one-line
//! typed errors.
#![cfg(all(feature = "cli", feature = "candle"))]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::TempDir;

use candle_core::{Device, Tensor};
use elucidated::family::Family;
use elucidated::nn::init::seeded_var_builder;
use elucidated::nn::model::{Model, ModelPrecond, ModelSpec};
use elucidated::nn::{NETWORK_DTYPE, SongUNet, SongUNetConfig};

fn edm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edm"))
        .args(args)
        .output()
        .expect("edm runs")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TINY: [&str; 9] = [
    "--channels",
    "8",
    "--channel-mult",
    "1,2",
    "--attn",
    "--batch",
    "8",
    "--checkpoint-every",
    "1",
];

#[test]
fn train_resume_generate_and_evaluate_a_tiny_model() {
    let dir = TempDir::new("cli");
    let run = dir.join("run");
    let mut args = vec!["train", "--out", s(&run), "--train-steps", "2"];
    args.extend(TINY);
    ok(&edm(&args));
    args[4] = "3";
    let resumed = edm(&args);
    ok(&resumed);
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("resuming"));
    let csv = std::fs::read_to_string(run.join("loss.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for f in ["state.safetensors", "model-ema.safetensors", "loss.png"] {
        assert!(run.join(f).exists(), "{f}");
    }

    let model = run.join("model-ema.safetensors");
    let (one, four) = (dir.join("one"), dir.join("four"));
    for (batch, per_seed) in [("1", &one), ("4", &four)] {
        let grid = dir.join(format!("grid{batch}.png"));
        ok(&edm(&[
            "generate",
            "--model",
            s(&model),
            "--seeds",
            "3,5-7",
            "--steps",
            "3",
            "--batch",
            batch,
            "--guidance",
            "1.5",
            "--out",
            s(&grid),
            "--per-seed",
            s(per_seed),
        ]));
        let img = image::open(&grid).unwrap();
        // One row per class (3, 5, 6, 7), one sample each.
        assert_eq!((img.width(), img.height()), (32, 128));
    }
    for seed in ["000003.png", "000005.png", "000006.png", "000007.png"] {
        let (a, b) = (
            std::fs::read(one.join(seed)),
            std::fs::read(four.join(seed)),
        );
        assert_eq!(a.unwrap(), b.unwrap(), "{seed}");
    }

    let eval = dir.join("eval");
    ok(&edm(&[
        "evaluate",
        "--model",
        s(&model),
        "--samples",
        "20",
        "--samplers",
        "euler,heun",
        "--nfe",
        "3",
        "--guidance",
        "1,2",
        "--out",
        s(&eval),
    ]));
    let table = std::fs::read_to_string(eval.join("evaluate.md")).unwrap();
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("| euler") || l.starts_with("| heun"))
            .count(),
        4
    );
    assert!(eval.join("evaluate.png").exists());
}

/// A tiny unconditional RGB model (16 x 16, seeded random weights) saved as a model file.
fn tiny_rgb_model(dir: &Path) -> PathBuf {
    let network = SongUNetConfig {
        model_channels: 8,
        channel_mult: vec![1, 2],
        num_blocks: 1,
        attn_resolutions: vec![],
        dropout: 0.0,
        ..SongUNetConfig::new(16, 3, 3)
    };
    let (vb, vars) = seeded_var_builder(7, NETWORK_DTYPE, &Device::Cpu);
    SongUNet::new(vb, network.clone()).unwrap();
    let tensors: HashMap<String, Tensor> = vars
        .lock()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let spec = ModelSpec {
        network,
        precond: ModelPrecond::paper(Family::Edm, 0.5).unwrap(),
    };
    let path = dir.join("rgb.safetensors");
    Model::save(&path, &spec, &tensors).unwrap();
    path
}

#[test]
fn generate_from_a_model_file_with_each_discretization() {
    let dir = TempDir::new("discretization");
    let model = tiny_rgb_model(dir.path());
    let mut grids = Vec::new();
    for disc in ["edm", "vp", "ve", "iddpm"] {
        let grid = dir.join(format!("{disc}.png"));
        ok(&edm(&[
            "generate",
            "--checkpoint",
            s(&model),
            "--seeds",
            "0-4",
            "--sampler",
            "euler",
            "--steps",
            "2",
            "--discretization",
            disc,
            "--class",
            "3",
            "--grid-cols",
            "2",
            "--out",
            s(&grid),
        ]));
        let img = image::open(&grid).unwrap();
        // The model is unconditional, so --class is ignored: five images in rows of two.
        assert_eq!((img.width(), img.height()), (32, 48), "{disc}");
        assert_eq!(img.color(), image::ColorType::Rgb8, "{disc}");
        grids.push((disc, img.into_bytes()));
    }
    for (disc, pixels) in &grids[1..] {
        assert_ne!(
            pixels, &grids[0].1,
            "--discretization {disc} made no difference"
        );
    }
}

#[test]
fn generate_rejects_bad_arguments_in_one_line() {
    let missing = std::env::temp_dir().join("edm-no-such-model.safetensors");
    for args in [
        vec!["generate", "--seeds", "5-3"],
        vec!["generate", "--seeds", "x"],
        vec!["generate", "--sampler", "nonesuch"],
        vec!["generate", "--steps", "0"],
        vec!["generate", "--batch", "0", "--seeds", "0"],
        vec!["generate", "--discretization", "nonesuch"],
        vec![
            "generate",
            "--discretization",
            "iddpm",
            "--iddpm-selection",
            "x",
        ],
        vec!["generate", "--discretization", "vp", "--eps-s", "2"],
        vec!["generate", "--class", "10", "--seeds", "0"],
        vec!["generate", "--model", s(&missing)],
        #[cfg(not(feature = "cuda"))]
        vec!["generate", "--device", "cuda"],
    ] {
        let out = edm(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("edm: "), "{args:?}: {err}");
    }
}
