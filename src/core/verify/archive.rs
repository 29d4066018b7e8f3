//! Walking the inputs (files, folders, ZIPs) and the export's entries, nested ZIPs included,
//! with the ZIP limits of loading (`[load]`: member count, total size, compression ratio).

use super::needles::Needles;
use crate::core::error::Result;
use crate::core::settings::LoadSettings;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// Nested ZIPs are opened this deep at most.
pub const MAX_ZIP_DEPTH: u32 = 4;

pub fn is_zip_bytes(b: &[u8]) -> bool {
    b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06")
}

pub fn is_zip_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Files under `root` (folders recursively, symlinked folders skipped); every path component's
/// stem is a needle.
pub fn collect_files(root: &Path, out: &mut Vec<PathBuf>, n: &mut Needles) -> Result<()> {
    let md = std::fs::symlink_metadata(root)?;
    if let Some(name) = root.file_name().and_then(|s| s.to_str()) {
        n.add_name_stem(name);
    }
    if md.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let md = std::fs::symlink_metadata(&p)?;
            if md.file_type().is_symlink() {
                if let Some(name) = p.file_name().and_then(|s| s.to_str()) {
                    n.add_name_stem(name);
                }
                if std::fs::metadata(&p).map(|m| m.is_file()).unwrap_or(false) {
                    out.push(p);
                }
                continue;
            }
            collect_files(&p, out, n)?;
        }
    } else if md.is_file() || md.file_type().is_symlink() {
        out.push(root.to_path_buf());
    }
    Ok(())
}

/// The callback of [`zip_members`]: `(path, raw name, bytes)`.
pub type MemberFn<'a> = dyn FnMut(&str, &[u8], Vec<u8>) -> Result<()> + 'a;

/// Calls `f(path, raw name, bytes)` for every file member of the ZIP read from `r`, opening
/// nested ZIPs (path `outer/inner.zip!member`). A limit exceeded is an error with the reason.
pub fn zip_members<R: Read + Seek>(
    r: R,
    limits: &LoadSettings,
    depth: u32,
    prefix: &str,
    f: &mut MemberFn<'_>,
) -> std::result::Result<(), String> {
    let mut z = zip::ZipArchive::new(r).map_err(|e| format!("not a readable ZIP: {e}"))?;
    if z.len() > limits.max_zip_members {
        return Err(format!(
            "{} members, more than load.max_zip_members ({})",
            z.len(),
            limits.max_zip_members
        ));
    }
    let max_total = limits.max_zip_total_mb.saturating_mul(1 << 20);
    let mut total = 0u64;
    for i in 0..z.len() {
        let mut entry = z
            .by_index(i)
            .map_err(|e| format!("member #{} cannot be read: {e}", i + 1))?;
        let name = entry.name().map(|c| c.into_owned()).unwrap_or_default();
        let raw = entry.name_raw().to_vec();
        if entry.is_dir() {
            f(&format!("{prefix}{name}"), &raw, Vec::new()).map_err(|e| e.to_string())?;
            continue;
        }
        let size = entry.size();
        let compressed = entry.compressed_size().max(1);
        if size > (1 << 20) && size / compressed > limits.max_zip_ratio {
            return Err(format!(
                "member #{}: compression ratio {} above load.max_zip_ratio ({})",
                i + 1,
                size / compressed,
                limits.max_zip_ratio
            ));
        }
        total = total.saturating_add(size);
        if total > max_total {
            return Err(format!(
                "more than load.max_zip_total_mb ({}) uncompressed",
                limits.max_zip_total_mb
            ));
        }
        let mut buf = Vec::with_capacity(size.min(1 << 30) as usize);
        (&mut entry)
            .take(size.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| format!("member #{} cannot be read: {e}", i + 1))?;
        if buf.len() as u64 > size {
            return Err(format!(
                "member #{} is larger than its declared size",
                i + 1
            ));
        }
        drop(entry);
        let path = format!("{prefix}{name}");
        if is_zip_bytes(&buf) {
            if depth >= MAX_ZIP_DEPTH {
                return Err(format!("ZIPs nested more than {MAX_ZIP_DEPTH} deep"));
            }
            f(&path, &raw, Vec::new()).map_err(|e| e.to_string())?;
            zip_members(
                std::io::Cursor::new(buf),
                limits,
                depth + 1,
                &format!("{path}!"),
                f,
            )?;
            continue;
        }
        f(&path, &raw, buf).map_err(|e| e.to_string())?;
    }
    Ok(())
}
