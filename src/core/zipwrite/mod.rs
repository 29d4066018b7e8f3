//! Our own streaming ZIP writer (issue 10): memory does not grow with the number of entries.
//!
//! Each entry is a local header and its data, written once, in order; its central directory
//! record goes to a spill file (an unnamed temporary beside the archive) and the directory is
//! copied from there at the end, followed by the end records. ZIP64 is used where an entry, an
//! offset or the count needs it. Entries made ready off the writer's thread ([`Ready`]: CRC
//! and, if deflated, compression done by the worker) are written with one large write; an
//! entry whose size is not known in advance is streamed ([`ZipOut::start`]) with its CRC taken
//! in the same pass and its local header patched afterwards.
//!
//! The writer does not check names: the caller keeps them unique (`export::names::UsedNames`).

mod records;

pub use records::Method;
use records::{Fields, LIMIT32};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Where the archive goes: a file (or, in tests, memory).
pub trait Output: Write + Seek {
    /// Cuts the output at `len` (after an aborted entry was rolled back).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// A hint: start writing `len` bytes at `offset` back to the device now, without waiting,
    /// so that the final fsync has little left to do.
    fn write_back(&mut self, _offset: u64, _len: u64) {}
}

impl Output for File {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
    fn write_back(&mut self, offset: u64, len: u64) {
        write_back(self, offset, len);
    }
}

impl Output for io::Cursor<Vec<u8>> {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.get_mut().truncate(len as usize);
        Ok(())
    }
}

