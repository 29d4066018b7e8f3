//! The project key: the secret behind UID remapping and date shifting.
//!
//! It is read from `--key-file PATH` / `[deid] key_file`, or else created once as
//! `<config_dir>/deid.key` (32 random bytes, mode 0600 on unix) and reused. The key never enters
//! an export. Losing it means later exports of the same patients get different UIDs and shifts.

use super::error::{CoreError, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the generated key inside the config directory.
pub const KEY_FILE_NAME: &str = "deid.key";
/// Length of a generated key in bytes.
pub const KEY_LEN: usize = 32;

/// Loads the key file if one is given (error if it is missing or empty); otherwise loads
/// `<config_dir>/deid.key`, creating it with 32 random bytes on first use.
pub fn load_or_create_key(config_dir: &Path, key_file: Option<&Path>) -> Result<Vec<u8>> {
    if let Some(p) = key_file {
        let k = std::fs::read(p).map_err(|e| {
            CoreError::Config(format!(
                "cannot read the key file given in settings or --key-file: {e}"
            ))
        })?;
        if k.is_empty() {
            return Err(CoreError::Config("the key file is empty".into()));
        }
        return Ok(k);
    }
    let path = config_dir.join(KEY_FILE_NAME);
    match std::fs::read(&path) {
        Ok(k) if !k.is_empty() => return Ok(k),
        Ok(_) => {
            return Err(CoreError::Config(format!(
                "{} is empty; delete it to create a new key (UIDs and date shifts will change)",
                path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(CoreError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    }
    std::fs::create_dir_all(config_dir)?;
    let mut key = vec![0u8; KEY_LEN];
    getrandom::fill(&mut key)
        .map_err(|e| CoreError::Config(format!("no system randomness for the key: {e}")))?;
    match write_new_key(&path, &key) {
        Ok(()) => Ok(key),
        // Another process created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let k = std::fs::read(&path)?;
            if k.is_empty() {
                return Err(CoreError::Config(format!("{} is empty", path.display())));
            }
            Ok(k)
        }
        Err(e) => Err(e.into()),
    }
}

/// Default location of the generated key.
pub fn default_key_path(config_dir: &Path) -> PathBuf {
    config_dir.join(KEY_FILE_NAME)
}

fn write_new_key(path: &Path, key: &[u8]) -> std::io::Result<()> {
    // Write to a private temp file, then hard-link it into place: readers never see a partial
    // key, and `link` fails if the key appeared in the meantime.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = std::fs::remove_file(&tmp);
    let mut f = opts.open(&tmp)?;
    f.write_all(key)?;
    f.sync_all()?;
    drop(f);
    let r = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    r
}

/// The per-patient date offset in days: HMAC(key, "date-shift:" + original Patient ID), mapped
/// to `[-max_days, -1] ∪ [1, max_days]` (never 0). `max_days` 0 is treated as 1.
pub fn date_shift_days(key: &[u8], original_patient_id: &str, max_days: u32) -> i32 {
    let max = max_days.clamp(1, 1_000_000) as u64;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(b"date-shift:");
    mac.update(original_patient_id.trim_end_matches(['\0', ' ']).as_bytes());
    let d = mac.finalize().into_bytes();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    let n = u64::from_be_bytes(b) % (2 * max); // 0 .. 2max-1
    let v = n as i64 - max as i64; // -max .. max-1
    (if v >= 0 { v + 1 } else { v }) as i32
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
        std::fs::write(&p, b"secret").unwrap();
        assert_eq!(load_or_create_key(d.path(), Some(&p)).unwrap(), b"secret");
        assert!(!d.path().join(KEY_FILE_NAME).exists());
    }

    #[test]
    fn shift_is_keyed_nonzero_and_bounded() {
        let mut seen_neg = false;
        let mut seen_pos = false;
        for i in 0..2000 {
            let s = date_shift_days(b"k", &format!("P{i}"), 365);
            assert!(s != 0 && (-365..=365).contains(&s));
            seen_neg |= s < 0;
            seen_pos |= s > 0;
        }
        assert!(seen_neg && seen_pos);
        assert_eq!(
            date_shift_days(b"k", "P1", 365),
            date_shift_days(b"k", "P1", 365)
        );
        let diff = (0..20).any(|i| {
            date_shift_days(b"k", &format!("P{i}"), 365)
                != date_shift_days(b"j", &format!("P{i}"), 365)
        });
        assert!(diff);
        for i in 0..100 {
            let s = date_shift_days(b"k", &format!("P{i}"), 1);
            assert!(s == 1 || s == -1);
        }
    }
}
