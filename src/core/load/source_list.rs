//! The input list of a large batch, on disk: every [`InputSource`] is written to an unnamed
//! temporary file as it is found (with its start in a second one), and read back by number or
//! in order, so the memory of a batch does not grow with the number of inputs. The files have
//! no name on disk (gone when the list is dropped, on success or failure); they hold the input
//! paths, as the process's memory would.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::sources::{InputSource, SourceKind};

/// Builds a list: sources are appended, then [`SourceListWriter::finish`] gives the list.
pub struct SourceListWriter {
    records: BufWriter<File>,
    starts: BufWriter<File>,
    at: u64,
    len: usize,
    dir: Option<PathBuf>,
}

/// A finished list: read by number ([`SourceList::get`]) or in order ([`SourceList::iter`]).
#[derive(Debug)]
pub struct SourceList {
    records: File,
    /// Per source its first byte in `records` (u64 little endian), then the end of the last.
    starts: File,
    len: usize,
    dir: Option<PathBuf>,
}

fn temp(dir: Option<&Path>) -> io::Result<File> {
    match dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
}

impl SourceListWriter {
    /// A new list whose files go in `dir` (else `$TMPDIR`).
    pub fn new(dir: Option<&Path>) -> io::Result<Self> {
        Ok(SourceListWriter {
            records: BufWriter::with_capacity(64 << 10, temp(dir)?),
            starts: BufWriter::with_capacity(16 << 10, temp(dir)?),
            at: 0,
            len: 0,
            dir: dir.map(Path::to_path_buf),
        })
    }

    pub fn push(&mut self, s: &InputSource) -> io::Result<()> {
        let mut rec = Vec::with_capacity(64);
        encode(s, &mut rec);
        self.starts.write_all(&self.at.to_le_bytes())?;
        self.records.write_all(&rec)?;
        self.at += rec.len() as u64;
        self.len += 1;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(mut self) -> io::Result<SourceList> {
        self.starts.write_all(&self.at.to_le_bytes())?;
        let records = self.records.into_inner().map_err(|e| e.into_error())?;
        let starts = self.starts.into_inner().map_err(|e| e.into_error())?;
        Ok(SourceList {
            records,
            starts,
            len: self.len,
            dir: self.dir,
        })
    }
}

impl SourceList {
    /// A list holding `sources` (tests, small callers).
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = &'a InputSource>,
        dir: Option<&Path>,
    ) -> io::Result<SourceList> {
        let mut w = SourceListWriter::new(dir)?;
        for s in sources {
            w.push(s)?;
        }
        w.finish()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A new list whose files go where this one's are.
    pub fn writer(&self) -> io::Result<SourceListWriter> {
        SourceListWriter::new(self.dir.as_deref())
    }

    /// Source `i` (0-based).
    pub fn get(&self, i: usize) -> io::Result<InputSource> {
        if i >= self.len {
            return Err(io::Error::other(format!(
                "input list: no input #{} of {}",
                i + 1,
                self.len
            )));
        }
        let mut b = [0u8; 16];
        self.starts.read_exact_at(&mut b, i as u64 * 8)?;
        let start = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let end = u64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
        let mut rec = vec![0u8; end.saturating_sub(start) as usize];
        self.records.read_exact_at(&mut rec, start)?;
        decode(&rec)
    }

    /// The sources in order (read a block at a time).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            list: self,
            next: 0,
            buf: Vec::new(),
            buf_at: 0,
            pos: 0,
        }
    }
}

/// The sources of a list in order; an item is an error only when the list's file cannot be read.
pub struct Iter<'a> {
    list: &'a SourceList,
    next: usize,
    /// A block of `records`, starting at byte `buf_at` of the file.
    buf: Vec<u8>,
    buf_at: u64,
    /// The next record's first byte in the file.
    pos: u64,
}

const BLOCK: usize = 64 << 10;

