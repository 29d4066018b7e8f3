//! Entry names inside the export ZIP, from the `output.entry_template` setting.

use std::collections::BTreeMap;

use super::digest_set::{key_of, DigestSet};

/// Checks a template once, at settings load.
pub fn check_template(t: &str) -> Result<(), String> {
    if !t.ends_with(".dcm") {
        return Err("must end in .dcm".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or("a `{` without `}`")? + open;
        let field = &rest[open + 1..close];
        let (name, fmt) = field.split_once(':').unwrap_or((field, ""));
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad field name `{{{field}}}`"));
        }
        let padding = fmt.starts_with('0') && fmt[1..].parse::<u8>().is_ok();
        if !fmt.is_empty() && !padding {
            return Err(format!(
                "bad format `{fmt}` in `{{{field}}}` (only zero padding like :04)"
            ));
        }
        rest = &rest[close + 1..];
    }
    if t.contains('/') || t.contains('\\') {
        return Err("must not contain path separators".into());
    }
    Ok(())
}

/// Keeps `[A-Za-z0-9.-]` and turns anything else into `_`.
pub fn sanitize(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Renders the template. Empty fields leave no doubled or trailing separators.
pub fn render(template: &str, fields: &BTreeMap<String, String>, index: usize) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close_rel) = rest[open..].find('}') else {
            break;
        };
        let close = open + close_rel;
        let field = &rest[open + 1..close];
        let (name, fmt) = field.split_once(':').unwrap_or((field, ""));
        let value = if name == "index" {
            let width = fmt.trim_start_matches('0').parse::<usize>().unwrap_or(0);
            format!("{index:0width$}")
        } else {
            sanitize(fields.get(name).map(String::as_str).unwrap_or(""))
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    tidy(&out)
}

fn tidy(name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(p) => (&name[..p], &name[p..]),
        None => (name, ""),
    };
    let mut s = String::new();
    for c in stem.chars() {
        let sep = c == '_' || c == '-';
        if sep && (s.is_empty() || s.ends_with('_') || s.ends_with('-')) {
            continue;
        }
        s.push(c);
    }
    while s.ends_with('_') || s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() {
        s.push_str("file");
    }
    format!("{s}{ext}")
}

/// The entry names used so far in one archive, as 128-bit digests in a [`DigestSet`] (a few
/// hundred in memory, then in an unnamed temporary file: memory does not grow with the number
/// of entries; the archive's own directory already holds the names).
#[derive(Debug, Default)]
pub struct UsedNames(DigestSet);

impl UsedNames {
    /// An empty list whose temporary file (when it needs one) goes in `dir`.
    pub fn new_in(dir: &std::path::Path) -> Self {
        UsedNames(DigestSet::new_in(dir))
    }
    /// Marks `name` used; false when it already was.
    pub fn insert(&mut self, name: &str) -> std::io::Result<bool> {
        self.0.insert(key_of(name), 0)
    }
    pub fn remove(&mut self, name: &str) -> std::io::Result<()> {
        self.0.remove(&key_of(name)).map(|_| ())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Makes a name unique among those already used (`name_2.dcm`, ...).
pub fn unique(name: String, used: &mut UsedNames) -> std::io::Result<String> {
    if used.insert(&name)? {
        return Ok(name);
    }
    let (stem, ext) = name
        .rsplit_once('.')
        .map(|(a, b)| (a.to_string(), format!(".{b}")))
        .unwrap_or((name.clone(), String::new()));
    let mut n = 2;
    loop {
        let candidate = format!("{stem}_{n}{ext}");
        if used.insert(&candidate)? {
            return Ok(candidate);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn default_template_pads_index_and_drops_empty_fields() {
        let t = "{pseudonym}_{index:04}_{position}-{side}.dcm";
        assert_eq!(
            render(
                t,
                &f(&[("pseudonym", "P01"), ("position", "CFV"), ("side", "L")]),
                1
            ),
            "P01_0001_CFV-L.dcm"
        );
        assert_eq!(
            render(t, &f(&[("pseudonym", "P01"), ("position", "FV-D")]), 12),
            "P01_0012_FV-D.dcm"
        );
        assert_eq!(render(t, &f(&[("pseudonym", "P01")]), 123), "P01_0123.dcm");
        assert_eq!(
            render(t, &f(&[("pseudonym", "P/../x"), ("position", "a b")]), 1),
            "P_.._x_0001_a_b.dcm"
        );
    }

    #[test]
    fn templates_are_checked() {
        assert!(check_template("{pseudonym}_{index:04}.dcm").is_ok());
        assert!(check_template("{pseudonym}.txt").is_err());
        assert!(check_template("{index:x4}.dcm").is_err());
        assert!(check_template("a/{index}.dcm").is_err());
    }

    #[test]
    fn unique_appends_counter() {
        let mut used = UsedNames::default();
        let mut u = |n: &str| unique(n.into(), &mut used).unwrap();
        assert_eq!(u("a.dcm"), "a.dcm");
        assert_eq!(u("a.dcm"), "a_2.dcm");
        assert_eq!(u("a.dcm"), "a_3.dcm");
        used.remove("a_2.dcm").unwrap();
        assert_eq!(unique("a.dcm".into(), &mut used).unwrap(), "a_2.dcm");
        assert_eq!(used.len(), 3);
    }
}
