//! Merging the reports of the N shards of one batch into one report and manifest, with totals.
//! A missing shard, a shard given twice and reports of different runs (different input sets
//! or shard counts) are refused: the merge is only written when it covers the whole run.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

/// One shard report as read from disk.
pub struct ShardReport {
    /// Where it was read from (shown in messages).
    pub label: String,
    pub doc: Value,
}

/// The combined report, and problems that do not stop the merge (shown to the user).
pub struct Merged {
    pub doc: Value,
    pub warnings: Vec<String>,
    /// Inputs skipped or failed in any shard.
    pub not_exported: u64,
}

fn shard_of(r: &ShardReport) -> Result<(u64, u64, String), String> {
    let run = r.doc.get("run").ok_or_else(|| {
        format!(
            "{}: not a batch report of this version (no `run` section)",
            r.label
        )
    })?;
    let fp = run["fingerprint"].as_str().unwrap_or("").to_string();
    match run.get("shard").filter(|s| !s.is_null()) {
        Some(s) => match (s["k"].as_u64(), s["n"].as_u64()) {
            (Some(k), Some(n)) => Ok((k, n, fp)),
            _ => Err(format!("{}: malformed `run.shard`", r.label)),
        },
        None => Ok((1, 1, fp)),
    }
}

/// Checks that the reports are exactly shards 1..N of one run, and combines them.
pub fn merge(reports: &[ShardReport]) -> Result<Merged, String> {
    if reports.is_empty() {
        return Err("no reports given".into());
    }
    let mut by_k: BTreeMap<u64, &ShardReport> = BTreeMap::new();
    let (_, n, fp) = shard_of(&reports[0])?;
    for r in reports {
        let (k, rn, rfp) = shard_of(r)?;
        if rn != n {
            return Err(format!(
                "{} is shard {k}/{rn}, but {} is one of {n} shards: not the same run",
                r.label, reports[0].label
            ));
        }
        if rfp != fp {
            return Err(format!(
                "{} was made from a different set of inputs than {} (input fingerprints differ)",
                r.label, reports[0].label
            ));
        }
        if let Some(first) = by_k.insert(k, r) {
            return Err(format!(
                "shard {k}/{n} given twice: {} and {}",
                first.label, r.label
            ));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !by_k.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shard(s) {}: run them (or resume the array) and merge again",
            missing.join(", ")
        ));
    }
    let mut files = Vec::new();
    let mut manifest = Vec::new();
    let mut shards = Vec::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seconds = 0.0;
    let mut entries: HashMap<String, u64> = HashMap::new();
    let mut uids: HashMap<String, u64> = HashMap::new();
    let mut warnings = Vec::new();
    let mut patients = std::collections::BTreeSet::new();
    for (k, r) in &by_k {
        let summary = &r.doc["summary"];
        for key in ["total", "exported", "skipped", "failed", "frames"] {
            *totals.entry(key).or_insert(0) += summary[key].as_u64().unwrap_or(0);
        }
        seconds += summary["seconds"].as_f64().unwrap_or(0.0);
        let archive = summary["archive"].as_str().unwrap_or("").to_string();
        shards.push(json!({ "k": k, "report": r.label, "archive": archive, "summary": summary }));
        for f in r.doc["files"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let mut f = f.clone();
            f["shard"] = json!(k);
            if f["status"] == "exported" {
                let entry = f["output"].as_str().unwrap_or("").to_string();
                if let Some(other) = entries.insert(entry.clone(), *k) {
                    warnings.push(format!(
                        "entry name {entry} is in shard {other} and shard {k}"
                    ));
                }
                if let Some(uid) = f["sop_instance_uid"].as_str() {
                    if let Some(other) = uids.insert(uid.to_string(), *k) {
                        warnings.push(format!(
                            "the same instance was exported in shard {other} and shard {k} ({entry})"
                        ));
                    }
                }
                if let Some(p) = f["pseudonym"].as_str() {
                    patients.insert(p.to_string());
                }
                manifest.push(json!({
                    "archive": archive,
                    "entry": entry,
                    "pseudonym": f["pseudonym"],
                    "study_instance_uid": f["study_instance_uid"],
                    "sop_instance_uid": f["sop_instance_uid"],
                    "frames": f["frames"],
                    "crop": f["crop"],
                    "pixel_encoding": f["pixel_encoding"],
                    "tags": f["tags"],
                }));
            }
            files.push(f);
        }
    }
    manifest.sort_by(|a, b| {
        a["entry"]
            .as_str()
            .unwrap_or("")
            .cmp(b["entry"].as_str().unwrap_or(""))
    });
    let not_exported = totals["skipped"] + totals["failed"];
    let doc = json!({
        "run": { "fingerprint": fp, "shards": n },
        "shards": shards,
        "files": files,
        "manifest": manifest,
        "summary": {
            "total": totals["total"],
            "exported": totals["exported"],
            "skipped": totals["skipped"],
            "failed": totals["failed"],
            "frames": totals["frames"],
            "pseudonyms": patients.len(),
            "seconds": seconds,
        },
    });
    Ok(Merged {
        doc,
        warnings,
        not_exported,
    })
}
