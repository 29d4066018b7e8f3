//! Our own index of a ZIP archive's central directory: every entry kept even when two share a
//! name (the `zip` crate keys its index by name and drops one of them), members read as streams
//! with sizes checked. Its memory does not grow with the number of members: the directory is
//! read once as a stream (checked entry by entry, never into one buffer) and only the file
//! offset of every [`STEP`]th entry is kept; an entry is read on demand from the checkpoint
//! before it, and all of them in order by [`Index::entries`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
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

/// Directory entries between two checkpoints: a lookup reads at most this many.
pub const STEP: usize = 64;

/// Where an archive's directory lies, checked whole once, with a checkpoint every [`STEP`]
/// entries (8 bytes per [`STEP`] members).
#[derive(Debug)]
pub struct Directory {
    path: PathBuf,
    count: usize,
    /// End of the central directory in the file.
    end: u64,
    /// File offset of entry `k * STEP`.
    checkpoints: Vec<u64>,
}

/// The directory of one archive, shared.
pub type Index = Arc<Directory>;

impl Directory {
    /// The number of entries (directories included).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Entry `i` (in central directory order), read from the checkpoint before it.
    pub fn get(&self, i: usize) -> Result<Entry, String> {
        if i >= self.count {
            return Err("cannot read ZIP member: the archive changed".into());
        }
        let mut r = self.reader_at(i / STEP)?;
        for _ in 0..i % STEP {
            r.skip_entry()?;
        }
        r.entry()
    }

    /// Every entry, in central directory order, read as a stream.
    pub fn entries(&self) -> Result<Entries, String> {
        Ok(Entries {
            reader: self.reader_at(0)?,
            left: self.count,
        })
    }

    fn reader_at(&self, checkpoint: usize) -> Result<CdReader, String> {
        let at = *self
            .checkpoints
            .get(checkpoint)
            .ok_or("cannot read ZIP member: the archive changed")?;
        CdReader::open(&self.path, at, self.end)
    }
}

/// The entries of an archive as a stream (see [`Directory::entries`]).
pub struct Entries {
    reader: CdReader,
    left: usize,
}

impl Iterator for Entries {
    type Item = Result<Entry, String>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let e = self.reader.entry();
        if e.is_err() {
            self.left = 0;
        }
        Some(e)
    }
}

/// Reads central directory entries one at a time from a position up to the directory's end.
struct CdReader {
    r: BufReader<File>,
    pos: u64,
    end: u64,
}

impl CdReader {
    fn open(path: &Path, at: u64, end: u64) -> Result<CdReader, String> {
        let mut f = File::open(path).map_err(|e| format!("cannot open archive: {}", e.kind()))?;
        f.seek(SeekFrom::Start(at))
            .map_err(|_| bad("central directory truncated"))?;
        Ok(CdReader {
            r: BufReader::with_capacity(16 << 10, f),
            pos: at,
            end,
        })
    }

    /// The fixed part of the next entry and its variable lengths (name, extra, comment).
    fn head(&mut self) -> Result<([u8; 46], usize, usize, usize), String> {
        let broken = || bad("broken central directory entry");
        if self.pos + 46 > self.end {
            return Err(broken());
        }
        let mut h = [0u8; 46];
        self.r.read_exact(&mut h).map_err(|_| broken())?;
        if h[..4] != *b"PK\x01\x02" {
            return Err(broken());
        }
        let (n, x, c) = (
            u16_at(&h, 28) as usize,
            u16_at(&h, 30) as usize,
            u16_at(&h, 32) as usize,
        );
        if self.pos + (46 + n + x + c) as u64 > self.end {
            return Err(broken());
        }
        Ok((h, n, x, c))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        self.r
            .seek_relative(n as i64)
            .map_err(|_| bad("central directory truncated"))
    }

    /// Steps over the next entry, checked as [`entry`](Self::entry) checks it.
    fn skip_entry(&mut self) -> Result<(), String> {
        let (_, n, x, c) = self.head()?;
        self.skip(n + x + c)?;
        self.pos += (46 + n + x + c) as u64;
        Ok(())
    }

    fn entry(&mut self) -> Result<Entry, String> {
        let (h, name_len, extra_len, comment_len) = self.head()?;
        let truncated = |_| bad("central directory truncated");
        let mut name_bytes = vec![0u8; name_len];
        self.r.read_exact(&mut name_bytes).map_err(truncated)?;
        let mut extra_buf = vec![0u8; extra_len];
        self.r.read_exact(&mut extra_buf).map_err(truncated)?;
        self.skip(comment_len)?;
        self.pos += (46 + name_len + extra_len + comment_len) as u64;
        let flags = u16_at(&h, 8);
        let method = u16_at(&h, 10);
        let crc = u32_at(&h, 16);
        let mut compressed = u32_at(&h, 20) as u64;
        let mut usize_ = u32_at(&h, 24) as u64;
        let mut local_header = u32_at(&h, 42) as u64;
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        // ZIP64 extra field: the values that are 0xFFFFFFFF, in order
        let mut extra = &extra_buf[..];
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
        Ok(Entry {
            name,
            method,
            flags,
            crc,
            compressed,
            size: usize_,
            local_header,
        })
    }
}

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

/// Finds and checks the central directory of an archive: every entry is read once (a broken
/// one refuses the whole archive, as before), keeping only the checkpoints.
pub fn read_directory(path: &Path) -> Result<Directory, String> {
    let mut f = File::open(path).map_err(|e| format!("cannot open archive: {}", e.kind()))?;
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
    let count = usize::try_from(count).map_err(|_| bad("too many entries"))?;
    let end = cd_offset + cd_size;
    let mut checkpoints = Vec::with_capacity(count.div_ceil(STEP));
    let mut r = CdReader::open(path, cd_offset, end)?;
    for i in 0..count {
        if i % STEP == 0 {
            checkpoints.push(r.pos);
        }
        r.skip_entry()?;
    }
    Ok(Directory {
        path: path.to_path_buf(),
        count,
        end,
        checkpoints,
    })
}

/// Every entry of an archive, in central directory order, in memory (for tests and tools;
/// the loader reads them through [`index`]).
pub fn read_index(path: &Path) -> Result<Vec<Entry>, String> {
    read_directory(path)?.entries()?.collect()
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
    let i = Arc::new(read_directory(path)?);
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
