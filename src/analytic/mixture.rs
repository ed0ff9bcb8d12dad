//! Gaussian-mixture data: exact noisy density, score and denoiser (I31).

use super::columns::ColumnState;
use super::gaussian::{DensityTerms, Gaussian, check_sigma};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result, positive};
use crate::noise::NoiseStream;
use nalgebra::{DMatrix, DVector};
use statrs::function::erf::erfc;
use std::f64::consts::SQRT_2;

/// Data from the mixture sum_k w_k N(mu_k, Sigma_k) (I31). The noisy density is
/// p(x; sigma) = sum_k w_k N(x; mu_k, Sigma_k + sigma^2 I); the denoiser is the
/// responsibility-weighted sum of the components' exact denoisers (I30),
/// D(x; sigma) = sum_k r_k(x; sigma) D_k(x; sigma), r_k proportional to w_k p_k(x; sigma).
///
/// Responsibilities are computed with log-sum-exp, so that points far from every component and
/// tiny sigma give exact responsibilities (a one-hot vector in the limit) instead of 0/0.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    weights: Vec<f64>,
    log_weights: Vec<f64>,
    components: Vec<Gaussian>,
}

/// The per-component quantities at one noise level.
struct Noisy {
    terms: Vec<DensityTerms>,
}

/// ln p(x; sigma) and the responsibilities r_k(x; sigma) of one sample.
struct Posterior {
    log_density: f64,
    responsibilities: Vec<f64>,
}

impl GaussianMixture {
    /// The mixture with positive finite `weights` (normalised by their sum) over `components`
    /// of one common dimension; at least one component.
    pub fn new(weights: &[f64], components: Vec<Gaussian>) -> Result<Self> {
        if components.is_empty() {
            return Err(Error::CountTooSmall {
                name: "mixture components",
                value: 0,
                min: 1,
            });
        }
        if weights.len() != components.len() {
            return Err(Error::DimensionMismatch {
                what: "mixture weights",
                expected: components.len(),
                got: weights.len(),
            });
        }
        let d = components[0].dim();
        if let Some(c) = components.iter().find(|c| c.dim() != d) {
            return Err(Error::DimensionMismatch {
                what: "mixture component dimension",
                expected: d,
                got: c.dim(),
            });
        }
        for &w in weights {
            positive("mixture weight", w)?;
        }
        let total = positive("sum of mixture weights", weights.iter().sum())?;
        let weights: Vec<f64> = weights.iter().map(|w| w / total).collect();
        Ok(GaussianMixture {
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            weights,
            components,
        })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.components[0].dim()
    }

    /// The normalised weights w_k.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The components N(mu_k, Sigma_k).
    pub fn components(&self) -> &[Gaussian] {
        &self.components
    }

    /// The mixture's mean sum_k w_k mu_k.
    pub fn mean(&self) -> DVector<f64> {
        self.components
            .iter()
            .zip(&self.weights)
            .fold(DVector::zeros(self.dim()), |acc, (c, w)| {
                acc + c.mean() * *w
            })
    }

    /// The mixture's covariance sum_k w_k (Sigma_k + (mu_k - m)(mu_k - m)^T), m the mean.
    pub fn covariance(&self) -> DMatrix<f64> {
        let m = self.mean();
        let d = self.dim();
        self.components
            .iter()
            .zip(&self.weights)
            .fold(DMatrix::zeros(d, d), |acc, (c, w)| {
                let dm = c.mean() - &m;
                acc + (c.covariance() + &dm * dm.transpose()) * *w
            })
    }

    /// p(x; sigma) as a mixture: every component convolved with N(0, sigma^2 I) (I31).
    pub fn noisy(&self, sigma: f64) -> Result<Self> {
        let components = self
            .components
            .iter()
            .map(|c| c.noisy(sigma))
            .collect::<Result<Vec<_>>>()?;
        Ok(GaussianMixture {
            weights: self.weights.clone(),
            log_weights: self.log_weights.clone(),
            components,
        })
    }

