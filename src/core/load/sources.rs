//! Candidate inputs: plain files, folders (walked recursively, in name order) and members of
//! ZIP archives (opened read-only; member names are only used as labels, never to write).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::core::export::digest_set::{key_of, DigestSet};
use crate::core::settings::LoadSettings;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceKind {
    File(PathBuf),
    ZipMember {
        archive: PathBuf,
        index: usize,
        name: String,
    },
}

/// One candidate input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InputSource {
    pub kind: SourceKind,
    /// Size in bytes (uncompressed for ZIP members, as declared).
    pub size: u64,
}

/// An input that was not used, with a human reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub input: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Gathered {
    pub sources: Vec<InputSource>,
    pub skipped: Vec<Skipped>,
}

impl InputSource {
    /// A label for the user (may contain names: never log it).
    pub fn display(&self) -> String {
        match &self.kind {
            SourceKind::File(p) => p.display().to_string(),
            SourceKind::ZipMember { archive, name, .. } => {
                format!("{}!{}", archive.display(), name)
            }
        }
    }

    /// The file name part of the label, for list panes.
    pub fn short_name(&self) -> String {
        match &self.kind {
            SourceKind::File(p) => p
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            SourceKind::ZipMember { name, .. } => {
                name.rsplit('/').next().unwrap_or(name).to_string()
            }
        }
    }

    /// Reads the whole input, enforcing the size limits on the bytes actually read.
    pub fn read(&self, limits: &LoadSettings) -> Result<Vec<u8>, String> {
        let max = limits.max_file_mb.saturating_mul(1 << 20);
        match &self.kind {
            SourceKind::File(p) => {
                let f = std::fs::File::open(p)
                    .map_err(|e| format!("cannot open: {}", io_reason(&e)))?;
                let mut buf = Vec::with_capacity(self.size.min(max) as usize);
                f.take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
                if buf.len() as u64 > max {
                    return Err(format!(
                        "larger than load.max_file_mb ({} MB)",
                        limits.max_file_mb
                    ));
                }
                Ok(buf)
            }
            SourceKind::ZipMember { archive, index, .. } => {
                let entry = super::zipindex::index(archive)?.get(*index)?;
                let compressed = entry.compressed.max(1);
                // hashed on the way: the content identity then needs no second unpacking
                let mut member = super::digest::Hashing::new(self.open_member()?);
                let mut buf = Vec::with_capacity(entry.size.min(max).min(64 << 20) as usize);
                (&mut member)
                    .take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("cannot decompress ZIP member: {e}"))?;
                if buf.len() as u64 > max {
                    return Err(format!(
                        "larger than load.max_file_mb ({} MB)",
                        limits.max_file_mb
                    ));
                }
                if buf.len() as u64 > (1 << 20)
                    && buf.len() as u64 / compressed > limits.max_zip_ratio
                {
                    return Err(format!(
                        "compression ratio above load.max_zip_ratio ({})",
                        limits.max_zip_ratio
                    ));
                }
                super::digest::remember(self, member.finish());
                Ok(buf)
            }
        }
    }

    /// A ZIP member's data as a stream (sizes and CRC checked as it is read).
    pub fn open_member(&self) -> Result<Box<dyn Read + Send>, String> {
        match &self.kind {
            SourceKind::ZipMember { archive, index, .. } => {
                let entry = super::zipindex::index(archive)?.get(*index)?;
                super::zipindex::open_member(archive, &entry)
            }
            SourceKind::File(p) => Ok(Box::new(
                std::fs::File::open(p).map_err(|e| format!("cannot open: {}", io_reason(&e)))?,
            )),
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.kind().to_string(),
    }
}

/// Expands paths into candidate inputs. Never fails as a whole: problems become `skipped`.
pub fn gather(paths: &[PathBuf], limits: &LoadSettings) -> Gathered {
    let mut out = Gathered::default();
    gather_into(paths, limits, &mut out);
    out
}

/// Where a walk puts what it finds.
trait Sink {
    fn source(&mut self, s: InputSource);
    fn skip(&mut self, s: Skipped);
}

impl Sink for Gathered {
    fn source(&mut self, s: InputSource) {
        self.sources.push(s);
    }
    fn skip(&mut self, s: Skipped) {
        self.skipped.push(s);
    }
}

fn gather_into(paths: &[PathBuf], limits: &LoadSettings, out: &mut dyn Sink) {
    let mut walk = Walk::default();
    for p in paths {
        add_path(p, limits, out, &mut walk);
    }
}

