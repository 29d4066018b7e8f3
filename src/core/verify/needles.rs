//! Needles: the identifying values of the inputs, and their variants.

use super::text::fold;
use super::words::{COMMON, MONTHS};
use crate::core::deid;
use crate::core::tags::Code;
use crate::core::uid;
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;
use std::collections::{HashMap, HashSet};

/// The needles gathered from the inputs.
#[derive(Default)]
pub struct Needles {
    /// needle text → kind (first kind wins)
    pub map: HashMap<String, &'static str>,
    /// values (lowercase) of attributes kept on purpose; a needle equal to one proves nothing
    pub kept: HashSet<String>,
    /// ID-like needles without separators, folded → the needle they come from (searched in
    /// the decoded text without separators)
    pub ids: HashMap<String, String>,
    /// Codes of the tag vocabulary: kept by rule, like standard terms.
    pub known_codes: Vec<Code>,
}

impl Needles {
    pub fn add(&mut self, raw: &str, kind: &'static str) {
        let v = raw.trim_matches(|c: char| c == ' ' || c == '\0' || c.is_control());
        if v.chars().count() < 4 {
            return;
        }
        if v.bytes().all(|b| b.is_ascii_digit()) && v.len() < 6 {
            return;
        }
        if !v.chars().any(|c| c.is_alphanumeric()) {
            return;
        }
        if COMMON.iter().any(|c| c.eq_ignore_ascii_case(v)) {
            return;
        }
        // Fewer than 3 distinct letters or digits (XXXXXXXX, 000000000, aaaa): fill, not
        // identity, and indistinguishable from pixel data.
        let mut distinct: Vec<char> = fold(v).chars().filter(|c| c.is_alphanumeric()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 {
            return;
        }
        self.map.entry(v.to_string()).or_insert(kind);
        // accents folded (MÜLLER → MULLER), for exports written in ASCII
        let f = fold(v);
        if f != v.to_lowercase() && f.chars().count() >= 4 {
            self.map.entry(f).or_insert(kind);
        }
        // IDs with separators (12-345-678): also without them
        let digits = v.bytes().filter(|b| b.is_ascii_digit()).count();
        let squeezed: String = v.chars().filter(|c| c.is_alphanumeric()).collect();
        if digits >= 4 && squeezed.chars().count() >= 6 && kind != "date" && kind != "uid" {
            self.ids
                .entry(fold(&squeezed))
                .or_insert_with(|| v.to_string());
            if squeezed != v {
                self.map.entry(squeezed).or_insert(kind);
            }
        }
    }

    pub fn add_pn(&mut self, value: &str) {
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
            self.add(&comps.join(", "), "person-name");
            self.add(&comps.join(","), "person-name");
            if comps.len() >= 2 {
                let (family, given) = (comps[0], comps[1]);
                self.add(&format!("{given} {family}"), "person-name");
                self.add(&format!("{family}, {given}"), "person-name");
                self.add(&format!("{family},{given}"), "person-name");
                self.add(&format!("{given}^{family}"), "person-name");
                let rest: Vec<&str> = comps[1..].to_vec();
                self.add(&format!("{} {family}", rest.join(" ")), "person-name");
            }
            for c in comps {
                self.add(c, "person-name");
            }
        }
    }

    pub fn add_date(&mut self, v: &str) {
        let v = v.trim();
        self.add(v, "date");
        if v.len() >= 8 && v.is_char_boundary(8) && v[..8].bytes().all(|b| b.is_ascii_digit()) {
            let (y, m, d) = (&v[0..4], &v[4..6], &v[6..8]);
            self.add(&v[..8], "date");
            let (mi, di): (usize, u32) = (m.parse().unwrap_or(0), d.parse().unwrap_or(0));
            let mut forms = vec![
                format!("{y}-{m}-{d}"),
                format!("{y}/{m}/{d}"),
                format!("{y}.{m}.{d}"),
                format!("{d}/{m}/{y}"),
                format!("{m}/{d}/{y}"),
                format!("{d}.{m}.{y}"),
                format!("{d}-{m}-{y}"),
                format!("{m}-{d}-{y}"),
                format!("{d}{m}{y}"),
                format!("{m}{d}{y}"),
            ];
            if (1..=12).contains(&mi) && (1..=31).contains(&di) {
                let month = MONTHS[mi - 1];
                let mon = &month[..3];
                forms.extend([
                    format!("{di} {month} {y}"),
                    format!("{di} {mon} {y}"),
                    format!("{d} {mon} {y}"),
                    format!("{d}-{mon}-{y}"),
                    format!("{month} {di}, {y}"),
                    format!("{mon} {di}, {y}"),
                    format!("{mon} {d} {y}"),
                    format!("{di}.{mi}.{y}"),
                    format!("{di}/{mi}/{y}"),
                    format!("{mi}/{di}/{y}"),
                ]);
            }
            for f in forms {
                self.add(&f, "date");
            }
        }
    }

