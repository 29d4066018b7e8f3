//! What an export writes (the archive, the private mapping), checked before any work: a `.zip`
//! name in an existing folder, never a symbolic link, never an input, nothing replaced unless
//! asked.

use std::path::{Path, PathBuf};

use super::ExportRequest;
use crate::core::error::{CoreError, Result};
use crate::core::load::{self, InputSource};

/// Checks that the destination can be written, before any work: a `.zip` name in an existing
/// folder, not a symbolic link, not an existing file unless `force`.
pub fn check_destination(out: &Path, force: bool) -> Result<()> {
    if out
        .extension()
        .map(|e| !e.eq_ignore_ascii_case("zip"))
        .unwrap_or(true)
    {
        return Err(CoreError::Invalid(format!(
            "output `{}` must end in .zip",
            out.display()
        )));
    }
    check_target(out, force)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(CoreError::Invalid(format!(
            "destination folder `{}` does not exist",
            parent.display()
        )));
    }
    Ok(())
}

/// A file the tool is about to write (archive, mapping, report): never a symbolic link, never
/// anything but a regular file, and an existing one only with `force`.
pub fn check_target(path: &Path, force: bool) -> Result<()> {
    crate::core::fsutil::refuse_symlink(path).map_err(|e| CoreError::Invalid(e.to_string()))?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(CoreError::Invalid(format!(
            "`{}` exists and is not a regular file",
            path.display()
        ))),
        Ok(_) if !force => Err(CoreError::Invalid(format!(
            "`{}` already exists: pass --force to replace it",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Refuses to write `path` when it is one of the inputs (a file given, found in a folder, or an
/// archive read from), compared by device and inode so links and other spellings count, even
/// with `--force`. Holds nothing per input (the members of one archive, which come one after
/// the other, are looked at once).
pub fn check_not_input<S: std::borrow::Borrow<InputSource>>(
    path: &Path,
    inputs: impl IntoIterator<Item = S>,
) -> Result<()> {
    check_not_input_of(path, inputs.into_iter().map(Ok))
}

/// As [`check_not_input`], over inputs read from a list that may fail.
pub fn check_not_input_of<S: std::borrow::Borrow<InputSource>>(
    path: &Path,
    inputs: impl Iterator<Item = std::io::Result<S>>,
) -> Result<()> {
    #[cfg(unix)]
    let target = {
        use std::os::unix::fs::MetadataExt;
        let Ok(t) = std::fs::metadata(path) else {
            return Ok(());
        };
        Some((t.dev(), t.ino()))
    };
    #[cfg(not(unix))]
    let target = std::fs::canonicalize(path).ok();
    if target.is_none() {
        return Ok(());
    }
    let mut last: Option<PathBuf> = None;
    for src in inputs {
        let src = src?;
        let p = match &src.borrow().kind {
            load::SourceKind::File(p) => p,
            load::SourceKind::ZipMember { archive, .. } => archive,
        };
        if last.as_ref() == Some(p) {
            continue;
        }
        #[cfg(unix)]
        let same = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p)
                .map(|m| Some((m.dev(), m.ino())) == target)
                .unwrap_or(false)
        };
        #[cfg(not(unix))]
        let same = std::fs::canonicalize(p).ok() == target;
        if same {
            return Err(CoreError::Invalid(format!(
                "`{}` is one of the inputs: it is never replaced, even with --force",
                path.display()
            )));
        }
        last = Some(p.clone());
    }
    Ok(())
}

/// Where the private mapping file of an archive goes.
pub fn mapping_path(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.mapping.json", out.display()))
}

/// Every check on what an export will write, before any work: the archive and (if asked) the
/// mapping file may replace existing files only with `force`, and never an input.
pub fn check_outputs(req: &ExportRequest) -> Result<()> {
    check_outputs_with(req, &req.items)
}

/// As [`check_outputs`], with the inputs of `items` (instead of `req.items`).
pub fn check_outputs_with(req: &ExportRequest, items: &dyn super::Items) -> Result<()> {
    let inputs = || (0..items.len()).map(|k| items.source(k));
    check_not_input_of(&req.out, inputs())?;
    check_destination(&req.out, req.force)?;
    if req.write_mapping {
        let m = mapping_path(&req.out);
        check_target(&m, req.force)?;
        check_not_input_of(&m, inputs())?;
    }
    Ok(())
}