/// The candidate inputs of a large batch: the sources on disk (memory does not grow with their
/// number), the skipped ones in memory.
pub struct GatheredList {
    pub sources: super::source_list::SourceList,
    pub skipped: Vec<Skipped>,
}

struct ListSink {
    writer: super::source_list::SourceListWriter,
    skipped: Vec<Skipped>,
    error: Option<std::io::Error>,
}

impl Sink for ListSink {
    fn source(&mut self, s: InputSource) {
        if self.error.is_none() {
            if let Err(e) = self.writer.push(&s) {
                self.error = Some(e);
            }
        }
    }
    fn skip(&mut self, s: Skipped) {
        self.skipped.push(s);
    }
}

/// As [`gather`], the sources written to a [`SourceList`](super::source_list::SourceList)
/// whose unnamed files go in `dir` (else `$TMPDIR`) as they are found. The error is a failure
/// to write that list.
pub fn gather_list(
    paths: &[PathBuf],
    limits: &LoadSettings,
    dir: Option<&Path>,
) -> std::io::Result<GatheredList> {
    let mut out = ListSink {
        writer: super::source_list::SourceListWriter::new(dir)?,
        skipped: Vec::new(),
        error: None,
    };
    gather_into(paths, limits, &mut out);
    if let Some(e) = out.error {
        return Err(e);
    }
    Ok(GatheredList {
        sources: out.writer.finish()?,
        skipped: out.skipped,
    })
}

/// The state of one walk over the inputs: the folders above the current one, and how many
/// entries were visited (capped by `load.max_walk_entries`: symbolic links to large folders
/// multiply what a walk visits).
#[derive(Default)]
struct Walk {
    ancestors: Vec<(u64, u64)>,
    visited: u64,
    stopped: bool,
}

/// Folders deeper than this below an input are not entered.
const MAX_FOLDER_DEPTH: usize = 64;

/// A folder's identity (device, inode), to notice a symbolic link that leads back up.
#[cfg(unix)]
fn dir_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn dir_id(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// `walk.ancestors` holds the identities of the folders above `p` (empty for an input path).
fn add_path(p: &Path, limits: &LoadSettings, out: &mut dyn Sink, walk: &mut Walk) {
    if walk.stopped {
        return;
    }
    walk.visited += 1;
    if walk.visited > limits.max_walk_entries {
        walk.stopped = true;
        out.skip(Skipped {
            input: p.display().to_string(),
            reason: format!(
                "folder walk stopped: more than load.max_walk_entries ({}) files and folders \
                 visited (symbolic links to large folders multiply them); this and the \
                 remaining entries were not looked at",
                limits.max_walk_entries
            ),
        });
        return;
    }
    let ancestors = &mut walk.ancestors;
    let top = ancestors.is_empty();
    let meta = if top || limits.follow_symlinks {
        std::fs::metadata(p)
    } else {
        std::fs::symlink_metadata(p)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            out.skip(Skipped {
                input: p.display().to_string(),
                reason: io_reason(&e),
            });
            return;
        }
    };
    if meta.file_type().is_symlink() {
        out.skip(Skipped {
            input: p.display().to_string(),
            reason: "symbolic link not followed (load.follow_symlinks = false)".into(),
        });
    } else if meta.is_dir() {
        let id = dir_id(&meta);
        if cfg!(unix) && ancestors.contains(&id) {
            out.skip(Skipped {
                input: p.display().to_string(),
                reason: "symbolic link loop: this folder contains itself (not entered again)"
                    .into(),
            });
            return;
        }
        if ancestors.len() >= MAX_FOLDER_DEPTH {
            out.skip(Skipped {
                input: p.display().to_string(),
                reason: format!(
                    "folder nested deeper than {MAX_FOLDER_DEPTH} levels (not entered)"
                ),
            });
            return;
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                out.skip(Skipped {
                    input: p.display().to_string(),
                    reason: io_reason(&e),
                });
                return;
            }
        };
        entries.sort();
        ancestors.push(id);
        for e in entries {
            add_path(&e, limits, out, walk);
        }
        walk.ancestors.pop();
    } else if meta.is_file() {
        if is_zip(p) {
            add_zip(p, limits, out);
        } else {
            out.source(InputSource {
                kind: SourceKind::File(p.to_path_buf()),
                size: meta.len(),
            });
        }
    } else {
        out.skip(Skipped {
            input: p.display().to_string(),
            reason: "not a regular file".into(),
        });
    }
}

