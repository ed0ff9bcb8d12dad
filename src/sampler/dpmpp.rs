//! DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) in the (s, sigma) formulation: a multistep
//! solver of the PF-ODE in y = x/s with lambda = -ln sigma, on the same step core.

use super::affine::{AffinePlan, AffineStep, Ends};
use super::grid::SigmaGrid;
use super::run::plan_sampler;

/// DPM-Solver++(2M): with y = x/s, h_i = ln(sigma_i / sigma_{i+1}) and r_i = h_{i-1} / h_i,
///
/// y_{i+1} = (sigma_{i+1}/sigma_i) y_i + (1 - sigma_{i+1}/sigma_i) D_d,
/// D_d = (1 + 1/(2 r_i)) D_i - 1/(2 r_i) D_{i-1},
///
/// and x_{i+1} = s_{i+1} y_{i+1}. The first step and a step into sigma = 0 use D_d = D_i (the
/// first-order step, which is DDIM at eta = 0); the method is second order (I24). NFE = N.
/// 1 - sigma_{i+1}/sigma_i = -expm1(-h_i) is formed as (sigma_i - sigma_{i+1}) / sigma_i.
#[derive(Debug, Clone, PartialEq)]
pub struct Dpmpp2m {
    plan: AffinePlan,
}

impl Dpmpp2m {
    /// The solver along `grid`.
    pub fn new(grid: &SigmaGrid) -> Self {
        let (sigma, scale) = (grid.sigmas(), grid.scales());
        let n = grid.steps();
        let steps = (0..n)
            .map(|i| {
                let (sc, sn) = (sigma[i], sigma[i + 1]);
                let phi = (sc - sn) / sc;
                let weight_prev = if i == 0 || sn == 0.0 {
                    0.0
                } else {
                    let h = (sc / sn).ln();
                    let h_last = (sigma[i - 1] / sc).ln();
                    h / (2.0 * h_last)
                };
                let ends = Ends {
                    sigma: sc,
                    scale: scale[i],
                    sigma_next: sn,
                    scale_next: scale[i + 1],
                };
                let c = [sn / sc, phi * (1.0 + weight_prev), -phi * weight_prev, 0.0];
                AffineStep::unscaled(ends, c)
            })
            .collect();
        Dpmpp2m {
            plan: AffinePlan::new(steps),
        }
    }
}

plan_sampler!(Dpmpp2m);