    /// The CDF of a one-dimensional mixture's noisy density p(x; sigma) (I31):
    /// P(X <= x) = sum_k w_k Phi((x - mu_k) / sqrt(v_k + sigma^2)), Phi(z) = erfc(-z / sqrt 2) / 2
    /// (no cancellation in the lower tail). A component of zero variance at sigma = 0 is a point
    /// mass: its CDF steps from 0 to 1 at mu_k. `sigma = 0` gives the data's CDF.
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`] unless the mixture is one-dimensional, [`Error::NotFinite`]
    /// for a NaN `x`, and the errors of an invalid `sigma` (outside [0, MAX_SIGMA]).
    pub fn cdf_1d(&self, x: f64, sigma: f64) -> Result<f64> {
        if self.dim() != 1 {
            return Err(Error::DimensionMismatch {
                what: "mixture dimension for a CDF",
                expected: 1,
                got: self.dim(),
            });
        }
        if x.is_nan() {
            return Err(Error::NotFinite {
                name: "x",
                value: x,
            });
        }
        check_sigma("sigma", sigma)?;
        let cdf = |c: &Gaussian| {
            let (mu, std) = (c.mean()[0], (c.covariance()[(0, 0)] + sigma * sigma).sqrt());
            if std == 0.0 {
                if x >= mu { 1.0 } else { 0.0 }
            } else {
                0.5 * erfc((mu - x) / (std * SQRT_2))
            }
        };
        Ok(self
            .weights
            .iter()
            .zip(&self.components)
            .map(|(w, c)| w * cdf(c))
            .sum())
    }

    /// One draw and the index of the component it came from: a uniform number from `stream`
    /// picks the component, then the component draws from the same stream.
    pub fn sample_labelled(&self, stream: &mut NoiseStream) -> (usize, DVector<f64>) {
        let u = stream.uniform();
        let mut cumulative = 0.0;
        let last = self.components.len() - 1;
        let k = self
            .weights
            .iter()
            .position(|w| {
                cumulative += w;
                u < cumulative
            })
            .unwrap_or(last);
        (k, self.components[k].sample(stream))
    }

    /// One draw (see [`GaussianMixture::sample_labelled`]).
    pub fn sample(&self, stream: &mut NoiseStream) -> DVector<f64> {
        self.sample_labelled(stream).1
    }

    /// One draw per stream, as columns: column j is bitwise [`GaussianMixture::sample`] of
    /// `streams[j]`.
    pub fn sample_batch(&self, streams: &mut [NoiseStream]) -> DMatrix<f64> {
        let columns: Vec<DVector<f64>> = streams.iter_mut().map(|s| self.sample(s)).collect();
        DMatrix::from_fn(self.dim(), columns.len(), |i, j| columns[j][i])
    }

    fn at(&self, sigma: f64) -> Result<Noisy> {
        let terms = self
            .components
            .iter()
            .map(|c| DensityTerms::new(c, sigma))
            .collect::<Result<Vec<_>>>()?;
        Ok(Noisy { terms })
    }

    fn check_state<X: ColumnState>(&self, x: &X) -> Result<()> {
        self.components[0].check_state(x)
    }

    /// The posterior of one sample; `zs` receives each component's eigenbasis coordinates
    /// z_k = Q_k^T (x - mu_k), reused by the caller.
    fn sample_posterior(
        &self,
        noisy: &Noisy,
        x: &[f64],
        zs: &mut [Vec<f64>],
        sigma: f64,
    ) -> Result<Posterior> {
        let joint: Vec<f64> = self
            .components
            .iter()
            .zip(&noisy.terms)
            .zip(&self.log_weights)
            .zip(zs.iter_mut())
            .map(|(((c, t), lw), z)| {
                c.coordinates(x, z);
                lw + t.log_density_at(z)
            })
            .collect();
        self.log_sum_exp(&joint, sigma)
    }

    /// (ln p(x; sigma), responsibilities) of one sample by log-sum-exp; an error where every
    /// component's density underflows to exactly zero (log -inf).
    fn log_sum_exp(&self, joint: &[f64], sigma: f64) -> Result<Posterior> {
        let m = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !m.is_finite() {
            return Err(Error::Overflow {
                what: "mixture log-density (every component underflows)",
                value: sigma,
            });
        }
        let mut r: Vec<f64> = joint.iter().map(|l| (l - m).exp()).collect();
        let total: f64 = r.iter().sum();
        r.iter_mut().for_each(|v| *v /= total);
        Ok(Posterior {
            log_density: m + total.ln(),
            responsibilities: r,
        })
    }

    fn scratch(&self) -> Vec<Vec<f64>> {
        vec![vec![0.0; self.dim()]; self.components.len()]
    }

    /// The posterior of every sample of `x`.
    fn posteriors<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<Vec<Posterior>> {
        self.check_state(x)?;
        let noisy = self.at(sigma)?;
        let mut zs = self.scratch();
        x.samples()
            .map(|col| self.sample_posterior(&noisy, col, &mut zs, sigma))
            .collect()
    }

    /// ln p(x; sigma) = ln sum_k w_k N(x; mu_k, Sigma_k + sigma^2 I) (I31), by log-sum-exp.
    pub fn log_density(&self, x: &DVector<f64>, sigma: f64) -> Result<f64> {
        Ok(self.log_densities(x, sigma)?[0])
    }

    /// ln p(x; sigma) of every sample (column) of `x`.
    pub fn log_densities<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<Vec<f64>> {
        let posteriors = self.posteriors(x, sigma)?;
        Ok(posteriors.into_iter().map(|p| p.log_density).collect())
    }

    /// The responsibilities r_k(x; sigma) = w_k p_k(x; sigma) / p(x; sigma) of one sample (I31).
    pub fn responsibilities(&self, x: &DVector<f64>, sigma: f64) -> Result<Vec<f64>> {
        let mut posteriors = self.posteriors(x, sigma)?;
        Ok(posteriors.remove(0).responsibilities)
    }

    /// The score grad_x ln p(x; sigma) = sum_k r_k grad_x ln p_k(x; sigma) (I05, I31), each
    /// component's score taken in its eigenbasis (see [`Gaussian::score`]).
    pub fn score<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<X> {
        self.check_state(x)?;
        let noisy = self.at(sigma)?;
        let factors: Vec<Vec<f64>> = noisy
            .terms
            .iter()
            .map(|t| t.inverse_variances.iter().map(|w| -w).collect())
            .collect();
        self.weighted_sum(x, &noisy, &factors, false, sigma)
    }

    /// D(x; sigma) = sum_k r_k D_k(x; sigma) (I31).
    fn denoise_columns<X: ColumnState>(&self, x: &X, sigma: f64) -> Result<X> {
        self.check_state(x)?;
        let noisy = self.at(sigma)?;
        let factors: Vec<Vec<f64>> = self
            .components
            .iter()
            .map(|c| c.denoiser_factors(sigma))
            .collect();
        self.weighted_sum(x, &noisy, &factors, true, sigma)
    }

    /// sum_k r_k ([mu_k +] Q_k diag(factors_k) z_k) per sample, in one pass over the samples
    /// that computes each component's coordinates z_k once; components with zero
    /// responsibility are skipped.
    fn weighted_sum<X: ColumnState>(
        &self,
        x: &X,
        noisy: &Noisy,
        factors: &[Vec<f64>],
        add_mean: bool,
        sigma: f64,
    ) -> Result<X> {
        let mut zs = self.scratch();
        let mut term = vec![0.0; self.dim()];
        let mut failure = None;
        let out = x.map_samples(|_, col, out| {
            if failure.is_some() {
                return;
            }
            let posterior = match self.sample_posterior(noisy, col, &mut zs, sigma) {
                Ok(p) => p,
                Err(e) => {
                    failure = Some(e);
                    return;
                }
            };
            let parts = self.components.iter().zip(factors).zip(zs.iter_mut());
            for (((c, f), z), &rk) in parts.zip(&posterior.responsibilities) {
                if rk > 0.0 {
                    z.iter_mut().zip(f).for_each(|(zk, fk)| *zk *= fk);
                    c.combine(z, add_mean, &mut term);
                    out.iter_mut().zip(&term).for_each(|(o, t)| *o += rk * t);
                }
            }
        });
        failure.map_or(Ok(out), Err)
    }
}

/// The exact denoiser of Gaussian-mixture data (I31), for one sample or a batch.
impl<X: ColumnState> Denoiser<X> for GaussianMixture {
    fn denoise(&self, x: &X, sigma: f64) -> Result<X> {
        self.denoise_columns(x, sigma)
    }
}
