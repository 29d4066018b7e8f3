//! Generator of `dicom_codes.tsv` from `../shared/reference/dicom-codes.json` (PS3.16 coded
//! concepts, `{scheme: {value: meaning}}`).
//!
//! Run `UPDATE_DICOM_CODES=1 cargo test --lib core::deid::gen_codes` to (re)write the table;
//! without the variable the test asserts that the committed table equals what the JSON yields.
//! When the JSON is absent (a checkout without `../shared`), the test prints a note and passes.

use serde_json::Value;

const JSON_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/dicom-codes.json"
);
const TABLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/core/deid/dicom_codes.tsv");

/// One line per code, `SCHEME<TAB>VALUE<TAB>MEANING`, sorted; empty values and fields holding
/// a tab or a line break are skipped (they cannot be matched or written).
pub fn generate(json: &str) -> String {
    let v: Value = serde_json::from_str(json).expect("valid JSON");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for (scheme, codes) in v.as_object().expect("object of schemes") {
        for (value, meaning) in codes.as_object().expect("object of codes") {
            let meaning = meaning.as_str().expect("meaning string");
            let bad = |s: &str| s.contains(['\t', '\n', '\r']);
            if value.trim().is_empty() || bad(value) || bad(meaning) || bad(scheme) {
                continue;
            }
            rows.push((scheme.clone(), value.clone(), meaning.to_string()));
        }
    }
    rows.sort();
    let mut out = String::with_capacity(rows.len() * 48);
    for (s, c, m) in rows {
        out.push_str(&s);
        out.push('\t');
        out.push_str(&c);
        out.push('\t');
        out.push_str(&m);
        out.push('\n');
    }
    out
}

#[test]
fn dicom_codes_table_matches_json() {
    super::gen::check_generated(JSON_PATH, TABLE_PATH, "UPDATE_DICOM_CODES", generate);
}
