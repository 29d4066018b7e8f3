//! The manifest inside the archive (CSV and JSON): one row per exported entry, never an input
//! path or any original identifier. The JSON also says which files were not exported and why
//! (by their number in the request, and what the caller left out), the pseudonym and the UTC
//! date and time of the export.
//!
//! Rows are collected while the export runs into an unnamed temporary file (in the archive's
//! folder, gone when closed) and streamed from it into the archive at the end, so the memory of
//! an export does not grow with the number of files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Seek, Write};

use serde::{Deserialize, Serialize};

use super::{ExportRequest, FileReport, Status};
use crate::core::error::{CoreError, Result};

#[derive(Serialize, Deserialize)]
struct Row {
    entry: String,
    frames: u32,
    rows: u32,
    columns: u32,
    bytes: u64,
    crop: [u32; 4],
    crop_source: String,
    pixel_encoding: String,
    transfer_syntax: String,
    photometric: String,
    pseudonym: String,
    study_instance_uid: String,
    sop_instance_uid: String,
    tags: BTreeMap<String, String>,
    /// Text boxes blanked (output coordinates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    masked: Vec<[u32; 4]>,
    /// What `mask_outside_sector` kept and blanked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outside_sector: Option<String>,
    /// The annotation files written next to the entry.
    annotations: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct NotExported {
    /// 1-based position in the export request.
    input: usize,
    status: Status,
    reason: String,
}

/// One line of the spill file.
#[derive(Serialize, Deserialize)]
enum Record {
    E(Box<Row>),
    X(NotExported),
}

/// The manifest's rows, gathered file by file.
pub struct Collector {
    spill: std::io::BufWriter<std::fs::File>,
    tag_keys: BTreeSet<String>,
    count: usize,
}

fn io_err(e: impl std::fmt::Display) -> CoreError {
    CoreError::Io(std::io::Error::other(e.to_string()))
}

impl Collector {
    /// A collector whose rows wait in an unnamed temporary file in `folder`.
    pub fn new(folder: &std::path::Path) -> Result<Self> {
        Ok(Collector {
            spill: std::io::BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(folder)?),
            tag_keys: BTreeSet::new(),
            count: 0,
        })
    }

    /// Adds the report of the next file of the request (in request order).
    pub fn add(&mut self, r: &FileReport) -> Result<()> {
        self.count += 1;
        let rec = if r.status == Status::Exported {
            for k in r.tags.keys() {
                if !self.tag_keys.contains(k) {
                    self.tag_keys.insert(k.clone());
                }
            }
            Record::E(Box::new(Row {
                entry: r.output.clone().unwrap_or_default(),
                frames: r.frames.unwrap_or(0),
                rows: r.rows_cols.map(|v| v.0).unwrap_or(0),
                columns: r.rows_cols.map(|v| v.1).unwrap_or(0),
                bytes: r.entry_bytes,
                crop: r.crop.unwrap_or([0; 4]),
                crop_source: r.crop_source.unwrap_or("").into(),
                pixel_encoding: r.pixel_encoding.unwrap_or("").into(),
                transfer_syntax: r.transfer_syntax.clone().unwrap_or_default(),
                photometric: r.photometric.clone().unwrap_or_default(),
                pseudonym: r.pseudonym.clone().unwrap_or_default(),
                study_instance_uid: r.study_instance_uid.clone().unwrap_or_default(),
                sop_instance_uid: r.sop_instance_uid.clone().unwrap_or_default(),
                tags: r.tags.clone(),
                masked: r.masked.clone(),
                outside_sector: r.outside_sector.clone(),
                annotations: r
                    .annotations
                    .as_ref()
                    .map(|a| a.files.clone())
                    .unwrap_or_default(),
            }))
        } else {
            Record::X(NotExported {
                input: self.count,
                status: r.status,
                reason: r.reason.clone().unwrap_or_default(),
            })
        };
        serde_json::to_writer(&mut self.spill, &rec).map_err(io_err)?;
        self.spill.write_all(b"\n")?;
        Ok(())
    }
}

/// The records of a spill file, read again from its start.
fn records(file: &std::fs::File) -> Result<impl Iterator<Item = Result<Record>> + '_> {
    let mut f = file;
    f.seek(std::io::SeekFrom::Start(0))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, f)
        .lines()
        .map(|l| serde_json::from_str::<Record>(&l?).map_err(io_err)))
}

/// A JSON array streamed from the spill file: entries (`true`) or files not exported.
struct Streamed<'a> {
    file: &'a std::fs::File,
    entries: bool,
}

impl Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(None)?;
        for rec in records(self.file).map_err(S::Error::custom)? {
            match (rec.map_err(S::Error::custom)?, self.entries) {
                (Record::E(r), true) => seq.serialize_element(&r)?,
                (Record::X(x), false) => seq.serialize_element(&x)?,
                _ => {}
            }
        }
        seq.end()
    }
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

/// Writes `manifest.csv` and `manifest.json` into the archive from the collected rows.
pub fn write<W: crate::core::zipwrite::Output>(
    zip: &mut crate::core::zipwrite::ZipOut<W>,
    collected: Collector,
    req: &ExportRequest,
) -> Result<()> {
    let Collector {
        spill, tag_keys, ..
    } = collected;
    let file = spill
        .into_inner()
        .map_err(|e| CoreError::Io(e.into_error()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Both files are streamed into the archive row by row: memory stays small for 10^5+ rows.
    let deflated = crate::core::zipwrite::Method::Deflated;
    {
        let mut entry = zip.start("manifest.csv", deflated)?;
        let mut csv = std::io::BufWriter::with_capacity(1 << 16, &mut entry);
        csv.write_all(b"entry,frames,rows,columns,bytes,x0,y0,x1,y1,crop_source,pixel_encoding,transfer_syntax,photometric,pseudonym,study_instance_uid,sop_instance_uid,annotations")?;
        for k in &tag_keys {
            write!(csv, ",{}", csv_field(k))?;
        }
        csv.write_all(b"\n")?;
        for rec in records(&file)? {
            let Record::E(r) = rec? else { continue };
            write!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&r.entry),
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
                csv_field(&r.photometric),
                csv_field(&r.pseudonym),
                r.study_instance_uid,
                r.sop_instance_uid,
                csv_field(&r.annotations.join(";"))
            )?;
            for k in &tag_keys {
                write!(
                    csv,
                    ",{}",
                    csv_field(r.tags.get(k).map(String::as_str).unwrap_or(""))
                )?;
            }
            csv.write_all(b"\n")?;
        }
        csv.flush()?;
        drop(csv);
        entry.finish()?;
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
        entries: Streamed<'a>,
        not_exported: Streamed<'a>,
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
        entries: Streamed {
            file: &file,
            entries: true,
        },
        not_exported: Streamed {
            file: &file,
            entries: false,
        },
        left_out: &req.excluded,
    };
    {
        let mut entry = zip.start("manifest.json", deflated)?;
        let mut json = std::io::BufWriter::with_capacity(1 << 16, &mut entry);
        serde_json::to_writer_pretty(&mut json, &doc)
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        json.flush()?;
        drop(json);
        entry.finish()?;
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
