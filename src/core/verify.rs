//! `verify`: proof that an export leaks none of its inputs' identifying values.
//!
//! # Needles (what is searched for)
//!
//! Every input is walked: files, folders (recursively, symlinked folders skipped) and the
//! members of `.zip` files. For each DICOM file (`DICM` at offset 128), every element at every
//! depth of the file meta and the data set, private elements included, gives needles:
//!
//! - **PN**: each name group as written (`DOE^JANE`), with spaces (`DOE JANE`), reversed
//!   (`JANE DOE`), and each component of 4+ characters.
//! - **DA**: the value and its reformatted forms (`2099-01-02`, `02/01/2099`, `01/02/2099`,
//!   `02.01.2099`); **DT**: the value and its date part.
//! - **UI**: every UID except the standard's own (`1.2.840.10008.*`) and class UIDs.
//! - **AS** values; **AE** titles (file meta included).
//! - **LO, SH, LT, ST, UT, UC, UR**: every value, except the attributes that de-identification
//!   keeps on purpose because they describe the device model, not a person or a site
//!   (Manufacturer, Model Name, Transducer Data, Processing Function, Stage/View Name, code
//!   values and meanings: see `deid::text_kept`), and De-identification Method (0012,0063).
//!   Long texts also give each line. A needle equal to a value of a kept attribute (say a
//!   Station Name equal to the Manufacturer) is dropped: finding it would prove nothing.
//! - **Private** elements: text values, and printable runs of 6+ characters in UN/OB values.
//! - **File and folder names**: the stem (6+ characters) of every input path component and ZIP
//!   member path component, and digit runs of 6+ characters inside them.
//!
//! Not needles: TM (time of day is kept when dates are shifted by whole days, and is not an
//! identifier on its own), CS (defined terms), IS/DS and binary numbers.
//!
//! Filtered out as too short or too generic to prove anything: values under 4 characters,
//! numbers under 6 digits, and common words (`YES`, `NONE`, `ANONYMOUS`, `DICOM`, `IMAGES`...).
//!
//! # Where they are searched
//!
//! Every ZIP entry name and every byte of every entry (Deflated Explicit VR data sets are
//! inflated first). Needles of 8+ characters ("strong") are matched ASCII-case-insensitively
//! and also as UTF-16LE, anywhere. Shorter needles ("weak") are matched exactly, in entry names,
//! non-DICOM entries and the DICOM bytes before Pixel Data: inside pixel data a 4-7 byte match
//! is indistinguishable from image content.
//!
//! Findings never show a full value: a needle is reported as its first 2 characters and its
//! length; an entry whose name holds a needle is reported by index.

use crate::core::deid;
use crate::core::error::{CoreError, Result};
use crate::core::uid;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::file::ReadPreamble;
use dicom_object::mem::InMemElement;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One needle found in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The ZIP entry name, or `entry #N` when the name itself holds a needle.
    pub entry: String,
    /// `name`, or `content@<byte offset>` (offset in the entry, or in the inflated data set).
    pub location: String,
    /// What kind of input value matched: `person-name`, `text`, `date`, `uid`, `age`,
    /// `ae-title`, `private`, `file-name`.
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
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Redacts a value: its first 2 characters and its length in characters.
pub fn redact(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}…({})", s.chars().count())
}

