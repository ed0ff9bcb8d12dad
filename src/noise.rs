//! Per-sample noise streams (design: determinism).
//!
//! The noise of sample k comes from its own ChaCha20 stream seeded by that sample's seed, so a
//! batch of samples is bitwise identical to the same samples drawn one at a time, whatever the
//! batch size or thread count.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// A stream of uniform and standard normal float64 numbers for one sample.
#[derive(Debug, Clone)]
pub struct NoiseStream {
    rng: ChaCha20Rng,
    spare: Option<f64>,
}

impl NoiseStream {
    /// The stream of the sample with seed `seed`.
    pub fn new(seed: u64) -> Self {
        NoiseStream {
            rng: ChaCha20Rng::seed_from_u64(seed),
            spare: None,
        }
    }

    /// The stream of `key` within the sample with seed `seed`: an independent ChaCha20 stream
    /// seeded by all 256 bits of (seed, key), for noise that must be a function of its position
    /// (a node of a Brownian tree) rather than of the order of the draws.
    pub fn keyed(seed: u64, key: [u64; 3]) -> Self {
        let mut bytes = [0u8; 32];
        for (chunk, word) in bytes
            .chunks_exact_mut(8)
            .zip([seed, key[0], key[1], key[2]])
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        NoiseStream {
            rng: ChaCha20Rng::from_seed(bytes),
            spare: None,
        }
    }

    /// One stream per seed.
    pub fn for_seeds(seeds: &[u64]) -> Vec<Self> {
        seeds.iter().map(|&s| Self::new(s)).collect()
    }

    /// A uniform number in the open interval (0, 1): the top 53 bits of a 64-bit draw, offset by
    /// half a step so that neither 0 nor 1 occurs.
    pub fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal number (Box–Muller; the second value of each pair is kept for the
    /// next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * self.uniform()).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// Shuffles `items` in place (Fisher–Yates, one uniform number per position from the end).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = ((self.uniform() * (i + 1) as f64) as usize).min(i);
            items.swap(i, j);
        }
    }

    /// Fills `out` with standard normal numbers.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        for v in out {
            *v = self.normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_bitwise() {
        let (mut a, mut b) = (NoiseStream::new(7), NoiseStream::new(7));
        for _ in 0..100 {
            assert_eq!(a.normal().to_bits(), b.normal().to_bits());
        }
    }

    #[test]
    fn uniform_is_inside_the_open_interval() {
        let mut s = NoiseStream::new(1);
        for _ in 0..10_000 {
            let u = s.uniform();
            assert!(u > 0.0 && u < 1.0);
        }
    }
}
