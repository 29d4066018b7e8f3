//! The project key: the secret behind UID remapping and date shifts.
//!
//! It is read from `--key-file PATH` / `[deid] key_file`, or else created once as
//! `<config_dir>/deid.key` (32 random bytes, mode 0600 on unix) and reused. The key never enters
//! an export. Losing it means later exports of the same patients get different UIDs and shifts.
//!
//! A key file must be a regular file (not a symbolic link, device or pipe) of the expected size:
//! exactly 32 bytes for `deid.key`, 16 to 4096 bytes for a given key file. One that group or
//! others may read or write is used with a warning, or refused when `[deid] key_permissions =
//! "refuse"`.

use super::error::{CoreError, Result};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// File name of the generated key inside the config directory.
pub const KEY_FILE_NAME: &str = "deid.key";
/// Length of a generated key in bytes.
pub const KEY_LEN: usize = 32;
/// Smallest and largest key file accepted through `--key-file` / `[deid] key_file`.
pub const KEY_FILE_MIN: u64 = 16;
pub const KEY_FILE_MAX: u64 = 4096;

/// `[deid] key_permissions`: what happens when the key file is open to group or others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyPermissions {
    /// Use it and warn.
    #[default]
    Warn,
    /// Refuse to run.
    Refuse,
}

/// A key as loaded, with a warning for the user when its file is not private.
#[derive(Debug, Clone)]
pub struct LoadedKey {
    pub bytes: Vec<u8>,
    pub warning: Option<String>,
}

/// Loads the key file if one is given; otherwise loads `<config_dir>/deid.key`, creating it with
/// 32 random bytes on first use. Refuses what is not a private regular file of the expected size
/// (see the module documentation); `permissions` decides about files open to group or others.
pub fn load_key(
    config_dir: &Path,
    key_file: Option<&Path>,
    permissions: KeyPermissions,
) -> Result<LoadedKey> {
    if let Some(p) = key_file {
        return read_key_file(p, KEY_FILE_MIN..=KEY_FILE_MAX, permissions).map_err(|e| {
            CoreError::Config(format!("the key file given in settings or --key-file: {e}"))
        });
    }
    let path = config_dir.join(KEY_FILE_NAME);
    let exact = KEY_LEN as u64..=KEY_LEN as u64;
    match read_key_file(&path, exact.clone(), permissions) {
        Ok(k) => return Ok(k),
        Err(KeyError::Missing) => {}
        Err(e) => return Err(CoreError::Config(format!("{}: {e}", path.display()))),
    }
    crate::core::fsutil::create_private_dir(config_dir)?;
    let mut key = vec![0u8; KEY_LEN];
    getrandom::fill(&mut key)
        .map_err(|e| CoreError::Config(format!("no system randomness for the key: {e}")))?;
    match write_new_key(&path, &key) {
        Ok(()) => Ok(LoadedKey {
            bytes: key,
            warning: None,
        }),
        // Another process created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key_file(&path, exact, permissions)
                .map_err(|e| CoreError::Config(format!("{}: {e}", path.display())))
        }
        Err(e) => Err(e.into()),
    }
}

/// [`load_key`] with the default permission policy, the warning dropped.
pub fn load_or_create_key(config_dir: &Path, key_file: Option<&Path>) -> Result<Vec<u8>> {
    load_key(config_dir, key_file, KeyPermissions::Warn).map(|k| k.bytes)
}

/// Default location of the generated key.
pub fn default_key_path(config_dir: &Path) -> PathBuf {
    config_dir.join(KEY_FILE_NAME)
}

#[derive(Debug)]
enum KeyError {
    Missing,
    Bad(String),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Missing => f.write_str("does not exist"),
            KeyError::Bad(s) => f.write_str(s),
        }
    }
}

