//! Data sets shipped inside the crate, so that nothing is downloaded at build or run time.
//!
//! The files live under `data/` in the repository, each with its license and provenance, and
//! are embedded in the binary with `include_bytes!`.

#[cfg(feature = "candle")]
#[cfg_attr(docsrs, doc(cfg(feature = "candle")))]
pub mod mnist;
