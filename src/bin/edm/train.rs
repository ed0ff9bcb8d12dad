//! `edm train`: trains a class-conditional SongUNet on the embedded digits with the EDM loss
//! (or VP / VE / iDDPM for comparison), resuming from `<out>/state.safetensors` when it exists.
//!
//! Files in `--out`: `state.safetensors` (the whole training state), `model-ema.safetensors`
//! (the EMA weights as a model file for `edm generate`), `loss.csv` (step, images, loss,
//! learning rate) and `loss.png`, all rewritten atomically at every checkpoint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use elucidated::Error;
use elucidated::digits::mnist::{CLASSES, Mnist, PADDED_SIDE};
use elucidated::digits::train::{TrainConfig, Trainer};
use elucidated::family::Family;
use elucidated::io::write_atomic;
use elucidated::nn::SongUNetConfig;
use elucidated::nn::model::{ModelPrecond, ModelSpec};

use crate::common::{DeviceName, device, progress_bar};
use crate::error::CliError;

mod curve;

/// Arguments of `edm train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Directory of the run (created if needed; an existing state there is resumed, and then
    /// the hyper-parameters below are those of the state).
    #[arg(long, default_value = "runs/digits")]
    out: PathBuf,
    /// Train until this many training steps have been taken in total.
    #[arg(long, alias = "steps", default_value_t = 10_000)]
    train_steps: u64,
    /// Write the state, the EMA model and the loss curve every this many steps.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
    /// Preconditioning and loss (Table 1).
    #[arg(long, value_enum, default_value_t = Family::Edm)]
    precond: Family,
    /// sigma_data of the EDM preconditioning; by default the root mean square of the training
    /// digits, so that the network's inputs and targets have unit second moment (I17, I18) and
    /// the loss at initialisation is 1 (I22) although the digits' mean is not 0.
    #[arg(long)]
    sigma_data: Option<f64>,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Adam's learning rate after warm-up.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Warm-up of the learning rate, in thousands of images.
    #[arg(long, default_value_t = 10.0)]
    lr_rampup_kimg: f64,
    /// EMA half-life in thousands of images.
    #[arg(long, default_value_t = 500.0)]
    ema_halflife_kimg: f64,
    /// The EMA half-life is at most this fraction of the images seen.
    #[arg(long, default_value_t = 0.05)]
    ema_rampup_ratio: f64,
    /// Probability of dropping a sample's label (for classifier-free guidance).
    #[arg(long, default_value_t = 0.1)]
    label_dropout: f64,
    /// Seed of every random number of the run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// SongUNet's model_channels.
    #[arg(long, default_value_t = 32)]
    channels: usize,
    /// SongUNet's channel_mult, comma-separated.
    #[arg(long, default_value = "1,2,2", value_delimiter = ',')]
    channel_mult: Vec<usize>,
    /// SongUNet's num_blocks per resolution.
    #[arg(long, default_value_t = 1)]
    blocks: usize,
    /// Resolutions with self-attention, comma-separated (`--attn` alone for none).
    #[arg(long, default_value = "8", value_delimiter = ',', num_args = 0..)]
    attn: Vec<usize>,
    /// Train without class labels.
    #[arg(long)]
    unconditional: bool,
    /// Start a fresh run from the weights of this model file (a `model-ema.safetensors` of the
    /// same network and preconditioning) instead of the seeded initialisation; Adam's moments
    /// and the learning-rate warm-up start again. Not allowed when `--out` holds a state.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Device to train on (cuda needs a build with `--features cuda`). The run is seeded and
    /// deterministic on the CPU; a state written on one device resumes on the other.
    #[arg(long, value_enum, default_value_t = DeviceName::Cpu)]
    device: DeviceName,
}

impl TrainArgs {
    fn config(&self, rms: f64) -> Result<TrainConfig, Error> {
        let network = SongUNetConfig {
            label_dim: if self.unconditional { 0 } else { CLASSES },
            model_channels: self.channels,
            channel_mult: self.channel_mult.clone(),
            num_blocks: self.blocks,
            attn_resolutions: self.attn.clone(),
            dropout: 0.0,
            ..SongUNetConfig::new(PADDED_SIDE, 1, 1)
        };
        let model = ModelSpec {
            network,
            precond: ModelPrecond::paper(self.precond, self.sigma_data.unwrap_or(rms))?,
        };
        let config = TrainConfig {
            batch: self.batch,
            lr: self.lr,
            lr_rampup_images: self.lr_rampup_kimg * 1e3,
            ema_halflife_images: self.ema_halflife_kimg * 1e3,
            ema_rampup_ratio: self.ema_rampup_ratio,
            label_dropout: self.label_dropout,
            seed: self.seed,
            ..TrainConfig::new(model)
        };
        config.validate()?;
        Ok(config)
    }
}

