//! `edm oracle` end to end: a small run writes a table with one row per cell and a PNG.

use std::process::Command;

use crate::common::TempDir;

#[test]
fn oracle_writes_table_and_plot() {
    let out = TempDir::new("oracle-table");
    let status = Command::new(env!("CARGO_BIN_EXE_edm"))
        .args(["oracle", "--nfe", "7,15", "--samplers", "heun,stochastic"])
        .args(["--mixture-samples", "40", "--out"])
        .arg(out.path())
        .output()
        .expect("edm runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let table = std::fs::read_to_string(out.join("oracle.md")).unwrap();
    // 2 data sets x 2 samplers x 4 discretisations x 3 schedules x 2 NFE values.
    let rows = table
        .lines()
        .filter(|l| l.starts_with("| heun") || l.starts_with("| stochastic"));
    assert_eq!(rows.count(), 96);
    assert!(!table.contains("error:"), "{table}");
    let png = std::fs::read(out.join("oracle.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn oracle_rejects_bad_arguments() {
    let scratch = TempDir::new("oracle-bad");
    for args in [
        ["--samplers", "nonesuch"],
        ["--nfe", "0"],
        ["--nfe", "3.5"],
        ["--mixture-samples", "1"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_edm"))
            .arg("oracle")
            .args(args)
            .arg("--out")
            .arg(scratch.path())
            .output()
            .expect("edm runs");
        // Command-line parse errors, as for clap's own: exit code 2.
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("edm: ") && err.lines().count() == 1,
            "{err}"
        );
    }
}
