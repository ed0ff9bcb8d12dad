//! The `edm` binary on bad input: wrong flags, NaN/inf/negative numbers, missing or corrupt
//! files and output paths that cannot be written. Every case must fail with one clear line
//! `edm: ...` on stderr, exit code 1 (bad value) or 2 (bad command line), nothing on stdout, no
//! panic or backtrace even with RUST_BACKTRACE=1, and no output or temporary file left behind.

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use crate::common::TempDir;

/// The longest stderr line a failure may print: one sentence naming the value, not a dump.
const MAX_LINE: usize = 400;

fn edm_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edm"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

/// Asserts a clean failure and returns its stderr line.
fn assert_clean_failure(args: &[&str], out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    assert!(
        matches!(code, Some(1) | Some(2)),
        "edm {args:?}: exit {:?} (want 1 or 2), stderr: {stderr}",
        out.status
    );
    assert!(out.stdout.is_empty(), "edm {args:?}: wrote to stdout");
    let line = stderr
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("edm {args:?}: stderr does not end with a newline: {stderr:?}"));
    assert!(
        !line.contains('\n'),
        "edm {args:?}: more than one line: {stderr}"
    );
    assert!(line.starts_with("edm: "), "edm {args:?}: {line}");
    assert!(line.len() <= MAX_LINE, "edm {args:?}: {} chars", line.len());
    assert!(
        !line.chars().any(char::is_control),
        "edm {args:?}: control character"
    );
    for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!line.contains(word), "edm {args:?}: {line}");
    }
    line.to_owned()
}

fn assert_fails(dir: &Path, args: &[&str]) -> String {
    assert_clean_failure(args, &edm_in(dir, args))
}

const STEPS_EDM: [&str; 5] = ["steps", "--discretization", "edm", "--n", "5"];

/// Unknown, missing and conflicting flags and names.
#[test]
fn cli_wrong_flags_fail_with_one_line() {
    let dir = TempDir::new("flags");
    let cases: &[&[&str]] = &[
        &[],
        &["--bogus"],
        &["frobnicate"],
        &["steps"],
        &["steps", "--discretization", "edm"],
        &["steps", "--discretization", "edm", "--n"],
        &["steps", "--discretization", "edm", "--n", "five"],
        &["steps", "--discretization", "edm", "--n", "-1"],
        &[
            "steps",
            "--discretization",
            "edm",
            "--n",
            "18446744073709551616",
        ],
        &["steps", "--discretization", "foo", "--n", "5"],
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
            "edm",
            "--n",
            "5",
            "--bogus",
            "1",
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
        &["coefficients"],
        &["coefficients", "--t", "1", "--t-file", "x"],
        &["coefficients", "--schedule", "foo", "--t", "1"],
        &["coefficients", "--precond", "foo", "--t", "1"],
        &["coefficients", "--t"],
    ];
    for args in cases {
        assert_fails(dir.path(), args);
    }
    assert!(dir.listing().is_empty());
}

