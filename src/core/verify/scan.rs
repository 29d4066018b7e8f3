//! Searching bytes and decoded text for needles.
//!
//! Needles of 8+ characters ("strong") are matched ASCII-case-insensitively anywhere, also as
//! UTF-16 (little and big endian: ICC `mluc` text). Shorter needles ("weak") are matched
//! exactly in entry names, non-DICOM entries, the DICOM bytes before Pixel Data and the marker
//! segments of JPEG streams inside Pixel Data: elsewhere in pixel data a 4-7 byte match is
//! indistinguishable from image content. Every needle, folded (see `text.rs`), is also matched
//! in the folded decoded text of every element; ID-like needles without their separators are
//! matched in that text without separators. Non-ASCII needles are also searched as bytes in
//! every legacy character set a data set can declare (`LEGACY`), so text that the parser
//! cannot decode is still found.

use super::text::{fold, squeeze};
use crate::core::error::{CoreError, Result};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use dicom_object::file::ReadPreamble;
use dicom_object::OpenFileOptions;
use std::collections::HashMap;

/// Where a hit was found: bytes at an offset, or the decoded text.
pub type Hits = HashMap<usize, String>;

/// Character sets of DICOM's Specific Character Set besides UTF-8: ISO_IR 100/101/144/126/
/// 127/138/148/166 (ISO 8859), ISO 2022 IR 87/13 (ISO-2022-JP, Shift_JIS for IR 13 katakana),
/// ISO 2022 IR 149 (EUC-KR bytes), GB18030/GBK.
const LEGACY: &[&encoding_rs::Encoding] = &[
    encoding_rs::WINDOWS_1252,
    encoding_rs::ISO_8859_2,
    encoding_rs::ISO_8859_5,
    encoding_rs::ISO_8859_6,
    encoding_rs::ISO_8859_7,
    encoding_rs::ISO_8859_8,
    encoding_rs::WINDOWS_874,
    encoding_rs::WINDOWS_1254,
    encoding_rs::ISO_2022_JP,
    encoding_rs::SHIFT_JIS,
    encoding_rs::EUC_KR,
    encoding_rs::GB18030,
];

pub struct Matcher {
    strong: Option<AhoCorasick>,
    strong_ids: Vec<usize>,
    weak: Option<AhoCorasick>,
    weak_ids: Vec<usize>,
    folded: Option<AhoCorasick>,
    folded_ids: Vec<usize>,
    ids: Option<AhoCorasick>,
    ids_ids: Vec<usize>,
    pixel_tag: AhoCorasick,
}

