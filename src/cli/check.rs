//! `check`: validation only.

use std::path::PathBuf;

use clap::Args;

use us_dicomizer::core::display::escape;
use us_dicomizer::core::load;
use us_dicomizer::core::patients::PatientKey;
use us_dicomizer::core::settings::Settings;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files, folders or .zip archives.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CheckArgs, settings: &Settings) -> i32 {
    let mut gathered = load::gather(&args.paths, &settings.load);
    let mut rows: Vec<serde_json::Value> = Vec::new();
    for s in &gathered.skipped {
        rows.push(serde_json::json!({"input": s.input, "status": "skipped", "reason": s.reason}));
    }
    rows.extend(annotation_rows(&mut gathered, settings));
    let results: Vec<(serde_json::Value, Option<PatientKey>)> = {
        use rayon::prelude::*;
        gathered
            .sources
            .par_iter()
            .map(|src| match load::load(src, &settings.load) {
                Ok(f) => {
                    let patient = PatientKey::from_obj(&f.obj);
                    let i = &f.info;
                    let mut note = i.flags.join("; ");
                    if i.may_have_burned_in_text() {
                        if !note.is_empty() {
                            note.push_str("; ");
                        }
                        note.push_str("may have burned-in text: needs a crop");
                    }
                    (serde_json::json!({
                        "input": src.display(), "status": "ok", "reason": if note.is_empty() { serde_json::Value::Null } else { note.into() },
                        "modality": i.modality, "transfer_syntax": i.ts_kind.name(), "photometric": i.photometric,
                        "columns": i.columns, "rows": i.rows, "frames": i.frames, "bits": i.bits_allocated,
                        "regions": i.regions.len(), "sop_instance_uid": i.sop_instance_uid,
                    }), Some(patient))
                }
                Err(reason) => (serde_json::json!({"input": src.display(), "status": "skipped", "reason": reason}), None),
            })
            .collect()
    };
    // distinct original patients of the usable files (counted, never printed)
    let mut patients = std::collections::HashSet::new();
    let mut unidentified = 0usize;
    for (row, patient) in results {
        if let Some(p) = patient {
            if p.is_unidentified() {
                unidentified += 1;
            }
            patients.insert(p);
        }
        rows.push(row);
    }
    let patient_count = patients.len();
    // duplicates by SOP Instance UID, reported once
    let mut seen = std::collections::HashMap::new();
    for r in rows.iter_mut() {
        let Some(uid) = r
            .get("sop_instance_uid")
            .and_then(|v| v.as_str())
            .map(str::to_string)
        else {
            continue;
        };
        if uid.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(&uid) {
            r["status"] = "skipped".into();
            r["reason"] = format!("duplicate of {first} (same SOP Instance UID)").into();
        } else {
            seen.insert(uid, r["input"].as_str().unwrap_or("").to_string());
        }
    }
    let ok = rows.iter().filter(|r| r["status"] == "ok").count();
    let annotations = rows.iter().filter(|r| r["status"] == ANNOTATION).count();
    let skipped = rows.len() - ok - annotations;
    if args.json {
        let out = serde_json::json!({"files": rows, "summary": {
            "ok": ok, "skipped": skipped, "annotation_files": annotations,
            "patients": patient_count, "files_without_patient_identity": unidentified,
        }});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!("{:<8} {:<44} DETAILS", "STATUS", "INPUT");
        for r in &rows {
            let input = escape(r["input"].as_str().unwrap_or(""));
            let input = if input.chars().count() > 44 {
                format!(
                    "…{}",
                    input
                        .chars()
                        .rev()
                        .take(43)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                )
            } else {
                input.to_string()
            };
            let details = if r["status"] == "ok" {
                let mut d = format!(
                    "{} {} {}x{}x{} {}-bit",
                    r["modality"].as_str().unwrap_or(""),
                    r["transfer_syntax"].as_str().unwrap_or(""),
                    r["columns"],
                    r["rows"],
                    r["frames"],
                    r["bits"]
                );
                d.push_str(&format!(" {}", r["photometric"].as_str().unwrap_or("")));
                if let Some(n) = r["reason"].as_str() {
                    d.push_str(&format!(" ({n})"));
                }
                d
            } else {
                r["reason"].as_str().unwrap_or("").to_string()
            };
            println!(
                "{:<8} {:<44} {}",
                escape(r["status"].as_str().unwrap_or("")),
                input,
                escape(&details)
            );
        }
        let without = if unidentified > 0 {
            format!("; {unidentified} file(s) without Patient ID, name or birth date count as one")
        } else {
            String::new()
        };
        let annotation_files = if annotations > 0 {
            format!(", {annotations} annotation file(s)")
        } else {
            String::new()
        };
        println!(
            "{ok} usable, {skipped} skipped{annotation_files}; {patient_count} patient(s) (by Patient ID and issuer, else name and birth date{without})"
        );
    }
    if skipped > 0 {
        1
    } else {
        0
    }
}

const ANNOTATION: &str = "annot";

/// The annotation files next to the inputs (`<stem>.json`, `<stem>_darwin.json`), taken out of
/// the inputs and read: status `annot` with what they hold, or `skipped` with why they cannot
/// be read.
fn annotation_rows(gathered: &mut load::Gathered, settings: &Settings) -> Vec<serde_json::Value> {
    use us_dicomizer::core::annotation::import;
    let pairing = import::pair(&gathered.sources);
    let mut rows = Vec::new();
    for (i, files) in pairing.sidecars.iter().enumerate() {
        let of = gathered.sources[i].short_name();
        for &j in files {
            let src = &gathered.sources[j];
            let got = import::import(&[src], &settings.load, &settings.annotation);
            let row = match (&got.annotations, got.report.imported_from.is_empty()) {
                (_, true) => serde_json::json!({"input": src.display(), "status": "skipped",
                    "reason": got.report.problems.join("; ")}),
                (a, false) => {
                    let a = a.clone().unwrap_or_default();
                    let mut reason = format!(
                        "annotations of {of}: {} polygon(s), {} graded frame(s){}",
                        a.polygon_count(),
                        a.grades.len(),
                        a.status
                            .map(|s| format!(", status {s}"))
                            .unwrap_or_default()
                    );
                    for p in &got.report.problems {
                        reason.push_str("; ");
                        reason.push_str(p);
                    }
                    serde_json::json!({"input": src.display(), "status": ANNOTATION, "reason": reason})
                }
            };
            rows.push(row);
        }
    }
    let mut k = 0;
    gathered.sources.retain(|_| {
        k += 1;
        !pairing.consumed[k - 1]
    });
    rows
}
