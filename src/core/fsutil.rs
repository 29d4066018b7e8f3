//! Everything the tool writes goes through here: private files (0600) created exclusively and
//! never through a symbolic link, atomic writes through an unpredictable temporary name in the
//! destination folder, private folders (0700), the destination lock, and the clean-up of
//! temporaries that an interrupted run of this tool left behind.
//!
//! Temporaries are named `.<final name>.usdz-<pid>-<random>.partial`: recognisable as this
//! tool's, with the process that made them, so a later run can tell a stale one from one that
//! is still being written.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The marker in the names of this tool's temporary files.
pub const TEMP_TAG: &str = "usdz";
const TEMP_SUFFIX: &str = ".partial";

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Fails when `path` is a symbolic link (dangling or not): nothing is written through one.
pub fn refuse_symlink(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is a symbolic link: refusing to write through it",
                path.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// Creates `path` as a new private file (mode 0600): fails if anything, a symbolic link
/// included, is already there.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Creates a folder (and missing parents) with mode 0700; a folder that exists is left as it is.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// The start of the name of a temporary for `path` made by process `pid` on this machine:
/// `.<name>.usdz-<pid>-<host>-` (`<host>`: 8 hex digits of a hash of the host name, so that on a
/// folder shared between machines only this machine's temporaries are judged by their pid).
pub fn temp_prefix(path: &Path, pid: u32) -> String {
    format!(".{}.{TEMP_TAG}-{pid}-{}-", file_name_of(path), host_tag())
}

fn host_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        use sha2::Digest;
        let mut buf = [0u8; 256];
        #[cfg(unix)]
        // SAFETY: the buffer is valid for its length; the name is NUL-terminated or cut.
        let n = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            buf.iter().position(|&b| b == 0).unwrap_or(buf.len())
        } else {
            0
        };
        #[cfg(not(unix))]
        let n = 0;
        let d = sha2::Sha256::digest(&buf[..n]);
        d[..4].iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// A new private temporary file next to `path` (same folder, so the final rename is atomic),
/// created exclusively under an unpredictable name. It is removed when dropped unless persisted.
pub fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&temp_prefix(path, std::process::id()))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(12)
        .tempfile_in(parent_of(path))
}

/// Moves a complete temporary file to `path`. With `replace` false it fails (AlreadyExists) if
/// anything is at `path`; a symbolic link at `path` is refused either way.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path, replace: bool) -> io::Result<()> {
    refuse_symlink(path)?;
    let r = if replace {
        tmp.persist(path).map(drop)
    } else {
        tmp.persist_noclobber(path).map(drop)
    };
    r.map_err(|e| match e.error.kind() {
        io::ErrorKind::AlreadyExists => io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("`{}` already exists", path.display()),
        ),
        _ => e.error,
    })
}

/// Writes `bytes` to a private file at `path` atomically (temporary, sync, rename). With
/// `replace` false an existing file is never replaced.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    refuse_symlink(path)?;
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    persist(tmp, path, replace)
}

/// Writes `bytes` to `path` atomically, replacing what is there (mode 0600).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_private(path, bytes, true)
}

/// An exclusive lock on a destination, held as long as this value lives: a lock file
/// `.<name>.lock` next to it, locked with `flock`. A second export to the same destination
/// fails at once instead of racing the first. The lock file is removed when released.
#[derive(Debug)]
pub struct DestLock {
    path: PathBuf,
    file: File,
}

impl DestLock {
    /// The lock file of a destination.
    pub fn path_for(dest: &Path) -> PathBuf {
        dest.with_file_name(format!(".{}.lock", file_name_of(dest)))
    }

    /// Takes the lock, or fails with `WouldBlock` when another process holds it.
    pub fn acquire(dest: &Path) -> io::Result<DestLock> {
        let path = Self::path_for(dest);
        loop {
            let mut opts = std::fs::OpenOptions::new();
            opts.read(true).write(true).create(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
            }
            let file = opts.open(&path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot open the lock file `{}`: {e}", path.display()),
                )
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                use std::os::unix::io::AsRawFd;
                // SAFETY: flock on a descriptor we own.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                    let e = io::Error::last_os_error();
                    // a file system without locks (some network mounts): go on unlocked; the
                    // final rename still never replaces an archive without `force`
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::ENOLCK) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS)
                    ) {
                        tracing::warn!("destination folder does not support locks");
                        return Ok(DestLock { path, file });
                    }
                    if e.kind() == io::ErrorKind::WouldBlock {
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!(
                                "another export is writing `{}` (lock `{}` is held)",
                                dest.display(),
                                path.display()
                            ),
                        ));
                    }
                    return Err(e);
                }
                // The holder before us may have removed the file after we opened it: then our
                // lock is on a file nobody else will see. Start again.
                let ours = file.metadata()?;
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.dev() == ours.dev() && m.ino() == ours.ino() => {}
                    _ => continue,
                }
            }
            return Ok(DestLock { path, file });
        }
    }
}

