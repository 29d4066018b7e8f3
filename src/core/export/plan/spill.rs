//! The plan of a batch on disk, so that planning over a million inputs holds a few MB: each
//! input's [`Compact`] record goes to an unnamed temporary file as its header is read; the
//! order of the whole set is an external merge sort (sorted runs of [`RUN`] records, then
//! merged), whose output writes each input's `{index}` into a second file; the inputs of one
//! shard are then a third file read by number ([`PlannedList`]). Only the unreadable inputs'
//! reasons and the patients are held in memory. The order, indices, shards and fingerprint
//! are those of [`plan_compact`](super::plan_compact) (a test compares them).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::compact::{part_of, Compact};
use super::{scan_one, Scanned};
use crate::core::export::batch_items::Planned;
use crate::core::load::{InputSource, SourceList};
use crate::core::patients::PatientKey;
use crate::core::settings::LoadSettings;

/// Records sorted in memory at once (72 bytes each: about 1.2 MB); each further run costs a
/// 4 KB read buffer while they are merged (0.25 bytes a file).
pub const RUN: usize = 1 << 14;
/// Headers read (in parallel) before their records are written.
const CHUNK: usize = 256;
/// One input's record in the scan file: its [`Compact`] and whether it was readable.
const REC: usize = 72;

fn temp(dir: Option<&Path>) -> io::Result<File> {
    match dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
}

/// The scan of a whole input set on disk.
pub struct DiskScan {
    /// Per input, in the order of the sources: [`REC`] bytes.
    records: File,
    len: usize,
    /// The inputs whose header could not be read, with the reason (in order).
    pub unreadable: Vec<(u32, String)>,
    /// Distinct patients and their file counts.
    pub patients: BTreeMap<PatientKey, usize>,
    dir: Option<PathBuf>,
}

/// Scans every input (a chunk at a time, in parallel within a chunk), writing each one's
/// record to disk. The error is a failure to read the input list or to write the records.
pub fn scan_to_disk(
    sources: &SourceList,
    limits: &LoadSettings,
    progress: &(dyn Fn(usize) + Sync),
    dir: Option<&Path>,
) -> io::Result<DiskScan> {
    use rayon::prelude::*;
    let (mut scan, mut out) = DiskScan::empty(dir, 64 << 10)?;
    let mut list = sources.iter();
    loop {
        let chunk = list
            .by_ref()
            .take(CHUNK)
            .collect::<io::Result<Vec<InputSource>>>()?;
        if chunk.is_empty() {
            break;
        }
        let read: Vec<Result<Scanned, String>> = chunk
            .par_iter()
            .map(|s| {
                let r = crate::core::guard::catch(|| scan_one(s, limits)).unwrap_or_else(|why| {
                    Err(format!("broken DICOM file: the parser gave up ({why})"))
                });
                progress(1);
                r
            })
            .collect();
        for r in read {
            scan.push(&mut out, r)?;
        }
    }
    out.flush()?;
    Ok(scan)
}

impl DiskScan {
    /// No records yet, in a new temporary file, and the buffered writer that fills it.
    fn empty(dir: Option<&Path>, buffer: usize) -> io::Result<(DiskScan, BufWriter<File>)> {
        let file = temp(dir)?;
        let out = BufWriter::with_capacity(buffer, file.try_clone()?);
        let scan = DiskScan {
            records: file,
            len: 0,
            unreadable: Vec::new(),
            patients: BTreeMap::new(),
            dir: dir.map(Path::to_path_buf),
        };
        Ok((scan, out))
    }

    fn push(&mut self, out: &mut impl Write, r: Result<Scanned, String>) -> io::Result<()> {
        let mut rec = [0u8; REC];
        match r {
            Ok(s) => {
                rec[..64].copy_from_slice(&Compact::new(&s).to_bytes());
                rec[64] = 1;
                match self.patients.get_mut(&s.patient) {
                    Some(n) => *n += 1,
                    None => {
                        self.patients.insert(s.patient, 1);
                    }
                }
            }
            Err(reason) => self.unreadable.push((self.len as u32, reason)),
        }
        out.write_all(&rec)?;
        self.len += 1;
        Ok(())
    }

