//! `edm convert`: an NVlabs/edm network pickle (`network-snapshot-*.pkl`) to a model file, read
//! as data in pure Rust (nothing in the pickle is executed).

use crate::error::CliError;
use elucidated::nn::convert::convert_file;
use std::path::PathBuf;

/// Arguments of `edm convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The network pickle written by NVlabs/edm's training (its `ema` network is converted).
    network: PathBuf,
    /// The model file to write (safetensors with the model's description), for `--model`.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `edm convert`.
pub fn run(args: &ConvertArgs) -> Result<(), CliError> {
    let c = convert_file(&args.network, &args.out)?;
    let n = &c.spec.network;
    let range = c
        .sigma_range
        .map(|(lo, hi)| format!(", sigma in [{lo}, {hi}]"))
        .unwrap_or_default();
    let fp16 = if c.use_fp16 {
        " (NVlabs ran it in float16 on GPUs; the weights are float32)"
    } else {
        ""
    };
    eprintln!(
        "{}: {} ({}{range}), SongUNet {}x{}x{}, label_dim {}, {} tensors{fp16} -> {}",
        args.network.display(),
        c.precond_class,
        c.spec.precond.family(),
        n.in_channels,
        n.img_resolution,
        n.img_resolution,
        n.label_dim,
        c.tensors.len(),
        args.out.display()
    );
    Ok(())
}
