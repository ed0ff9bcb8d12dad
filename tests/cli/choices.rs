//! Typed choices on the command line: every choice among names lists its values in `--help`,
//! an unknown name exits with code 2 like any other argument error, options the chosen sampler
//! does not use are refused, and the step counts are spelled one way.

use std::process::{Command, Output};

use crate::common::TempDir;
use elucidated::sampler::SamplerName;

fn edm_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edm"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Asserts exit code 2 with one `edm: ` line on stderr mentioning `word`, and an empty
/// working directory.
fn assert_usage_error(dir: &TempDir, args: &[&str], word: &str) {
    let out = edm_in(dir.path(), args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "edm {args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "edm {args:?}: {err}");
    assert!(err.starts_with("edm: "), "edm {args:?}: {err}");
    assert!(err.contains(word), "edm {args:?}: {err} (want `{word}`)");
    assert!(dir.listing().is_empty(), "edm {args:?} left files");
}

#[test]
fn cli_unknown_names_exit_2() {
    let dir = TempDir::new("names");
    let cases: &[&[&str]] = &[
        &["steps", "--discretization", "foo", "--steps", "5"],
        &[
            "steps",
            "--discretization",
            "edm",
            "--n",
            "5",
            "--schedule",
            "foo",
        ],
        &[
            "steps",
            "--discretization",
            "iddpm",
            "--n",
            "5",
            "--iddpm-selection",
            "x",
        ],
        &["coefficients", "--schedule", "foo", "--t", "1"],
        &["coefficients", "--precond", "foo", "--t", "1"],
        &["oracle", "--samplers", "euler,bogus"],
        &["oracle", "--nfe", "7,x"],
        &["oracle", "--nfe", "0"],
        #[cfg(feature = "candle")]
        &["generate", "--sampler", "foo"],
        #[cfg(feature = "candle")]
        &["generate", "--discretization", "foo"],
        #[cfg(feature = "candle")]
        &["generate", "--device", "tpu"],
        #[cfg(feature = "candle")]
        &["generate", "--seeds", "5-3"],
        #[cfg(feature = "candle")]
        &["train", "--precond", "foo"],
        #[cfg(feature = "candle")]
        &["evaluate", "--samplers", "heun,foo"],
    ];
    for args in cases {
        assert_usage_error(&dir, args, "edm: ");
    }
}

#[cfg(feature = "candle")]
#[test]
fn cli_generate_help_lists_the_values_of_every_choice() {
    let dir = TempDir::new("help");
    let out = edm_in(dir.path(), &["generate", "-h"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let samplers: Vec<&str> = SamplerName::ALL.iter().map(|n| n.as_str()).collect();
    for values in [
        samplers.join(", ").as_str(),
        "vp, ve, iddpm, edm",
        "paper, nvlabs",
        "cpu, cuda",
    ] {
        assert!(
            help.contains(&format!("[possible values: {values}]")),
            "{values} missing from:\n{help}"
        );
    }
}

#[cfg(feature = "candle")]
#[test]
fn cli_eta_and_churn_are_refused_by_samplers_that_ignore_them() {
    let dir = TempDir::new("unused");
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "--sampler", "heun", "--eta", "0.5"], "--eta"),
        (
            &["generate", "--sampler", "ancestral", "--eta", "0.5"],
            "--eta",
        ),
        (
            &["generate", "--sampler", "euler", "--churn", "1,0,1,1"],
            "--churn",
        ),
        (
            &["generate", "--sampler", "ddim", "--churn", "40,0.05,50,1"],
            "--churn",
        ),
        (&["generate", "--churn", "40,0.05,50"], "--churn"),
    ];
    for (args, word) in cases {
        assert_usage_error(&dir, args, word);
    }
}

#[cfg(feature = "candle")]
#[test]
fn cli_classifier_needs_an_explicit_out() {
    let dir = TempDir::new("classifier");
    assert_usage_error(&dir, &["classifier"], "--out");
}

#[test]
fn cli_step_count_is_steps_with_n_as_alias() {
    let dir = TempDir::new("spelling");
    let run = |flag: &str| {
        let out = edm_in(dir.path(), &["steps", "--discretization", "edm", flag, "5"]);
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let steps = run("--steps");
    assert_eq!(String::from_utf8_lossy(&steps).lines().count(), 6);
    assert_eq!(steps, run("--n"));
}

/// `edm train --steps` (the old spelling of `--train-steps`) still parses: with a zero
/// checkpoint interval both spellings fail on that interval, not on the step count.
#[cfg(feature = "candle")]
#[test]
fn cli_train_steps_keeps_its_old_spelling() {
    let dir = TempDir::new("train");
    for flag in ["--train-steps", "--steps"] {
        let args = ["train", flag, "5", "--checkpoint-every", "0"];
        assert_usage_error(&dir, &args, "--checkpoint-every");
    }
}
