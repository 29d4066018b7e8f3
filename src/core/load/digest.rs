//! A ZIP member is unpacked once per opening: whoever unpacks it whole (the loader, into memory
//! or into a spill file) takes the SHA-256 of its bytes on the way and leaves it here, so the
//! content identity that follows does not inflate and CRC-check the member a second time.
//!
//! Only digests of members read to their end (size and CRC checked by the member stream) are
//! kept. They are keyed by the archive's path, length and modification time and the member's
//! place in it, so a changed archive is unpacked again. A small bounded table.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use super::sources::{InputSource, SourceKind};

/// (archive, its length, its modification time, member index, member size).
type Key = (PathBuf, u64, Option<std::time::SystemTime>, usize, u64);

/// Entries kept before the table is emptied (a digest is asked for right after its member was
/// read, on the same worker: a few workers need a few entries). About 40 KB: a batch over an
/// archive of thousands of members held 4,096 entries, ~180 B a member up to that.
const MAX_ENTRIES: usize = 256;

fn table() -> &'static Mutex<HashMap<Key, [u8; 32]>> {
    static T: OnceLock<Mutex<HashMap<Key, [u8; 32]>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

fn key(source: &InputSource) -> Option<Key> {
    let SourceKind::ZipMember { archive, index, .. } = &source.kind else {
        return None;
    };
    let meta = std::fs::metadata(archive).ok()?;
    Some((
        archive.clone(),
        meta.len(),
        meta.modified().ok(),
        *index,
        source.size,
    ))
}

/// Keeps the digest of a ZIP member that was read whole (no-op for plain files).
pub fn remember(source: &InputSource, digest: [u8; 32]) {
    let Some(k) = key(source) else {
        return;
    };
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    if t.len() >= MAX_ENTRIES {
        t.clear();
    }
    t.insert(k, digest);
}

/// The SHA-256 of a ZIP member's bytes when it was already unpacked whole, unchanged since.
pub fn known(source: &InputSource) -> Option<[u8; 32]> {
    let k = key(source)?;
    table()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&k)
        .copied()
}

/// A reader that hashes what passes through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The digest of everything read so far.
    pub fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
