//! The session files on disk: where they are, reading, writing (private, atomic, the per-file
//! store merged under a lock), the lock that keeps a second instance off the same inputs, and
//! `--fresh` keeping the previous session aside.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{FileRecord, Session, Snapshot};

/// The files of one set of inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `<data_dir>/sessions` (0700).
    pub dir: PathBuf,
    /// The set's session: `<hash>.json`.
    pub session: PathBuf,
    /// The per-file store shared by all sets: `files.json`.
    pub files: PathBuf,
    /// Held (flock) while a window is open on this set: `<hash>.lock`.
    pub lock: PathBuf,
}

/// The session files for a set of inputs (order and spelling of the paths do not matter).
pub fn paths(data_dir: &Path, inputs: &[PathBuf]) -> Paths {
    let mut names: Vec<String> = inputs
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut h = Sha256::new();
    for n in &names {
        h.update(n.as_bytes());
        h.update(b"\n");
    }
    let hex: String = h
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = data_dir.join("sessions");
    Paths {
        session: dir.join(format!("{hex}.json")),
        files: dir.join("files.json"),
        lock: dir.join(format!("{hex}.lock")),
        dir,
    }
}

/// The per-file store on disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileStore {
    pub version: u32,
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
}

/// Reads a set's session (a version 1 file is migrated); missing or unreadable is none.
pub fn load_session(path: &Path) -> Option<Session> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str::<Session>(&text) {
        Ok(s) => Some(s.migrate()),
        Err(e) => {
            tracing::warn!(error = %e, "session file unreadable, starting fresh");
            None
        }
    }
}

/// Reads the per-file store; missing or unreadable is empty.
pub fn load_records(path: &Path) -> BTreeMap<String, FileRecord> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    match serde_json::from_str::<FileStore>(&text) {
        Ok(s) => s.files,
        Err(e) => {
            tracing::warn!(error = %e, "per-file session store unreadable");
            BTreeMap::new()
        }
    }
}

/// Makes `dir` (and parents) 0700, and tightens a folder an older version made 0755.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    crate::core::fsutil::create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` as a private file (0600), atomically, never through a link.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::core::fsutil::write_private(path, bytes, true)
}

fn lock_file(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Writes a snapshot: the set's session, then the changed records merged into the per-file
/// store under its lock (another window on other inputs may write it too).
pub fn save(paths: &Paths, snap: &Snapshot) -> io::Result<()> {
    private_dir(&paths.dir)?;
    let json = serde_json::to_vec_pretty(&snap.session).map_err(io::Error::other)?;
    write_private(&paths.session, &json)?;
    if snap.records.is_empty() {
        return Ok(());
    }
    let lock = lock_file(&paths.dir.join("files.lock"))?;
    lock.lock()?;
    let mut files = load_records(&paths.files);
    for (k, r) in &snap.records {
        if r.is_empty() {
            files.remove(k);
        } else {
            files.insert(k.clone(), r.clone());
        }
    }
    let store = FileStore {
        version: super::VERSION,
        files,
    };
    let json = serde_json::to_vec_pretty(&store).map_err(io::Error::other)?;
    let r = write_private(&paths.files, &json);
    let _ = lock.unlock();
    r
}

/// Held while a window is open on a set of inputs; released when dropped or when the process
/// ends in any way (an `flock`, so nothing stale is left behind).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the set's lock, or says why not (another window has these inputs open). When the
/// lock cannot be made at all (a read-only data folder), the window opens without it:
/// `Ok(None)` (saving will then warn on screen).
pub fn lock_inputs(paths: &Paths) -> Result<Option<InstanceLock>, String> {
    let opened = private_dir(&paths.dir).and_then(|()| lock_file(&paths.lock));
    let mut f = match opened {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "session lock not available");
            return Ok(None);
        }
    };
    match f.try_lock() {
        Ok(()) => {
            let _ = f.set_len(0);
            let _ = writeln!(f, "{}", std::process::id());
            Ok(Some(InstanceLock { _file: f }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&paths.lock)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .map(|p| format!(" (process {p})"))
                .unwrap_or_default();
            Err(format!(
                "these inputs are already open in another us-dicomizer window{pid}: close it \
                 first (two windows on the same files would overwrite each other's work)"
            ))
        }
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!(error = %e, "session lock not available");
            Ok(None)
        }
    }
}

/// `--fresh`: the set's session is renamed `<hash>.before-fresh-<time>.json` and the per-file
/// store copied to `files.before-fresh-<time>.json`, so nothing saved is lost whatever the
/// fresh start then does. Returns the names kept (none when there was nothing saved).
pub fn set_aside(paths: &Paths) -> io::Result<Vec<PathBuf>> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = |p: &Path| {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
        p.with_file_name(format!(
            "{}.before-fresh-{stamp}.json",
            stem.unwrap_or_default()
        ))
    };
    let mut kept = Vec::new();
    if paths.session.is_file() {
        let to = aside(&paths.session);
        std::fs::rename(&paths.session, &to)?;
        kept.push(to);
    }
    if paths.files.is_file() {
        let to = aside(&paths.files);
        write_private(&to, &std::fs::read(&paths.files)?)?;
        kept.push(to);
    }
    Ok(kept)
}
