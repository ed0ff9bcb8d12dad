//! NVlabs's exponential moving average of the weights.

use super::Trainer;
use crate::error::Result;
use crate::nn::precond::candle;

impl Trainer {
    /// NVlabs's EMA: half-life min(H, ratio x images seen), beta = 0.5^(batch / half-life).
    pub(super) fn update_ema(&mut self) -> Result<()> {
        let c = &self.config;
        let mut half_life = c.ema_halflife_images;
        if c.ema_rampup_ratio > 0.0 {
            half_life = half_life.min(self.images_seen() * c.ema_rampup_ratio);
        }
        let beta = 0.5f64.powf(c.batch as f64 / half_life.max(1e-8));
        for (e, v) in self.ema.iter_mut().zip(&self.vars) {
            // Detached: a sum with a variable records its operands for backpropagation, and
            // each EMA would hold the previous one, a chain that grows by a copy of the
            // weights at every step.
            *e = candle(
                "EMA",
                (|| Ok(((&*e * beta)? + (v.as_tensor() * (1.0 - beta))?)?.detach()))(),
            )?;
        }
        Ok(())
    }
}
