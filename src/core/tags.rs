//! The tagging vocabulary (`[tags]` in settings.toml), resolution of a file's tags against it,
//! the export gate on required tags, and parsing of `--tag KEY=VALUE` and `--tags-file CSV`.
//!
//! ```toml
//! [[tags.list]]
//! key = "position"
//! required = true
//! dicom = "anatomic-region"        # written as Anatomic Region Sequence when a value has a code
//! values = [
//!   { value = "CFV", label = "common femoral vein" },
//!   { value = "XYZ", code = { scheme = "SCT", value = "123456", meaning = "Some structure" } },
//!   "GSV",
//! ]
//! ```

use super::error::{CoreError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A coded concept (Code Sequence Macro): scheme designator, code value, code meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// Coding Scheme Designator, e.g. `SCT` (SNOMED CT). At most 16 characters.
    pub scheme: String,
    /// Code Value. At most 16 characters.
    pub value: String,
    /// Code Meaning. At most 64 characters.
    pub meaning: String,
}

/// Where a list's value goes in the DICOM output (besides the entry name and the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagTarget {
    /// Only the entry name and the manifest.
    #[default]
    None,
    /// Anatomic Region Sequence (0008,2218), for values that carry a `code`.
    AnatomicRegion,
    /// Image Laterality (0020,0062); values must be `R`, `L`, `U` or `B`.
    Laterality,
}

/// One allowed value: a bare string, or a table with a label and an optional code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VocabValue {
    Plain(String),
    Full {
        value: String,
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        code: Option<Code>,
    },
}

impl VocabValue {
    pub fn value(&self) -> &str {
        match self {
            VocabValue::Plain(v) => v,
            VocabValue::Full { value, .. } => value,
        }
    }
    pub fn label(&self) -> Option<&str> {
        match self {
            VocabValue::Plain(_) => None,
            VocabValue::Full { label, .. } => label.as_deref(),
        }
    }
    pub fn code(&self) -> Option<&Code> {
        match self {
            VocabValue::Plain(_) => None,
            VocabValue::Full { code, .. } => code.as_ref(),
        }
    }
}

/// One list of the vocabulary (`[[tags.list]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagList {
    /// The tag name used in `--tag KEY=VALUE`, the CSV header and `{key}` in entry names.
    pub key: String,
    /// A file without this tag is not exported (when the vocabulary is not empty).
    #[serde(default = "yes")]
    pub required: bool,
    /// Where the value is written in the DICOM output.
    #[serde(default)]
    pub dicom: TagTarget,
    /// Allowed values.
    pub values: Vec<VocabValue>,
}

fn yes() -> bool {
    true
}

/// The whole vocabulary (`[tags]`). An empty vocabulary (`list = []`) disables tagging and its
/// gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vocabulary {
    #[serde(rename = "list")]
    pub lists: Vec<TagList>,
}

impl Default for Vocabulary {
    /// The original tool's vocabulary, split into its three dimensions: position (vessel),
    /// side, purpose. No codes: add verified SNOMED CT codes in settings.
    fn default() -> Self {
        let full = |v: &str, l: &str| VocabValue::Full {
            value: v.into(),
            label: Some(l.into()),
            code: None,
        };
        Vocabulary {
            lists: vec![
                TagList {
                    key: "position".into(),
                    required: true,
                    dicom: TagTarget::AnatomicRegion,
                    values: vec![
                        full("CFV", "common femoral vein"),
                        full("GSV", "great saphenous vein"),
                        full("FV", "femoral vein"),
                        full("FV-D", "distal femoral vein"),
                        full("PV", "popliteal vein"),
                        full("OPT", "optional / other view"),
                    ],
                },
                TagList {
                    key: "side".into(),
                    required: true,
                    dicom: TagTarget::Laterality,
                    values: vec![full("L", "left"), full("R", "right")],
                },
                TagList {
                    key: "purpose".into(),
                    required: true,
                    dicom: TagTarget::None,
                    values: vec![
                        VocabValue::Plain("diagnostic".into()),
                        VocabValue::Plain("non-diagnostic".into()),
                    ],
                },
            ],
        }
    }
}