fn is_zip(p: &Path) -> bool {
    let by_ext = p
        .extension()
        .map(|e| e.eq_ignore_ascii_case("zip"))
        .unwrap_or(false);
    if by_ext {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

fn add_zip(p: &Path, limits: &LoadSettings, out: &mut dyn Sink) {
    let label = p.display().to_string();
    let refuse = |out: &mut dyn Sink, reason: String| {
        out.skip(Skipped {
            input: label.clone(),
            reason,
        })
    };
    let index = match super::zipindex::index(p) {
        Ok(e) => e,
        Err(reason) => return refuse(out, reason),
    };
    if index.len() > limits.max_zip_members {
        return refuse(
            out,
            format!(
                "{} members, more than load.max_zip_members ({})",
                index.len(),
                limits.max_zip_members
            ),
        );
    }
    // Names used by several members: each is labelled with its place, none is dropped. The
    // counts are kept as digests in sets that move to unnamed temporary files when large.
    let uses = match name_uses(&index) {
        Ok(u) => u,
        Err(reason) => return refuse(out, reason),
    };
    let mut seen = DigestSet::default();
    let entries = match index.entries() {
        Ok(e) => e,
        Err(reason) => return refuse(out, reason),
    };
    let max_total = limits.max_zip_total_mb.saturating_mul(1 << 20);
    let mut total: u64 = 0;
    for (i, member) in entries.enumerate() {
        let member = match member {
            Ok(m) => m,
            Err(reason) => return refuse(out, reason),
        };
        if member.is_dir() {
            continue;
        }
        let key = key_of(&member.name);
        let counted = uses.get(&key).and_then(|n| {
            let k = seen.get(&key)?.unwrap_or(0) + 1;
            if n.unwrap_or(1) > 1 {
                seen.set(key, k)?;
            }
            Ok((n.unwrap_or(1), k))
        });
        let (n, k) = match counted {
            Ok(nk) => nk,
            Err(e) => return refuse(out, temp_reason(&e)),
        };
        let name = if n > 1 {
            format!(
                "{} (copy {k} of {n} with this name, ZIP entry {})",
                member.name,
                i + 1
            )
        } else {
            member.name.clone()
        };
        let member_label = format!("{label}!{name}");
        let size = member.size;
        let compressed = member.compressed.max(1);
        if member.encrypted() {
            out.skip(Skipped {
                input: member_label,
                reason: "encrypted ZIP member".into(),
            });
            continue;
        }
        if size > (1 << 20) && size / compressed > limits.max_zip_ratio {
            out.skip(Skipped {
                input: member_label,
                reason: format!(
                    "compression ratio {} above load.max_zip_ratio ({})",
                    size / compressed,
                    limits.max_zip_ratio
                ),
            });
            continue;
        }
        total = total.saturating_add(size);
        if total > max_total {
            out.skip(Skipped {
                input: member_label,
                reason: format!(
                    "archive total above load.max_zip_total_mb ({} MB)",
                    limits.max_zip_total_mb
                ),
            });
            continue;
        }
        let lower = member.name.to_ascii_lowercase();
        if lower.ends_with(".zip") {
            out.skip(Skipped {
                input: member_label,
                reason: "nested ZIP archives are not opened".into(),
            });
            continue;
        }
        if lower
            .rsplit('/')
            .next()
            .map(|b| b.starts_with("._") || b == ".ds_store")
            .unwrap_or(false)
            || lower.starts_with("__macosx/")
        {
            out.skip(Skipped {
                input: member_label,
                reason: "operating-system metadata file".into(),
            });
            continue;
        }
        out.source(InputSource {
            kind: SourceKind::ZipMember {
                archive: p.to_path_buf(),
                index: i,
                name,
            },
            size,
        });
    }
}

/// How many non-folder members use each name (by digest), in one pass over the directory.
fn name_uses(index: &super::zipindex::Directory) -> Result<DigestSet, String> {
    let mut uses = DigestSet::default();
    for member in index.entries()? {
        let member = member?;
        if member.is_dir() {
            continue;
        }
        let key = key_of(&member.name);
        let n = uses.get(&key).map_err(|e| temp_reason(&e))?.unwrap_or(0);
        uses.set(key, n.saturating_add(1))
            .map_err(|e| temp_reason(&e))?;
    }
    Ok(uses)
}

/// Why the name counts of an archive could not be kept (the folder is named, not the archive).
fn temp_reason(e: &std::io::Error) -> String {
    format!(
        "cannot count the member names: {} in a temporary file in {} (set TMPDIR to a \
         writable folder with room)",
        e.kind(),
        crate::core::display::escape(&std::env::temp_dir().display().to_string())
    )
}