impl Iter<'_> {
    fn next_record(&mut self) -> io::Result<InputSource> {
        let mut b = [0u8; 8];
        self.list
            .starts
            .read_exact_at(&mut b, (self.next as u64 + 1) * 8)?;
        let end = u64::from_le_bytes(b);
        let in_buf = self.pos >= self.buf_at && end <= self.buf_at + self.buf.len() as u64;
        if !in_buf {
            let total = self.list.records.metadata()?.len();
            let want = (BLOCK as u64).max(end - self.pos).min(total - self.pos) as usize;
            self.buf.resize(want, 0);
            self.list.records.read_exact_at(&mut self.buf, self.pos)?;
            self.buf_at = self.pos;
        }
        let from = (self.pos - self.buf_at) as usize;
        let to = (end - self.buf_at) as usize;
        let s = decode(&self.buf[from..to])?;
        self.pos = end;
        self.next += 1;
        Ok(s)
    }
}

impl Iterator for Iter<'_> {
    type Item = io::Result<InputSource>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.list.len {
            return None;
        }
        Some(self.next_record())
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// kind (0 file, 1 ZIP member), size, path; a member adds its index and name.
fn encode(s: &InputSource, out: &mut Vec<u8>) {
    match &s.kind {
        SourceKind::File(p) => {
            out.push(0);
            out.extend_from_slice(&s.size.to_le_bytes());
            put_bytes(out, p.as_os_str().as_bytes());
        }
        SourceKind::ZipMember {
            archive,
            index,
            name,
        } => {
            out.push(1);
            out.extend_from_slice(&s.size.to_le_bytes());
            put_bytes(out, archive.as_os_str().as_bytes());
            out.extend_from_slice(&(*index as u64).to_le_bytes());
            put_bytes(out, name.as_bytes());
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(io::Error::other("input list: a record is cut short"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().expect("4")) as usize;
        self.take(n)
    }
}

fn decode(rec: &[u8]) -> io::Result<InputSource> {
    let mut r = Reader(rec);
    let kind = r.take(1)?[0];
    let size = r.u64()?;
    let path = PathBuf::from(std::ffi::OsString::from_vec(r.bytes()?.to_vec()));
    let kind = match kind {
        0 => SourceKind::File(path),
        1 => {
            let index = r.u64()? as usize;
            let name = String::from_utf8(r.bytes()?.to_vec())
                .map_err(|_| io::Error::other("input list: a member name is not UTF-8"))?;
            SourceKind::ZipMember {
                archive: path,
                index,
                name,
            }
        }
        _ => return Err(io::Error::other("input list: unknown record")),
    };
    Ok(InputSource { kind, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_was_written_by_number_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = Vec::new();
        for i in 0..3000u64 {
            let s = if i % 3 == 0 {
                InputSource {
                    kind: SourceKind::ZipMember {
                        archive: PathBuf::from(format!("/a/é{i}.zip")),
                        index: i as usize * 7,
                        name: format!("x/{}c.dcm", "n".repeat((i % 300) as usize)),
                    },
                    size: i << 33,
                }
            } else {
                // a non-UTF-8 path survives as bytes
                let raw = [b"/d/".as_slice(), &[0xFF, b'a'], i.to_string().as_bytes()].concat();
                InputSource {
                    kind: SourceKind::File(PathBuf::from(std::ffi::OsString::from_vec(raw))),
                    size: i,
                }
            };
            sources.push(s);
        }
        let list = SourceList::from_sources(&sources, Some(dir.path())).unwrap();
        assert_eq!(list.len(), sources.len());
        for i in [0, 1, 2, 299, 1500, 2999] {
            assert_eq!(list.get(i).unwrap(), sources[i]);
        }
        assert!(list.get(3000).is_err());
        let back: Vec<InputSource> = list.iter().map(Result::unwrap).collect();
        assert_eq!(back, sources);
        // no names on disk
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
