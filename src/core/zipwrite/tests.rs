use super::*;
use std::io::{Cursor, Read};

fn spill() -> File {
    tempfile::tempfile().unwrap()
}

/// Pseudo-random bytes, partly compressible (runs), from a seed.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (i / 64) % 3 == 0 {
                (i / 64) as u8
            } else {
                x as u8
            }
        })
        .collect()
}

fn read_all(archive: Vec<u8>) -> Vec<(String, Vec<u8>, zip::CompressionMethod)> {
    let mut z = zip::ZipArchive::new(Cursor::new(archive)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            // the zip crate checks the CRC at the end of the read
            f.read_to_end(&mut v).unwrap();
            (f.name().unwrap().to_string(), v, f.compression())
        })
        .collect()
}

#[test]
fn every_kind_of_entry_reads_back_with_its_bytes() {
    let mut z = ZipOut::new(Cursor::new(Vec::new()), spill());
    let mut want = Vec::new();
    for (k, size) in [0usize, 1, 1000, BUF - 10, BUF + 7, 3 * BUF + 5]
        .into_iter()
        .enumerate()
    {
        let data = bytes(k as u64, size);
        for (j, method) in [Method::Stored, Method::Deflated].into_iter().enumerate() {
            let ready = format!("ready/{k}-{j}-é.bin");
            z.add(&ready, &Ready::new(data.clone(), method).unwrap())
                .unwrap();
            let at_hand = format!("bytes/{k}-{j}.bin");
            z.add_bytes(&at_hand, &data, method).unwrap();
            let streamed = format!("stream/{k}-{j}-日本.bin");
            let mut e = z.start(&streamed, method).unwrap();
            for piece in data.chunks(77_777) {
                e.write_all(piece).unwrap();
            }
            assert_eq!(e.finish().unwrap(), size as u64);
            for name in [ready, at_hand, streamed] {
                want.push((name, data.clone(), method));
            }
        }
    }
    assert_eq!(z.count(), want.len() as u64);
    let got = read_all(z.finish().unwrap().into_inner());
    assert_eq!(got.len(), want.len());
    for ((gn, gd, gm), (wn, wd, wm)) in got.iter().zip(&want) {
        assert_eq!(gn, wn);
        assert!(gd == wd, "{wn}: bytes differ");
        let m = match wm {
            Method::Stored => zip::CompressionMethod::Stored,
            Method::Deflated => zip::CompressionMethod::Deflated,
        };
        assert_eq!(*gm, m, "{wn}");
    }
}

#[test]
fn an_aborted_entry_leaves_no_trace() {
    // aborted while still in the buffer, and after most of it went to the output
    for size in [100usize, 5 * BUF + 3] {
        for method in [Method::Stored, Method::Deflated] {
            let mut z = ZipOut::new(Cursor::new(Vec::new()), spill());
            z.add_bytes("a.bin", b"first", Method::Stored).unwrap();
            let mut e = z.start("gone.bin", method).unwrap();
            e.write_all(&bytes(3, size)).unwrap();
            e.abort().unwrap();
            z.add_bytes("b.bin", b"after", Method::Deflated).unwrap();
            let out = z.finish().unwrap().into_inner();
            let got = read_all(out.clone());
            let names: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
            assert_eq!(names, ["a.bin", "b.bin"], "{size} {method:?}");
            assert_eq!(got[1].1, b"after");
            // nothing of the aborted entry is left, not even past the end records
            assert!(out.len() < 400, "{size} {method:?}: {} bytes", out.len());
        }
    }
}

#[test]
fn the_directory_is_not_held_in_memory() {
    // the writer's own memory does not grow with entries: the records go to the spill file
    let spill = spill();
    let probe = spill.try_clone().unwrap();
    let mut z = ZipOut::new(Cursor::new(Vec::new()), spill);
    for i in 0..5000 {
        z.add_bytes(&format!("e{i:05}.dcm"), b"x", Method::Stored)
            .unwrap();
    }
    assert!(z.spill.capacity() <= 1 << 16 && z.buf.capacity() <= BUF);
    // what is in the spill file (the buffer flushed at most 64 KB behind)
    assert!(probe.metadata().unwrap().len() > 5000 * 55 - (1 << 16));
    let got = read_all(z.finish().unwrap().into_inner());
    assert_eq!(got.len(), 5000);
    assert_eq!(got[4321].0, "e04321.dcm");
}

/// An output that records the ranges whose write-back was started.
struct Recording {
    data: Cursor<Vec<u8>>,
    ranges: Vec<(u64, u64)>,
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.data.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Recording {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.data.seek(pos)
    }
}

impl Output for Recording {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.data.get_mut().truncate(len as usize);
        Ok(())
    }
    fn write_back(&mut self, offset: u64, len: u64) {
        self.ranges.push((offset, len));
    }
}

/// The export calls `write_back_all` after each window: every byte appended so far reaches
/// the output and its write-back is started, each byte once, in order; large entries start
/// theirs as they pass (every `WRITE_BACK_EVERY`), not only at the end.
#[test]
fn write_back_covers_all_written_so_far_each_byte_once() {
    let out = Recording {
        data: Cursor::new(Vec::new()),
        ranges: Vec::new(),
    };
    let mut z = ZipOut::new(out, spill());
    z.add_bytes("small", &bytes(1, 1000), Method::Stored)
        .unwrap();
    z.write_back_all().unwrap();
    let pos = z.pos();
    assert_eq!(z.out.data.get_ref().len() as u64, pos, "buffer handed over");
    assert_eq!(z.out.ranges, vec![(0, pos)]);
    // nothing new: nothing started again
    z.write_back_all().unwrap();
    assert_eq!(z.out.ranges.len(), 1);
    let big = bytes(2, (WRITE_BACK_EVERY + WRITE_BACK_EVERY / 2) as usize);
    let mut e = z.start("big", Method::Stored).unwrap();
    for c in big.chunks(BUF / 2) {
        e.write_all(c).unwrap();
    }
    e.finish().unwrap();
    assert!(
        z.out.ranges.len() >= 2,
        "started while the entry was written"
    );
    z.write_back_all().unwrap();
    let end = z.pos();
    let mut at = 0;
    for &(offset, len) in &z.out.ranges {
        assert_eq!(offset, at, "{:?}", z.out.ranges);
        at += len;
    }
    assert_eq!(at, end);
    let archive = z.finish().unwrap().data.into_inner();
    let entries = read_all(archive);
    assert_eq!(entries[1].1, big);
}
