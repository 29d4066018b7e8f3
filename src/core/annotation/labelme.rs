//! LabelMe-style JSON, as the original US-DICOMizer writes it (one file per DICOM, polygons of
//! every frame in `shapes` with a `frame` field, per-frame grades in `frame_gradings`, the
//! status in `flags`), without its identity: `flags` holds the pseudonym, never a Patient ID,
//! and `imagePath` names the exported entry, never an input. `imageData: null` is added so that
//! LabelMe itself opens the file.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::export::EntryInfo;
use super::{AnnotationSettings, Annotations, Polygon};

#[derive(Serialize)]
struct Doc<'a> {
    version: &'static str,
    flags: BTreeMap<String, String>,
    frame_gradings: BTreeMap<u32, String>,
    shapes: Vec<Shape<'a>>,
    #[serde(rename = "imagePath")]
    image_path: &'a str,
    #[serde(rename = "imageWidth")]
    image_width: u32,
    #[serde(rename = "imageHeight")]
    image_height: u32,
    #[serde(rename = "imageData")]
    image_data: Option<()>,
}

#[derive(Serialize)]
struct Shape<'a> {
    label: &'a str,
    points: &'a [[f64; 2]],
    group_id: Option<()>,
    description: &'static str,
    shape_type: &'static str,
    frame: u32,
    flags: BTreeMap<String, String>,
}

/// The file for `a` (already in the entry's coordinates), indent 2, UTF-8.
pub fn write(a: &Annotations, entry: &EntryInfo, s: &AnnotationSettings) -> Vec<u8> {
    let mut flags = BTreeMap::new();
    flags.insert("pseudonym".to_string(), entry.pseudonym.to_string());
    flags.insert(s.status_key(), a.status.clone().unwrap_or_default());
    let doc = Doc {
        version: "1.0",
        flags,
        frame_gradings: a
            .grades
            .iter()
            .map(|(f, g)| (*f, format!("Grade {g}")))
            .collect(),
        shapes: a
            .polygons
            .iter()
            .flat_map(|(f, list)| {
                list.iter().map(|p| Shape {
                    label: &p.label,
                    points: &p.points,
                    group_id: None,
                    description: "",
                    shape_type: "polygon",
                    frame: *f,
                    flags: BTreeMap::new(),
                })
            })
            .collect(),
        image_path: entry.file_name,
        image_width: entry.width,
        image_height: entry.height,
        image_data: None,
    };
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Reads a LabelMe-style file (ours, the original's, or LabelMe's own: polygon shapes only).
/// Returns the annotations and warnings about what was left out; an error when the file is not
/// one.
pub fn parse(v: &Value, s: &AnnotationSettings) -> Result<(Annotations, Vec<String>), String> {
    let obj = v.as_object().ok_or("not a JSON object")?;
    let shapes = match obj.get("shapes") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(Value::Null) | None => &[],
        Some(_) => return Err("`shapes` is not a list".into()),
    };
    let mut a = Annotations::default();
    let mut warnings = Vec::new();
    if let Some(flags) = obj.get("flags").and_then(Value::as_object) {
        let key = s.status_key();
        let status = [key.as_str(), "dvt", "thrombosis", "status"]
            .iter()
            .find_map(|k| flags.get(*k).and_then(Value::as_str))
            .map(str::trim)
            .filter(|v| !v.is_empty());
        a.status = status.map(str::to_string);
    }
    if let Some(g) = obj.get("frame_gradings") {
        let g = g.as_object().ok_or("`frame_gradings` is not an object")?;
        for (frame, value) in g {
            let Ok(f) = frame.trim().parse::<u32>() else {
                warnings.push(format!(
                    "grade of frame `{frame}` left out: not a frame number"
                ));
                continue;
            };
            match grade_value(value, s) {
                Ok(Some(v)) => {
                    a.grades.insert(f, v);
                }
                Ok(None) => {}
                Err(why) => warnings.push(format!("grade of frame {f} left out: {why}")),
            }
        }
    }
    for (i, shape) in shapes.iter().enumerate() {
        let n = i + 1;
        let Some(shape) = shape.as_object() else {
            return Err(format!("shape {n} is not an object"));
        };
        let kind = shape
            .get("shape_type")
            .and_then(Value::as_str)
            .unwrap_or("polygon");
        if kind != "polygon" {
            warnings.push(format!("shape {n} left out: a {kind}, not a polygon"));
            continue;
        }
        let label = shape
            .get("label")
            .and_then(Value::as_str)
            .unwrap_or("polygon")
            .to_string();
        let frame = match shape.get("frame") {
            None | Some(Value::Null) => 0,
            Some(f) => f
                .as_u64()
                .and_then(|f| u32::try_from(f).ok())
                .or_else(|| f.as_str().and_then(|t| t.trim().parse().ok()))
                .ok_or_else(|| format!("shape {n}: `frame` is not a frame number"))?,
        };
        let points = points_of(shape.get("points"))
            .map_err(|why| format!("shape {n} (frame {frame}): {why}"))?;
        if points.len() < 3 {
            warnings.push(format!(
                "shape {n} (frame {frame}) left out: {} points, a polygon needs 3",
                points.len()
            ));
            continue;
        }
        a.polygons
            .entry(frame)
            .or_default()
            .push(Polygon { label, points });
    }
    Ok((a, warnings))
}

fn points_of(v: Option<&Value>) -> Result<Vec<[f64; 2]>, String> {
    let list = v
        .and_then(Value::as_array)
        .ok_or("`points` is not a list")?;
    list.iter()
        .map(|p| {
            let xy = p.as_array().filter(|xy| xy.len() == 2);
            let x = xy.and_then(|xy| xy[0].as_f64());
            let y = xy.and_then(|xy| xy[1].as_f64());
            match (x, y) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok([x, y]),
                _ => Err(format!("point {p} is not [x, y]")),
            }
        })
        .collect()
}

/// A grade as the original writes it (`"Grade 3"`), or `"3"`, or `3`; `None` for an empty one.
pub fn grade_value(v: &Value, s: &AnnotationSettings) -> Result<Option<u8>, String> {
    let n = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64(),
        Value::String(t) => {
            let t = t.trim();
            if t.is_empty() {
                return Ok(None);
            }
            let digits = t
                .strip_prefix("Grade")
                .or_else(|| t.strip_prefix("grade"))
                .unwrap_or(t)
                .trim();
            digits.parse::<u64>().ok()
        }
        _ => None,
    };
    match n {
        Some(n) if n >= s.grade_min as u64 && n <= s.grade_max as u64 => Ok(Some(n as u8)),
        _ => Err(format!(
            "{v} is not a grade {}..{}",
            s.grade_min, s.grade_max
        )),
    }
}