/// One row of `loss.csv`.
type Row = (u64, f64, f64);

fn read_history(path: &Path, before: u64) -> Result<Vec<Row>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let parsed = (f.len() == 4)
            .then(|| Some((f[0].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten();
        let row: Row = parsed.ok_or_else(|| Error::Parse {
            what: format!("{} line {}", path.display(), i + 1),
            detail: "expected `step,images,loss,lr`".to_owned(),
        })?;
        if row.0 < before {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn write_history(path: &Path, rows: &[Row], batch: usize) -> Result<(), Error> {
    let mut text = String::from("step,images,loss,lr\n");
    for (step, loss, lr) in rows {
        text.push_str(&format!(
            "{step},{},{loss},{lr}\n",
            (step + 1) * batch as u64
        ));
    }
    write_atomic(path, text.as_bytes())
}

fn checkpoint(trainer: &Trainer, out: &Path, rows: &[Row]) -> Result<(), CliError> {
    trainer.save_state(out.join("state.safetensors"))?;
    trainer.save_ema_model(out.join("model-ema.safetensors"))?;
    write_history(&out.join("loss.csv"), rows, trainer.config().batch)?;
    curve::png(&out.join("loss.png"), rows)
}

/// Runs `edm train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let device = device(args.device)?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let data = Mnist::embedded()?;
    let (train, _) = data.split();
    let state = args.out.join("state.safetensors");
    let mut trainer = if state.exists() {
        if let Some(init) = &args.init {
            return Err(CliError::Usage(format!(
                "--init {} would start a fresh run, but {} holds a state to resume",
                init.display(),
                state.display()
            )));
        }
        let t = Trainer::resume(&state, &data, &train, &device)?;
        eprintln!("resuming {} at step {}", state.display(), t.step());
        t
    } else {
        let pixels = data.padded_f32(&train)?;
        let mean_square = pixels.iter().map(|&p| f64::from(p).powi(2)).sum::<f64>();
        let rms = (mean_square / pixels.len() as f64).sqrt();
        let mut t = Trainer::new(args.config(rms)?, &data, &train, &device)?;
        if let Some(init) = &args.init {
            let bytes = elucidated::io::read(init)?;
            t.initialise_from(&bytes, &init.display().to_string())?;
            eprintln!("initialised from {}", init.display());
        }
        t
    };
    let mut rows = read_history(&args.out.join("loss.csv"), trainer.step())?;
    if trainer.step() == 0 {
        let loss = trainer.peek_loss()?;
        eprintln!(
            "{} trained parameters; loss at initialisation {loss:.4} per dimension",
            trainer.parameter_count()
        );
    }
    let start = trainer.step();
    let bar = progress_bar(
        args.train_steps.saturating_sub(start) as usize,
        "{bar:30} {pos}/{len} step {msg} [{elapsed_precise}<{eta}]",
    )?;
    let clock = Instant::now();
    while trainer.step() < args.train_steps {
        let r = trainer.train_step()?;
        rows.push((r.step, r.loss, r.lr));
        let recent = &rows[rows.len().saturating_sub(50)..];
        let mean = recent.iter().map(|r| r.1).sum::<f64>() / recent.len() as f64;
        let per_step = clock.elapsed().as_secs_f64() / (trainer.step() - start) as f64;
        bar.set_message(format!(
            "{} loss {mean:.4} ({per_step:.2} s/step)",
            trainer.step()
        ));
        bar.inc(1);
        if trainer.step() % args.checkpoint_every == 0 || trainer.step() == args.train_steps {
            checkpoint(&trainer, &args.out, &rows)?;
            if bar.is_hidden() {
                eprintln!(
                    "step {} loss {mean:.4} ({per_step:.2} s/step)",
                    trainer.step()
                );
            }
        }
    }
    bar.finish();
    if trainer.step() == start {
        checkpoint(&trainer, &args.out, &rows)?;
    }
    eprintln!(
        "step {}: {} written",
        trainer.step(),
        args.out.join("model-ema.safetensors").display()
    );
    Ok(())
}
