//! Who a file belongs to, and the pseudonym that replaces that person in an export.
//!
//! A patient is identified by Patient ID (0010,0020) with Issuer of Patient ID (0010,0021); when
//! the ID is empty, by Patient's Name (0010,0010, case and trailing `^` ignored) and Birth Date
//! (0010,0030). Files with none of these form one "unidentified" group.
//!
//! Pseudonym rules:
//! - `auto`: `prefix` + 10 base32 characters of HMAC-SHA256(project key, "patient:" + identity):
//!   the same key gives the same pseudonym on every machine, in every run and in every shard.
//! - a table (`patient_id,pseudonym` CSV from a study coordinator): a patient not in it is
//!   refused with a reason, never exported under a guess.
//! - a literal: one pseudonym for every file (the caller refuses it over several patients
//!   unless told the inputs are one person).

use std::collections::BTreeMap;
use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::core::dcm::get_str;
use crate::core::deid::valid_pseudonym;

/// The word that asks for keyed per-patient pseudonyms (it is therefore not a literal).
pub const AUTO: &str = "auto";
/// Base32 characters after the prefix (50 bits).
pub const AUTO_LEN: usize = 10;

/// The original identity of a patient, as read from a file (private: never log it).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatientKey {
    pub id: String,
    pub issuer: String,
    /// Only used when `id` is empty.
    pub name: String,
    /// Only used when `id` is empty.
    pub birth_date: String,
}

impl PatientKey {
    /// Reads the identity of the top-level data set.
    pub fn from_obj(obj: &DefaultDicomObject) -> Self {
        let s = |t| get_str(obj, t).unwrap_or_default().trim().to_string();
        Self::new(
            &s(tags::PATIENT_ID),
            &s(tags::ISSUER_OF_PATIENT_ID),
            &s(tags::PATIENT_NAME),
            &s(tags::PATIENT_BIRTH_DATE),
        )
    }

    /// Normalises the values: an ID makes name and birth date irrelevant.
    pub fn new(id: &str, issuer: &str, name: &str, birth_date: &str) -> Self {
        let id = id.trim_matches([' ', '\0']).to_string();
        if !id.is_empty() {
            return PatientKey {
                id,
                issuer: issuer.trim_matches([' ', '\0']).to_string(),
                ..Default::default()
            };
        }
        let name = name
            .trim_matches([' ', '\0'])
            .trim_end_matches(['^', ' '])
            .to_uppercase();
        PatientKey {
            name,
            birth_date: birth_date.trim_matches([' ', '\0']).to_string(),
            ..Default::default()
        }
    }

    /// No ID, name or birth date: the file cannot be told apart from other such files.
    pub fn is_unidentified(&self) -> bool {
        self.id.is_empty() && self.name.is_empty() && self.birth_date.is_empty()
    }

    /// The HMAC input; unambiguous (fields separated by a byte no value holds).
    fn basis(&self) -> String {
        if !self.id.is_empty() {
            format!("id\u{1f}{}\u{1f}{}", self.id, self.issuer)
        } else {
            format!("name\u{1f}{}\u{1f}{}", self.name, self.birth_date)
        }
    }

    /// For the private mapping file only.
    pub fn to_json(&self) -> serde_json::Value {
        if !self.id.is_empty() {
            serde_json::json!({ "patient_id": self.id, "issuer": self.issuer })
        } else {
            serde_json::json!({ "patient_name": self.name, "birth_date": self.birth_date })
        }
    }
}

/// The keyed pseudonym of a patient: `prefix` + 10 base32 characters (RFC 4648 alphabet).
pub fn auto_pseudonym(key: &[u8], patient: &PatientKey, prefix: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(b"patient:");
    mac.update(patient.basis().as_bytes());
    let d = mac.finalize().into_bytes();
    let mut v = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(prefix.len() + AUTO_LEN);
    out.push_str(prefix);
    for _ in 0..AUTO_LEN {
        out.push(ALPHABET[(v >> 59) as usize] as char);
        v <<= 5;
    }
    out
}

/// How the pseudonym of each file is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PseudonymRule {
    /// One pseudonym for every file.
    Literal(String),
    /// Keyed per patient: prefix + base32 HMAC.
    Auto { prefix: String },
    /// Patient ID -> pseudonym, from a list.
    Table(BTreeMap<String, String>),
}

impl From<&str> for PseudonymRule {
    fn from(s: &str) -> Self {
        PseudonymRule::Literal(s.to_string())
    }
}

impl From<String> for PseudonymRule {
    fn from(s: String) -> Self {
        PseudonymRule::Literal(s)
    }
}

