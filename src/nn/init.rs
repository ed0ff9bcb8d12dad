//! Seeded, reproducible initialisation of a network's trainable variables.
//!
//! Candle's CPU random generator cannot be seeded, so the initial weights are drawn here: each
//! tensor from its own ChaCha20 stream ([`NoiseStream`]) keyed by the seed and the tensor's
//! name, in float64 and rounded once to the variable's element type. The weights therefore do
//! not depend on the order in which a constructor asks for them, nor on the device.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder};

use crate::noise::NoiseStream;

/// The trainable variables created by a [`seeded_var_builder`], by name.
pub type Vars = Arc<Mutex<BTreeMap<String, Var>>>;

/// The seed of tensor `name`'s stream: FNV-1a 64 of the name, mixed with `seed` (splitmix64).
pub fn stream_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(seed ^ splitmix64(h))
}

/// One round of splitmix64, a bijective mixer of 64-bit words.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Seeded {
    seed: u64,
    vars: Vars,
}

impl SimpleBackend for Seeded {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut stream = NoiseStream::new(stream_seed(self.seed, name));
        let n = shape.elem_count();
        let values: Vec<f64> = match init {
            Init::Const(c) => vec![c; n],
            Init::Uniform { lo, up } => (0..n).map(|_| lo + (up - lo) * stream.uniform()).collect(),
            Init::Randn { mean, stdev } => (0..n).map(|_| mean + stdev * stream.normal()).collect(),
            Init::Kaiming { .. } => {
                candle_core::bail!("tensor `{name}`: Kaiming initialisation is not seeded here")
            }
        };
        let t = Tensor::from_vec(values, shape, &Device::Cpu)?
            .to_dtype(dtype)?
            .to_device(dev)?;
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        self.vars
            .lock()
            .map_err(|_| candle_core::Error::msg("poisoned variable map"))?
            .insert(name.to_owned(), var);
        Ok(out)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("tensor `{name}` requested without a shape")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}

/// A [`VarBuilder`] whose every request creates a trainable [`Var`] initialised from `seed`
/// (see the module documentation), and the map that collects those variables.
pub fn seeded_var_builder(seed: u64, dtype: DType, device: &Device) -> (VarBuilder<'static>, Vars) {
    let vars = Vars::default();
    let backend = Seeded {
        seed,
        vars: vars.clone(),
    };
    (
        VarBuilder::from_backend(Box::new(backend), dtype, device.clone()),
        vars,
    )
}
