//! Annotation files found next to the inputs: for an input `<stem>.<ext>` (or a name without
//! extension), `<stem>_darwin.json` and `<stem>.json` in the same folder (or the same folder of
//! the same ZIP) are its annotations. The format is detected as the original does (`annotations`
//! and `item` => Darwin, else LabelMe). Importing replaces, never appends: the result depends
//! only on the files, and when both exist they are merged with duplicates removed (polygons
//! equal within [`super::SAME_POINT`] are one). Points in these files are original-image
//! coordinates. A file that cannot be read gives a reason; the DICOM is exported anyway.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::Value;

use super::export::AnnotationReport;
use super::{darwin, labelme, AnnotationFormat, AnnotationSettings, Annotations};
use crate::core::load::{InputSource, SourceKind};
use crate::core::settings::LoadSettings;

/// Detects the format as the original does: `annotations` and `item` => Darwin.
pub fn detect(v: &Value) -> AnnotationFormat {
    if v.get("annotations").is_some() && v.get("item").is_some() {
        AnnotationFormat::Darwin
    } else {
        AnnotationFormat::Labelme
    }
}

/// Parses one annotation file of either format: the annotations (duplicates removed), the
/// format, and warnings about what was left out.
pub fn parse(
    bytes: &[u8],
    s: &AnnotationSettings,
) -> Result<(Annotations, AnnotationFormat, Vec<String>), String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let format = detect(&v);
    let (mut a, mut warnings) = match format {
        AnnotationFormat::Darwin => darwin::parse(&v, s)?,
        AnnotationFormat::Labelme => labelme::parse(&v, s)?,
    };
    let dups = a.dedupe();
    if dups > 0 {
        warnings.push(format!("{dups} repeated polygon(s) read once"));
    }
    Ok((a, format, warnings))
}

/// The names of the annotation files of an input named `name` (Darwin first, as the original
/// looks for it first).
pub fn sidecar_names(name: &str) -> [String; 2] {
    let stem = match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => name,
    };
    [format!("{stem}_darwin.json"), format!("{stem}.json")]
}

/// Folder (file system folder, or archive + folder inside it) and file name of an input.
fn place(src: &InputSource) -> ((PathBuf, String), String) {
    match &src.kind {
        SourceKind::File(p) => (
            (
                p.parent().map(PathBuf::from).unwrap_or_default(),
                String::new(),
            ),
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        SourceKind::ZipMember { archive, name, .. } => {
            let (dir, base) = name.rsplit_once('/').unwrap_or(("", name));
            ((archive.clone(), dir.to_string()), base.to_string())
        }
    }
}

fn is_json(name: &str) -> bool {
    // bytes, not a str slice: the name may end in multi-byte characters
    let b = name.as_bytes();
    b.len() > 5 && b[b.len() - 5..].eq_ignore_ascii_case(b".json")
}

/// Which inputs are annotation files of which other inputs.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    /// Per input: the indices of its annotation files (Darwin first).
    pub sidecars: Vec<Vec<usize>>,
    /// Per input: it is an annotation file of another input (not an input itself).
    pub consumed: Vec<bool>,
}

/// Pairs every input with the annotation files next to it.
pub fn pair(sources: &[InputSource]) -> Pairing {
    let sparse = match pair_sparse(|| sources.iter().map(Ok::<_, std::convert::Infallible>)) {
        Ok(p) => p,
        Err(never) => match never {},
    };
    let mut out = Pairing {
        sidecars: vec![Vec::new(); sources.len()],
        consumed: vec![false; sources.len()],
    };
    for (i, files) in sparse.sidecars {
        out.sidecars[i] = files;
    }
    for j in sparse.consumed {
        out.consumed[j] = true;
    }
    out
}

/// [`Pairing`] kept only for the inputs that have annotation files: memory grows with the
/// annotation files, not with the inputs.
#[derive(Debug, Clone, Default)]
pub struct SparsePairing {
    /// The inputs that have annotation files: the indices of those files (Darwin first).
    pub sidecars: HashMap<usize, Vec<usize>>,
    /// The inputs that are annotation files of another input (not inputs themselves).
    pub consumed: HashSet<usize>,
}