impl PseudonymRule {
    /// `auto` or a literal, as typed on the command line or in the TUI.
    pub fn parse(text: &str, prefix: &str) -> Self {
        if text == AUTO {
            PseudonymRule::Auto {
                prefix: prefix.to_string(),
            }
        } else {
            PseudonymRule::Literal(text.to_string())
        }
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, PseudonymRule::Literal(_))
    }

    /// A short description for messages (never a patient value).
    pub fn describe(&self) -> String {
        match self {
            PseudonymRule::Literal(p) => format!("`{p}`"),
            PseudonymRule::Auto { prefix } => {
                format!("one keyed pseudonym per patient ({prefix}…)")
            }
            PseudonymRule::Table(t) => format!("the pseudonym list ({} patients)", t.len()),
        }
    }

    /// The pseudonym of one patient, or the reason the file is refused.
    pub fn resolve(&self, key: &[u8], patient: &PatientKey) -> Result<String, String> {
        match self {
            PseudonymRule::Literal(p) => Ok(p.clone()),
            PseudonymRule::Auto { prefix } => Ok(auto_pseudonym(key, patient, prefix)),
            PseudonymRule::Table(t) => {
                if patient.id.is_empty() {
                    return Err(
                        "the file has no Patient ID to look up in the pseudonym list".into(),
                    );
                }
                t.get(&patient.id).cloned().ok_or_else(|| {
                    "its Patient ID is not in the pseudonym list (add a row for it)".into()
                })
            }
        }
    }
}

/// Checks a pseudonym prefix (settings `[pseudonym] prefix`): up to 20 of A-Z a-z 0-9 _ -.
pub fn check_prefix(p: &str) -> Result<(), String> {
    if p.len() > 20
        || !p
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err("must be at most 20 characters of A-Z, a-z, 0-9, '_' or '-'".into());
    }
    Ok(())
}

/// Reads a `patient_id,pseudonym` CSV (header required; other columns ignored). The error
/// names the line, never a patient value.
pub fn load_table(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {}", e.kind()))?;
    parse_table(&text)
}

pub fn parse_table(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err("empty: expected a header `patient_id,pseudonym`".into());
    };
    let cols: Vec<String> =
        crate::core::tags::split_csv_line(header.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("line 1: {e}"))?
            .into_iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
    let pos = |name: &str| cols.iter().position(|c| c == name);
    let (Some(ci), Some(cp)) = (pos("patient_id"), pos("pseudonym")) else {
        return Err("line 1: the header must name the columns `patient_id` and `pseudonym`".into());
    };
    let mut map = BTreeMap::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f =
            crate::core::tags::split_csv_line(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let id = f.get(ci).map(|s| s.trim()).unwrap_or("");
        let p = f.get(cp).map(|s| s.trim()).unwrap_or("");
        if id.is_empty() {
            return Err(format!("line {}: empty patient_id", i + 1));
        }
        if !valid_pseudonym(p) || p == AUTO {
            return Err(format!(
                "line {}: the pseudonym must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
                i + 1
            ));
        }
        if let Some(old) = map.insert(id.to_string(), p.to_string()) {
            if old != p {
                return Err(format!(
                    "line {}: this patient_id already has another pseudonym",
                    i + 1
                ));
            }
        }
    }
    if map.is_empty() {
        return Err("no rows after the header".into());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_keyed_per_patient_and_readable() {
        let a = PatientKey::new("12345", "HOSP", "", "");
        let b = PatientKey::new("12346", "HOSP", "", "");
        let a_other_issuer = PatientKey::new("12345", "OTHER", "", "");
        let pa = auto_pseudonym(b"k1", &a, "P");
        assert_eq!(pa, auto_pseudonym(b"k1", &a, "P"));
        assert_ne!(pa, auto_pseudonym(b"k2", &a, "P"));
        assert_ne!(pa, auto_pseudonym(b"k1", &b, "P"));
        assert_ne!(pa, auto_pseudonym(b"k1", &a_other_issuer, "P"));
        assert_eq!(pa.len(), 1 + AUTO_LEN);
        assert!(valid_pseudonym(&pa), "{pa}");
        // the fallback: same name (any case) and birth date, no ID
        let n1 = PatientKey::new("", "", "Doe^Jane^^", "19800101");
        let n2 = PatientKey::new(" ", "", "DOE^JANE", "19800101");
        let n3 = PatientKey::new("", "", "DOE^JANE", "19800102");
        assert_eq!(n1, n2);
        assert_ne!(auto_pseudonym(b"k", &n1, ""), auto_pseudonym(b"k", &n3, ""));
        // an ID makes the name irrelevant
        assert_eq!(
            PatientKey::new("7", "", "A", "1"),
            PatientKey::new("7", "", "B", "2")
        );
    }

    #[test]
    fn table_rules() {
        let t = parse_table("patient_id,pseudonym\nA1,S001\n\"B,2\",S002\n").unwrap();
        let r = PseudonymRule::Table(t);
        assert_eq!(
            r.resolve(b"k", &PatientKey::new("A1", "", "", "")).unwrap(),
            "S001"
        );
        assert_eq!(
            r.resolve(b"k", &PatientKey::new("B,2", "", "", ""))
                .unwrap(),
            "S002"
        );
        assert!(r
            .resolve(b"k", &PatientKey::new("C3", "", "", ""))
            .unwrap_err()
            .contains("not in the pseudonym list"));
        assert!(r.resolve(b"k", &PatientKey::new("", "", "X", "")).is_err());
        assert!(parse_table("id,name\n1,2\n").is_err());
        assert!(parse_table("patient_id,pseudonym\nA,bad value\n").is_err());
        assert!(parse_table("patient_id,pseudonym\nA,S1\nA,S2\n").is_err());
        assert!(parse_table("patient_id,pseudonym\nA,auto\n").is_err());
    }
}
