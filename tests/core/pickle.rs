//! The pickle reader on network pickles with NVlabs/edm's structure
//! (`tests/data/nvlabs/*.pkl`, written by `scripts/make_nvlabs_fixtures.py`): the value tree,
//! the tensors inside their storages, and each network's state dict against the expected
//! tensors' names and shapes (the header of the `.safetensors` beside each pickle).

use std::collections::BTreeMap;
use std::path::PathBuf;

use elucidated::pickle::{self, Node, Pickle, module};

/// The fixtures, by name.
pub const FIXTURES: [&str; 4] = ["edm_ddpmpp", "vp_ddpmpp_cond", "ve_ncsnpp", "edm_skip_fp16"];

/// The bytes of fixture `name` with extension `ext`.
pub fn fixture(name: &str, ext: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", "nvlabs"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every tensor of `p` lies inside its storage, and no pickle holds more values than bytes.
pub fn assert_well_formed(p: &Pickle<'_>, input_len: usize) {
    assert!(p.nodes().len() <= input_len, "more values than input bytes");
    for node in p.nodes() {
        if let Node::Tensor(t) = node {
            let storage = p.storage_of(t).expect("a tensor's storage is a storage");
            assert_eq!(t.dtype, storage.dtype);
            assert!(
                t.numel() <= storage.numel().max(1),
                "{t:?} larger than its storage"
            );
            let last = t.indices().max().unwrap_or(t.offset);
            assert!(
                t.numel() == 0 || last < storage.numel(),
                "tensor {t:?} reaches past its storage of {} elements",
                storage.numel()
            );
        }
    }
}

/// Names and shapes in a safetensors header.
fn safetensors_shapes(bytes: &[u8]) -> BTreeMap<String, Vec<usize>> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(k, v)| {
            let shape = v["shape"].as_array().unwrap();
            (
                k.clone(),
                shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
            )
        })
        .collect()
}

#[test]
fn fixtures_parse_to_snapshot_dicts() {
    for name in FIXTURES {
        let bytes = fixture(name, "pkl");
        let p = pickle::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let keys: Vec<&str> = p.str_items(p.root()).unwrap().iter().map(|k| k.0).collect();
        assert_eq!(
            keys,
            ["ema", "loss_fn", "augment_pipe", "dataset_kwargs"],
            "{name}"
        );
        let ema = p.get(p.root(), "ema").unwrap();
        let (class, _) = p.persistent(ema).expect("ema is a persistent object");
        assert!(class.ends_with("Precond"), "{name}: {class}");
        let loss = p.get(p.root(), "loss_fn").unwrap();
        assert!(p.persistent(loss).unwrap().0.ends_with("Loss"), "{name}");
        assert_eq!(
            *p.node(p.get(p.root(), "augment_pipe").unwrap()),
            Node::None
        );
        assert_well_formed(&p, bytes.len());
    }
}

#[test]
fn fixture_state_dicts_have_the_expected_names_and_shapes() {
    for name in FIXTURES {
        let bytes = fixture(name, "pkl");
        let p = pickle::parse(&bytes).unwrap();
        let ema = p.get(p.root(), "ema").unwrap();
        let model = module::submodule(&p, ema, "model", "ema").unwrap();
        let got: BTreeMap<String, Vec<usize>> = module::state_dict(&p, model)
            .unwrap()
            .into_iter()
            .filter(|(n, _)| !n.ends_with(".resample_filter"))
            .map(|(n, t)| (n, t.shape))
            .collect();
        assert_eq!(
            got,
            safetensors_shapes(&fixture(name, "safetensors")),
            "{name}"
        );
    }
}

#[test]
fn fixture_kwargs_are_read_as_data() {
    let bytes = fixture("ve_ncsnpp", "pkl");
    let p = pickle::parse(&bytes).unwrap();
    let ema = p.get(p.root(), "ema").unwrap();
    let model = module::submodule(&p, ema, "model", "ema").unwrap();
    let kwargs: BTreeMap<&str, &Node<'_>> = module::init_kwargs(&p, model, "ema.model")
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, p.node(v)))
        .collect();
    assert_eq!(kwargs["embedding_type"], &Node::Str("fourier"));
    assert_eq!(kwargs["encoder_type"], &Node::Str("residual"));
    assert_eq!(kwargs["channel_mult_noise"], &Node::Int(2));
    let state = p.persistent(ema).unwrap().1;
    assert_eq!(*p.node(p.get(state, "sigma_max").unwrap()), Node::Int(100));
}

#[test]
fn numpy_scalars_read_as_floats() {
    // UNetBlock's skip_scale is numpy.float64(sqrt(0.5)), pickled through numpy's scalar().
    let bytes = fixture("edm_ddpmpp", "pkl");
    let p = pickle::parse(&bytes).unwrap();
    let scales: Vec<f64> = p
        .nodes()
        .iter()
        .filter_map(|n| match n {
            Node::Persistent {
                class_name: "UNetBlock",
                state,
                ..
            } => p.get(*state, "skip_scale"),
            _ => None,
        })
        .map(|id| match p.node(id) {
            Node::Float(v) => *v,
            other => panic!("skip_scale is a {}", other.kind()),
        })
        .collect();
    assert!(!scales.is_empty());
    assert!(scales.iter().all(|&s| s == 0.5f64.sqrt()));
}

#[test]
fn fuzz_seeds_parse_to_well_formed_trees() {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzz", "corpus", "pickle"]
        .iter()
        .collect();
    for name in ["seed-tensor", "seed-snapshot"] {
        let bytes = std::fs::read(dir.join(name)).expect("seed");
        let p = pickle::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_well_formed(&p, bytes.len());
    }
    // The tensor seed is a transposed 2 x 3 view: shape (3, 2), strides (1, 3).
    let bytes = std::fs::read(dir.join("seed-tensor")).expect("seed");
    let p = pickle::parse(&bytes).unwrap();
    let Node::Tensor(t) = p.node(p.root()) else {
        panic!("the tensor seed is a {}", p.node(p.root()).kind());
    };
    assert_eq!(
        (t.shape.as_slice(), t.strides.as_slice()),
        (&[3, 2][..], &[1, 3][..])
    );
}
