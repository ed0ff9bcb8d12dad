//! `edm classifier`: trains the digit classifier of `edm evaluate` on the training split and
//! reports its accuracy on the held-out split.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use elucidated::digits::classifier::{ClassifierConfig, digits_tensor, train_classifier};
use elucidated::digits::mnist::Mnist;

use crate::common::progress_bar;
use crate::error::CliError;

/// Arguments of `edm classifier`.
#[derive(Debug, Args)]
pub struct ClassifierArgs {
    /// Passes over the 9,000 training digits.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Seed of the weights, the data order and the translations.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write the classifier (safetensors); required, so that no run overwrites the
    /// committed `assets/models/classifier.safetensors` by accident.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `edm classifier`.
pub fn run(args: &ClassifierArgs) -> Result<(), CliError> {
    let data = Mnist::embedded()?;
    let (train, held_out) = data.split();
    let config = ClassifierConfig {
        epochs: args.epochs,
        seed: args.seed,
        ..ClassifierConfig::default()
    };
    let bar = progress_bar(
        0,
        "{bar:40} {pos}/{len} steps, loss {msg} [{elapsed_precise}]",
    )?;
    let start = Instant::now();
    let classifier = train_classifier(&config, &data, &train, |step, steps, loss| {
        bar.set_length(steps as u64);
        bar.set_position(step as u64);
        bar.set_message(format!("{loss:.4}"));
    })?;
    bar.finish_and_clear();
    let predicted = classifier.predict(&digits_tensor(&data, &held_out)?)?;
    let hits = held_out
        .iter()
        .zip(&predicted)
        .filter(|&(&i, &p)| data.label(i).map(usize::from).ok() == Some(p))
        .count();
    classifier.save(&args.out)?;
    eprintln!(
        "held-out accuracy {:.2}% ({hits}/{}); trained in {:.0} s; written to {}",
        100.0 * hits as f64 / held_out.len() as f64,
        held_out.len(),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
