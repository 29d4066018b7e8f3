//! Our own index of a ZIP archive's central directory: read once per archive (linear in the
//! number of members), every entry kept even when two share a name (the `zip` crate keys its
//! index by name and drops one of them), members read as streams with sizes checked.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One central directory entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    pub local_header: u64,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
    pub fn encrypted(&self) -> bool {
        self.flags & 1 == 1
    }
}

/// The entries of one archive, in central directory order.
pub type Index = Arc<Vec<Entry>>;

fn u16_at(b: &[u8], p: usize) -> u16 {
    u16::from_le_bytes([b[p], b[p + 1]])
}
fn u32_at(b: &[u8], p: usize) -> u32 {
    u32::from_le_bytes(b[p..p + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], p: usize) -> u64 {
    u64::from_le_bytes(b[p..p + 8].try_into().unwrap())
}

fn bad(what: &str) -> String {
    format!("not a readable ZIP archive: {what}")
}

/// Reads the central directory of an archive.
pub fn read_index(path: &Path) -> Result<Vec<Entry>, String> {
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot open archive: {}", e.kind()))?;
    let size = f.metadata().map_err(|e| bad(&e.kind().to_string()))?.len();
    // End of central directory: in the last 64 KB + 22 bytes.
    let tail_len = size.min(65_557);
    let mut tail = vec![0u8; tail_len as usize];
    f.seek(SeekFrom::Start(size - tail_len))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| bad(&e.kind().to_string()))?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&p| tail[p..p + 4] == *b"PK\x05\x06")
        .ok_or_else(|| bad("no end of central directory"))?;
    let mut count = u16_at(&tail, eocd + 10) as u64;
    let mut cd_size = u32_at(&tail, eocd + 12) as u64;
    let mut cd_offset = u32_at(&tail, eocd + 16) as u64;
    let eocd_abs = size - tail_len + eocd as u64;
    if (count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF) && eocd >= 20 {
        // ZIP64 locator just before the end record
        let loc = eocd - 20;
        if tail[loc..loc + 4] == *b"PK\x06\x07" {
            let at = u64_at(&tail, loc + 8);
            let mut rec = [0u8; 56];
            f.seek(SeekFrom::Start(at))
                .and_then(|_| f.read_exact(&mut rec))
                .map_err(|_| bad("broken ZIP64 end record"))?;
            if rec[..4] != *b"PK\x06\x06" {
                return Err(bad("broken ZIP64 end record"));
            }
            count = u64_at(&rec, 32);
            cd_size = u64_at(&rec, 40);
            cd_offset = u64_at(&rec, 48);
        }
    }
    if cd_offset.saturating_add(cd_size) > eocd_abs.max(size) || cd_size > size {
        return Err(bad("central directory outside the file"));
    }
    // each entry takes at least 46 bytes
    if count.saturating_mul(46) > cd_size {
        return Err(bad("central directory shorter than its entry count"));
    }
    let mut cd = vec![0u8; cd_size as usize];
    f.seek(SeekFrom::Start(cd_offset))
        .and_then(|_| f.read_exact(&mut cd))
        .map_err(|_| bad("central directory truncated"))?;
    let mut out = Vec::with_capacity(count as usize);
    let mut p = 0usize;
    for _ in 0..count {
        if p + 46 > cd.len() || cd[p..p + 4] != *b"PK\x01\x02" {
            return Err(bad("broken central directory entry"));
        }
        let flags = u16_at(&cd, p + 8);
        let method = u16_at(&cd, p + 10);
        let crc = u32_at(&cd, p + 16);
        let mut compressed = u32_at(&cd, p + 20) as u64;
        let mut usize_ = u32_at(&cd, p + 24) as u64;
        let name_len = u16_at(&cd, p + 28) as usize;
        let extra_len = u16_at(&cd, p + 30) as usize;
        let comment_len = u16_at(&cd, p + 32) as usize;
        let mut local_header = u32_at(&cd, p + 42) as u64;
        let end = p + 46 + name_len + extra_len + comment_len;
        if end > cd.len() {
            return Err(bad("broken central directory entry"));
        }
        let name_bytes = &cd[p + 46..p + 46 + name_len];
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // ZIP64 extra field: the values that are 0xFFFFFFFF, in order
        let mut extra = &cd[p + 46 + name_len..p + 46 + name_len + extra_len];
        while extra.len() >= 4 {
            let id = u16_at(extra, 0);
            let len = (u16_at(extra, 2) as usize).min(extra.len() - 4);
            if id == 1 {
                let mut v = &extra[4..4 + len];
                for field in [&mut usize_, &mut compressed, &mut local_header] {
                    if *field == 0xFFFF_FFFF && v.len() >= 8 {
                        *field = u64_at(v, 0);
                        v = &v[8..];
                    }
                }
            }
            extra = &extra[4 + len..];
        }
        out.push(Entry {
            name,
            method,
            flags,
            crc,
            compressed,
            size: usize_,
            local_header,
        });
        p = end;
    }
    Ok(out)
}

