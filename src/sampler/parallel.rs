//! Sampling a batch on several threads, bitwise identical for every thread count.

use super::run::{Sampler, generate};
use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Samples one column per seed, the seeds split into `threads` contiguous blocks that are
/// sampled as batches on their own threads, then joined in seed order.
///
/// Sample k depends only on `seeds[k]` ([`generate`]), so the result is bitwise the same for
/// every thread count and batch split, provided the denoiser treats the columns of a batch
/// independently (as an exact analytic denoiser applied column by column does).
pub fn generate_columns<P, D>(
    sampler: &P,
    denoiser: &D,
    dim: usize,
    seeds: &[u64],
    threads: usize,
) -> Result<DMatrix<f64>>
where
    P: Sampler + Sync + ?Sized,
    D: Denoiser<DMatrix<f64>> + Sync + ?Sized,
{
    if threads == 0 {
        return Err(Error::CountTooSmall {
            name: "threads",
            value: 0,
            min: 1,
        });
    }
    if seeds.is_empty() {
        return Ok(DMatrix::zeros(dim, 0));
    }
    let block = seeds.len().div_ceil(threads);
    let blocks: Vec<Result<DMatrix<f64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(block)
            .map(|chunk| {
                scope.spawn(move || {
                    generate(sampler, denoiser, &DMatrix::zeros(dim, chunk.len()), chunk)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let blocks = blocks.into_iter().collect::<Result<Vec<_>>>()?;
    let columns: Vec<_> = blocks.iter().flat_map(|b| b.column_iter()).collect();
    Ok(DMatrix::from_columns(&columns))
}