/// As [`pair`], over inputs given twice in the same order by `sources` (an input list on
/// disk is read twice); the error is the first one `sources` gives.
pub fn pair_sparse<S, E, I>(sources: impl Fn() -> I) -> Result<SparsePairing, E>
where
    S: std::borrow::Borrow<InputSource>,
    I: Iterator<Item = Result<S, E>>,
{
    // only the annotation files' places are held
    let mut json: HashMap<((PathBuf, String), String), usize> = HashMap::new();
    for (i, s) in sources().enumerate() {
        let (folder, name) = place(s?.borrow());
        if is_json(&name) {
            json.insert((folder, name), i);
        }
    }
    let mut out = SparsePairing::default();
    if json.is_empty() {
        return Ok(out);
    }
    for (i, s) in sources().enumerate() {
        let (folder, name) = place(s?.borrow());
        if is_json(&name) {
            continue;
        }
        for side in sidecar_names(&name) {
            if let Some(&j) = json.get(&(folder.clone(), side)) {
                out.sidecars.entry(i).or_default().push(j);
                out.consumed.insert(j);
            }
        }
    }
    Ok(out)
}

/// The result of importing the annotation files of one input.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// `None` when no file could be read or they hold nothing.
    pub annotations: Option<Annotations>,
    /// `imported_from` (file names, never paths) and `problems`.
    pub report: AnnotationReport,
}

/// Reads and merges annotation files (in the order given: the first one's status and grades
/// win on a conflict, which is reported). The same files always give the same result.
pub fn import(files: &[&InputSource], limits: &LoadSettings, s: &AnnotationSettings) -> Imported {
    let mut out = Imported::default();
    let mut merged = Annotations::default();
    for src in files {
        let name = src.short_name();
        let parsed = src.read(limits).and_then(|b| parse(&b, s));
        let (a, _, warnings) = match parsed {
            Ok(p) => p,
            Err(why) => {
                out.report
                    .problems
                    .push(format!("annotation file `{name}` not imported: {why}"));
                continue;
            }
        };
        out.report.imported_from.push(name.clone());
        for w in warnings {
            out.report.problems.push(format!("`{name}`: {w}"));
        }
        merge_into(&mut merged, a, &name, &mut out.report.problems);
    }
    let dups = merged.dedupe();
    if dups > 0 {
        out.report.problems.push(format!(
            "{dups} polygon(s) in both annotation files, imported once"
        ));
    }
    if !merged.is_empty() {
        out.annotations = Some(merged);
    }
    out
}

fn merge_into(into: &mut Annotations, a: Annotations, name: &str, problems: &mut Vec<String>) {
    match (&into.status, a.status) {
        (None, s) => into.status = s,
        (Some(old), Some(new)) if *old != new => problems.push(format!(
            "`{name}`: status `{new}` differs from `{old}` read first; `{old}` kept"
        )),
        _ => {}
    }
    for (f, g) in a.grades {
        match into.grades.get(&f) {
            None => {
                into.grades.insert(f, g);
            }
            Some(old) if *old != g => problems.push(format!(
                "`{name}`: grade {g} of frame {f} differs from {old} read first; {old} kept"
            )),
            _ => {}
        }
    }
    for (f, list) in a.polygons {
        into.polygons.entry(f).or_default().extend(list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str) -> InputSource {
        InputSource {
            kind: SourceKind::File(PathBuf::from(p)),
            size: 0,
        }
    }

    fn member(archive: &str, name: &str, index: usize) -> InputSource {
        InputSource {
            kind: SourceKind::ZipMember {
                archive: PathBuf::from(archive),
                index,
                name: name.into(),
            },
            size: 0,
        }
    }

    #[test]
    fn pairs_only_files_of_the_same_folder() {
        let s = vec![
            file("/d/a.dcm"),
            file("/d/a.json"),
            file("/d/a_darwin.json"),
            file("/e/a.json"),
            file("/d/IM0001"),
            file("/d/IM0001.json"),
            file("/d/b.dcm"),
            file("/d/other.json"),
            member("/z.zip", "x/c.dcm", 0),
            member("/z.zip", "x/c.json", 1),
            member("/z.zip", "c_darwin.json", 2),
        ];
        let p = pair(&s);
        assert_eq!(p.sidecars[0], vec![2, 1]);
        assert_eq!(p.sidecars[4], vec![5]);
        assert!(p.sidecars[6].is_empty());
        assert_eq!(p.sidecars[8], vec![9]);
        let consumed: Vec<usize> = (0..s.len()).filter(|&i| p.consumed[i]).collect();
        assert_eq!(consumed, vec![1, 2, 5, 9]);
    }

    #[test]
    fn names_ending_in_multibyte_characters_do_not_panic() {
        let s = vec![
            file("/d/e\u{2028}.dcm"),
            file("/d/\u{2028}\u{2028}"),
            file("/d/é.json"),
            file("/d/é.dcm"),
        ];
        let p = pair(&s);
        assert_eq!(p.sidecars[3], vec![2]);
        assert!(p.sidecars[0].is_empty() && p.sidecars[1].is_empty());
    }
}
