//! `edm convert` on the NVlabs-structured fixtures (`tests/data/nvlabs`): the model file it
//! writes generates with `edm generate --model`; a pickle that is not a network is a one-line
//! typed error.
#![cfg(all(feature = "cli", feature = "candle"))]

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::TempDir;

fn edm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edm"))
        .args(args)
        .output()
        .expect("edm runs")
}

fn fixture(name: &str) -> String {
    [env!("CARGO_MANIFEST_DIR"), "tests", "data", "nvlabs", name]
        .iter()
        .collect::<PathBuf>()
        .display()
        .to_string()
}

#[test]
fn converted_pickles_generate() {
    let dir = TempDir::new("cli-convert");
    for name in ["edm_ddpmpp", "vp_ddpmpp_cond"] {
        let model = dir
            .join(format!("{name}.safetensors"))
            .display()
            .to_string();
        let out = edm(&["convert", &fixture(&format!("{name}.pkl")), "--out", &model]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("SongUNet"));
        let grid = dir.join(format!("{name}.png")).display().to_string();
        let out = edm(&[
            "generate", "--model", &model, "--seeds", "0-1", "--steps", "2", "--out", &grid,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let img = image::open(&grid).expect("a grid");
        assert!(img.width() >= 8 && img.height() >= 8);
    }
}

#[test]
fn a_pickle_that_is_not_a_network_is_a_one_line_error() {
    let dir = TempDir::new("cli-convert-bad");
    let bad = dir.join("bad.pkl");
    std::fs::write(
        &bad,
        [0x80, 4, 0x8c, 2, b'o', b's', 0x8c, 1, b'x', 0x93, b'.'],
    )
    .unwrap();
    let model = dir.join("m.safetensors");
    let out = edm(&[
        "convert",
        bad.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`os.x`") && err.contains("not allowed"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!model.exists());
}
