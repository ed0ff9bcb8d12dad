//! Adam (Kingma & Ba 2015) over candle variables, with its moments exposed so that a training
//! state can be saved and resumed exactly.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use super::precond::candle;
use crate::error::{Error, Result};

/// Adam's moments for a list of variables.
#[derive(Debug, Clone)]
pub struct Adam {
    /// beta_1, beta_2, epsilon.
    pub params: [f64; 3],
    /// First moments, one per variable.
    pub m: Vec<Tensor>,
    /// Second moments, one per variable.
    pub v: Vec<Tensor>,
}

impl Adam {
    /// Zero moments for `vars`.
    ///
    /// # Errors
    ///
    /// A failing op.
    pub fn new(params: [f64; 3], vars: &[Var]) -> Result<Self> {
        let zeros = |v: &Var| candle("Adam moments", v.as_tensor().zeros_like());
        Ok(Self {
            params,
            m: vars.iter().map(zeros).collect::<Result<_>>()?,
            v: vars.iter().map(zeros).collect::<Result<_>>()?,
        })
    }

    /// Update number `t` (1 for the first) of `vars` with `grads` at learning rate `lr`, with
    /// bias correction. Variables without a gradient are left alone.
    ///
    /// # Errors
    ///
    /// [`Error::NotFinite`] when an update is not finite (then nothing is changed), or a
    /// failing op.
    pub fn update(&mut self, vars: &[Var], grads: &GradStore, lr: f64, t: u64) -> Result<()> {
        let [beta1, beta2, eps] = self.params;
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        let (bc1, bc2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
        let mut updates = Vec::with_capacity(vars.len());
        for (i, var) in vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                updates.push(None);
                continue;
            };
            let r = candle(
                "Adam update",
                (|| {
                    let m = ((&self.m[i] * beta1)? + (g * (1.0 - beta1))?)?;
                    let v = ((&self.v[i] * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
                    let delta = ((&m / bc1)? / ((&v / bc2)?.sqrt()? + eps)?)?;
                    let finite = delta.abs()?.max_all()?.to_scalar::<f32>()?.is_finite();
                    // Detached, so that no state keeps a computation graph alive.
                    let p = (var.as_tensor() - (delta * lr)?)?.detach();
                    Ok((m.detach(), v.detach(), p, finite))
                })(),
            )?;
            if !r.3 {
                return Err(Error::NotFinite {
                    name: "Adam update",
                    value: f64::NAN,
                });
            }
            updates.push(Some(r));
        }
        for (i, u) in updates.into_iter().enumerate() {
            if let Some((m, v, p, _)) = u {
                candle("Adam update", vars[i].set(&p))?;
                self.m[i] = m;
                self.v[i] = v;
            }
        }
        Ok(())
    }
}