type Key = (PathBuf, u64, Option<std::time::SystemTime>);

/// The index of an archive, read once and kept while the file is unchanged.
pub fn index(path: &Path) -> Result<Index, String> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Index>>> = OnceLock::new();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot open archive: {}", e.kind()))?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(i) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(i.clone());
    }
    let i = Arc::new(read_index(path)?);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= 16 {
        c.clear();
    }
    c.insert(key, i.clone());
    Ok(i)
}

/// A member's data as a stream (inflated when deflated), never longer than its declared size;
/// the CRC is checked when the stream has been read to its end.
pub fn open_member(path: &Path, e: &Entry) -> Result<Box<dyn Read + Send>, String> {
    if e.encrypted() {
        return Err("encrypted ZIP member".into());
    }
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot open archive: {}", e.kind()))?;
    let mut h = [0u8; 30];
    f.seek(SeekFrom::Start(e.local_header))
        .and_then(|_| f.read_exact(&mut h))
        .map_err(|_| "cannot read ZIP member: local header outside the archive".to_string())?;
    if h[..4] != *b"PK\x03\x04" {
        return Err("cannot read ZIP member: broken local header".into());
    }
    let skip = 30 + u16_at(&h, 26) as u64 + u16_at(&h, 28) as u64;
    let start = e.local_header + skip;
    let file_len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if start.saturating_add(e.compressed) > file_len {
        return Err("cannot read ZIP member: its data runs past the end of the archive".into());
    }
    f.seek(SeekFrom::Start(start))
        .map_err(|e| format!("cannot read ZIP member: {}", e.kind()))?;
    let raw = std::io::BufReader::new(f).take(e.compressed);
    let inner: Box<dyn Read + Send> = match e.method {
        0 => Box::new(raw),
        8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
        m => {
            return Err(format!(
                "ZIP member compressed with method {m}, which is not supported"
            ))
        }
    };
    Ok(Box::new(Checked {
        inner: inner.take(e.size.saturating_add(1)),
        hasher: crc32fast::Hasher::new(),
        read: 0,
        size: e.size,
        crc: e.crc,
    }))
}

/// Counts and hashes what a member yields; errors when it differs from the directory.
struct Checked<R> {
    inner: R,
    hasher: crc32fast::Hasher,
    read: u64,
    size: u64,
    crc: u32,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.size {
            return Err(std::io::Error::other(
                "member larger than its declared size",
            ));
        }
        self.hasher.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            if self.read < self.size {
                return Err(std::io::Error::other(
                    "member shorter than its declared size",
                ));
            }
            if self.hasher.clone().finalize() != self.crc {
                return Err(std::io::Error::other("CRC mismatch (corrupt member)"));
            }
        }
        Ok(n)
    }
}