fn build(p: &[Vec<u8>], ci: bool) -> Result<Option<AhoCorasick>> {
    if p.is_empty() {
        return Ok(None);
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(ci)
        .build(p)
        .map(Some)
        .map_err(|e| CoreError::Invalid(format!("cannot build the search automaton: {e}")))
}

impl Matcher {
    /// `needles` (text, kind) and `ids` (needle index, squeezed form).
    pub fn new(needles: &[(String, &'static str)], ids: &[(usize, String)]) -> Result<Self> {
        let (mut sp, mut sid, mut wp, mut wid, mut fp, mut fid) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (i, (s, _)) in needles.iter().enumerate() {
            let mut forms: Vec<Vec<u8>> = vec![s.as_bytes().to_vec()];
            if s.len() >= 8 {
                forms.push(s.encode_utf16().flat_map(|c| c.to_le_bytes()).collect());
                forms.push(s.encode_utf16().flat_map(|c| c.to_be_bytes()).collect());
            }
            if !s.is_ascii() {
                // the same text in the other character sets a data set may declare
                for enc in LEGACY {
                    let (b, _, unmappable) = enc.encode(s);
                    if !unmappable && !forms.iter().any(|f| f[..] == b[..]) {
                        forms.push(b.into_owned());
                    }
                }
            }
            for f in forms {
                if f.len() >= 8 {
                    sp.push(f);
                    sid.push(i);
                } else {
                    wp.push(f);
                    wid.push(i);
                }
            }
            fp.push(fold(s).into_bytes());
            fid.push(i);
        }
        let ip: Vec<Vec<u8>> = ids.iter().map(|(_, s)| s.as_bytes().to_vec()).collect();
        Ok(Matcher {
            strong: build(&sp, true)?,
            strong_ids: sid,
            weak: build(&wp, false)?,
            weak_ids: wid,
            folded: build(&fp, false)?,
            folded_ids: fid,
            ids: build(&ip, false)?,
            ids_ids: ids.iter().map(|(i, _)| *i).collect(),
            pixel_tag: AhoCorasick::new([[0xE0u8, 0x7F, 0x10, 0x00]])
                .map_err(|e| CoreError::Invalid(e.to_string()))?,
        })
    }

    /// Every needle in `hay` (first offset each); the weak ones only in `weak_ranges`.
    pub fn scan(&self, hay: &[u8], weak_ranges: &[(usize, usize)], base: usize, hits: &mut Hits) {
        if let Some(ac) = &self.strong {
            for m in ac.find_overlapping_iter(hay) {
                hits.entry(self.strong_ids[m.pattern().as_usize()])
                    .or_insert(format!("content@{}", base + m.start()));
            }
        }
        if let Some(ac) = &self.weak {
            for &(a, b) in weak_ranges {
                let (a, b) = (a.min(hay.len()), b.min(hay.len()));
                for m in ac.find_overlapping_iter(&hay[a..b]) {
                    hits.entry(self.weak_ids[m.pattern().as_usize()])
                        .or_insert(format!("content@{}", base + a + m.start()));
                }
            }
        }
    }

    /// Every needle in decoded text (folded here), and ID needles in it without separators.
    pub fn scan_text(&self, text: &str, hits: &mut Hits) {
        let folded = fold(text);
        if let Some(ac) = &self.folded {
            let h = folded.as_bytes();
            for m in ac.find_overlapping_iter(h) {
                // a short needle only as a whole word ("Frame" is not in "frames")
                let word = |i: usize| h.get(i).is_some_and(|b| b.is_ascii_alphanumeric());
                let short = m.end() - m.start() < 8;
                if short && ((m.start() > 0 && word(m.start() - 1)) || word(m.end())) {
                    continue;
                }
                hits.entry(self.folded_ids[m.pattern().as_usize()])
                    .or_insert_with(|| "decoded text".into());
            }
        }
        if let Some(ac) = &self.ids {
            let sq: String = folded
                .split('\n')
                .map(squeeze)
                .collect::<Vec<_>>()
                .join("\n");
            let h = sq.as_bytes();
            for m in ac.find_overlapping_iter(h) {
                // not a digit run inside a longer number (a UID, a measurement)
                let digit = |i: usize| h.get(i).is_some_and(|b| b.is_ascii_digit());
                if (m.start() > 0 && digit(m.start() - 1)) || digit(m.end()) {
                    continue;
                }
                hits.entry(self.ids_ids[m.pattern().as_usize()])
                    .or_insert_with(|| "decoded text (separators ignored)".into());
            }
        }
    }

    /// Offset of the Pixel Data element header in a DICOM file's bytes (explicit or implicit
    /// little endian), or the length when there is none.
    pub fn pixel_offset(&self, bytes: &[u8]) -> usize {
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

/// The header parts (SOI up to the end of the first SOS header) of the JPEG streams found in
/// `bytes` from `from` on, and the bytes after each EOI up to the next stream.
pub fn jpeg_header_regions(bytes: &[u8], from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = from;
    while i + 4 <= bytes.len() {
        let Some(p) = bytes[i..].windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]) else {
            break;
        };
        let start = i + p;
        let mut j = start + 2;
        let mut end = None;
        while j + 4 <= bytes.len() && bytes[j] == 0xFF {
            let m = bytes[j + 1];
            if m == 0xD8 || m == 0x01 || (0xD0..=0xD7).contains(&m) {
                j += 2;
                continue;
            }
            let len = u16::from_be_bytes([bytes[j + 2], bytes[j + 3]]) as usize;
            if len < 2 {
                break;
            }
            j += 2 + len;
            if m == 0xDA {
                end = Some(j.min(bytes.len()));
                break;
            }
        }
        let end = end.unwrap_or_else(|| j.min(bytes.len()));
        out.push((start, end));
        i = end.max(start + 3);
    }
    out
}

pub fn is_dicom(head: &[u8]) -> bool {
    head.len() >= 132 && &head[128..132] == b"DICM"
}

/// Re-serialises a Deflated Explicit VR Little Endian file as Explicit VR Little Endian, so
/// that its values can be searched.
pub fn inflate_dicom(bytes: &[u8]) -> Option<Vec<u8>> {
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

pub fn dicom_ts(bytes: &[u8]) -> Option<String> {
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