/// A tag of one file, resolved against the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagValue {
    pub key: String,
    pub value: String,
    pub label: Option<String>,
    pub code: Option<Code>,
    pub target: TagTarget,
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 32
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Values end up in entry names: ASCII letters, digits, `-`, `_`, `.`; 1 to 32 characters.
fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 32
        && !v.starts_with('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl Vocabulary {
    /// True when tagging is off (no lists).
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    pub fn list(&self, key: &str) -> Option<&TagList> {
        self.lists.iter().find(|l| l.key == key)
    }

    /// Checks keys, values and codes; the message names the offending list and value.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CoreError::Config(format!("[tags] {m}")));
        let mut keys = std::collections::HashSet::new();
        for l in &self.lists {
            if !valid_key(&l.key) {
                return bad(format!(
                    "list key {:?}: use 1-32 lowercase letters, digits, '-' or '_'",
                    l.key
                ));
            }
            if l.key == "input" {
                return bad("list key \"input\" is reserved (first CSV column)".into());
            }
            if !keys.insert(l.key.as_str()) {
                return bad(format!("list key {:?} appears twice", l.key));
            }
            if l.values.is_empty() {
                return bad(format!("list {:?} has no values", l.key));
            }
            let mut vals = std::collections::HashSet::new();
            for v in &l.values {
                let s = v.value();
                if !valid_value(s) {
                    return bad(format!(
                        "list {:?}: value {s:?}: use 1-32 ASCII letters, digits, '-', '_' or '.'",
                        l.key
                    ));
                }
                if !vals.insert(s.to_ascii_lowercase()) {
                    return bad(format!("list {:?}: value {s:?} appears twice", l.key));
                }
                if l.dicom == TagTarget::Laterality && !matches!(s, "R" | "L" | "U" | "B") {
                    return bad(format!(
                        "list {:?} is written as Image Laterality: value {s:?} must be R, L, U or B",
                        l.key
                    ));
                }
                if let Some(c) = v.code() {
                    let ok = !c.scheme.is_empty()
                        && c.scheme.len() <= 16
                        && !c.value.is_empty()
                        && c.value.len() <= 16
                        && !c.meaning.is_empty()
                        && c.meaning.chars().count() <= 64
                        && !c.scheme.contains('\\')
                        && !c.value.contains('\\')
                        && !c.meaning.contains('\\');
                    if !ok {
                        return bad(format!(
                            "list {:?}: value {s:?}: code needs scheme (<=16), value (<=16) and meaning (<=64), no backslash",
                            l.key
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Resolves one `key=value` pair. The value matches case-insensitively and is returned in
    /// the vocabulary's spelling.
    pub fn resolve(&self, key: &str, value: &str) -> Result<TagValue> {
        let list = self.list(key).ok_or_else(|| {
            CoreError::Invalid(format!(
                "unknown tag {key:?}; known: {}",
                self.lists
                    .iter()
                    .map(|l| l.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let v = list
            .values
            .iter()
            .find(|v| v.value().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "tag {key:?}: {value:?} is not in the vocabulary; allowed: {}",
                    list.values
                        .iter()
                        .map(|v| v.value())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        Ok(TagValue {
            key: list.key.clone(),
            value: v.value().to_string(),
            label: v.label().map(str::to_string),
            code: v.code().cloned(),
            target: list.dicom,
        })
    }

    /// Resolves a file's tag map (key → value), in vocabulary order.
    pub fn resolve_map(&self, map: &BTreeMap<String, String>) -> Result<Vec<TagValue>> {
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map {
            out.push(self.resolve(k, v)?);
        }
        out.sort_by_key(|t| self.lists.iter().position(|l| l.key == t.key));
        Ok(out)
    }

    /// The export gate: `Err(reason)` when a required tag is missing. An empty vocabulary
    /// requires nothing.
    pub fn check_required(&self, tags: &[TagValue]) -> std::result::Result<(), String> {
        let missing: Vec<&str> = self
            .lists
            .iter()
            .filter(|l| l.required && !tags.iter().any(|t| t.key == l.key))
            .map(|l| l.key.as_str())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing required tag(s): {}", missing.join(", ")))
        }
    }
}

/// Parses one `--tag KEY=VALUE` argument (syntax only; resolve it with
/// [`Vocabulary::resolve`]).
pub fn parse_tag_arg(arg: &str) -> Result<(String, String)> {
    let (k, v) = arg
        .split_once('=')
        .ok_or_else(|| CoreError::Invalid(format!("--tag {arg:?}: expected KEY=VALUE")))?;
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() || v.is_empty() {
        return Err(CoreError::Invalid(format!(
            "--tag {arg:?}: expected KEY=VALUE"
        )));
    }
    Ok((k.to_string(), v.to_string()))
}

/// One data row of a tags file: the input path as written, and its tags (empty cells left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsRow {
    pub input: String,
    pub tags: BTreeMap<String, String>,
}

/// Parses a `--tags-file` CSV: a header `input,<key>,<key>...` (e.g.
/// `input,position,side,purpose`), then one row per input. Comma-separated, fields may be
/// double-quoted (`""` inside quotes is a quote), blank lines and lines starting with `#` are
/// skipped, an empty cell means "not set". Errors name the line, never the values.
pub fn parse_tags_csv(text: &str) -> Result<Vec<TagsRow>> {
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        let line = if n == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields = split_csv_line(line)
            .map_err(|m| CoreError::Invalid(format!("tags file line {n}: {m}")))?;
        match &header {
            None => {
                let h: Vec<String> = fields
                    .iter()
                    .map(|f| f.trim().to_ascii_lowercase())
                    .collect();
                if h.first().map(String::as_str) != Some("input") {
                    return Err(CoreError::Invalid(format!(
                        "tags file line {n}: the header must start with \"input\" (e.g. input,position,side,purpose)"
                    )));
                }
                if h.len() < 2 {
                    return Err(CoreError::Invalid(format!(
                        "tags file line {n}: the header names no tag column"
                    )));
                }
                let mut uniq = std::collections::HashSet::new();
                for k in &h[1..] {
                    if k.is_empty() || !uniq.insert(k.clone()) {
                        return Err(CoreError::Invalid(format!(
                            "tags file line {n}: empty or repeated column name"
                        )));
                    }
                }
                header = Some(h);
            }
            Some(h) => {
                if fields.len() != h.len() {
                    return Err(CoreError::Invalid(format!(
                        "tags file line {n}: {} fields, the header has {}",
                        fields.len(),
                        h.len()
                    )));
                }
                let input = fields[0].trim().to_string();
                if input.is_empty() {
                    return Err(CoreError::Invalid(format!(
                        "tags file line {n}: empty input"
                    )));
                }
                if !seen.insert(input.clone()) {
                    return Err(CoreError::Invalid(format!(
                        "tags file line {n}: this input already has a row"
                    )));
                }
                let mut tags = BTreeMap::new();
                for (k, v) in h[1..].iter().zip(&fields[1..]) {
                    let v = v.trim();
                    if !v.is_empty() {
                        tags.insert(k.clone(), v.to_string());
                    }
                }
                rows.push(TagsRow { input, tags });
            }
        }
    }
    if header.is_none() {
        return Err(CoreError::Invalid("tags file is empty (no header)".into()));
    }
    Ok(rows)
}

/// Reads and parses a tags file.
pub fn load_tags_csv(path: &std::path::Path) -> Result<Vec<TagsRow>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CoreError::Invalid(format!("cannot read the tags file: {e}")))?;
    parse_tags_csv(&text)
}

pub(crate) fn split_csv_line(line: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            if !cur.trim().is_empty() || was_quoted {
                return Err("quote in the middle of a field");
            }
            cur.clear();
            in_quotes = true;
            was_quoted = true;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else {
            if was_quoted && !c.is_whitespace() {
                return Err("text after a closing quote");
            }
            cur.push(c);
        }
    }
    if in_quotes {
        return Err("unterminated quote");
    }
    out.push(cur);
    Ok(out)
}

/// Merges the tags for one input: `--tag` values first, then the tags-file row overrides them.
pub fn merge_tags(
    global: &[(String, String)],
    row: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = global.iter().cloned().collect();
    if let Some(r) = row {
        for (k, v) in r {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_valid_and_resolve() {
        let v = Vocabulary::default();
        v.validate().unwrap();
        let t = v.resolve("position", "cfv").unwrap();
        assert_eq!(t.value, "CFV");
        assert_eq!(t.target, TagTarget::AnatomicRegion);
        assert!(v.resolve("position", "XYZ").is_err());
        assert!(v.resolve("nope", "L").is_err());
        let tags = vec![t];
        assert_eq!(
            v.check_required(&tags).unwrap_err(),
            "missing required tag(s): side, purpose"
        );
        assert!(Vocabulary { lists: vec![] }.check_required(&[]).is_ok());
    }

    #[test]
    fn toml_reads_naturally() {
        #[derive(Deserialize)]
        struct S {
            tags: Vocabulary,
        }
        let s: S = toml::from_str(
            r#"
[[tags.list]]
key = "position"
dicom = "anatomic-region"
values = [ { value = "CFV", label = "common femoral vein", code = { scheme = "SCT", value = "1", meaning = "m" } }, "GSV" ]
[[tags.list]]
key = "side"
dicom = "laterality"
required = false
values = ["L", "R"]
"#,
        )
        .unwrap();
        s.tags.validate().unwrap();
        assert_eq!(s.tags.lists.len(), 2);
        assert!(!s.tags.lists[1].required);
        assert_eq!(
            s.tags
                .resolve("position", "CFV")
                .unwrap()
                .code
                .unwrap()
                .scheme,
            "SCT"
        );
        let bad: std::result::Result<S, _> = toml::from_str("[tags]\nlists = []\n");
        assert!(bad.is_err());
        let lat: S = toml::from_str(
            "[[tags.list]]\nkey = \"side\"\ndicom = \"laterality\"\nvalues = [\"left\"]\n",
        )
        .unwrap();
        assert!(lat.tags.validate().is_err());
    }

    #[test]
    fn tag_args_and_csv() {
        assert_eq!(
            parse_tag_arg("position=CFV").unwrap(),
            ("position".to_string(), "CFV".to_string())
        );
        assert!(parse_tag_arg("position").is_err());
        assert!(parse_tag_arg("=x").is_err());
        let rows = parse_tags_csv(
            "input,position,side,purpose\n# comment\na/b.dcm,CFV,L,diagnostic\n\"c,d.dcm\",GSV,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].input, "c,d.dcm");
        assert_eq!(rows[1].tags.len(), 1);
        assert!(parse_tags_csv("file,position\n").is_err());
        assert!(parse_tags_csv("input,position\nx,CFV,extra\n").is_err());
        assert!(parse_tags_csv("input,position\n\"x,CFV\n").is_err());
        assert!(parse_tags_csv("input,position\nx,CFV\nx,GSV\n").is_err());
        assert!(parse_tags_csv("").is_err());
        let m = merge_tags(
            &[
                ("position".into(), "CFV".into()),
                ("side".into(), "L".into()),
            ],
            Some(&rows[1].tags),
        );
        assert_eq!(m["position"], "GSV");
        assert_eq!(m["side"], "L");
    }
}