/// Opens without following a symbolic link and without blocking (a pipe), then checks type,
/// size and mode on the open file itself, and reads no more than the size allows.
fn read_key_file(
    path: &Path,
    size: std::ops::RangeInclusive<u64>,
    permissions: KeyPermissions,
) -> std::result::Result<LoadedKey, KeyError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // a dangling symbolic link is still a symbolic link
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(KeyError::Bad(
                    "is a symbolic link: give the key file itself".into(),
                ));
            }
            return Err(KeyError::Missing);
        }
        Err(e) => {
            let link = std::fs::symlink_metadata(path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            return Err(KeyError::Bad(if link {
                "is a symbolic link: give the key file itself".into()
            } else {
                format!("cannot read it: {e}")
            }));
        }
    };
    let m = f
        .metadata()
        .map_err(|e| KeyError::Bad(format!("cannot read it: {e}")))?;
    if !m.is_file() {
        return Err(KeyError::Bad(
            "is not a regular file (a device, pipe or folder cannot be a key)".into(),
        ));
    }
    if !size.contains(&m.len()) {
        let expected = if size.start() == size.end() {
            format!("{} bytes", size.start())
        } else {
            format!("{} to {} bytes", size.start(), size.end())
        };
        return Err(KeyError::Bad(format!(
            "is {} bytes, a key file must be {expected}",
            m.len()
        )));
    }
    let mut warning = None;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = m.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let what = format!(
                "`{}` can be read or changed by group or others (mode {mode:04o}): `chmod 600` it",
                path.display()
            );
            match permissions {
                KeyPermissions::Refuse => {
                    return Err(KeyError::Bad(format!(
                        "is not private, refused by [deid] key_permissions = \"refuse\": {what}"
                    )))
                }
                KeyPermissions::Warn => warning = Some(format!("the project key {what}")),
            }
        }
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    f.take(*size.end() + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| KeyError::Bad(format!("cannot read it: {e}")))?;
    if !size.contains(&(bytes.len() as u64)) {
        return Err(KeyError::Bad("changed size while being read".into()));
    }
    Ok(LoadedKey { bytes, warning })
}

fn write_new_key(path: &Path, key: &[u8]) -> std::io::Result<()> {
    // Written whole under a private temporary name, then put in place without replacing:
    // readers never see a partial key, and this fails if the key appeared in the meantime.
    let mut tmp = crate::core::fsutil::temp_beside(path)?;
    tmp.write_all(key)?;
    tmp.as_file().sync_all()?;
    crate::core::fsutil::persist(tmp, path, false)
}

