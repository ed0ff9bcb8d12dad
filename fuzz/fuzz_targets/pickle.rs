//! The pickle reader on arbitrary bytes: it returns one of its typed errors, or a value tree
//! whose every tensor lies inside its storage (and has no more elements than it), with no more
//! values than input bytes; where the tree has an `ema` module, its state dict is walked too,
//! and every tensor read from it has as many elements as its shape says.
#![no_main]

use elucidated::Error;
use elucidated::pickle::{self, Node, module};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = match pickle::parse(data) {
        Ok(p) => p,
        Err(
            Error::PickleOpcode { .. }
            | Error::PickleGlobal { .. }
            | Error::PickleTruncated { .. }
            | Error::PickleLimit { .. }
            | Error::PickleInvalid { .. },
        ) => return,
        Err(other) => panic!("untyped pickle error: {other}"),
    };
    assert!(p.nodes().len() <= data.len(), "more values than input bytes");
    for node in p.nodes() {
        if let Node::Tensor(t) = node {
            let storage = p.storage_of(t).expect("a tensor's storage is a storage");
            assert_eq!(t.dtype, storage.dtype);
            assert!(t.numel() <= storage.numel().max(1));
            if t.numel() > 0 {
                let last = t
                    .shape
                    .iter()
                    .zip(&t.strides)
                    .fold(t.offset, |at, (&d, &s)| at + (d - 1) * s);
                assert!(last < storage.numel(), "tensor past its storage");
            }
        }
    }
    if let Some(ema) = p.get(p.root(), "ema") {
        if let Ok(tensors) = module::state_dict(&p, ema) {
            for (_, t) in tensors {
                if let Ok(storage) = p.storage_of(&t) {
                    if let Ok(values) = t.floats(storage) {
                        assert_eq!(values.len(), t.numel());
                    }
                }
            }
        }
    }
});