const COMMON: &[&str] = &[
    "YES",
    "NONE",
    "NULL",
    "UNKNOWN",
    "ANON",
    "ANONYMOUS",
    "ANONYMIZED",
    "ANONYMISED",
    "TEST",
    "OTHER",
    "NORMAL",
    "LEFT",
    "RIGHT",
    "BOTH",
    "MALE",
    "FEMALE",
    "DICOM",
    "DICOMDIR",
    "IMAGE",
    "IMAGES",
    "DATA",
    "EXPORT",
    "EXPORTS",
    "INPUT",
    "INPUTS",
    "OUTPUT",
    "STUDY",
    "STUDIES",
    "SERIES",
    "PATIENT",
    "DERIVED",
    "PRIMARY",
    "SECONDARY",
    "ORIGINAL",
    "MODIFIED",
    "UNMODIFIED",
    "REMOVED",
    "ULTRASOUND",
    "DOPPLER",
    "ISO_IR 100",
    "ISO_IR 192",
    "ISO_IR 6",
    "DEFAULT",
    "FILES",
    "FILE",
    "TEMP",
    "DOWNLOADS",
    "DESKTOP",
    "DOCUMENTS",
    "HOME",
    "ROOT",
    "TMP",
    "NEW",
    "COPY",
    "BACKUP",
    "ARCHIVE",
    "UNNAMED",
    "UNTITLED",
    "DIAGNOSTIC",
    "NON-DIAGNOSTIC",
    "MANIFEST",
    "README",
    "US-DICOMIZER",
    "DCM",
    "SCT",
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Strength {
    Strong,
    Weak,
}

struct Needles {
    /// needle text → kind (first kind wins)
    map: HashMap<String, &'static str>,
    /// values (lowercase) of attributes kept on purpose; a needle equal to one proves nothing
    kept: std::collections::HashSet<String>,
}

impl Needles {
    fn add(&mut self, raw: &str, kind: &'static str) {
        let v = raw.trim_matches(|c: char| c == ' ' || c == '\0' || c.is_control());
        if v.chars().count() < 4 {
            return;
        }
        if v.bytes().all(|b| b.is_ascii_digit()) && v.len() < 6 {
            return;
        }
        if v.bytes().all(|b| !b.is_ascii_alphanumeric()) {
            return;
        }
        if COMMON.iter().any(|c| c.eq_ignore_ascii_case(v)) {
            return;
        }
        self.map.entry(v.to_string()).or_insert(kind);
    }

    fn add_pn(&mut self, value: &str) {
        for group in value.split('=') {
            let comps: Vec<&str> = group
                .split('^')
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .collect();
            if comps.is_empty() {
                continue;
            }
            self.add(group, "person-name");
            self.add(&comps.join(" "), "person-name");
            if comps.len() >= 2 {
                self.add(&format!("{} {}", comps[1], comps[0]), "person-name");
                self.add(&format!("{}, {}", comps[0], comps[1]), "person-name");
            }
            for c in comps {
                self.add(c, "person-name");
            }
        }
    }

    fn add_date(&mut self, v: &str) {
        let v = v.trim();
        self.add(v, "date");
        if v.len() >= 8 && v.is_char_boundary(8) && v[..8].bytes().all(|b| b.is_ascii_digit()) {
            let (y, m, d) = (&v[0..4], &v[4..6], &v[6..8]);
            self.add(&v[..8], "date");
            for f in [
                format!("{y}-{m}-{d}"),
                format!("{d}/{m}/{y}"),
                format!("{m}/{d}/{y}"),
                format!("{d}.{m}.{y}"),
            ] {
                self.add(&f, "date");
            }
        }
    }

    fn add_name_stem(&mut self, name: &str) {
        let stem = match name.rsplit_once('.') {
            Some((s, ext)) if !s.is_empty() && ext.len() <= 4 => s,
            _ => name,
        };
        // Short stems ("IM1", "notes", "scan2") are device or user conventions, not identity.
        if stem.chars().count() >= 6 {
            self.add(stem, "file-name");
        }
        let mut run = String::new();
        for c in stem.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                run.push(c);
            } else {
                if run.len() >= 6 && run.len() != stem.len() {
                    self.add(&run, "file-name");
                }
                run.clear();
            }
        }
    }

    fn add_text(&mut self, value: &str, kind: &'static str) {
        for v in value.split('\\') {
            self.add(v, kind);
            if v.len() > 64 {
                for line in v.lines() {
                    self.add(line, kind);
                }
            }
        }
    }
}