/// The per-patient date offset in days, never smaller than `min_days` nor larger than
/// `max_days` in magnitude: `[-max, -min] ∪ [min, max]`.
///
/// The draws come from HMAC(key, "date-shift:" + original Patient ID): the first 8 bytes give
/// a value in `[-max, -1] ∪ [1, max]` (the mapping used before `min_days` existed, so a patient
/// whose shift was already at least `min_days` keeps it); a draw under `min_days` is rejected
/// and the next 8 bytes are tried (then further HMACs with a counter), which keeps the shift
/// uniform over the allowed range. `min_days` 0 is treated as 1; `max_days` is at least
/// `min_days`.
pub fn date_shift_days(key: &[u8], original_patient_id: &str, min_days: u32, max_days: u32) -> i32 {
    let min = min_days.clamp(1, 1_000_000) as i64;
    let max = (max_days as i64).clamp(min, 1_000_000) as u64;
    let id = original_patient_id.trim_end_matches(['\0', ' ']).as_bytes();
    for round in 0u32..64 {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
        mac.update(b"date-shift:");
        if round > 0 {
            mac.update(format!("{round}:").as_bytes());
        }
        mac.update(id);
        let d = mac.finalize().into_bytes();
        for chunk in d.chunks_exact(8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            let n = u64::from_be_bytes(b) % (2 * max); // 0 .. 2max-1
            let v = n as i64 - max as i64; // -max .. max-1
            let v = if v >= 0 { v + 1 } else { v };
            if v.abs() >= min {
                return v as i32;
            }
        }
    }
    // 256 draws all under min_days: only possible when min is almost max; take the edge.
    max as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_and_reuses() {
        let d = tempfile::tempdir().unwrap();
        let k1 = load_or_create_key(d.path(), None).unwrap();
        assert_eq!(k1.len(), KEY_LEN);
        let k2 = load_or_create_key(d.path(), None).unwrap();
        assert_eq!(k1, k2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(d.path().join(KEY_FILE_NAME)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn explicit_key_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.bin");
        assert!(load_or_create_key(d.path(), Some(&p)).is_err());
        std::fs::write(&p, b"").unwrap();
        assert!(load_or_create_key(d.path(), Some(&p)).is_err());
        std::fs::write(&p, b"0123456789abcdef-secret").unwrap();
        assert_eq!(
            load_or_create_key(d.path(), Some(&p)).unwrap(),
            b"0123456789abcdef-secret"
        );
        assert!(!d.path().join(KEY_FILE_NAME).exists());
    }

    #[cfg(unix)]
    #[test]
    fn key_files_of_the_wrong_kind_or_size_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let good = d.path().join("good.key");
        std::fs::write(&good, [9u8; 32]).unwrap();
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
        let w = |p: &Path| load_key(d.path(), Some(p), KeyPermissions::Warn);
        assert!(w(&good).unwrap().warning.is_none());
        // too short, too long
        for n in [1usize, 15, 4097, 1 << 20] {
            let p = d.path().join(format!("k{n}"));
            std::fs::write(&p, vec![1u8; n]).unwrap();
            let e = w(&p).unwrap_err().to_string();
            assert!(e.contains("bytes"), "{n}: {e}");
        }
        // a symbolic link, even to a good key, and a dangling one
        let link = d.path().join("link.key");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        assert!(w(&link).unwrap_err().to_string().contains("symbolic link"));
        let dangling = d.path().join("dangling.key");
        std::os::unix::fs::symlink(d.path().join("none"), &dangling).unwrap();
        assert!(w(&dangling)
            .unwrap_err()
            .to_string()
            .contains("symbolic link"));
        // devices, pipes and folders are not read
        for p in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            assert!(w(Path::new(p)).unwrap_err().to_string().contains("regular"));
        }
        assert!(w(d.path()).unwrap_err().to_string().contains("regular"));
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(w(&fifo).unwrap_err().to_string().contains("regular"));
        // the generated key must keep its exact size
        std::fs::write(d.path().join(KEY_FILE_NAME), [1u8; 31]).unwrap();
        assert!(load_or_create_key(d.path(), None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn key_open_to_others_warns_or_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.key");
        std::fs::write(&p, [3u8; 32]).unwrap();
        for mode in [0o640, 0o604, 0o660, 0o666, 0o602] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            let k = load_key(d.path(), Some(&p), KeyPermissions::Warn).unwrap();
            assert_eq!(k.bytes, [3u8; 32]);
            assert!(k.warning.unwrap().contains(&format!("{mode:04o}")));
            let e = load_key(d.path(), Some(&p), KeyPermissions::Refuse).unwrap_err();
            assert!(e.to_string().contains("key_permissions"), "{e}");
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(load_key(d.path(), Some(&p), KeyPermissions::Refuse).is_ok());
        // the default key the same way
        let cfg = d.path().join("cfg");
        let k = load_key(&cfg, None, KeyPermissions::Refuse).unwrap();
        assert!(k.warning.is_none());
        let made = cfg.join(KEY_FILE_NAME);
        assert_eq!(
            std::fs::metadata(&made).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_key(&cfg, None, KeyPermissions::Refuse).is_err());
        assert!(load_key(&cfg, None, KeyPermissions::Warn)
            .unwrap()
            .warning
            .is_some());
    }

    #[test]
    fn shift_is_keyed_nonzero_and_bounded() {
        let mut seen_neg = false;
        let mut seen_pos = false;
        for i in 0..2000 {
            let s = date_shift_days(b"k", &format!("P{i}"), 1, 365);
            assert!(s != 0 && (-365..=365).contains(&s));
            seen_neg |= s < 0;
            seen_pos |= s > 0;
        }
        assert!(seen_neg && seen_pos);
        assert_eq!(
            date_shift_days(b"k", "P1", 1, 365),
            date_shift_days(b"k", "P1", 1, 365)
        );
        let diff = (0..20).any(|i| {
            date_shift_days(b"k", &format!("P{i}"), 1, 365)
                != date_shift_days(b"j", &format!("P{i}"), 1, 365)
        });
        assert!(diff);
        for i in 0..100 {
            let s = date_shift_days(b"k", &format!("P{i}"), 1, 1);
            assert!(s == 1 || s == -1);
        }
    }

    /// The mapping before `min_days` existed: one draw from the first 8 bytes.
    fn first_draw(key: &[u8], id: &str, max: u64) -> i64 {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(b"date-shift:");
        mac.update(id.as_bytes());
        let d = mac.finalize().into_bytes();
        let n = u64::from_be_bytes(d[..8].try_into().unwrap()) % (2 * max);
        let v = n as i64 - max as i64;
        if v >= 0 {
            v + 1
        } else {
            v
        }
    }

    #[test]
    fn shift_respects_the_minimum_and_keeps_shifts_that_already_did() {
        let mut kept = 0;
        let mut redrawn = 0;
        let mut small = [false; 2];
        for i in 0..5000 {
            let id = format!("P{i}");
            let s = date_shift_days(b"k", &id, 30, 365) as i64;
            assert!((30..=365).contains(&s.abs()), "{id}: {s}");
            let old = first_draw(b"k", &id, 365);
            if old.abs() >= 30 {
                assert_eq!(s, old, "{id}: a shift that met the minimum must not change");
                kept += 1;
            } else {
                redrawn += 1;
                small[(s > 0) as usize] = true;
            }
        }
        // About 29/365 of the patients had a shift under 30 days; they get a new one, of
        // either sign.
        assert!(
            kept > 4000 && redrawn > 200,
            "kept {kept}, redrawn {redrawn}"
        );
        assert!(small[0] && small[1]);
        // min == max: only the two edges.
        for i in 0..200 {
            let s = date_shift_days(b"k", &format!("P{i}"), 7, 7);
            assert!(s == 7 || s == -7, "{s}");
        }
    }
}
