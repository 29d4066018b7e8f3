//! Planning a batch before anything is written: a header-only scan of every input (who the
//! patient is, which study; a bounded read of the first bytes, see [`head`], so that every
//! shard can afford to plan over the whole archive), the patient count, a deterministic order of the whole input set
//! (its `{index}`) and the partition into shards.
//!
//! Order and partition depend only on the files' contents, never on the order of the paths or
//! on the machine: a study goes to shard `1 + SHA-256("shard:" + Study Instance UID) mod N`
//! (so a study stays in one shard) and the index is the place of the file in the input set
//! sorted by Study and Series (by their UIDs' digests), Instance Number and SOP Instance UID
//! (digest). So the union of N shards is the same set of entries, names, pseudonyms and UIDs
//! as one run over everything. What the plan keeps per input is [`Compact`] (64 bytes), on disk
//! in a batch ([`spill`]: an external sort).

mod compact;
mod head;
mod spill;

pub use compact::{plan_compact, Compact, Scan};
pub use head::read_head;
pub use spill::{plan_in_runs, plan_on_disk, scan_to_disk, DiskPlan, DiskScan, PlannedList, RUN};

use std::collections::BTreeMap;

use dicom_dictionary_std::tags;

use crate::core::dcm::get_str;
use crate::core::load::{self, InputSource, SourceKind};
use crate::core::patients::PatientKey;
use crate::core::settings::LoadSettings;

/// What the scan read from one input's header (original values: private).
#[derive(Debug, Clone)]
pub struct Scanned {
    pub patient: PatientKey,
    pub study_uid: String,
    pub series_uid: String,
    pub instance_number: i64,
    pub sop_uid: String,
}

/// Reads the plan's values of one input: a bounded read of its first bytes up to Instance
/// Number (see [`head`]), else the full header parse of [`scan_one_full`]. The error is the
/// reason the file would be skipped.
pub fn scan_one(source: &InputSource, limits: &LoadSettings) -> Result<Scanned, String> {
    let reader: Option<Box<dyn std::io::Read>> = match &source.kind {
        SourceKind::File(path) => std::fs::File::open(path)
            .ok()
            .map(|f| Box::new(f) as Box<dyn std::io::Read>),
        SourceKind::ZipMember { .. } if source.size <= limits.max_file_mb << 20 => source
            .open_member()
            .ok()
            .map(|r| Box::new(r) as Box<dyn std::io::Read>),
        SourceKind::ZipMember { .. } => None,
    };
    if let Some(s) = reader.and_then(|r| head::read_head_sized(r, source.size)) {
        return Ok(s);
    }
    scan_one_full(source, limits)
}

/// Reads everything before Pixel Data with the full parser (a ZIP member is read whole).
pub fn scan_one_full(source: &InputSource, limits: &LoadSettings) -> Result<Scanned, String> {
    let parsed = match &source.kind {
        // header only; what the strict reader refuses gets the loader's full (lenient) parse,
        // so a file the export can read is never refused by the plan
        SourceKind::File(path) => match load::parse::parse_file_header(path) {
            Ok(p) => p,
            Err(_) => load::parse_file(path)?,
        },
        // a large member is read from a private temporary file (header only), not memory
        SourceKind::ZipMember { .. } => match load::spill::spill(source, limits)? {
            Some(tmp) => match load::parse::parse_file_header(tmp.path()) {
                Ok(p) => p,
                Err(_) => load::parse_file(tmp.path())?,
            },
            None => load::parse_dicom(&source.read(limits)?)?,
        },
    };
    let obj = &parsed.obj;
    let s = |t| get_str(obj, t).unwrap_or_default();
    Ok(Scanned {
        patient: PatientKey::from_obj(obj),
        study_uid: s(tags::STUDY_INSTANCE_UID),
        series_uid: s(tags::SERIES_INSTANCE_UID),
        instance_number: s(tags::INSTANCE_NUMBER).trim().parse().unwrap_or(0),
        sop_uid: s(tags::SOP_INSTANCE_UID),
    })
}