/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`: starts the write-back of a range (Linux; a no-op
/// elsewhere). Errors are not reported here: the final fsync reports them.
pub fn write_back(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on a file descriptor we hold open.
        unsafe {
            libc::sync_file_range(
                file.as_raw_fd(),
                offset as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// An entry's data made ready before it is written: CRC, sizes and, if deflated, the
/// compressed bytes. Built on a worker thread, so that the writer only writes.
pub struct Ready {
    method: Method,
    crc: u32,
    size: u64,
    data: Vec<u8>,
}

impl Ready {
    /// `data` stored as it is, or deflated (default level).
    pub fn new(data: Vec<u8>, method: Method) -> io::Result<Ready> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&data);
        let (crc, size) = (crc.finalize(), data.len() as u64);
        let data = match method {
            Method::Stored => data,
            Method::Deflated => deflate(&data)?,
        };
        Ok(Ready {
            method,
            crc,
            size,
            data,
        })
    }
    /// The uncompressed size.
    pub fn size(&self) -> u64 {
        self.size
    }
}

fn deflate(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        flate2::Compression::default(),
    );
    e.write_all(data)?;
    e.finish()
}

/// Bytes held before a write to the output; larger data goes to the output directly.
const BUF: usize = 1 << 20;
/// Write-back is started every this many bytes (and by [`ZipOut::write_back_all`]): the
/// device writes while the export goes on, so that the final fsync only waits for the last
/// few megabytes (with 32 MB, an archive of 10 MB was all written back by the final fsync).
const WRITE_BACK_EVERY: u64 = 4 << 20;

/// The streaming ZIP writer. Memory: its 1 MB buffer and the spill file's 64 KB buffer,
/// whatever the number of entries.
pub struct ZipOut<W: Output> {
    out: W,
    buf: Vec<u8>,
    /// Bytes handed to `out`, which is positioned there.
    flushed: u64,
    /// Bytes whose write-back was started.
    written_back: u64,
    /// The end of the furthest write (more than `flushed` after a rolled-back entry).
    furthest: u64,
    spill: io::BufWriter<File>,
    spill_bytes: u64,
    count: u64,
    dos_time: (u16, u16),
}

impl<W: Output> ZipOut<W> {
    /// A writer onto `out` (positioned at 0), the central directory spilled to `spill` (an
    /// empty file, e.g. `tempfile::tempfile_in` beside the archive). Entries are dated now.
    pub fn new(out: W, spill: File) -> ZipOut<W> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        ZipOut {
            out,
            buf: Vec::with_capacity(BUF),
            flushed: 0,
            written_back: 0,
            furthest: 0,
            spill: io::BufWriter::with_capacity(1 << 16, spill),
            spill_bytes: 0,
            count: 0,
            dos_time: records::dos_time(now),
        }
    }

    /// The number of entries written.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn pos(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
            self.after_write();
        }
        Ok(())
    }

    fn after_write(&mut self) {
        self.furthest = self.furthest.max(self.flushed);
        if self.flushed >= self.written_back + WRITE_BACK_EVERY {
            self.out
                .write_back(self.written_back, self.flushed - self.written_back);
            self.written_back = self.flushed;
        }
    }

    /// Hands the buffered bytes to the output and starts the write-back of all that was not
    /// started yet (a hint, between entries: the export calls it after each window, so that
    /// the device writes while the next window is processed).
    pub fn write_back_all(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        if self.flushed > self.written_back {
            self.out
                .write_back(self.written_back, self.flushed - self.written_back);
            self.written_back = self.flushed;
        }
        Ok(())
    }

    /// Appends `data` to the archive: into the buffer, or straight to the output when large.
    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        if self.buf.len() + data.len() <= BUF {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.flush_buf()?;
        if data.len() >= BUF / 4 {
            self.out.write_all(data)?;
            self.flushed += data.len() as u64;
            self.after_write();
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(())
    }

    /// Overwrites bytes already appended at `at` (in the buffer or, before it, in the output).
    fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        let in_out = self.flushed.saturating_sub(at).min(bytes.len() as u64) as usize;
        if in_out > 0 {
            self.out.seek(SeekFrom::Start(at))?;
            self.out.write_all(&bytes[..in_out])?;
            self.out.seek(SeekFrom::Start(self.flushed))?;
        }
        let rest = &bytes[in_out..];
        if !rest.is_empty() {
            let b = (at + in_out as u64 - self.flushed) as usize;
            self.buf[b..b + rest.len()].copy_from_slice(rest);
        }
        Ok(())
    }

    fn fields(&self, method: Method, crc: u32, compressed: u64, size: u64) -> Fields {
        Fields {
            method,
            crc,
            compressed,
            size,
            dos_time: self.dos_time.0,
            dos_date: self.dos_time.1,
        }
    }

    fn local_header(&mut self, name: &str, f: &Fields, zip64: bool) -> io::Result<u64> {
        if name.len() > u16::MAX as usize - 64 {
            return Err(io::Error::other("entry name too long for a ZIP"));
        }
        if self.buf.len() + name.len() + 64 > BUF {
            self.flush_buf()?;
        }
        let start = self.pos();
        let patch = records::local_header(&mut self.buf, name, f, zip64);
        Ok(start + patch as u64)
    }

    fn central(&mut self, name: &str, f: &Fields, offset: u64) -> io::Result<()> {
        let mut rec = Vec::with_capacity(46 + 28 + name.len());
        records::central_header(&mut rec, name, f, offset);
        self.spill.write_all(&rec)?;
        self.spill_bytes += rec.len() as u64;
        self.count += 1;
        Ok(())
    }

    /// Writes an entry made ready beforehand.
    pub fn add(&mut self, name: &str, e: &Ready) -> io::Result<()> {
        let offset = self.pos();
        let f = self.fields(e.method, e.crc, e.data.len() as u64, e.size);
        let zip64 = e.size >= LIMIT32 || e.data.len() as u64 >= LIMIT32;
        self.local_header(name, &f, zip64)?;
        self.put(&e.data)?;
        self.central(name, &f, offset)
    }

    /// Writes an entry from bytes at hand (compressed here if asked).
    pub fn add_bytes(&mut self, name: &str, data: &[u8], method: Method) -> io::Result<()> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        let packed;
        let body = match method {
            Method::Stored => data,
            Method::Deflated => {
                packed = deflate(data)?;
                &packed[..]
            }
        };
        let offset = self.pos();
        let f = self.fields(method, crc.finalize(), body.len() as u64, data.len() as u64);
        let zip64 = f.size >= LIMIT32 || f.compressed >= LIMIT32;
        self.local_header(name, &f, zip64)?;
        self.put(body)?;
        self.central(name, &f, offset)
    }

    /// Starts an entry whose size is not known yet (it may pass 4 GB): write its data through
    /// the returned writer, then [`Entry::finish`] it (or [`Entry::abort`] it).
    pub fn start(&mut self, name: &str, method: Method) -> io::Result<Entry<'_, W>> {
        let offset = self.pos();
        let f = self.fields(method, 0, 0, 0);
        let patch_at = self.local_header(name, &f, true)?;
        let raw = Raw {
            zip: self,
            bytes: 0,
        };
        let sink = match method {
            Method::Stored => EntrySink::Stored(raw),
            Method::Deflated => EntrySink::Deflated(flate2::write::DeflateEncoder::new(
                raw,
                flate2::Compression::default(),
            )),
        };
        Ok(Entry {
            sink,
            name: name.to_string(),
            method,
            offset,
            patch_at,
            crc: crc32fast::Hasher::new(),
            size: 0,
        })
    }

    /// Writes the central directory (copied from the spill) and the end records; returns the
    /// output, flushed (not synced: the caller syncs once).
    pub fn finish(self) -> io::Result<W> {
        let ZipOut {
            mut out,
            mut buf,
            mut flushed,
            furthest,
            spill,
            spill_bytes,
            count,
            ..
        } = self;
        let cd_offset = flushed + buf.len() as u64;
        out.write_all(&buf)?;
        flushed += buf.len() as u64;
        buf.clear();
        let mut spill = spill.into_inner().map_err(|e| e.into_error())?;
        spill.seek(SeekFrom::Start(0))?;
        let copied = io::copy(&mut Read::take(&mut spill, spill_bytes), &mut out)?;
        if copied != spill_bytes {
            return Err(io::Error::other(
                "the central directory spill file was cut short",
            ));
        }
        flushed += copied;
        records::end_records(&mut buf, count, spill_bytes, cd_offset);
        out.write_all(&buf)?;
        flushed += buf.len() as u64;
        if furthest > flushed {
            out.truncate(flushed)?;
        }
        out.flush()?;
        Ok(out)
    }
}

/// The archive side of a streamed entry: counts the (compressed) bytes.
struct Raw<'a, W: Output> {
    zip: &'a mut ZipOut<W>,
    bytes: u64,
}

impl<W: Output> Write for Raw<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.zip.put(data)?;
        self.bytes += data.len() as u64;
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum EntrySink<'a, W: Output> {
    Stored(Raw<'a, W>),
    Deflated(flate2::write::DeflateEncoder<Raw<'a, W>>),
}

/// An entry being streamed: its CRC and size are taken as its data passes.
pub struct Entry<'a, W: Output> {
    sink: EntrySink<'a, W>,
    name: String,
    method: Method,
    offset: u64,
    patch_at: u64,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Output> Write for Entry<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            EntrySink::Stored(raw) => raw.write(data)?,
            EntrySink::Deflated(e) => e.write(data)?,
        };
        self.crc.update(&data[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Output> Entry<'a, W> {
    fn close(sink: EntrySink<'a, W>) -> io::Result<Raw<'a, W>> {
        match sink {
            EntrySink::Stored(raw) => Ok(raw),
            EntrySink::Deflated(e) => e.finish(),
        }
    }

    /// Ends the entry: its local header gets the CRC and sizes, its record goes to the
    /// directory. Returns the uncompressed size.
    pub fn finish(self) -> io::Result<u64> {
        let Entry {
            sink,
            name,
            method,
            offset,
            patch_at,
            crc,
            size,
        } = self;
        let raw = Self::close(sink)?;
        let zip = raw.zip;
        let f = zip.fields(method, crc.finalize(), raw.bytes, size);
        for (at, bytes) in records::patch_local(&name, &f, true) {
            zip.patch(patch_at + at as u64, &bytes)?;
        }
        zip.central(&name, &f, offset)?;
        Ok(size)
    }

    /// Drops the entry: the archive goes back to where it started (nothing of it is listed,
    /// and what was written of it is overwritten or cut off at the end).
    pub fn abort(self) -> io::Result<()> {
        let offset = self.offset;
        let zip = match self.sink {
            EntrySink::Stored(raw) => raw.zip,
            EntrySink::Deflated(e) => match e.finish() {
                Ok(raw) => raw.zip,
                Err(e) => return Err(e),
            },
        };
        if offset >= zip.flushed {
            zip.buf.truncate((offset - zip.flushed) as usize);
        } else {
            zip.buf.clear();
            zip.out.seek(SeekFrom::Start(offset))?;
            zip.flushed = offset;
            zip.written_back = zip.written_back.min(offset);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
