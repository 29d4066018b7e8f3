//! Byte sources for the element walk: a seekable source of known size, a capped stream of
//! unknown length (inflated data), and bytes already read followed by a source.

use std::io::{Read, Seek, SeekFrom};

/// A source of bytes that can skip values cheaply.
pub trait Source {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()>;
    /// Skips `n` bytes; fails when fewer remain.
    fn skip(&mut self, n: u64) -> std::io::Result<()>;
    /// Bytes left, when known.
    fn remaining(&self) -> Option<u64>;
    fn pos(&self) -> u64;
}

/// A seekable source of known size (a file, bytes in memory).
pub struct Seekable<R> {
    inner: R,
    pos: u64,
    size: u64,
}

impl<R: Read + Seek> Seekable<R> {
    /// `pos` is where `inner` stands now, `size` the total size.
    pub fn new(inner: R, pos: u64, size: u64) -> Self {
        Seekable { inner, pos, size }
    }
}

impl<R: Read + Seek> Source for Seekable<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        if n > self.size.saturating_sub(self.pos) {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.inner.seek(SeekFrom::Current(n as i64))?;
        self.pos += n;
        Ok(())
    }
    fn remaining(&self) -> Option<u64> {
        Some(self.size.saturating_sub(self.pos))
    }
    fn pos(&self) -> u64 {
        self.pos
    }
}

/// A stream of unknown length (inflated data): skipping reads through, up to a cap.
pub struct Stream<R> {
    inner: R,
    pos: u64,
    cap: u64,
}

impl<R: Read> Stream<R> {
    pub fn new(inner: R, cap: u64) -> Self {
        Stream { inner, pos: 0, cap }
    }
}

impl<R: Read> Source for Stream<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if self.pos + buf.len() as u64 > self.cap {
            return Err(std::io::Error::other(
                "inflated data set above the size limit",
            ));
        }
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        if self.pos.saturating_add(n) > self.cap {
            return Err(std::io::Error::other(
                "inflated data set above the size limit",
            ));
        }
        let got = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())?;
        self.pos += got;
        if got < n {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
    fn remaining(&self) -> Option<u64> {
        None
    }
    fn pos(&self) -> u64 {
        self.pos
    }
}

/// Bytes already read, then the source.
pub(super) struct MemThen<'a, S> {
    pub(super) head: Vec<u8>,
    pub(super) at: usize,
    pub(super) src: &'a mut S,
}

impl<S: Source> Source for MemThen<'_, S> {
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        let from_head = (self.head.len() - self.at).min(buf.len());
        buf[..from_head].copy_from_slice(&self.head[self.at..self.at + from_head]);
        self.at += from_head;
        self.src.read_exact(&mut buf[from_head..])
    }
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        self.src.skip(n)
    }
    fn remaining(&self) -> Option<u64> {
        self.src
            .remaining()
            .map(|r| r + (self.head.len() - self.at) as u64)
    }
    fn pos(&self) -> u64 {
        self.src.pos()
    }
}
