//! What planning keeps of each input: [`Compact`] (64 bytes: digests of its Study, Series and
//! SOP Instance UIDs, its Instance Number and its partition value), not the header's strings;
//! and the plan over a list of them held in memory ([`plan_compact`], for small input sets and
//! as the reference the plan on disk of [`super::spill`] is checked against).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{partition_key, Plan, Scanned};
use crate::core::patients::PatientKey;

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
    /// The bytes of a record on disk ([`super::spill`]).
    pub(super) fn to_bytes(self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[..16].copy_from_slice(&self.study);
        b[16..32].copy_from_slice(&self.series);
        b[32..40].copy_from_slice(&self.instance.to_le_bytes());
        b[40..56].copy_from_slice(&self.sop);
        b[56..].copy_from_slice(&self.part.to_le_bytes());
        b
    }

    pub(super) fn from_bytes(b: &[u8; 64]) -> Self {
        let at = |r: std::ops::Range<usize>| -> [u8; 16] { b[r].try_into().expect("16 bytes") };
        Compact {
            study: at(0..16),
            series: at(16..32),
            instance: i64::from_le_bytes(b[32..40].try_into().expect("8 bytes")),
            sop: at(40..56),
            part: u64::from_le_bytes(b[56..].try_into().expect("8 bytes")),
        }
    }

    /// What the whole input set is sorted by (then by label).
    pub(super) fn sort_key(&self) -> ([u8; 16], [u8; 16], i64, [u8; 16]) {
        (self.study, self.series, self.instance, self.sop)
    }

    pub(super) fn sop(&self) -> [u8; 16] {
        self.sop
    }

    pub(super) fn part(&self) -> u64 {
        self.part
    }

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
    let key = |i: usize| entries[i].as_ref().expect("filtered").sort_key();
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
