//! `verify --pixels`: reading exported frames with OCR (the `tesseract` program) and searching
//! the text for the inputs' identifying values.
//!
//! Frames read: every frame of files with up to 3 frames; first, middle, last and the frame
//! with the most detected text for cines. Each frame is turned grey, inverted (dark text on
//! light ground reads best) and enlarged 3 times before OCR (`--psm 11`, sparse text).
//!
//! Needles: Patient Name in every component order (and each component of 4+ letters), Patient
//! ID (and its parts between punctuation), Patient Birth Date as written and as 14.02.1958, 1958-02-14,
//! 02/14/1958 and 14/02/1958, Institution Name, Referring Physician Name. OCR text and needles
//! are compared upper-case with spaces and punctuation removed (dates keep their digits).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dicom_dictionary_std::tags;
use serde::Serialize;

use crate::core::dcm::get_str;
use crate::core::load;
use crate::core::pixels::{decode, render, Frame};

/// One identifying value read in an exported frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PixelFinding {
    pub entry: String,
    /// 1-based frame number.
    pub frame: u32,
    /// `person-name`, `id`, `birth-date`, `institution`.
    pub needle_kind: &'static str,
    /// Redacted: first 2 characters and the length.
    pub needle: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PixelReport {
    pub findings: Vec<PixelFinding>,
    pub frames_read: usize,
    pub entries: usize,
    pub needles: usize,
}

/// Whether the `tesseract` program runs.
pub fn available() -> bool {
    Command::new("tesseract")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub const MISSING: &str = "the `tesseract` program is not installed (Debian/Ubuntu: apt-get install tesseract-ocr): pixel text cannot be read";

/// Text tesseract reads in an 8-bit frame (grey or RGB).
pub fn read_text(f: &Frame) -> Result<String, String> {
    const SCALE: usize = 3;
    let (w, h) = (f.width as usize, f.height as usize);
    let grey: Vec<u8> = if f.spp == 3 {
        f.data
            .chunks_exact(3)
            .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8)
            .collect()
    } else {
        f.data.clone()
    };
    let mut pgm = format!("P5\n{} {}\n255\n", w * SCALE, h * SCALE).into_bytes();
    for y in 0..h * SCALE {
        for x in 0..w * SCALE {
            pgm.push(255 - grey[(y / SCALE) * w + x / SCALE]);
        }
    }
    let mut child = Command::new("tesseract")
        .args(["stdin", "stdout", "--psm", "11"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| MISSING.to_string())?;
    let mut stdin = child.stdin.take().ok_or("cannot talk to tesseract")?;
    let writer = std::thread::spawn(move || stdin.write_all(&pgm));
    let mut out = String::new();
    child
        .stdout
        .take()
        .ok_or("cannot talk to tesseract")?
        .read_to_string(&mut out)
        .map_err(|e| format!("tesseract output unreadable: {e}"))?;
    let _ = writer.join();
    child.wait().map_err(|e| format!("tesseract failed: {e}"))?;
    Ok(out)
}

/// Upper case, letters and digits only.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_uppercase())
        .collect()
}

/// The identifying values of the inputs (files, folders, .zip archives), normalised, with kind.
pub fn needles(inputs: &[PathBuf]) -> Vec<(String, &'static str)> {
    let limits = crate::core::settings::Settings::defaults().load;
    let gathered = load::sources::gather(inputs, &limits);
    let mut set: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for src in &gathered.sources {
        let Ok(bytes) = src.read(&limits) else {
            continue;
        };
        let Ok(parsed) = load::parse_dicom(&bytes) else {
            continue;
        };
        let o = &parsed.obj;
        for t in [tags::PATIENT_NAME, tags::REFERRING_PHYSICIAN_NAME] {
            if let Some(v) = get_str(o, t) {
                for n in name_forms(&v) {
                    set.insert((n, "person-name"));
                }
            }
        }
        for t in [tags::PATIENT_ID] {
            if let Some(v) = get_str(o, t) {
                for part in v.split('\\') {
                    set.insert((normalise(part), "id"));
                    // screens often print a part of the ID (12975 of 12975-20-2)
                    for piece in part.split(|c: char| !c.is_alphanumeric()) {
                        set.insert((normalise(piece), "id"));
                    }
                }
            }
        }
        if let Some(v) = get_str(o, tags::PATIENT_BIRTH_DATE) {
            for d in date_forms(v.trim()) {
                set.insert((d, "birth-date"));
            }
        }
        if let Some(v) = get_str(o, tags::INSTITUTION_NAME) {
            set.insert((normalise(&v), "institution"));
        }
    }
    set.into_iter()
        .filter(|(n, _)| n.chars().count() >= 4)
        .collect()
}

