//! The `edm` command-line tool.
fn main() {}