/// Scans every input, in parallel; results are in the order of `sources`.
pub fn scan(
    sources: &[InputSource],
    limits: &LoadSettings,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Result<Scanned, String>> {
    use rayon::prelude::*;
    sources
        .par_iter()
        .map(|s| {
            let r = crate::core::guard::catch(|| scan_one(s, limits)).unwrap_or_else(|why| {
                Err(format!("broken DICOM file: the parser gave up ({why})"))
            });
            progress(1);
            r
        })
        .collect()
}

/// The shard (1-based) of a partition key, for `n` shards.
pub fn shard_of(key: &str, n: usize) -> usize {
    1 + (compact::part_of(key) % n.max(1) as u64) as usize
}

/// The partition key of a scanned file: its study (else its instance).
pub fn partition_key(s: &Scanned) -> &str {
    if !s.study_uid.is_empty() {
        &s.study_uid
    } else {
        &s.sop_uid
    }
}

/// The plan of a batch over all inputs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per source (same order): the 1-based place in the whole input set, `None` when the
    /// header could not be read.
    pub index: Vec<Option<usize>>,
    /// Per source: its shard (1-based) for `n` shards.
    pub shard: Vec<usize>,
    /// Distinct patients and their file counts.
    pub patients: BTreeMap<PatientKey, usize>,
    /// A digest of the whole input set (the same in every shard of one run).
    pub fingerprint: String,
}

/// Orders and partitions the scanned inputs; `labels` (the input labels) only place the
/// inputs whose header could not be read (and break ties). Batch plans with
/// [`scan_to_disk`] and [`plan_on_disk`], which hold nothing per input in memory.
pub fn plan(scanned: &[Result<Scanned, String>], labels: &[String], n: usize) -> Plan {
    let mut scan = Scan::default();
    scan.add(scanned.to_vec());
    plan_compact(&scan.entries, scan.patients, &|i| labels[i].clone(), n)
}

/// Parses `K/N` (1 <= K <= N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or("expected K/N, e.g. 2/8 (the second of eight shards)")?;
    let k: usize = k.trim().parse().map_err(|_| "K must be a number")?;
    let n: usize = n.trim().parse().map_err(|_| "N must be a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("K/N needs 1 <= K <= N, got {k}/{n}"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(study: &str, inst: i64, sop: &str, pid: &str) -> Result<Scanned, String> {
        Ok(Scanned {
            patient: PatientKey::new(pid, "", "", ""),
            study_uid: study.into(),
            series_uid: "1".into(),
            instance_number: inst,
            sop_uid: sop.into(),
        })
    }

    #[test]
    fn plan_is_independent_of_input_order() {
        let a = vec![
            sc("1.2.3", 2, "1.2.3.2", "A"),
            sc("1.2.3", 1, "1.2.3.1", "A"),
            Err("not DICOM".into()),
            sc("1.2.4", 1, "1.2.4.1", "B"),
        ];
        let la: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let p = plan(&a, &la, 3);
        // within a study: instance 1 before 2, next to each other; every readable file placed
        assert_eq!(p.index[2], None);
        assert_eq!(p.index[1].unwrap() + 1, p.index[0].unwrap());
        let mut placed: Vec<usize> = p.index.iter().flatten().copied().collect();
        placed.sort_unstable();
        assert_eq!(placed, vec![1, 2, 3]);
        assert_eq!(p.patients.len(), 2);
        assert_eq!(p.shard[0], p.shard[1], "a study stays in one shard");
        // reversed input order: same index per file, same shards, same fingerprint
        let b: Vec<_> = a.iter().rev().cloned().collect();
        let lb: Vec<String> = la.iter().rev().cloned().collect();
        let q = plan(&b, &lb, 3);
        let rev = |v: &Vec<Option<usize>>| v.iter().rev().cloned().collect::<Vec<_>>();
        assert_eq!(rev(&q.index), p.index);
        assert_eq!(q.shard.iter().rev().cloned().collect::<Vec<_>>(), p.shard);
        assert_eq!(q.fingerprint, p.fingerprint);
    }

    #[test]
    fn shards_spread_and_parse() {
        let mut counts = [0usize; 4];
        for i in 0..400 {
            counts[shard_of(&format!("1.2.840.99.{i}"), 4) - 1] += 1;
        }
        assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("3").is_err());
    }
}