fn printable_runs(bytes: &[u8], min: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in bytes.iter().chain(std::iter::once(&0u8)).enumerate() {
        let printable = (0x20..0x7F).contains(&b);
        match (printable, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= min {
                    out.push(String::from_utf8_lossy(&bytes[s..i]).into_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn elem_text(e: &InMemElement) -> Option<String> {
    match e.value() {
        Value::Primitive(p) => Some(p.to_str().into_owned()),
        _ => None,
    }
}

fn gather_dataset(obj: &InMemDicomObject, n: &mut Needles) {
    for e in obj.iter() {
        let tag = e.tag();
        let t = ((tag.group() as u32) << 16) | tag.element() as u32;
        let private = tag.group() % 2 == 1;
        if deid::pixel_owned(t) {
            continue;
        }
        let vr = e.vr();
        if let Value::Sequence(seq) = e.value() {
            for item in seq.items() {
                gather_dataset(item, n);
            }
            continue;
        }
        if private && (0x0010..=0x00FF).contains(&tag.element()) {
            continue; // private creator: a vendor name
        }
        match vr {
            VR::PN => {
                if let Some(s) = elem_text(e) {
                    for v in s.split('\\') {
                        n.add_pn(v);
                    }
                }
            }
            VR::DA | VR::DT => {
                if let Some(s) = elem_text(e) {
                    for v in s.split('\\') {
                        n.add_date(v);
                    }
                }
            }
            VR::UI => {
                if uid::is_class_uid_tag(t) {
                    continue;
                }
                if let Some(s) = elem_text(e) {
                    for v in s.split('\\') {
                        let v = v.trim_matches([' ', '\0']);
                        if !uid::is_standard_uid(v) {
                            n.add(v, "uid");
                        }
                    }
                }
            }
            VR::AS => {
                if let Some(s) = elem_text(e) {
                    n.add_text(&s, "age");
                }
            }
            VR::AE => {
                if let Some(s) = elem_text(e) {
                    n.add_text(&s, "ae-title");
                }
            }
            VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::UR => {
                if !private && deid::text_kept(t) {
                    if let Some(s) = elem_text(e) {
                        for v in s.split('\\') {
                            n.kept
                                .insert(v.trim_matches([' ', '\0']).to_ascii_lowercase());
                        }
                    }
                    continue;
                }
                if t == 0x0012_0063 {
                    continue; // De-identification Method of an earlier tool: not identifying
                }
                if let Some(s) = elem_text(e) {
                    n.add_text(&s, if private { "private" } else { "text" });
                }
            }
            VR::UN | VR::OB if private => {
                if let Ok(b) = e.to_bytes() {
                    for r in printable_runs(&b, 6) {
                        n.add(&r, "private");
                    }
                }
            }
            VR::CS if private => {
                if let Some(s) = elem_text(e) {
                    n.add_text(&s, "private");
                }
            }
            _ => {}
        }
    }
}

fn gather_meta(meta: &dicom_object::FileMetaTable, n: &mut Needles) {
    let clean = |s: &str| s.trim_matches([' ', '\0']).to_string();
    n.add(&clean(&meta.media_storage_sop_instance_uid), "uid");
    let ic = clean(&meta.implementation_class_uid);
    if !uid::is_standard_uid(&ic) && ic != uid::implementation_class_uid() {
        n.add(&ic, "uid");
    }
    if let Some(v) = &meta.implementation_version_name {
        let v = clean(v);
        if v != uid::implementation_version_name() {
            n.add(&v, "text");
        }
    }
    for ae in [
        &meta.source_application_entity_title,
        &meta.sending_application_entity_title,
        &meta.receiving_application_entity_title,
    ]
    .into_iter()
    .flatten()
    {
        n.add(&clean(ae), "ae-title");
    }
    if let Some(p) = &meta.private_information_creator_uid {
        n.add(&clean(p), "uid");
    }
}

fn is_dicom(head: &[u8]) -> bool {
    head.len() >= 132 && &head[128..132] == b"DICM"
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
            gather_meta(obj.meta(), n);
            gather_dataset(&obj, n);
            true
        }
        Err(_) => false,
    }
}

fn gather_dicom_file(path: &Path, n: &mut Needles) -> Result<bool> {
    let mut head = [0u8; 132];
    let mut f = std::fs::File::open(path)?;
    let mut got = 0;
    while got < head.len() {
        let k = f.read(&mut head[got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    if !is_dicom(&head[..got]) {
        return Ok(false);
    }
    match OpenFileOptions::new()
        .read_until(dicom_dictionary_std::tags::PIXEL_DATA)
        .open_file(path)
    {
        Ok(obj) => {
            gather_meta(obj.meta(), n);
            gather_dataset(&obj, n);
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn is_zip_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn collect_files(root: &Path, out: &mut Vec<PathBuf>, n: &mut Needles) -> Result<()> {
    let md = std::fs::symlink_metadata(root)?;
    if let Some(name) = root.file_name().and_then(|s| s.to_str()) {
        n.add_name_stem(name);
    }
    if md.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let md = std::fs::symlink_metadata(&p)?;
            if md.file_type().is_symlink() {
                if let Some(name) = p.file_name().and_then(|s| s.to_str()) {
                    n.add_name_stem(name);
                }
                if std::fs::metadata(&p).map(|m| m.is_file()).unwrap_or(false) {
                    out.push(p);
                }
                continue;
            }
            collect_files(&p, out, n)?;
        }
    } else if md.is_file() || md.file_type().is_symlink() {
        out.push(root.to_path_buf());
    }
    Ok(())
}

fn gather_zip_input(
    path: &Path,
    n: &mut Needles,
    files: &mut usize,
    dicom: &mut usize,
) -> Result<()> {
    let f = std::fs::File::open(path)?;
    let mut z = zip::ZipArchive::new(f)
        .map_err(|e| CoreError::Invalid(format!("an input ZIP cannot be read: {e}")))?;
    for i in 0..z.len() {
        let mut entry = z
            .by_index(i)
            .map_err(|e| CoreError::Invalid(format!("an input ZIP member cannot be read: {e}")))?;
        let name = entry.name().map(|c| c.into_owned()).unwrap_or_default();
        for comp in name.split(['/', '\\']).filter(|c| !c.is_empty()) {
            n.add_name_stem(comp);
        }
        if entry.is_dir() {
            continue;
        }
        let mut buf = Vec::with_capacity(entry.size().min(1 << 30) as usize);
        entry.read_to_end(&mut buf)?;
        *files += 1;
        if gather_dicom_bytes(&buf, n) {
            *dicom += 1;
        }
    }
    Ok(())
}

/// Builds the case-insensitive (strong) and exact (weak) automata.
struct Matcher {
    strong: Option<AhoCorasick>,
    /// pattern index → needle index (UTF-16 forms map to the same needle)
    strong_ids: Vec<usize>,
    weak: Option<AhoCorasick>,
    weak_ids: Vec<usize>,
    pixel_tag: AhoCorasick,
}

impl Matcher {
    fn new(needles: &[(String, &'static str)]) -> Result<Self> {
        let mut sp: Vec<Vec<u8>> = Vec::new();
        let mut sid = Vec::new();
        let mut wp: Vec<Vec<u8>> = Vec::new();
        let mut wid = Vec::new();
        for (i, (s, _)) in needles.iter().enumerate() {
            match strength(s) {
                Strength::Strong => {
                    sp.push(s.as_bytes().to_vec());
                    sid.push(i);
                    let u16: Vec<u8> = s.encode_utf16().flat_map(|c| c.to_le_bytes()).collect();
                    sp.push(u16);
                    sid.push(i);
                }
                Strength::Weak => {
                    wp.push(s.as_bytes().to_vec());
                    wid.push(i);
                }
            }
        }
        let build = |p: &[Vec<u8>], ci: bool| -> Result<Option<AhoCorasick>> {
            if p.is_empty() {
                return Ok(None);
            }
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(ci)
                .build(p)
                .map(Some)
                .map_err(|e| CoreError::Invalid(format!("cannot build the search automaton: {e}")))
        };
        Ok(Matcher {
            strong: build(&sp, true)?,
            strong_ids: sid,
            weak: build(&wp, false)?,
            weak_ids: wid,
            pixel_tag: AhoCorasick::new([[0xE0u8, 0x7F, 0x10, 0x00]])
                .map_err(|e| CoreError::Invalid(e.to_string()))?,
        })
    }

    /// Every needle found in `hay` (first offset each), `weak_until` bounding the weak search.
    fn scan(&self, hay: &[u8], weak_until: usize, hits: &mut HashMap<usize, usize>) {
        if let Some(ac) = &self.strong {
            for m in ac.find_overlapping_iter(hay) {
                hits.entry(self.strong_ids[m.pattern().as_usize()])
                    .or_insert(m.start());
            }
        }
        if let Some(ac) = &self.weak {
            for m in ac.find_overlapping_iter(&hay[..weak_until.min(hay.len())]) {
                hits.entry(self.weak_ids[m.pattern().as_usize()])
                    .or_insert(m.start());
            }
        }
    }

    /// Offset of the Pixel Data element header in a DICOM file's bytes (explicit or implicit
    /// little endian), or the length when there is none.
    fn pixel_offset(&self, bytes: &[u8]) -> usize {
        for m in self.pixel_tag.find_iter(bytes) {
            let s = m.start();
            let rest = &bytes[s + 4..];
            if rest.len() >= 2 && (rest[..2] == *b"OB" || rest[..2] == *b"OW") {
                return s;
            }
            if rest.len() >= 4 {
                let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                if len == u32::MAX || (len as usize) <= rest.len() - 4 {
                    return s;
                }
            }
        }
        bytes.len()
    }
}

fn strength(s: &str) -> Strength {
    if s.len() >= 8 {
        Strength::Strong
    } else {
        Strength::Weak
    }
}

/// Re-serialises a Deflated Explicit VR Little Endian file as Explicit VR Little Endian, so
/// that its values can be searched.
fn inflate_dicom(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
        .ok()?;
    obj.update_meta(|m| {
        m.set_transfer_syntax(&dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN)
    });
    let mut out = Vec::with_capacity(bytes.len() * 2);
    obj.write_all(&mut out).ok()?;
    Some(out)
}

fn dicom_ts(bytes: &[u8]) -> Option<String> {
    if !is_dicom(bytes) {
        return None;
    }
    let obj = OpenFileOptions::new()
        .read_until(dicom_core::Tag(0x0008, 0x0000))
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
        .ok()?;
    Some(obj.meta().transfer_syntax().to_string())
}

/// Verifies `zip` against `inputs` (files, folders, ZIPs). `progress(done, total)` is called
/// after each input file and each export entry.
pub fn verify(
    zip: &Path,
    inputs: &[PathBuf],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VerifyReport> {
    let mut n = Needles {
        map: HashMap::new(),
        kept: Default::default(),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(CoreError::Invalid(format!(
                "input #{} of --against does not exist",
                i + 1
            )));
        }
        collect_files(p, &mut files, &mut n)?;
    }
    let zf = std::fs::File::open(zip)
        .map_err(|e| CoreError::Invalid(format!("cannot open the export ZIP: {e}")))?;
    let mut archive = zip::ZipArchive::new(zf)
        .map_err(|e| CoreError::Invalid(format!("the export is not a readable ZIP: {e}")))?;
    let total = files.len() + archive.len();
    let mut done = 0usize;
    let mut report = VerifyReport::default();

    let zip_canon = std::fs::canonicalize(zip).ok();
    for f in &files {
        if zip_canon.is_some() && std::fs::canonicalize(f).ok() == zip_canon {
            done += 1;
            progress(done, total);
            continue; // the export itself, listed among the inputs
        }
        if is_zip_name(f) {
            gather_zip_input(
                f,
                &mut n,
                &mut report.input_files,
                &mut report.input_dicom_files,
            )?;
        } else {
            report.input_files += 1;
            if gather_dicom_file(f, &mut n)? {
                report.input_dicom_files += 1;
            }
        }
        done += 1;
        progress(done, total);
    }

    let kept = std::mem::take(&mut n.kept);
    let mut needles: Vec<(String, &'static str)> = n
        .map
        .into_iter()
        .filter(|(v, _)| !kept.contains(&v.to_ascii_lowercase()))
        .collect();
    needles.sort();
    report.needles = needles.len();
    let matcher = Matcher::new(&needles)?;

    let mut name_hits: Vec<(usize, String, HashMap<usize, usize>)> = Vec::new();
    let mut content_hits: Vec<(usize, HashMap<usize, usize>)> = Vec::new();
    let mut entry_names: Vec<String> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| CoreError::Invalid(format!("export entry #{i} cannot be read: {e}")))?;
        let name = entry.name().map(|c| c.into_owned()).unwrap_or_default();
        let mut hits = HashMap::new();
        matcher.scan(name.as_bytes(), usize::MAX, &mut hits);
        matcher.scan(entry.name_raw(), usize::MAX, &mut hits);
        let mut buf = Vec::with_capacity(entry.size().min(1 << 30) as usize);
        entry.read_to_end(&mut buf)?;
        drop(entry);
        let mut chits = HashMap::new();
        if is_dicom(&buf) {
            let deflated = dicom_ts(&buf).is_some_and(|ts| ts == "1.2.840.10008.1.2.1.99");
            let data = if deflated {
                inflate_dicom(&buf).unwrap_or_else(|| buf.clone())
            } else {
                std::mem::take(&mut buf)
            };
            let px = matcher.pixel_offset(&data);
            matcher.scan(&data, px, &mut chits);
            if deflated {
                // also the raw bytes (file meta, and anything outside the deflated stream)
                let px = matcher.pixel_offset(&buf);
                matcher.scan(&buf, px, &mut chits);
            }
        } else {
            matcher.scan(&buf, usize::MAX, &mut chits);
        }
        if !hits.is_empty() {
            name_hits.push((i, name.clone(), hits));
        }
        entry_names.push(name);
        content_hits.push((i, chits));
        report.entries_scanned += 1;
        done += 1;
        progress(done, total);
    }

    let tainted: std::collections::HashSet<usize> = name_hits.iter().map(|(i, _, _)| *i).collect();
    let label = |i: usize| -> String {
        if tainted.contains(&i) {
            format!("entry #{}", i + 1)
        } else {
            entry_names[i].clone()
        }
    };
    for (i, _, hits) in &name_hits {
        let mut hs: Vec<_> = hits.iter().collect();
        hs.sort_by_key(|(k, _)| **k);
        for (&k, _) in hs {
            report.findings.push(Finding {
                entry: label(*i),
                location: "name".into(),
                needle_kind: needles[k].1,
                needle: redact(&needles[k].0),
            });
        }
    }
    for (i, hits) in &content_hits {
        let mut hs: Vec<_> = hits.iter().collect();
        hs.sort_by_key(|(_, off)| **off);
        for (&k, &off) in hs {
            report.findings.push(Finding {
                entry: label(*i),
                location: format!("content@{off}"),
                needle_kind: needles[k].1,
                needle: redact(&needles[k].0),
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needle_filters() {
        let mut n = Needles {
            map: HashMap::new(),
            kept: Default::default(),
        };
        n.add("YES", "text");
        n.add("none", "text");
        n.add("12345", "text");
        n.add("123456", "text");
        n.add("ab", "text");
        n.add("....", "text");
        n.add_pn("DOE^JANE^^^");
        n.add_date("20990102");
        n.add_name_stem("ZZPHI_MRN_12345678.dcm");
        let keys: std::collections::BTreeSet<_> = n.map.keys().cloned().collect();
        for k in [
            "123456",
            "DOE^JANE^^^",
            "DOE JANE",
            "JANE DOE",
            "JANE",
            "2099-01-02",
            "02/01/2099",
            "ZZPHI_MRN_12345678",
            "12345678",
        ] {
            assert!(keys.contains(k), "missing {k}");
        }
        for k in ["YES", "none", "12345", "ab", "...."] {
            assert!(!keys.contains(k), "unexpected {k}");
        }
        assert_eq!(redact("ZZPHI-NAME"), "ZZ…(10)");
        assert_eq!(
            printable_runs(b"\x01\x02HELLOWORLD\x00ab", 6),
            vec!["HELLOWORLD"]
        );
    }
}
