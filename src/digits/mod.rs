//! The digits demo: the MNIST digits shipped inside the crate (nothing is downloaded at build
//! or run time), the trainer of a class-conditional EDM model on them (`edm train`), and the
//! independent classifier that scores generated digits (`edm evaluate`).
//!
//! The data files live under `data/` in the repository, each with its license and
//! provenance, and are embedded in the binary with `include_bytes!`.

pub mod classifier;
pub mod mnist;
pub mod train;
