//! Brownian noise (I37): one Brownian path per sample, seeded by the sample's seed, so that a
//! sampler asking for the noise of [a, b] receives (W(b) - W(a)) / sqrt(|b - a|) of that one
//! path — at any step count, in any order, on overlapping intervals alike.
//!
//! The path is a virtual Brownian tree on a fixed dyadic grid of 2^48 cells over the noise
//! levels [sigma_lo, sigma_hi] (the time of the path is sigma itself, as k-diffusion's
//! `BrownianTreeNoiseSampler` uses it): W(sigma_lo) = 0, W(sigma_hi) = sqrt(sigma_hi - sigma_lo)
//! Z, and the value at the midpoint m of a dyadic cell [l, r] is the Brownian bridge
//! W(m) = (W(l) + W(r))/2 + sqrt((r - l)/4) Z_m, where Z_m comes from a ChaCha stream keyed by
//! (sample seed, m). Every value of the path is thus a function of its position only: refining a
//! grid queries the same path, increments over disjoint intervals are independent and those
//! over overlapping intervals are correlated as the path dictates. A query is snapped to the
//! nearest grid point (2^-48 of the range: 3e-13 relative to sigma_hi for EDM's [0.002, 80]).

use super::noise::{NoiseRequest, NoiseSource};
use crate::error::{Error, Result, sigma_range};
use crate::noise::NoiseStream;
use crate::state::State;

/// Depth of the dyadic tree: the path is resolved to (sigma_hi - sigma_lo) 2^-48.
const DEPTH: u32 = 48;

/// The number of grid cells, 2^48 (exact in float64).
const CELLS: u64 = 1 << DEPTH;

/// Key domain of the tree's normals (the ASCII bytes of "brownian"), so that no keyed stream of
/// the tree coincides with another use of [`NoiseStream::keyed`].
const DOMAIN: u64 = u64::from_le_bytes(*b"brownian");

/// One Brownian path per sample over the noise levels [sigma_lo, sigma_hi] (I37).
///
/// ```
/// use elucidated::sampler::{BrownianNoise, NoiseRequest, NoiseSource};
/// use nalgebra::DVector;
///
/// let mut a = BrownianNoise::new(&[7], 0.002, 80.0)?;
/// let mut b = BrownianNoise::new(&[7], 0.002, 80.0)?;
/// let like = DVector::zeros(4);
/// let request = |from, to| NoiseRequest { step: 0, draw: 0, sigma_from: from, sigma_to: to };
/// // The increment over [1, 4] is the sum of those over [1, 2] and [2, 4], scaled back.
/// let whole = a.draw(&like, &request(4.0, 1.0))? * 3f64.sqrt();
/// let parts = b.draw(&like, &request(4.0, 2.0))? * 2f64.sqrt() + b.draw(&like, &request(2.0, 1.0))?;
/// assert!((whole - parts).amax() < 1e-12);
/// # Ok::<(), elucidated::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BrownianNoise {
    seeds: Vec<u64>,
    sigma_lo: f64,
    sigma_hi: f64,
}

impl BrownianNoise {
    /// The paths of the samples with `seeds` (one per sample of the batch, in order) over
    /// `0 < sigma_lo < sigma_hi`, finite. Requests must lie inside that range; to use the same
    /// path at every step count, give the same range (e.g. the discretisation's sigma_min and
    /// sigma_max) for every N.
    pub fn new(seeds: &[u64], sigma_lo: f64, sigma_hi: f64) -> Result<Self> {
        sigma_range(sigma_lo, sigma_hi)?;
        Ok(BrownianNoise {
            seeds: seeds.to_vec(),
            sigma_lo,
            sigma_hi,
        })
    }

    /// The grid point nearest `sigma`, which must lie in [sigma_lo, sigma_hi].
    fn point(&self, sigma: f64) -> Result<u64> {
        crate::error::in_range(
            "sigma of a Brownian query",
            sigma,
            self.sigma_lo,
            self.sigma_hi,
        )?;
        let u = (sigma - self.sigma_lo) / (self.sigma_hi - self.sigma_lo) * CELLS as f64;
        Ok((u.round() as u64).min(CELLS))
    }

    /// Standard normals for the grid point `m`, sample k's from its own keyed stream.
    fn normals<S: State>(&self, like: &S, m: u64) -> Result<S> {
        let mut streams: Vec<NoiseStream> = self
            .seeds
            .iter()
            .map(|&seed| NoiseStream::keyed(seed, [DOMAIN, m, 0]))
            .collect();
        like.randn_like(&mut streams)
    }

    /// W at the grid point `u`, by bisection from the ends of the range through the bridge
    /// values of the cells containing `u`.
    fn value<S: State>(&self, like: &S, u: u64) -> Result<S> {
        let cell = (self.sigma_hi - self.sigma_lo) / CELLS as f64;
        let zero = like.scale(0.0)?;
        if u == 0 {
            return Ok(zero);
        }
        let mut w_r = self
            .normals(like, CELLS)?
            .scale((CELLS as f64 * cell).sqrt())?;
        if u == CELLS {
            return Ok(w_r);
        }
        let (mut l, mut r, mut w_l) = (0u64, CELLS, zero);
        loop {
            let m = l + (r - l) / 2;
            let std = ((r - l) as f64 * cell / 4.0).sqrt();
            let mut w_m = w_l.lin_comb(0.5, &w_r, 0.5)?;
            w_m.lin_comb_assign(1.0, &self.normals(like, m)?, std)?;
            match u.cmp(&m) {
                std::cmp::Ordering::Equal => return Ok(w_m),
                std::cmp::Ordering::Less => (r, w_r) = (m, w_m),
                std::cmp::Ordering::Greater => (l, w_l) = (m, w_m),
            }
        }
    }
}

impl<S: State> NoiseSource<S> for BrownianNoise {
    /// (W(b) - W(a)) / sqrt(|b - a|) for the request's [a, b] = [sigma_from, sigma_to] (either
    /// order), the length measured on the grid so that the result is exactly standard normal.
    /// An interval shorter than one grid cell is an error.
    fn draw(&mut self, like: &S, request: &NoiseRequest) -> Result<S> {
        let (a, b) = (
            self.point(request.sigma_from)?,
            self.point(request.sigma_to)?,
        );
        if a == b {
            let cell = (self.sigma_hi - self.sigma_lo) / CELLS as f64;
            return Err(Error::OutOfRange {
                name: "length of a Brownian increment's interval",
                value: (request.sigma_to - request.sigma_from).abs(),
                min: cell,
                max: self.sigma_hi - self.sigma_lo,
            });
        }
        let length = a.abs_diff(b) as f64 * (self.sigma_hi - self.sigma_lo) / CELLS as f64;
        let (wa, wb) = (self.value(like, a)?, self.value(like, b)?);
        let inv = 1.0 / length.sqrt();
        wb.lin_comb(inv, &wa, -inv)
    }

    fn check(&self, like: &S) -> Result<()> {
        if self.seeds.len() == like.batch_size() {
            Ok(())
        } else {
            Err(Error::DimensionMismatch {
                what: "Brownian paths per sample",
                expected: like.batch_size(),
                got: self.seeds.len(),
            })
        }
    }
}
