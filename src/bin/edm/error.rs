//! The command line's error: the library's [`Error`], or a failure of the command line itself.

use elucidated::Error;
use thiserror::Error as ThisError;

/// What can make an `edm` command fail.
#[derive(Debug, ThisError)]
pub enum CliError {
    /// The library refused an input or failed.
    #[error(transparent)]
    Lib(#[from] Error),
    /// Options that do not go together, or one the chosen sampler or command does not use.
    #[error("{0}")]
    Usage(String),
    /// A progress bar's template is invalid.
    #[error("progress bar template: {0}")]
    Progress(#[from] indicatif::style::TemplateError),
    /// Drawing a plot failed.
    #[error("{path}: cannot draw the plot: {detail}")]
    Draw {
        /// The plot's file.
        path: String,
        /// The plotting library's message.
        detail: String,
    },
}

impl CliError {
    /// The exit code: 2 for a usage error (as for clap's parse errors), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    /// A plotting failure on `path`.
    pub fn draw(path: &std::path::Path, detail: impl std::fmt::Display) -> Self {
        CliError::Draw {
            path: path.display().to_string(),
            detail: detail.to_string(),
        }
    }
}
