//! `verify`: proof that an export leaks none of its inputs' identifying values.
//!
//! # Needles (what is searched for, `needles.rs`)
//!
//! Every input is walked: files, folders (recursively, symlinked folders skipped) and the
//! members of `.zip` files, nested ZIPs included, with the ZIP limits of loading. For each
//! DICOM file (`DICM` at offset 128), every element at every depth of the file meta and the
//! data set, private elements included, gives needles:
//!
//! - **PN**: each name group as written (`DOE^JANE`), with spaces, commas, reversed
//!   (`JANE DOE`, `DOE, JANE`), each component of 4+ characters, and accent-folded forms.
//! - **DA**: the value and its common written forms (`2099-01-02`, `02/01/2099`,
//!   `01/02/2099`, `02.01.2099`, `2 January 2099`, `Jan 2, 2099`...); **DT**: also its date.
//! - **UI**: every UID except the standard's own (`1.2.840.10008.*`) and class UIDs.
//! - **AS** values; **AE** titles (file meta included).
//! - **LO, SH, LT, ST, UT, UC, UR**: every value, except what de-identification keeps on
//!   purpose (`deid::text_kept_value` with the default options: make, model and view names that
//!   do not look like identifiers) and De-identification Method (0012,0063). Long texts also
//!   give each line. ID-like values (4+ digits) are also searched without separators.
//! - **Code items**: a standard (PS3.16) or vocabulary term is kept by the code rule with its
//!   standard meaning, so only a different input meaning is a needle; the value and meaning
//!   of any other code item are needles.
//! - **ICC profiles**, **private** and **UN** values: ASCII and UTF-16 text runs of 6+.
//! - **JPEG marker segments** in pixel data (COM, EXIF and other APPn): text runs of 6+.
//! - **File and folder names**: the stem (6+ characters) of every input path component and ZIP
//!   member path component, and digit runs of 6+ characters inside them.
//!
//! Not needles: TM (time of day is kept when dates are shifted by whole days, and is not an
//! identifier on its own), CS (defined terms), IS/DS and binary numbers. Filtered out as too
//! short or too generic: values under 4 characters, numbers under 6 digits, common words. A
//! needle found inside a value kept on purpose is dropped: finding it would prove nothing.
//!
//! # Where they are searched (`scan.rs`)
//!
//! Every ZIP entry name and every byte of every entry, in nested ZIPs too (with the same
//! limits; a ZIP over a limit is an error: it cannot be vouched for). Deflated data sets are
//! inflated first. Bytes are searched as described in `scan.rs`, and every element of every
//! DICOM entry is also decoded in its declared character set and searched with accents and
//! case folded (`text.rs`).
//!
//! Findings never show a full value: a needle is reported as its first 2 characters and its
//! length; an entry whose name holds a needle is reported by index.

mod archive;
pub mod needles;
mod scan;
pub mod text;
mod words;

use crate::core::error::{CoreError, Result};
use crate::core::settings::{LoadSettings, Settings};
use crate::core::tags::Code;
use dicom_object::file::ReadPreamble;
use dicom_object::OpenFileOptions;
use needles::Needles;
use scan::{is_dicom, Hits, Matcher};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One needle found in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The ZIP entry name, or `entry #N` when the name itself holds a needle.
    pub entry: String,
    /// `name`, `content@<byte offset>` (in the entry, or in the inflated data set), or
    /// `decoded text`.
    pub location: String,
    /// What kind of input value matched: `person-name`, `text`, `date`, `uid`, `age`,
    /// `ae-title`, `private`, `code`, `icc`, `jpeg-marker`, `file-name`.
    pub needle_kind: &'static str,
    /// The needle, redacted: first 2 characters and the length, e.g. `ZZ…(17)`.
    pub needle: String,
}