/// A person name in every order of its components, and each component of 4+ letters.
pub fn name_forms(pn: &str) -> Vec<String> {
    let group = pn.split('=').next().unwrap_or("");
    let parts: Vec<String> = group
        .split('^')
        .map(normalise)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out: Vec<String> = parts.iter().filter(|p| p.len() >= 4).cloned().collect();
    if parts.len() >= 2 {
        out.push(parts.concat());
        out.push(parts.iter().rev().cloned().collect::<Vec<_>>().concat());
        if parts.len() >= 3 {
            out.push(format!("{}{}", parts[1], parts[0]));
            out.push(format!("{}{}", parts[0], parts[1]));
        }
    }
    out
}

/// A DA value (YYYYMMDD) in the formats printed on screens, normalised (digits only, so
/// 14.02.1958 and 14/02/1958 are one needle).
pub fn date_forms(da: &str) -> Vec<String> {
    if da.len() != 8 || !da.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let (y, m, d) = (&da[0..4], &da[4..6], &da[6..8]);
    vec![
        da.to_string(),
        format!("{d}{m}{y}"),
        format!("{m}{d}{y}"),
        format!("{d}{m}{}", &y[2..]),
        format!("{m}{d}{}", &y[2..]),
    ]
}

/// Frames of a file to read.
fn frames_to_read(frames: u32, most_text: Option<u32>) -> Vec<u32> {
    let mut v: Vec<u32> = if frames <= 3 {
        (0..frames).collect()
    } else {
        vec![0, frames / 2, frames - 1]
    };
    v.extend(most_text);
    v.sort_unstable();
    v.dedup();
    v
}

/// Reads the exported archive's frames and searches them for the inputs' identifying values.
pub fn verify_pixels(
    archive: &Path,
    inputs: &[PathBuf],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PixelReport, String> {
    if !available() {
        return Err(MISSING.into());
    }
    let needles = needles(inputs);
    let file = std::fs::File::open(archive).map_err(|e| format!("cannot open archive: {e}"))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable ZIP: {e}"))?;
    let mut report = PixelReport {
        needles: needles.len(),
        ..Default::default()
    };
    let total = zip.len();
    for i in 0..total {
        progress(i, total);
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
        let name = entry
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("entry #{}", i + 1));
        if !name.to_ascii_lowercase().ends_with(".dcm") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        let Ok(parsed) = load::parse_dicom(&bytes) else {
            continue;
        };
        let Ok(info) = load::probe(&parsed.obj) else {
            continue;
        };
        report.entries += 1;
        let palette = render::read_palette(&parsed.obj);
        let window = render::read_window(&parsed.obj, info.pixel_representation == 1);
        let render8 = |k: u32| -> Option<Frame> {
            let f = decode::decode_full(&parsed.obj, &info, k).ok()?;
            Some(render::to_8bit(&f, palette.as_ref(), window))
        };
        // the sampled frame with the most detected text
        let most = if info.frames > 3 {
            super::sample_frames(info.frames)
                .into_iter()
                .filter_map(|k| render8(k).map(|f| (k, f)))
                .max_by_key(|(_, f)| super::scan_frames(std::slice::from_ref(f)).len())
                .map(|(k, _)| k)
        } else {
            None
        };
        for k in frames_to_read(info.frames, most) {
            let Some(f) = render8(k) else { continue };
            let text = normalise(&read_text(&f)?);
            report.frames_read += 1;
            for (n, kind) in &needles {
                if text.contains(n.as_str()) {
                    report.findings.push(PixelFinding {
                        entry: name.clone(),
                        frame: k + 1,
                        needle_kind: kind,
                        needle: crate::core::verify::redact(n),
                    });
                }
            }
        }
    }
    progress(total, total);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dates_in_screen_forms() {
        let n = name_forms("DOE^JANE^Q");
        assert!(n.contains(&"JANEDOE".to_string()));
        assert!(n.contains(&"DOEJANEQ".to_string()));
        assert!(n.contains(&"JANE".to_string()));
        let d = date_forms("19580214");
        for s in ["19580214", "14021958", "02141958"] {
            assert!(d.contains(&s.to_string()), "{s}");
        }
        assert_eq!(normalise("14.02.1958"), "14021958");
        assert_eq!(normalise("Jane  Doe"), "JANEDOE");
    }
}
