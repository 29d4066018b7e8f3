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
    /// Patient (ID, and issuer when the list names it) -> pseudonym, from a list.
    Table(PseudonymTable),
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
            PseudonymRule::Table(t) => t.lookup(patient),
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

/// A study coordinator's list: original patient -> pseudonym. With an `issuer` column a row
/// matches Patient ID and Issuer of Patient ID (an empty issuer matches files without one);
/// without it, the Patient ID alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudonymTable {
    /// (patient_id, issuer) -> pseudonym; the issuer is `None` in the two-column form.
    rows: BTreeMap<(String, Option<String>), String>,
}

impl PseudonymTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether rows name the issuer too.
    pub fn has_issuer(&self) -> bool {
        self.rows.keys().next().is_some_and(|(_, i)| i.is_some())
    }

    /// The pseudonym of a patient, or why the file is refused.
    pub fn lookup(&self, patient: &PatientKey) -> Result<String, String> {
        if patient.id.is_empty() {
            return Err("the file has no Patient ID to look up in the pseudonym list".into());
        }
        let issuer = self.has_issuer().then(|| patient.issuer.clone());
        self.rows
            .get(&(patient.id.clone(), issuer))
            .cloned()
            .ok_or_else(|| {
                if self.has_issuer() {
                    "its Patient ID with its Issuer of Patient ID is not in the pseudonym list (add a row for it)".into()
                } else {
                    "its Patient ID is not in the pseudonym list (add a row for it)".into()
                }
            })
    }
}

/// Reads a `patient_id,pseudonym` or `patient_id,issuer,pseudonym` CSV (header required,
/// naming the columns; other columns ignored). The error names the line, never a patient value.
pub fn load_table(path: &Path) -> Result<PseudonymTable, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {}", e.kind()))?;
    parse_table(&text)
}

/// Parses the list; refuses an ambiguous one: the same patient twice with different
/// pseudonyms, or one pseudonym for two patients.
pub fn parse_table(text: &str) -> Result<PseudonymTable, String> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(
            "empty: expected a header `patient_id,pseudonym` or `patient_id,issuer,pseudonym`"
                .into(),
        );
    };
    let cols: Vec<String> =
        crate::core::tags::split_csv_line(header.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("line 1: {e}"))?
            .into_iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
    let pos = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let (Some(ci), Some(cp)) = (pos(&["patient_id"]), pos(&["pseudonym"])) else {
        return Err("line 1: the header must name the columns `patient_id` and `pseudonym` (and optionally `issuer`)".into());
    };
    let cx = pos(&["issuer", "issuer_of_patient_id"]);
    let mut rows = BTreeMap::new();
    // pseudonym -> (its patient, the line that gave it)
    let mut given: BTreeMap<String, ((String, Option<String>), usize)> = BTreeMap::new();
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f =
            crate::core::tags::split_csv_line(line).map_err(|e| format!("line {line_no}: {e}"))?;
        let field = |c: usize| f.get(c).map(|s| s.trim()).unwrap_or("");
        let id = field(ci);
        let p = field(cp);
        if id.is_empty() {
            return Err(format!("line {line_no}: empty patient_id"));
        }
        if !valid_pseudonym(p) || p == AUTO {
            return Err(format!(
                "line {line_no}: the pseudonym must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
            ));
        }
        let key = (id.to_string(), cx.map(|c| field(c).to_string()));
        match given.get(p) {
            Some((other, first)) if *other != key => {
                return Err(format!(
                    "line {line_no}: pseudonym `{p}` is already given to another patient on line {first}: one pseudonym would merge two people"
                ));
            }
            Some(_) => {}
            None => {
                given.insert(p.to_string(), (key.clone(), line_no));
            }
        }
        if let Some(old) = rows.insert(key, p.to_string()) {
            if old != p {
                return Err(format!(
                    "line {line_no}: this patient ({}) already has another pseudonym (`{old}`, line {}): which one is meant?",
                    if cx.is_some() { "patient_id and issuer" } else { "patient_id" },
                    given.get(old.as_str()).map(|g| g.1).unwrap_or(0)
                ));
            }
        }
    }
    if rows.is_empty() {
        return Err("no rows after the header".into());
    }
    Ok(PseudonymTable { rows })
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

    #[test]
    fn table_with_issuer_matches_id_and_issuer() {
        // the same Patient ID from two issuers is two people, with two pseudonyms
        let t =
            parse_table("patient_id,issuer,pseudonym\nA1,HOSP-A,S001\nA1,HOSP-B,S002\nB2,,S003\n")
                .unwrap();
        assert!(t.has_issuer());
        let r = PseudonymRule::Table(t);
        let get = |id: &str, issuer: &str| r.resolve(b"k", &PatientKey::new(id, issuer, "", ""));
        assert_eq!(get("A1", "HOSP-A").unwrap(), "S001");
        assert_eq!(get("A1", "HOSP-B").unwrap(), "S002");
        // an empty issuer cell matches a file without an issuer, and only that
        assert_eq!(get("B2", "").unwrap(), "S003");
        assert!(get("B2", "HOSP-A").is_err());
        let e = get("A1", "HOSP-C").unwrap_err();
        assert!(e.contains("Issuer of Patient ID"), "{e}");
        // columns in any order, other columns ignored, header names them
        let t = parse_table("note,pseudonym,issuer,patient_id\nx,S9,H,Z9\n").unwrap();
        assert_eq!(
            PseudonymRule::Table(t)
                .resolve(b"k", &PatientKey::new("Z9", "H", "", ""))
                .unwrap(),
            "S9"
        );
    }

    #[test]
    fn ambiguous_tables_are_refused_with_the_line() {
        // one patient, two pseudonyms (also with an issuer)
        let e = parse_table("patient_id,pseudonym\nA,S1\nB,S2\nA,S3\n").unwrap_err();
        assert!(
            e.starts_with("line 4:") && e.contains("another pseudonym"),
            "{e}"
        );
        let e = parse_table("patient_id,issuer,pseudonym\nA,H,S1\nA,H,S2\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
        // one pseudonym, two patients (different IDs, or one ID from two issuers)
        let e = parse_table("patient_id,pseudonym\nA,S1\nB,S1\n").unwrap_err();
        assert!(
            e.contains("already given to another patient on line 2"),
            "{e}"
        );
        let e = parse_table("patient_id,issuer,pseudonym\nA,H1,S1\nA,H2,S1\n").unwrap_err();
        assert!(e.contains("already given to another patient"), "{e}");
        // a repeated identical row is no ambiguity
        assert_eq!(
            parse_table("patient_id,pseudonym\nA,S1\nA,S1\n")
                .unwrap()
                .len(),
            1
        );
        // no patient value in any message
        let e = parse_table("patient_id,pseudonym\nSECRET-ID,S1\nSECRET-ID,S2\n").unwrap_err();
        assert!(!e.contains("SECRET"), "{e}");
    }
}