/// Result of [`verify`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub findings: Vec<Finding>,
    pub entries_scanned: usize,
    /// Number of distinct needles searched.
    pub needles: usize,
    /// Input files read (DICOM or not, ZIP members included).
    pub input_files: usize,
    /// Of which DICOM.
    pub input_dicom_files: usize,
    /// Input ZIPs (or parts of them) not read because they exceed the load limits (loading
    /// skips them too), with the reason.
    pub inputs_skipped: Vec<String>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What [`verify_with`] needs from the settings.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// ZIP limits, as for loading.
    pub limits: LoadSettings,
    /// Codes of the tag vocabulary (kept by the code rule, like standard terms).
    pub known_codes: Vec<Code>,
}

impl VerifyOptions {
    pub fn from_settings(s: &Settings) -> Self {
        VerifyOptions {
            limits: s.load.clone(),
            known_codes: s
                .tags
                .lists
                .iter()
                .flat_map(|l| l.values.iter().filter_map(|v| v.code().cloned()))
                .collect(),
        }
    }
}

/// Redacts a value: its first 2 characters and its length in characters.
pub fn redact(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}…({})", s.chars().count())
}

fn gather_dicom_bytes(bytes: &[u8], n: &mut Needles) -> bool {
    if !is_dicom(bytes) {
        return false;
    }
    match OpenFileOptions::new()
        .read_until(dicom_dictionary_std::tags::PIXEL_DATA)
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
    {
        Ok(obj) => {
            needles::gather_meta(obj.meta(), n);
            needles::gather_dataset(&obj, n);
            let px = Matcher::new(&[], &[])
                .map(|m| m.pixel_offset(bytes))
                .unwrap_or(0);
            needles::gather_jpeg_markers(bytes, px, n);
            true
        }
        Err(_) => false,
    }
}

/// Scans one export entry (not a ZIP) for every needle.
fn scan_entry(m: &Matcher, buf: &[u8], hits: &mut Hits) {
    if !is_dicom(buf) {
        m.scan(buf, &[(0, usize::MAX)], 0, hits);
        m.scan_text(&String::from_utf8_lossy(buf), hits);
        // JSON (annotation files, manifests): the strings with their escapes undone
        if let Some(decoded) = text::json_text(buf) {
            m.scan(decoded.as_bytes(), &[(0, usize::MAX)], 0, hits);
            m.scan_text(&decoded, hits);
        }
        return;
    }
    let deflated = scan::dicom_ts(buf).is_some_and(|ts| ts == "1.2.840.10008.1.2.1.99");
    let inflated = deflated.then(|| scan::inflate_dicom(buf)).flatten();
    for data in [Some(buf), inflated.as_deref()].into_iter().flatten() {
        let px = m.pixel_offset(data);
        let mut weak = vec![(0, px)];
        weak.extend(scan::jpeg_header_regions(data, px));
        m.scan(data, &weak, 0, hits);
    }
    if let Ok(obj) = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(buf)
    {
        let mut text = String::new();
        text::dataset_text(&obj, &mut text);
        m.scan_text(&text, hits);
    }
}

