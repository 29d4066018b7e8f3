//! The content identity of an input: what a person decided for a file (crop, tags) belongs to
//! the file's content, not to the path it was opened by. The identity is a SHA-256 over the
//! SOP Instance UID and the SHA-256 of every byte of the file, so the same file opened by
//! another path, from a copy, or inside a ZIP is recognised, and an edited file is not. The
//! result is a hash: it does not show the UID or anything of the file.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::load::{InputSource, SourceKind};
use super::settings::LoadSettings;

/// `sha256(SOP Instance UID, 0, sha256(bytes))` as 32 hex digits (128 bits).
pub fn identity_of_bytes(sop_instance_uid: &str, content_sha256: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(sop_instance_uid.trim_end_matches(['\0', ' ']).as_bytes());
    h.update([0u8]);
    h.update(content_sha256);
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads the input (streamed for plain files) and returns its identity.
pub fn content_identity(
    source: &InputSource,
    sop_instance_uid: &str,
    limits: &LoadSettings,
) -> Result<String, String> {
    // streamed for files and ZIP members alike: memory does not follow the input's size
    let max = limits.max_file_mb.saturating_mul(1 << 20);
    let f = source.open_member()?;
    let mut f = f.take(max + 1);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total: u64 = 0;
    loop {
        let n = f.read(&mut buf).map_err(|e| match &source.kind {
            SourceKind::File(_) => format!("cannot read: {}", e.kind()),
            SourceKind::ZipMember { .. } => format!("cannot decompress ZIP member: {e}"),
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    if total > max {
        return Err(format!(
            "larger than load.max_file_mb ({} MB)",
            limits.max_file_mb
        ));
    }
    let digest = h.finalize().to_vec();
    Ok(identity_of_bytes(sop_instance_uid, &digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::load::InputSource;

    fn file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> InputSource {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        InputSource {
            kind: SourceKind::File(p),
            size: bytes.len() as u64,
        }
    }

    #[test]
    fn same_bytes_by_any_path_same_identity_edit_or_other_uid_differs() {
        let d = tempfile::tempdir().unwrap();
        let limits = crate::core::settings::Settings::defaults().load;
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let a = file(d.path(), "a.dcm", &bytes);
        std::fs::create_dir(d.path().join("sub")).unwrap();
        let b = file(&d.path().join("sub"), "other name.dcm", &bytes);
        let mut edited = bytes.clone();
        edited[2_500_000] ^= 1;
        let c = file(d.path(), "c.dcm", &edited);
        let id = |s: &InputSource, uid: &str| content_identity(s, uid, &limits).unwrap();
        assert_eq!(id(&a, "1.2.3"), id(&b, "1.2.3"));
        assert_eq!(id(&a, "1.2.3"), id(&a, "1.2.3\0"), "UID padding ignored");
        assert_ne!(id(&a, "1.2.3"), id(&c, "1.2.3"), "one byte changed");
        assert_ne!(id(&a, "1.2.3"), id(&a, "1.2.4"));
        let s = id(&a, "1.2.3");
        assert_eq!(s.len(), 32);
        assert!(!s.contains("1.2.3"));
    }
}
