//! The linear multistep method in sigma (k-diffusion's `sample_lms`): Adams–Bashforth on the
//! sigma = t, s = 1 ODE dy/dsigma = (y - D)/sigma for the unscaled state y = x/s (I35), its
//! coefficients the exact integrals of the Lagrange basis polynomials.

use super::grid::SigmaGrid;
use super::noise::NoiseSource;
use super::run::{Options, Sample, Sampler};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::state::State;

/// The largest order accepted (k-diffusion's default).
pub const MAX_LMS_ORDER: usize = 4;

/// c_j = integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial of node
/// sigma_{i-j} on the nodes sigma_i, ..., sigma_{i-p+1} (I35): with u = tau - sigma_i the basis
/// is a product of p - 1 linear factors, expanded into monomials and integrated exactly
/// (int_0^h u^m du = h^(m+1)/(m+1)), so no quadrature error enters (k-diffusion integrates
/// numerically with `scipy.integrate.quad` at a relative tolerance of 1e-4).
fn coefficients(sigma: &[f64], i: usize, p: usize) -> Vec<f64> {
    let h = sigma[i + 1] - sigma[i];
    let node = |k: usize| sigma[i - k] - sigma[i];
    (0..p)
        .map(|j| {
            // Monomial coefficients of prod_{k != j} (u - u_k), lowest degree first.
            let mut poly = vec![1.0];
            let mut denominator = 1.0;
            for k in (0..p).filter(|&k| k != j) {
                let uk = node(k);
                let mut next = vec![0.0; poly.len() + 1];
                for (m, &c) in poly.iter().enumerate() {
                    next[m + 1] += c;
                    next[m] -= uk * c;
                }
                poly = next;
                denominator *= node(j) - uk;
            }
            let integral: f64 = poly
                .iter()
                .enumerate()
                .map(|(m, &c)| c * h.powi(m as i32 + 1) / (m + 1) as f64)
                .sum();
            integral / denominator
        })
        .collect()
}

/// LMS of order p in 1..=4: y_{i+1} = y_i + sum_{j < p_i} c_j d_{i-j}, d = (y - D)/sigma, with
/// p_i = min(i + 1, p) (the first steps use the orders their history allows). Order 1 is Euler
/// in sigma (DDIM at eta = 0). NFE = N.
#[derive(Debug, Clone, PartialEq)]
pub struct Lms {
    grid: SigmaGrid,
    coefficients: Vec<Vec<f64>>,
}

impl Lms {
    /// LMS of `order` (1 to 4) along `grid`.
    pub fn new(grid: &SigmaGrid, order: usize) -> Result<Self> {
        if !(1..=MAX_LMS_ORDER).contains(&order) {
            return Err(Error::OutOfRange {
                name: "LMS order",
                value: order as f64,
                min: 1.0,
                max: MAX_LMS_ORDER as f64,
            });
        }
        let sigma = grid.sigmas();
        let coefficients = (0..grid.steps())
            .map(|i| coefficients(sigma, i, (i + 1).min(order)))
            .collect();
        Ok(Lms {
            grid: grid.clone(),
            coefficients,
        })
    }

    /// The coefficients c_0, ..., c_{p_i - 1} of step i (`None` past the last step).
    pub fn step_coefficients(&self, i: usize) -> Option<&[f64]> {
        self.coefficients.get(i).map(Vec::as_slice)
    }
}

impl Sampler for Lms {
    fn steps(&self) -> usize {
        self.grid.steps()
    }

    fn nfe(&self) -> usize {
        self.steps()
    }

    fn sample_with<S, D, N>(
        &self,
        denoiser: &D,
        latent: &S,
        noise: &mut N,
        options: Options<'_, S>,
    ) -> Result<Sample<S>>
    where
        S: State,
        D: Denoiser<S> + ?Sized,
        N: NoiseSource<S> + ?Sized,
    {
        let sigma = self.grid.sigmas();
        // d_i, d_{i-1}, ... most recent first.
        let mut slopes: Vec<S> = Vec::with_capacity(MAX_LMS_ORDER);
        self.grid
            .run((denoiser, latent, noise), options, |run, y, i| {
                let (s, c) = (sigma[i], &self.coefficients[i]);
                let denoised = run.denoise(y, s)?;
                slopes.insert(0, y.lin_comb(1.0 / s, &denoised, -1.0 / s)?);
                slopes.truncate(c.len());
                for (d, &cj) in slopes.iter().zip(c) {
                    y.lin_comb_assign(1.0, d, cj)?;
                }
                Ok(denoised)
            })
    }
}