/// Every numeric parameter with NaN, infinite, negative, zero or out-of-range values.
#[test]
fn cli_bad_numbers_fail_with_one_line() {
    let dir = TempDir::new("numbers");
    let steps = |disc: &'static str, extra: &[&'static str]| {
        let mut a = vec!["steps", "--discretization", disc, "--n", "5"];
        a.extend_from_slice(extra);
        a
    };
    let mut cases: Vec<Vec<&str>> = Vec::new();
    for v in ["nan", "NaN", "inf", "-inf", "-1", "0", "1e400"] {
        for flag in ["--sigma-min", "--sigma-max", "--rho"] {
            cases.push(steps("edm", &[flag, v]));
        }
        cases.push(steps("ve", &["--sigma-min", v]));
        cases.push(steps("iddpm", &["--c1", v]));
        cases.push(["coefficients", "--t", v, "--sigma-data", "0.5"].to_vec());
        cases.push(["coefficients", "--t", "1", "--sigma-data", v].to_vec());
    }
    for v in ["nan", "inf", "-inf", "-1", "1e4"] {
        cases.push(steps("vp", &["--beta-d", v]));
        cases.push(steps("vp", &["--beta-min", v]));
        cases.push(
            [
                "coefficients",
                "--schedule",
                "vp",
                "--t",
                "0.5",
                "--beta-d",
                v,
            ]
            .to_vec(),
        );
    }
    for v in ["nan", "inf", "-inf", "-1", "1e308"] {
        cases.push(steps("iddpm", &["--c2", v]));
    }
    for v in ["nan", "0", "1", "-1", "2"] {
        cases.push(steps("vp", &["--eps-s", v]));
    }
    cases.extend([
        steps("edm", &["--sigma-min", "80", "--sigma-max", "0.002"]),
        steps("vp", &["--sigma-min", "nan", "--sigma-max", "80"]),
        steps("iddpm", &["--c1", "2"]),
        steps("iddpm", &["--c1", "1e-320"]),
        steps("iddpm", &["--m", "0"]),
        steps("iddpm", &["--m", "1"]),
        steps("iddpm", &["--m", "100000000000"]),
        steps("iddpm", &["--m", "18446744073709551615"]),
        steps("iddpm", &["--j0", "999"]),
        steps("iddpm", &["--j0", "18446744073709551615"]),
        steps(
            "iddpm",
            &["--iddpm-selection", "nvlabs", "--sigma-min", "nan"],
        ),
        steps(
            "iddpm",
            &[
                "--iddpm-selection",
                "nvlabs",
                "--sigma-min",
                "1e3",
                "--sigma-max",
                "2e3",
            ],
        ),
        ["steps", "--discretization", "edm", "--n", "0"].to_vec(),
        ["steps", "--discretization", "edm", "--n", "100000000000000"].to_vec(),
        [
            "steps",
            "--discretization",
            "edm",
            "--n",
            "18446744073709551615",
        ]
        .to_vec(),
        [
            "steps",
            "--discretization",
            "edm",
            "--n",
            "5",
            "--schedule",
            "ve",
            "--sigma-max",
            "1e300",
        ]
        .to_vec(),
        ["coefficients", "--t", "1,,x"].to_vec(),
        ["coefficients", "--t", ""].to_vec(),
        ["coefficients", "--t", " , "].to_vec(),
        ["coefficients", "--t", "1e-200"].to_vec(),
        ["coefficients", "--schedule", "vp", "--t", "2"].to_vec(),
    ]);
    for args in &cases {
        assert_fails(dir.path(), args);
    }
    assert!(dir.listing().is_empty());
}

/// --t-file that is missing, a directory, not UTF-8, empty, or holds garbage.
#[test]
fn cli_missing_or_corrupt_time_files_fail_with_one_line() {
    let dir = TempDir::new("tfile");
    let files: &[(&str, &[u8])] = &[
        ("binary", b"\xff\xfe\x00\x01"),
        ("word", b"0.5, 1.0, abc\n"),
        ("empty", b""),
        ("separators", b" ,\n,\t, "),
        ("nul", b"1\x002"),
        ("escape", b"1 \x1b[2J 2"),
        ("nan", b"0.5\nnan\n"),
        ("negative", b"-3"),
    ];
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
    fs::write(
        dir.join("huge"),
        vec![b'7'; 1 << 20]
            .iter()
            .chain(b"x")
            .copied()
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    fs::create_dir(dir.join("subdir")).unwrap();
    let before = dir.listing();
    for name in before
        .iter()
        .map(String::as_str)
        .chain(["missing", "missing\nname"])
    {
        assert_fails(dir.path(), &["coefficients", "--t-file", name]);
        assert_fails(
            dir.path(),
            &["coefficients", "--t-file", name, "--out", "out.jsonl"],
        );
    }
    assert_eq!(dir.listing(), before, "files left behind");
}

/// Output paths that cannot be written: a missing directory, a directory, a path below a
/// regular file, a read-only file system, a name too long for the file system.
#[test]
fn cli_unwritable_outputs_fail_and_leave_nothing() {
    let dir = TempDir::new("out");
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("file"), b"keep").unwrap();
    let long = "a".repeat(300);
    let targets = [
        "/nonexistent/dir/x",
        "sub",
        "sub/",
        ".",
        "..",
        "file/x",
        "/proc/edm-out",
        "/nonexistent/two\nlines",
        long.as_str(),
    ];
    for out in targets {
        let mut args = STEPS_EDM.to_vec();
        args.extend(["--out", out]);
        assert_fails(dir.path(), &args);
    }
    assert_eq!(dir.listing(), ["file", "sub"]);
    assert!(fs::read_dir(dir.join("sub")).unwrap().next().is_none());
    assert_eq!(fs::read(dir.join("file")).unwrap(), b"keep");
}