/// Verifies `zip` against `inputs` (files, folders, ZIPs) with the default settings.
pub fn verify(
    zip: &Path,
    inputs: &[PathBuf],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VerifyReport> {
    verify_with(
        zip,
        inputs,
        &VerifyOptions::from_settings(&Settings::defaults()),
        progress,
    )
}

/// Verifies `zip` against `inputs`. `progress(done, total)` is called after each input file
/// and each export entry.
pub fn verify_with(
    zip: &Path,
    inputs: &[PathBuf],
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VerifyReport> {
    let mut n = Needles {
        known_codes: opts.known_codes.clone(),
        ..Default::default()
    };
    n.keep_own_markers();
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(CoreError::Invalid(format!(
                "input #{} of --against does not exist",
                i + 1
            )));
        }
        archive::collect_files(p, &mut files, &mut n)?;
    }
    let zf = std::fs::File::open(zip)
        .map_err(|e| CoreError::Invalid(format!("cannot open the export ZIP: {e}")))?;
    let entries = zip::ZipArchive::new(&zf)
        .map_err(|e| CoreError::Invalid(format!("the export is not a readable ZIP: {e}")))?
        .len();
    let total = files.len() + entries;
    let mut done = 0usize;
    let mut report = VerifyReport::default();

    let zip_canon = std::fs::canonicalize(zip).ok();
    for (k, f) in files.iter().enumerate() {
        done += 1;
        if zip_canon.is_some() && std::fs::canonicalize(f).ok() == zip_canon {
            progress(done, total);
            continue; // the export itself, listed among the inputs
        }
        if archive::is_zip_name(f) {
            let file = std::fs::File::open(f)?;
            let (mut count, mut dicom) = (0usize, 0usize);
            let r = archive::zip_members(file, &opts.limits, 0, "", &mut |name, _, bytes| {
                for comp in name.split(['/', '\\', '!']).filter(|c| !c.is_empty()) {
                    n.add_name_stem(comp);
                }
                if !bytes.is_empty() {
                    count += 1;
                    dicom += gather_dicom_bytes(&bytes, &mut n) as usize;
                }
                Ok(())
            });
            report.input_files += count;
            report.input_dicom_files += dicom;
            if let Err(reason) = r {
                report
                    .inputs_skipped
                    .push(format!("input ZIP #{}: {reason}", k + 1));
            }
        } else {
            let bytes = std::fs::read(f)?;
            report.input_files += 1;
            report.input_dicom_files += gather_dicom_bytes(&bytes, &mut n) as usize;
        }
        progress(done, total);
    }

    // A needle inside a value kept on purpose (a name word in a Manufacturer) proves nothing.
    let kept: Vec<String> = n.kept.iter().map(|k| text::fold(k)).collect();
    let mut needles: Vec<(String, &'static str)> = n
        .map
        .into_iter()
        .filter(|(v, _)| {
            let f = text::fold(v);
            !kept.iter().any(|k| k.contains(&f))
        })
        .collect();
    needles.sort();
    let index: std::collections::HashMap<&str, usize> = needles
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_str(), i))
        .collect();
    let mut ids: Vec<(usize, String)> = Vec::new();
    for (sq, from) in &n.ids {
        if let Some(i) = index.get(from.as_str()) {
            ids.push((*i, sq.clone()));
        }
    }
    report.needles = needles.len();
    let matcher = Matcher::new(&needles, &ids)?;

    // (entry label, name hits, content hits)
    let mut results: Vec<(String, Hits, Hits)> = Vec::new();
    let r = archive::zip_members(&zf, &opts.limits, 0, "", &mut |name, raw, bytes| {
        let mut nh = Hits::new();
        matcher.scan(name.as_bytes(), &[(0, usize::MAX)], 0, &mut nh);
        matcher.scan(raw, &[(0, usize::MAX)], 0, &mut nh);
        matcher.scan_text(name, &mut nh);
        let mut ch = Hits::new();
        scan_entry(&matcher, &bytes, &mut ch);
        results.push((name.to_string(), nh, ch));
        if !name.contains('!') {
            done += 1;
            progress(done, total);
        }
        Ok(())
    });
    if let Err(reason) = r {
        return Err(CoreError::Invalid(format!(
            "the export cannot be searched completely: {reason}"
        )));
    }
    report.entries_scanned = results.len();
    for (i, (name, nh, ch)) in results.iter().enumerate() {
        let label = if nh.is_empty() {
            name.clone()
        } else {
            format!("entry #{}", i + 1)
        };
        for (hits, is_name) in [(nh, true), (ch, false)] {
            let mut hs: Vec<_> = hits.iter().collect();
            hs.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
            for (&k, loc) in hs {
                report.findings.push(Finding {
                    entry: label.clone(),
                    location: if is_name { "name".into() } else { loc.clone() },
                    needle_kind: needles[k].1,
                    needle: redact(&needles[k].0),
                });
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(redact("ZZPHI-NAME"), "ZZ…(10)");
    }
}
