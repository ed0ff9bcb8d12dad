//! NVlabs's weight initialisations (`weight_init(shape, mode, fan_in, fan_out)`, times a factor).

use candle_nn::Init;

/// Weight initialisation of NVlabs's `weight_init(shape, mode, fan_in, fan_out)`, times a factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitMode {
    /// Uniform on `±sqrt(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// Uniform on `±sqrt(3 / fan_in)`.
    KaimingUniform,
    /// Normal with standard deviation `sqrt(1 / fan_in)`.
    KaimingNormal,
}

/// An initialisation: a mode and the factors applied to the weight and to the bias
/// (NVlabs's `init_mode`, `init_weight`, `init_bias`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerInit {
    /// Distribution of the unscaled values.
    pub mode: InitMode,
    /// Factor on the weight.
    pub weight: f64,
    /// Factor on the bias.
    pub bias: f64,
}

impl LayerInit {
    /// `mode` with weight factor `weight` and bias factor 0.
    pub fn new(mode: InitMode, weight: f64) -> Self {
        Self {
            mode,
            weight,
            bias: 0.0,
        }
    }

    fn init(mode: InitMode, factor: f64, fan_in: usize, fan_out: usize) -> Init {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        if factor == 0.0 {
            return Init::Const(0.0);
        }
        match mode {
            InitMode::XavierUniform => {
                let b = factor * (6.0 / (fi + fo)).sqrt();
                Init::Uniform { lo: -b, up: b }
            }
            InitMode::KaimingUniform => {
                let b = factor * (3.0 / fi).sqrt();
                Init::Uniform { lo: -b, up: b }
            }
            InitMode::KaimingNormal => Init::Randn {
                mean: 0.0,
                stdev: factor * (1.0 / fi).sqrt(),
            },
        }
    }

    pub(super) fn weight_init(&self, fan_in: usize, fan_out: usize) -> Init {
        Self::init(self.mode, self.weight, fan_in, fan_out)
    }

    pub(super) fn bias_init(&self, fan_in: usize, fan_out: usize) -> Init {
        Self::init(self.mode, self.bias, fan_in, fan_out)
    }
}