impl Drop for DestLock {
    fn drop(&mut self) {
        // removed while still locked, so nobody can lock the old file after us
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
}

/// Whether a process with this id exists (on this machine).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if p <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks for existence.
        if unsafe { libc::kill(p, 0) } == 0 {
            return true;
        }
        io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The process id in a temporary name of this tool made on this machine, if `name` is one:
/// today's `.<name>.usdz-<pid>-<host>-<random>.partial`, or the `.<name>.<pid>.<n>.partial` of
/// earlier versions (`.zip` and `.json` only).
fn temp_owner(name: &str) -> Option<u32> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let stem = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    if let Some((_, tail)) = stem.rsplit_once(&format!(".{TEMP_TAG}-")) {
        let mut parts = tail.splitn(3, '-');
        let (pid, host, rand) = (parts.next()?, parts.next()?, parts.next()?);
        let ok = digits(pid) && host == host_tag() && !rand.is_empty();
        return ok.then(|| pid.parse().ok())?;
    }
    let (rest, n) = stem.rsplit_once('.')?;
    let (base, pid) = rest.rsplit_once('.')?;
    let ours = [".zip", ".json"]
        .iter()
        .any(|e| base.to_ascii_lowercase().ends_with(e));
    (ours && digits(pid) && digits(n)).then(|| pid.parse().ok())?
}

/// When a process started (Linux: from /proc), to tell a reused pid from the one that made a
/// file.
fn process_start(pid: u32) -> Option<std::time::SystemTime> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_comm = &stat[stat.rfind(')')? + 1..];
        // fields from 3 (state) on; starttime is field 22
        let ticks: u64 = after_comm.split_whitespace().nth(19)?.parse().ok()?;
        let btime: u64 = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let hz = u64::try_from(hz).ok().filter(|&h| h > 0)?;
        Some(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(btime * 1000 + ticks * 1000 / hz),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Whether the process that made a temporary (last written at `modified`) is gone: no process
/// with its id, or one that started after the file was last written (the id was reused).
fn owner_gone(pid: u32, modified: Option<std::time::SystemTime>) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if !process_alive(pid) {
        return true;
    }
    match (process_start(pid), modified) {
        // a margin for the start time's clock-tick and boot-time rounding
        (Some(start), Some(m)) => start > m + std::time::Duration::from_secs(2),
        _ => false,
    }
}

/// Removes the temporaries of this tool in `dir` made on this machine whose process is gone (a
/// killed or crashed export): regular files owned by this user only. Returns the names removed.
pub fn remove_stale_temps(dir: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_owner(&name) else {
            continue;
        };
        let Ok(m) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if !m.file_type().is_file() || !owner_gone(pid, m.modified().ok()) {
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions.
            if m.uid() != unsafe { libc::geteuid() } {
                continue;
            }
        }
        if std::fs::remove_file(e.path()).is_ok() {
            removed.push(name);
        }
    }
    removed.sort();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn temp_names_are_recognised_and_unpredictable() {
        let d = tempfile::tempdir().unwrap();
        let a = temp_beside(&d.path().join("o.zip")).unwrap();
        let b = temp_beside(&d.path().join("o.zip")).unwrap();
        let na = a.path().file_name().unwrap().to_str().unwrap().to_string();
        let nb = b.path().file_name().unwrap().to_str().unwrap().to_string();
        assert_ne!(na, nb);
        assert_eq!(temp_owner(&na), Some(std::process::id()));
        assert_eq!(temp_owner(".o.zip.12.3.partial"), Some(12));
        assert_eq!(temp_owner(".o.zip.mapping.json.12.3.partial"), Some(12));
        assert_eq!(temp_owner(".notes.txt.12.3.partial"), None);
        let host = host_tag();
        assert_eq!(
            temp_owner(&format!(".o.zip.usdz-12-{host}-abc.partial")),
            Some(12)
        );
        assert_eq!(
            temp_owner(".o.zip.usdz-12-0000zzzz-abc.partial"),
            None,
            "other host"
        );
        assert_eq!(
            temp_owner(&format!(".o.zip.usdz-x-{host}-abc.partial")),
            None
        );
        assert_eq!(
            temp_owner(&format!("o.zip.usdz-12-{host}-abc.partial")),
            None
        );
        // a live process that started after the file was written did not write it
        let long_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(3600 * 24 * 365 * 30);
        assert!(
            !owner_gone(std::process::id(), Some(long_ago)),
            "never this process"
        );
        if process_start(1).is_some() {
            assert!(
                owner_gone(1, Some(long_ago)),
                "pid 1 started after the file"
            );
            assert!(!owner_gone(1, Some(std::time::SystemTime::now())));
        }
        #[cfg(unix)]
        assert_eq!(mode(a.path()), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_folders() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("new/inner");
        create_private_dir(&f).unwrap();
        assert_eq!(mode(&f), 0o700);
        assert_eq!(mode(&d.path().join("new")), 0o700);
        // an existing folder keeps its mode
        let open = d.path().join("open");
        std::fs::create_dir(&open).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&open).unwrap();
        assert_eq!(mode(&open), 0o755);

        let p = d.path().join("x.json");
        write_private(&p, b"one", false).unwrap();
        assert_eq!(mode(&p), 0o600);
        assert!(write_private(&p, b"two", false).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_private(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert!(create_private(&p).is_err());

        // never through a symbolic link, even when replacing is allowed
        let target = d.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_private(&link, b"evil", true).is_err());
        assert!(create_private(&link).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let only: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".partial"))
            .collect();
        assert!(only.is_empty(), "temporaries left: {only:?}");
    }

    #[test]
    fn lock_is_exclusive_and_released() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("o.zip");
        let first = DestLock::acquire(&dest).unwrap();
        let second = DestLock::acquire(&dest).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        drop(first);
        assert!(!DestLock::path_for(&dest).exists());
        let _again = DestLock::acquire(&dest).unwrap();
    }
}
