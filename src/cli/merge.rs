//! `merge`: one report and manifest over the shards of a batch.

use std::path::PathBuf;

use clap::Args;

use us_dicomizer::core::export::merge::{self, ShardReport};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The report of every shard (`batch --shard K/N --report ...`).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// The combined report to write (files, manifest over all archives, totals).
    #[arg(short, long, value_name = "ALL.json")]
    pub output: PathBuf,
    /// Replace an existing combined report.
    #[arg(long)]
    pub force: bool,
}

/// 0: complete and every input exported; 1: complete, some inputs skipped or failed;
/// 2: not written (a shard missing or twice, reports of different runs, unreadable report).
pub fn run(args: &MergeArgs) -> i32 {
    if args.output.exists() && !args.force {
        eprintln!(
            "error: `{}` already exists: pass --force to replace it",
            args.output.display()
        );
        return 2;
    }
    let mut reports = Vec::new();
    for p in &args.reports {
        let label = p.display().to_string();
        let doc = match std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {label}: {e}");
                return 2;
            }
        };
        reports.push(ShardReport { label, doc });
    }
    let merged = match merge::merge(&reports) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}; nothing written");
            return 2;
        }
    };
    for w in &merged.warnings {
        eprintln!("warning: {w}");
    }
    let json = serde_json::to_vec_pretty(&merged.doc).unwrap_or_default();
    if let Err(e) = us_dicomizer::core::fsutil::write_atomic(&args.output, &json) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return 2;
    }
    let s = &merged.doc["summary"];
    eprintln!(
        "{} shard(s): {} exported ({} frames, {} pseudonyms), {} skipped, {} failed -> {}",
        reports.len(),
        s["exported"],
        s["frames"],
        s["pseudonyms"],
        s["skipped"],
        s["failed"],
        args.output.display()
    );
    if merged.not_exported > 0 || !merged.warnings.is_empty() {
        1
    } else {
        0
    }
}
