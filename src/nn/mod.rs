//! Neural networks for EDM on candle (feature `candle`): fast CPU ops and the NVlabs networks.
//!
//! The networks here are the raw denoiser networks `F(x_in, c_noise, class_labels)` of
//! Karras et al. (2022), Table 1; the preconditioning `D = c_skip x + c_out F(c_in x, c_noise)`
//! is applied by the core, which computes every coefficient.

pub mod ops;
