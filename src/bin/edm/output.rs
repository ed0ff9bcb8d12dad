//! Output and error reporting shared by the subcommands.

use crate::error::CliError;
use elucidated::Error;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints `edm: <text>` as one line on stderr, control characters (a newline in a path)
/// escaped. A closed stderr is ignored: there is nowhere left to report to.
fn report(text: &str) {
    let mut line = String::from("edm: ");
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Reports `e` in one line on stderr and returns its exit code (2 for a usage error, else 1).
pub fn fail(e: &CliError) -> ExitCode {
    report(&e.to_string());
    ExitCode::from(e.exit_code())
}

/// Reports a command-line parsing error as one line (help and version go to stdout as usual).
pub fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = std::io::stdout().write_all(e.to_string().as_bytes());
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            report("a subcommand is required; see `edm --help`");
            ExitCode::from(2)
        }
        _ => {
            let text = e.to_string();
            let message = text.split("\n\n").next().unwrap_or("invalid arguments");
            let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
            report(line.trim_start_matches("error: "));
            ExitCode::from(2)
        }
    }
}

/// A float64 printed so that it parses back to the same value (shortest round trip; exponent
/// notation for very large and very small magnitudes).
pub fn float(x: f64) -> String {
    format!("{x:?}")
}

/// Writes `text` to the file `out` atomically, or to stdout when `out` is `None`.
pub fn emit(out: Option<&PathBuf>, text: &str) -> Result<(), Error> {
    match out {
        Some(path) => elucidated::io::write_atomic(path, text.as_bytes()),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Error::io("<stdout>", e))
        }
    }
}

/// Longest piece of bad input quoted in an error message.
const QUOTE_CHARS: usize = 40;

/// `text` as it may appear in a one-line message: control characters escaped, cut to
/// QUOTE_CHARS characters.
fn quote(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_debug).collect();
    match escaped.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

/// Parses a float from the command line or a file, naming what it was for.
pub fn parse_float(what: &str, text: &str) -> Result<f64, Error> {
    text.trim().parse::<f64>().map_err(|e| Error::Parse {
        what: what.to_owned(),
        detail: format!("`{}`: {e}", quote(text.trim())),
    })
}
