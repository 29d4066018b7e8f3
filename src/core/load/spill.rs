//! Large ZIP members go to a private temporary file instead of memory: the member is streamed
//! (inflated and CRC-checked as it is read) into a file only this user can read (0600, made by
//! `tempfile`), and the loader then reads it as it reads a file on disk (header parsed, large
//! native pixel data left in the file). The file is removed when the last holder drops it.
//! The same limits as for reading into memory apply, checked on the bytes as they arrive.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use super::sources::{InputSource, SourceKind};
use crate::core::settings::LoadSettings;

/// A spilled member's temporary file; removed when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Spilled(Arc<tempfile::TempPath>);

impl Spilled {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// Keeps a spilled member's file alive while its pixel data is read from it (empty for
/// inputs that are files of their own). Compares equal whatever it holds.
#[derive(Debug, Clone, Default)]
pub struct KeepAlive(pub Option<Spilled>);

impl PartialEq for KeepAlive {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for KeepAlive {}

/// Members whose declared size is at least this many bytes are spilled.
pub fn threshold(limits: &LoadSettings) -> u64 {
    limits.spill_zip_member_mb.saturating_mul(1 << 20)
}

/// Copies a ZIP member above `load.spill_zip_member_mb` to a private temporary file; `None`
/// for smaller members and for plain files (read them as before).
pub fn spill(source: &InputSource, limits: &LoadSettings) -> Result<Option<Spilled>, String> {
    let SourceKind::ZipMember { archive, index, .. } = &source.kind else {
        return Ok(None);
    };
    if source.size < threshold(limits) {
        return Ok(None);
    }
    let entry = super::zipindex::index(archive)?.get(*index)?;
    let compressed = entry.compressed.max(1);
    let max = limits.max_file_mb.saturating_mul(1 << 20);
    // hashed on the way: the content identity then needs no second unpacking
    let mut member = super::digest::Hashing::new(source.open_member()?);
    let tmp = tempfile::Builder::new()
        .prefix(".usd-member-")
        .tempfile()
        .map_err(|e| temp_reason(&e, "creating"))?;
    let (mut file, path) = tmp.into_parts();
    let mut buf = vec![0u8; 1 << 20];
    let mut total: u64 = 0;
    loop {
        let n = member
            .read(&mut buf)
            .map_err(|e| format!("cannot decompress ZIP member: {e}"))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max {
            return Err(format!(
                "larger than load.max_file_mb ({} MB)",
                limits.max_file_mb
            ));
        }
        if total > (1 << 20) && total / compressed > limits.max_zip_ratio {
            return Err(format!(
                "compression ratio above load.max_zip_ratio ({})",
                limits.max_zip_ratio
            ));
        }
        file.write_all(&buf[..n])
            .map_err(|e| temp_reason(&e, "writing"))?;
    }
    file.flush().map_err(|e| temp_reason(&e, "writing"))?;
    super::digest::remember(source, member.finish());
    Ok(Some(Spilled(Arc::new(path))))
}

/// Why a temporary file could not be made or filled (the folder is named, not the member).
fn temp_reason(e: &std::io::Error, doing: &str) -> String {
    let dir = std::env::temp_dir();
    let what = if e.raw_os_error() == Some(libc::ENOSPC) {
        "no space left on the device".to_string()
    } else {
        e.kind().to_string()
    };
    format!(
        "cannot unpack a large ZIP member: {what} while {doing} a temporary file in {} \
         (set TMPDIR to a folder with room, or raise load.spill_zip_member_mb)",
        crate::core::display::escape(&dir.display().to_string())
    )
}