    /// A scan of already read headers (tests).
    pub fn from_scanned(
        scanned: Vec<Result<Scanned, String>>,
        dir: Option<&Path>,
    ) -> io::Result<DiskScan> {
        let (mut scan, mut out) = DiskScan::empty(dir, 8 << 10)?;
        for r in scanned {
            scan.push(&mut out, r)?;
        }
        out.flush()?;
        Ok(scan)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A readable input in the sort: its record and its number.
#[derive(Clone, Copy)]
struct Entry {
    c: Compact,
    source: u32,
}

const ENTRY: usize = 68;

impl Entry {
    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.c.to_bytes())?;
        out.write_all(&self.source.to_le_bytes())
    }
    fn read(input: &mut impl Read) -> io::Result<Option<Entry>> {
        let mut b = [0u8; ENTRY];
        match input.read_exact(&mut b) {
            Ok(()) => Ok(Some(Entry {
                c: Compact::from_bytes(b[..64].try_into().expect("64 bytes")),
                source: u32::from_le_bytes(b[64..].try_into().expect("4 bytes")),
            })),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The plan of a batch on disk: per input its `{index}` (a file), the shards, the patients
/// and the fingerprint.
pub struct DiskPlan {
    scan_records: File,
    /// Per input its index, u32 little endian (0: unreadable).
    index: File,
    len: usize,
    n: usize,
    /// The shard (1-based) of each unreadable input, with its reason, in input order.
    pub unreadable: Vec<(u32, String, usize)>,
    pub patients: BTreeMap<PatientKey, usize>,
    pub fingerprint: String,
    dir: Option<PathBuf>,
}

/// Orders and partitions the scanned inputs as [`plan_compact`](super::plan_compact) does:
/// `label(i)` is asked only for ties and unreadable inputs.
pub fn plan_on_disk(
    scan: DiskScan,
    label: &dyn Fn(usize) -> String,
    n: usize,
) -> io::Result<DiskPlan> {
    plan_in_runs(scan, label, n, RUN)
}

/// As [`plan_on_disk`], sorting `run` records at a time (tests show the bound with small runs).
pub fn plan_in_runs(
    scan: DiskScan,
    label: &dyn Fn(usize) -> String,
    n: usize,
    run: usize,
) -> io::Result<DiskPlan> {
    let dir = scan.dir.as_deref();
    let order = |a: &Entry, b: &Entry| {
        let key = |e: &Entry| e.c.sort_key();
        key(a)
            .cmp(&key(b))
            .then_with(|| label(a.source as usize).cmp(&label(b.source as usize)))
    };
    // sorted runs
    let mut runs: Vec<File> = Vec::new();
    let mut last: Vec<Entry> = Vec::new();
    let mut reader = BufReader::with_capacity(64 << 10, scan.records.try_clone()?);
    read_at_start(&mut reader)?;
    let mut rec = [0u8; REC];
    for i in 0..scan.len {
        reader.read_exact(&mut rec)?;
        if rec[64] == 1 {
            last.push(Entry {
                c: Compact::from_bytes(rec[..64].try_into().expect("64 bytes")),
                source: i as u32,
            });
        }
        if last.len() == run {
            last.sort_by(order);
            let f = temp(dir)?;
            let mut w = BufWriter::with_capacity(64 << 10, f.try_clone()?);
            for e in &last {
                e.write(&mut w)?;
            }
            w.flush()?;
            runs.push(f);
            last.clear();
        }
    }
    drop(reader);
    last.sort_by(order);
    // merged: each input's place is written at its number
    let index = temp(dir)?;
    index.set_len(scan.len as u64 * 4)?;
    let mut hasher = Sha256::new();
    let mut place = 0u32;
    let mut put = |e: &Entry| -> io::Result<()> {
        place += 1;
        hasher.update(e.c.sop());
        index.write_all_at(&place.to_le_bytes(), e.source as u64 * 4)
    };
    if runs.is_empty() {
        for e in &last {
            put(e)?;
        }
    } else {
        let mut readers: Vec<BufReader<File>> = Vec::new();
        for f in runs {
            let mut r = BufReader::with_capacity(4 << 10, f);
            read_at_start(&mut r)?;
            readers.push(r);
        }
        let mut heads: Vec<Option<Entry>> = readers
            .iter_mut()
            .map(Entry::read)
            .collect::<io::Result<_>>()?;
        let mut tail = last.into_iter().peekable();
        loop {
            // the smallest of the runs' heads and the last run (held in memory)
            let mut best: Option<usize> = None;
            for (k, h) in heads.iter().enumerate() {
                if let Some(e) = h {
                    let smaller = match best {
                        None => true,
                        Some(b) => order(e, heads[b].as_ref().expect("head")).is_lt(),
                    };
                    if smaller {
                        best = Some(k);
                    }
                }
            }
            let from_tail = match (best, tail.peek()) {
                (None, None) => break,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(b), Some(t)) => order(t, heads[b].as_ref().expect("head")).is_lt(),
            };
            if from_tail {
                let e = tail.next().expect("peeked");
                put(&e)?;
            } else {
                let b = best.expect("a head");
                let e = heads[b].take().expect("head");
                put(&e)?;
                heads[b] = Entry::read(&mut readers[b])?;
            }
        }
    }
    let mut labels: Vec<(String, u32, String)> = scan
        .unreadable
        .into_iter()
        .map(|(i, reason)| (label(i as usize), i, reason))
        .collect();
    labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (l, _, _) in &labels {
        hasher.update(l.as_bytes());
        hasher.update([1u8]);
    }
    let mut unreadable: Vec<(u32, String, usize)> = labels
        .into_iter()
        .map(|(l, i, reason)| (i, reason, shard(part_of(&l), n)))
        .collect();
    unreadable.sort_unstable_by_key(|u| u.0);
    let d = hasher.finalize();
    Ok(DiskPlan {
        scan_records: scan.records,
        index,
        len: scan.len,
        n,
        unreadable,
        patients: scan.patients,
        fingerprint: d[..12].iter().map(|b| format!("{b:02x}")).collect(),
        dir: scan.dir,
    })
}

fn read_at_start(r: &mut BufReader<File>) -> io::Result<()> {
    use std::io::Seek;
    r.seek(io::SeekFrom::Start(0)).map(|_| ())
}

fn shard(part: u64, n: usize) -> usize {
    1 + (part % n.max(1) as u64) as usize
}

impl DiskPlan {
    /// Per input, in order: its `{index}` (`None` when unreadable) and its shard.
    pub fn each(&self, mut f: impl FnMut(usize, Option<usize>, usize)) -> io::Result<()> {
        let mut recs = BufReader::with_capacity(64 << 10, self.scan_records.try_clone()?);
        read_at_start(&mut recs)?;
        let mut idx = BufReader::with_capacity(16 << 10, self.index.try_clone()?);
        read_at_start(&mut idx)?;
        let mut unreadable = self.unreadable.iter().peekable();
        let (mut rec, mut ix) = ([0u8; REC], [0u8; 4]);
        for i in 0..self.len {
            recs.read_exact(&mut rec)?;
            idx.read_exact(&mut ix)?;
            if rec[64] == 1 {
                let c = Compact::from_bytes(rec[..64].try_into().expect("64 bytes"));
                let place = u32::from_le_bytes(ix) as usize;
                f(i, Some(place), shard(c.part(), self.n));
            } else {
                let u = unreadable
                    .next()
                    .filter(|u| u.0 as usize == i)
                    .ok_or_else(|| io::Error::other("plan: an unreadable input out of order"))?;
                f(i, None, u.2);
            }
        }
        Ok(())
    }

    /// The inputs of shard `k` (all with `None`) to export, as a [`PlannedList`] on disk.
    pub fn planned(&self, k: Option<usize>) -> io::Result<PlannedList> {
        let f = temp(self.dir.as_deref())?;
        let mut w = BufWriter::with_capacity(64 << 10, f.try_clone()?);
        let mut len = 0usize;
        let mut failed = None;
        self.each(|i, index, s| {
            if let (Some(index), true) = (index, k.is_none_or(|k| k == s)) {
                if failed.is_none() {
                    if let Err(e) = w.write_all(&Planned::new(i, index).to_bytes()) {
                        failed = Some(e);
                    }
                }
                len += 1;
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        w.flush()?;
        Ok(PlannedList { file: f, len })
    }
}

/// The inputs of one shard to export, on disk (8 bytes each), read by number.
#[derive(Debug)]
pub struct PlannedList {
    file: File,
    len: usize,
}

impl PlannedList {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn get(&self, k: usize) -> io::Result<Planned> {
        if k >= self.len {
            return Err(io::Error::other("plan: no such planned input"));
        }
        let mut b = [0u8; 8];
        self.file.read_exact_at(&mut b, k as u64 * 8)?;
        Ok(Planned::from_bytes(b))
    }
    /// A list of `planned` (tests, small callers).
    pub fn from_planned(planned: &[Planned], dir: Option<&Path>) -> io::Result<PlannedList> {
        let f = temp(dir)?;
        let mut w = BufWriter::new(f.try_clone()?);
        for p in planned {
            w.write_all(&p.to_bytes())?;
        }
        w.flush()?;
        Ok(PlannedList {
            file: f,
            len: planned.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::*;

    fn scanned(seed: u64, n: usize) -> (Vec<Result<Scanned, String>>, Vec<String>) {
        let mut rng = seed | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut out = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let r = next();
            labels.push(format!("/in/{:05}/f{}", r % 1000, i));
            if r % 13 == 0 {
                out.push(Err(format!("not DICOM {i}")));
                continue;
            }
            // few studies and instances: many equal keys, so label ties decide
            out.push(Ok(Scanned {
                patient: PatientKey::new(&format!("P{}", r % 5), "", "", ""),
                study_uid: format!("1.2.{}", r % 7),
                series_uid: format!("1.2.{}.{}", r % 7, (r >> 8) % 3),
                instance_number: ((r >> 16) % 4) as i64,
                sop_uid: if r % 11 == 0 {
                    String::new()
                } else {
                    format!("1.2.9.{}", (r >> 24) % 300)
                },
            }));
        }
        (out, labels)
    }

    /// The external sort (runs of 7 records, so tens of runs are merged) gives the in-memory
    /// plan's indices, shards and fingerprint, whatever the order of the inputs.
    #[test]
    fn disk_plan_equals_the_in_memory_plan() {
        let dir = tempfile::tempdir().unwrap();
        for (seed, n, shards) in [(1u64, 300usize, 3usize), (99, 64, 1), (7, 5, 2), (5, 0, 2)] {
            let (s, labels) = scanned(seed, n);
            let want = plan(&s, &labels, shards);
            for run in [7, 64, RUN] {
                let scan = DiskScan::from_scanned(s.clone(), Some(dir.path())).unwrap();
                assert_eq!(scan.patients, want.patients);
                let got = plan_in_runs(scan, &|i| labels[i].clone(), shards, run).unwrap();
                assert_eq!(got.fingerprint, want.fingerprint, "seed {seed} run {run}");
                let mut index = Vec::new();
                let mut shard = Vec::new();
                got.each(|i, x, s| {
                    assert_eq!(i, index.len());
                    index.push(x);
                    shard.push(s);
                })
                .unwrap();
                assert_eq!(index, want.index, "seed {seed} run {run}");
                assert_eq!(shard, want.shard, "seed {seed} run {run}");
                // one shard's planned inputs: those of `want` in that shard, in input order
                let list = got.planned(Some(1)).unwrap();
                let expect: Vec<Planned> = (0..n)
                    .filter(|&i| want.shard[i] == 1)
                    .filter_map(|i| want.index[i].map(|x| Planned::new(i, x)))
                    .collect();
                let have: Vec<Planned> = (0..list.len()).map(|k| list.get(k).unwrap()).collect();
                assert_eq!(have, expect);
            }
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
