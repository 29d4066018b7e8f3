//! The manifest inside the archive (CSV and JSON): one row per exported entry, never an input
//! path or any original identifier. The JSON also says which files were not exported and why
//! (by their number in the request, and what the caller left out), the pseudonym and the UTC
//! date and time of the export.

use std::io::Write;

use serde::Serialize;

use super::{ExportRequest, FileReport, Status};
use crate::core::error::{CoreError, Result};

#[derive(Serialize)]
struct Row<'a> {
    entry: &'a str,
    frames: u32,
    rows: u32,
    columns: u32,
    bytes: u64,
    crop: [u32; 4],
    crop_source: &'a str,
    pixel_encoding: &'a str,
    transfer_syntax: &'a str,
    photometric: &'a str,
    pseudonym: &'a str,
    study_instance_uid: &'a str,
    sop_instance_uid: &'a str,
    tags: &'a std::collections::BTreeMap<String, String>,
    /// The annotation files written next to the entry.
    annotations: &'a [String],
}

#[derive(Serialize)]
struct NotExported<'a> {
    /// 1-based position in the export request.
    input: usize,
    status: Status,
    reason: &'a str,
}

/// `2026-11-30T19:20:05Z` for seconds since the epoch.
pub fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = crate::core::deid::dates::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn write<W: Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    reports: &[FileReport],
    req: &ExportRequest,
) -> Result<()> {
    let not_exported: Vec<NotExported> = reports
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status != Status::Exported)
        .map(|(i, r)| NotExported {
            input: i + 1,
            status: r.status,
            reason: r.reason.as_deref().unwrap_or(""),
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rows: Vec<Row> = reports
        .iter()
        .filter(|r| r.status == Status::Exported)
        .map(|r| Row {
            entry: r.output.as_deref().unwrap_or(""),
            frames: r.frames.unwrap_or(0),
            rows: r.rows_cols.map(|v| v.0).unwrap_or(0),
            columns: r.rows_cols.map(|v| v.1).unwrap_or(0),
            bytes: r.entry_bytes,
            crop: r.crop.unwrap_or([0; 4]),
            crop_source: r.crop_source.unwrap_or(""),
            pixel_encoding: r.pixel_encoding.unwrap_or(""),
            transfer_syntax: r.transfer_syntax.as_deref().unwrap_or(""),
            photometric: r.photometric.as_deref().unwrap_or(""),
            pseudonym: r.pseudonym.as_deref().unwrap_or(""),
            study_instance_uid: r.study_instance_uid.as_deref().unwrap_or(""),
            sop_instance_uid: r.sop_instance_uid.as_deref().unwrap_or(""),
            tags: &r.tags,
            annotations: r
                .annotations
                .as_ref()
                .map(|a| a.files.as_slice())
                .unwrap_or(&[]),
        })
        .collect();
    let tag_keys: std::collections::BTreeSet<&String> =
        rows.iter().flat_map(|r| r.tags.keys()).collect();
    // Both files are streamed into the archive row by row: memory stays small for 10^5+ rows.
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zerr = |e: zip::result::ZipError| CoreError::Io(std::io::Error::other(e.to_string()));
    zip.start_file("manifest.csv", opts).map_err(zerr)?;
    {
        let mut csv = std::io::BufWriter::with_capacity(1 << 16, &mut *zip);
        csv.write_all(b"entry,frames,rows,columns,bytes,x0,y0,x1,y1,crop_source,pixel_encoding,transfer_syntax,photometric,pseudonym,study_instance_uid,sop_instance_uid,annotations")?;
        for k in &tag_keys {
            write!(csv, ",{}", csv_field(k))?;
        }
        csv.write_all(b"\n")?;
        for r in &rows {
            write!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(r.entry),
                r.frames,
                r.rows,
                r.columns,
                r.bytes,
                r.crop[0],
                r.crop[1],
                r.crop[2],
                r.crop[3],
                r.crop_source,
                r.pixel_encoding,
                r.transfer_syntax,
                csv_field(r.photometric),
                csv_field(r.pseudonym),
                r.study_instance_uid,
                r.sop_instance_uid,
                csv_field(&r.annotations.join(";"))
            )?;
            for k in &tag_keys {
                write!(
                    csv,
                    ",{}",
                    csv_field(r.tags.get(*k).map(String::as_str).unwrap_or(""))
                )?;
            }
            csv.write_all(b"\n")?;
        }
        csv.flush()?;
    }
    #[derive(Serialize)]
    struct ShardMark {
        k: usize,
        n: usize,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        tool: &'static str,
        version: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        shard: Option<ShardMark>,
        /// The pseudonym rule: the literal pseudonym, `auto` (one keyed per patient) or `list`.
        pseudonym: &'a str,
        exported_at: String,
        entries: &'a [Row<'a>],
        not_exported: &'a [NotExported<'a>],
        left_out: &'a [String],
    }
    let doc = Doc {
        tool: "us-dicomizer",
        version: env!("CARGO_PKG_VERSION"),
        shard: req.shard.map(|(k, n)| ShardMark { k, n }),
        pseudonym: match &req.pseudonym {
            super::PseudonymRule::Literal(p) => p.as_str(),
            super::PseudonymRule::Auto { .. } => crate::core::patients::AUTO,
            super::PseudonymRule::Table(_) => "list",
        },
        exported_at: utc_timestamp(now),
        entries: &rows,
        not_exported: &not_exported,
        left_out: &req.excluded,
    };
    zip.start_file("manifest.json", opts).map_err(zerr)?;
    {
        let mut json = std::io::BufWriter::with_capacity(1 << 16, &mut *zip);
        serde_json::to_writer_pretty(&mut json, &doc)
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        json.flush()?;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