/// A directory without write permission: a clean failure that leaves nothing. (Permission
/// bits do not bind the superuser; there the write must instead succeed completely.)
#[test]
fn cli_read_only_directory_fails_cleanly_or_writes_completely() {
    let dir = TempDir::new("ro");
    let ro = dir.join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let writable = fs::File::create(ro.join("probe")).is_ok();
    let _ = fs::remove_file(ro.join("probe"));
    let mut args = STEPS_EDM.to_vec();
    args.extend(["--out", "ro/x"]);
    let out = edm_in(dir.path(), &args);
    let left: Vec<_> = fs::read_dir(&ro)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    if writable {
        assert!(out.status.success());
        let stdout = edm_in(dir.path(), &STEPS_EDM).stdout;
        assert_eq!(fs::read(ro.join("x")).unwrap(), stdout);
        assert_eq!(left, ["x"]);
    } else {
        assert_clean_failure(&args, &out);
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

/// A write that fails part-way (the file-size limit of the process is reached) leaves the
/// previous file as it was and no temporary file.
#[test]
fn cli_failed_write_keeps_the_old_file() {
    let dir = TempDir::new("partial");
    fs::write(dir.join("x"), b"old").unwrap();
    let script = format!(
        "ulimit -f 1; trap '' XFSZ; exec '{}' steps --discretization edm --n 5000 --out x",
        env!("CARGO_BIN_EXE_edm")
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_clean_failure(&["steps", "--n", "5000", "--out", "x (1 KiB limit)"], &out);
    assert_eq!(dir.listing(), ["x"]);
    assert_eq!(fs::read(dir.join("x")).unwrap(), b"old");
}

/// An evaluation that fails creates no output file.
#[test]
fn cli_failed_evaluation_creates_no_file() {
    let dir = TempDir::new("eval");
    assert_fails(
        dir.path(),
        &[
            "steps",
            "--discretization",
            "edm",
            "--n",
            "5",
            "--rho",
            "nan",
            "--out",
            "x",
        ],
    );
    assert_fails(dir.path(), &["coefficients", "--t", "1,nan", "--out", "x"]);
    assert!(dir.listing().is_empty());
}

/// --out through a symbolic link writes the file it points to and keeps the link; --out to a
/// FIFO (like /dev/stdout or /dev/null) writes into it instead of replacing it; a long name
/// that the file system allows is written.
#[test]
fn cli_output_to_links_fifos_and_long_names() {
    let dir = TempDir::new("special");
    let expected = edm_in(dir.path(), &STEPS_EDM).stdout;
    fs::write(dir.join("real"), b"old").unwrap();
    std::os::unix::fs::symlink("real", dir.join("link")).unwrap();
    let mut args = STEPS_EDM.to_vec();
    args.extend(["--out", "link"]);
    assert!(edm_in(dir.path(), &args).status.success());
    assert!(fs::symlink_metadata(dir.join("link")).unwrap().is_symlink());
    assert_eq!(fs::read(dir.join("real")).unwrap(), expected);

    let long = "b".repeat(250);
    let mut args = STEPS_EDM.to_vec();
    args.extend(["--out", &long]);
    assert!(edm_in(dir.path(), &args).status.success(), "long name");
    assert_eq!(fs::read(dir.join(&long)).unwrap(), expected);

    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let mut args = STEPS_EDM.to_vec();
    args.extend(["--out", "fifo"]);
    let out = edm_in(dir.path(), &args);
    let still_fifo = fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo();
    assert!(still_fifo, "the FIFO was replaced by a file");
    assert!(out.status.success());
    assert_eq!(reader.join().unwrap(), expected);
    assert_eq!(dir.listing().len(), 4, "{:?}", dir.listing());
}
