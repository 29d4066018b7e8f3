//! The plan of a large batch in little memory: what planning keeps of each input is
//! [`Compact`] (64 bytes: digests of its Study, Series and SOP Instance UIDs, its Instance
//! Number and its partition value), not the header's strings; headers are read a chunk at a
//! time, so the strings of at most one chunk are alive at once, and the patients are counted
//! as they are read.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{partition_key, scan_one, Plan, Scanned};
use crate::core::load::{InputSource, SourceList};
use crate::core::patients::PatientKey;
use crate::core::settings::LoadSettings;

/// Headers read (in parallel) before their strings are folded into [`Compact`] values.
const CHUNK: usize = 256;

/// What the plan keeps of one readable input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact {
    study: [u8; 16],
    series: [u8; 16],
    instance: i64,
    sop: [u8; 16],
    /// The first 8 bytes of SHA-256("shard:" + partition key): the shard is `1 + part % N`.
    part: u64,
}

fn digest(s: &str) -> [u8; 16] {
    let d = Sha256::digest(s.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// The first 8 bytes of SHA-256("shard:" + `key`).
pub(super) fn part_of(key: &str) -> u64 {
    let d = Sha256::digest([b"shard:".as_slice(), key.as_bytes()].concat());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

impl Compact {
    pub fn new(s: &Scanned) -> Self {
        Compact {
            study: digest(&s.study_uid),
            series: digest(&s.series_uid),
            instance: s.instance_number,
            sop: digest(&s.sop_uid),
            part: part_of(partition_key(s)),
        }
    }
}

/// The scan of a whole input set, compact: per input its [`Compact`] or the reason it would be
/// skipped, and the distinct patients with their file counts.
#[derive(Default)]
pub struct Scan {
    pub entries: Vec<Result<Compact, String>>,
    pub patients: BTreeMap<PatientKey, usize>,
}

/// Scans every input (a chunk at a time, read in order from the list on disk, in parallel
/// within a chunk); entries are in the order of `sources`. The error is a failure to read the
/// list.
pub fn scan_compact(
    sources: &SourceList,
    limits: &LoadSettings,
    progress: &(dyn Fn(usize) + Sync),
) -> std::io::Result<Scan> {
    use rayon::prelude::*;
    let mut scan = Scan {
        entries: Vec::with_capacity(sources.len()),
        patients: BTreeMap::new(),
    };
    let mut list = sources.iter();
    loop {
        let chunk = list
            .by_ref()
            .take(CHUNK)
            .collect::<std::io::Result<Vec<InputSource>>>()?;
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
        scan.add(read);
    }
    Ok(scan)
}

impl Scan {
    /// Folds read headers into the scan (their strings are dropped here).
    pub fn add(&mut self, read: Vec<Result<Scanned, String>>) {
        for r in read {
            self.entries.push(r.map(|s| {
                let c = Compact::new(&s);
                match self.patients.get_mut(&s.patient) {
                    Some(n) => *n += 1,
                    None => {
                        self.patients.insert(s.patient, 1);
                    }
                }
                c
            }));
        }
    }
}

/// Orders and partitions the scanned inputs: the index is the place of an input in the whole
/// set sorted by Study, Series (their UIDs' digests), Instance Number and SOP Instance UID
/// (digest), then by label (`label(i)`, asked only for ties and unreadable inputs).
pub fn plan_compact(
    entries: &[Result<Compact, String>],
    patients: BTreeMap<PatientKey, usize>,
    label: &dyn Fn(usize) -> String,
    n: usize,
) -> Plan {
    let mut order: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].is_ok()).collect();
    let key = |i: usize| {
        let c = entries[i].as_ref().expect("filtered");
        (c.study, c.series, c.instance, c.sop)
    };
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then_with(|| label(a).cmp(&label(b))));
    let mut index = vec![None; entries.len()];
    let mut hasher = Sha256::new();
    for (place, &i) in order.iter().enumerate() {
        index[i] = Some(place + 1);
        hasher.update(entries[i].as_ref().expect("filtered").sop);
    }
    drop(order);
    let mut unreadable: Vec<String> = (0..entries.len())
        .filter(|&i| entries[i].is_err())
        .map(label)
        .collect();
    unreadable.sort_unstable();
    for l in &unreadable {
        hasher.update(l.as_bytes());
        hasher.update([1u8]);
    }
    let shard = (0..entries.len())
        .map(|i| {
            let part = match &entries[i] {
                Ok(c) => c.part,
                Err(_) => part_of(&label(i)),
            };
            1 + (part % n.max(1) as u64) as usize
        })
        .collect();
    let d = hasher.finalize();
    Plan {
        index,
        shard,
        patients,
        fingerprint: d[..12].iter().map(|b| format!("{b:02x}")).collect(),
    }
}
