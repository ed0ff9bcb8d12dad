//! File output that never leaves a partial file behind.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest prefix of the output's name kept in the temporary file's name, so that the temporary
/// name stays within the file system's limit (255 bytes) whenever the output's name does.
const TMP_NAME_PREFIX: usize = 200;

/// Attempts at a fresh temporary name before giving up.
const TMP_ATTEMPTS: u32 = 64;

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

fn io_detail(path: &Path, detail: &str) -> Error {
    Error::io(path, std::io::Error::other(detail.to_owned()))
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory, flushed
/// to disk, then renamed over `path`. On any failure the temporary file is removed and `path`
/// is left as it was.
///
/// A symbolic link is followed (the file it points to is replaced, the link kept). A path that
/// names something other than a regular file or a directory (a device such as `/dev/null`, a
/// FIFO such as `/dev/stdout` on a pipe) is written in place: there is no file to replace, and
/// renaming over it would destroy it. A directory is an error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(io_detail(path, "is a directory")),
        Ok(m) if !m.is_file() => return write_in_place(path, bytes),
        Ok(_) => fs::canonicalize(path).map_err(|e| io_error(path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(io_error(path, e)),
    };
    let (mut file, tmp) = create_temporary(&target).map_err(|e| io_error(path, e))?;
    let result = (|| {
        if let Ok(m) = fs::metadata(&target) {
            file.set_permissions(m.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, &target)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, e)
    })
}

/// Writes into an existing non-regular file (device, FIFO) without creating or renaming.
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.flush())
        .map_err(|e| io_error(path, e))
}

/// A new file `.<name>.<pid>.<k>.tmp` beside `target`, created exclusively (never an existing
/// file), with `name` cut to TMP_NAME_PREFIX bytes.
fn create_temporary(target: &Path) -> std::io::Result<(File, PathBuf)> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?
        .to_string_lossy();
    let mut cut = name.len().min(TMP_NAME_PREFIX);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut last = std::io::Error::other("no temporary name available");
    for k in 0..TMP_ATTEMPTS {
        let tmp = dir.join(format!(".{}.{}.{k}.tmp", &name[..cut], std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The bytes of the file at `path`, or [`Error::Io`] naming it.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, e))
}