    pub fn add_name_stem(&mut self, name: &str) {
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

    pub fn add_text(&mut self, value: &str, kind: &'static str) {
        for v in value.split('\\') {
            self.add(v, kind);
            if v.len() > 64 {
                for line in v.lines() {
                    self.add(line, kind);
                }
            }
        }
    }

    /// What de-identification itself writes (De-identification Method lines, CID 7050
    /// meanings): a needle inside them proves nothing.
    pub fn keep_own_markers(&mut self) {
        let (_, m) = deid::annex_e::PROFILE_CODE;
        self.keep(m);
        let (_, m) = deid::annex_e::CLEAN_PIXEL_DATA_CODE;
        self.keep(m);
        for (_, _, m) in deid::annex_e::OPTION_CODES {
            self.keep(m);
        }
        self.keep("dates shifted by a keyed per-patient offset, max days");
        self.keep(deid::TOOL_NAME);
    }

    fn keep(&mut self, v: &str) {
        self.kept.insert(v.trim_matches([' ', '\0']).to_lowercase());
    }

    /// A code item of an input: a standard (or vocabulary) term is kept by the code rule with
    /// its standard meaning; anything else in it is a needle.
    fn add_code_item(&mut self, item: &InMemDicomObject) {
        let (scheme, value) = deid::codes::code_pair(item);
        let meaning = item
            .get(dicom_core::Tag(0x0008, 0x0104))
            .and_then(elem_text)
            .unwrap_or_default();
        let known = deid::codes::standard_meaning(&scheme, &value)
            .map(|m| m.to_string())
            .or_else(|| {
                self.known_codes
                    .iter()
                    .find(|c| c.scheme.trim() == scheme && c.value.trim() == value)
                    .map(|c| c.meaning.clone())
            });
        match known {
            Some(m) => {
                self.keep(&m);
                self.keep(&value);
                self.keep(&scheme);
                if !m.eq_ignore_ascii_case(meaning.trim()) {
                    self.add_text(&meaning, "code");
                }
            }
            None => {
                self.add_text(&value, "code");
                self.add_text(&meaning, "code");
            }
        }
    }
}

pub fn elem_text(e: &InMemElement) -> Option<String> {
    match e.value() {
        Value::Primitive(p) => Some(p.to_str().into_owned()),
        _ => None,
    }
}

/// Printable ASCII runs of at least `min` bytes.
pub fn printable_runs(bytes: &[u8], min: usize) -> Vec<String> {
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

/// Printable UTF-16 (big or little endian) runs of at least `min` characters (ICC `mluc`).
pub fn utf16_runs(bytes: &[u8], min: usize) -> Vec<String> {
    let mut out = Vec::new();
    for big in [true, false] {
        for phase in 0..2 {
            let mut cur = String::new();
            for c in bytes[phase.min(bytes.len())..].chunks_exact(2) {
                let u = if big {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                };
                match char::from_u32(u as u32) {
                    // ASCII and Latin letters only: binary data read as UTF-16 is mostly
                    // CJK "text"
                    Some(ch) if (0x20..0x7F).contains(&u) || (0xC0..0x180).contains(&u) => {
                        cur.push(ch)
                    }
                    _ => {
                        if cur.chars().count() >= min {
                            out.push(std::mem::take(&mut cur));
                        }
                        cur.clear();
                    }
                }
            }
            if cur.chars().count() >= min {
                out.push(cur);
            }
        }
    }
    out
}

/// Text runs of an opaque value (ICC profile, UN, private OB): ASCII and UTF-16 runs.
pub fn binary_text(bytes: &[u8]) -> Vec<String> {
    let mut v = printable_runs(bytes, 6);
    v.extend(utf16_runs(bytes, 6));
    v
}

/// The search values of a data set, at every depth down to `dcm::MAX_NESTING` (deeper inputs
/// are refused at load, so nothing of theirs can reach an export).
pub fn gather_dataset(obj: &InMemDicomObject, n: &mut Needles) {
    gather_dataset_at(obj, n, 0)
}

fn gather_dataset_at(obj: &InMemDicomObject, n: &mut Needles, depth: u32) {
    if deid::codes::is_code_item(obj) {
        n.add_code_item(obj);
    }
    for e in obj.iter() {
        let tag = e.tag();
        let t = ((tag.group() as u32) << 16) | tag.element() as u32;
        let private = tag.group() % 2 == 1;
        if t == 0x0028_2000 {
            // ICC Profile: description, copyright and vendor text
            if let Ok(b) = e.to_bytes() {
                for r in binary_text(&b) {
                    n.add(&r, "icc");
                }
            }
            continue;
        }
        if deid::pixel_owned(t) {
            continue;
        }
        let vr = e.vr();
        if let Value::Sequence(seq) = e.value() {
            if depth < crate::core::dcm::MAX_NESTING {
                for item in seq.items() {
                    gather_dataset_at(item, n, depth + 1);
                }
            }
            continue;
        }
        if private && (0x0010..=0x00FF).contains(&tag.element()) {
            continue; // private creator: a vendor name
        }
        let code_attr = matches!(t, 0x0008_0100..=0x0008_0104 | 0x0008_0119 | 0x0008_0120);
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
                if !private && code_attr {
                    continue; // handled with the whole code item
                }
                let s = elem_text(e).unwrap_or_default();
                if !private && deid::text_kept_value(t, &s, false) {
                    for v in s.split('\\') {
                        n.keep(v);
                    }
                    continue;
                }
                if t == 0x0012_0063 {
                    continue; // De-identification Method of an earlier tool: not identifying
                }
                n.add_text(&s, if private { "private" } else { "text" });
            }
            VR::UN | VR::OB | VR::OW if private || vr == VR::UN => {
                if let Ok(b) = e.to_bytes() {
                    for r in binary_text(&b) {
                        n.add(&r, "private");
                    }
                }
            }
            VR::CS if private => {
                if let Some(s) = elem_text(e) {
                    n.add_text(&s, "private");
                }
            }
            VR::CS => {
                // defined terms, kept by de-identification (Body Part Examined = HEAD): a
                // needle inside one proves nothing
                if let Some(s) = elem_text(e) {
                    for v in s.split('\\') {
                        n.keep(v);
                    }
                }
            }
            _ => {}
        }
    }
}

