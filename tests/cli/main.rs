//! The `edm` command line (feature `cli`): bad input, generation and the oracle, run as a user
//! runs them.
#![cfg(feature = "cli")]

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod choices;
mod convert;
mod generate;
mod oracle;
