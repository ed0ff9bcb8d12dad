//! `edm vectors`: golden vectors for ports (export) and the check of a port's answers.

use crate::output::emit;
use elucidated::Error;
use elucidated::vectors::{Document, check};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The file name `edm vectors export --out DIR` writes.
const FILE_NAME: &str = "vectors.json";

/// Arguments of `edm vectors`.
#[derive(Debug, clap::Args)]
pub struct VectorsArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write the reference vectors (JSON, format version 1) to DIR/vectors.json, or to stdout.
    Export {
        /// Directory to write vectors.json into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Check a port's answers: per quantity the max ULP and relative error against the
    /// thresholds; exit code 0 only when every quantity passes.
    Check {
        /// The port's answers, in the exported document's schema.
        port: PathBuf,
        /// The reference to check against (default: computed now, identical to `export`).
        #[arg(long, value_name = "REF.json")]
        reference: Option<PathBuf>,
    },
}

fn read(path: &Path) -> Result<Document, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Document::parse(&text, &path.display().to_string())
}

fn export(out: Option<&PathBuf>) -> Result<ExitCode, Error> {
    let text = Document::reference()?.to_json_string();
    let file = match out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Some(dir.join(FILE_NAME))
        }
        None => None,
    };
    emit(file.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_check(port: &Path, reference: Option<&PathBuf>) -> Result<ExitCode, Error> {
    let reference = match reference {
        Some(path) => read(path)?,
        None => Document::reference()?,
    };
    let answers = read(port)?;
    let report = check(&answers, &port.display().to_string(), &reference)?;
    emit(None, &report.to_string())?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `edm vectors`.
pub fn run(args: &VectorsArgs) -> Result<ExitCode, Error> {
    match &args.action {
        Action::Export { out } => export(out.as_ref()),
        Action::Check { port, reference } => run_check(port, reference.as_ref()),
    }
}