pub fn gather_meta(meta: &dicom_object::FileMetaTable, n: &mut Needles) {
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

/// Text in the marker segments of the JPEG streams inside `bytes` (from `from` on): COM and
/// APPn segments other than the JFIF and Adobe headers decoding needs.
pub fn gather_jpeg_markers(bytes: &[u8], from: usize, n: &mut Needles) {
    for (start, end) in super::scan::jpeg_header_regions(bytes, from) {
        let mut i = start + 2;
        while i + 4 <= end {
            let m = bytes[i + 1];
            let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
            let seg_end = (i + 2 + len).min(end);
            let payload = &bytes[(i + 4).min(seg_end)..seg_end];
            let text = m == 0xFE
                || ((0xE0..=0xEF).contains(&m)
                    && !payload.starts_with(b"JFIF\0")
                    && !payload.starts_with(b"Adobe"));
            if text {
                for r in binary_text(payload) {
                    n.add(&r, "jpeg-marker");
                }
            }
            if len < 2 {
                break;
            }
            i += 2 + len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needle_filters() {
        let mut n = Needles::default();
        n.add("YES", "text");
        n.add("none", "text");
        n.add("12345", "text");
        n.add("123456", "text");
        n.add("ab", "text");
        n.add("....", "text");
        n.add_pn("DOE^JANE^^^");
        n.add_pn("MÜLLER^JÖRG");
        n.add_date("20990102");
        n.add_name_stem("ZZPHI_MRN_12345678.dcm");
        n.add("12-345-678", "text");
        let keys: std::collections::BTreeSet<_> = n.map.keys().cloned().collect();
        for k in [
            "123456",
            "DOE^JANE^^^",
            "DOE JANE",
            "JANE DOE",
            "DOE, JANE",
            "JANE",
            "2099-01-02",
            "02/01/2099",
            "2 January 2099",
            "Jan 2, 2099",
            "ZZPHI_MRN_12345678",
            "12345678",
            "muller",
            "jorg muller",
        ] {
            assert!(keys.contains(k), "missing {k}");
        }
        n.add("XXXXXXXXXXXX", "text");
        n.add("000000000", "text");
        for k in [
            "YES",
            "none",
            "12345",
            "ab",
            "....",
            "XXXXXXXXXXXX",
            "000000000",
        ] {
            assert!(!keys.contains(k), "unexpected {k}");
        }
        assert!(n.ids.contains_key("12345678"));
        assert_eq!(
            printable_runs(b"\x01\x02HELLOWORLD\x00ab", 6),
            vec!["HELLOWORLD"]
        );
        let be: Vec<u8> = "ZZPHI ICC"
            .encode_utf16()
            .flat_map(|c| c.to_be_bytes())
            .collect();
        assert!(utf16_runs(&be, 6).contains(&"ZZPHI ICC".to_string()));
    }
}
