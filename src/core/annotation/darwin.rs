//! Darwin V7 JSON 2.0, as the original US-DICOMizer writes it: one `dicom` slot, one entry per
//! polygon (per-frame `polygon.paths`, bounding box, `ranges`), one tag entry per graded frame
//! and one for the status. Unlike the original: `item.name` is the DICOM entry (not the JSON
//! name with `.dcm`), `source_info` holds the pseudonym and never a Patient ID, no source path
//! is written, and ids are UUIDv5 of the entry's new SOP Instance UID and the annotation's
//! place, so the same export gives the same bytes (shards equal one run).

use serde::Serialize;
use serde_json::{json, Value};

use super::export::EntryInfo;
use super::labelme::grade_value;
use super::{AnnotationSettings, Annotations, Polygon};

const SCHEMA_REF: &str =
    "https://darwin-public.s3.eu-west-1.amazonaws.com/darwin_json/2.0/schema.json";

/// `updated_at` of every annotation: a fixed value, so that files are deterministic.
pub const UPDATED_AT: &str = "1970-01-01T00:00:00";

#[derive(Serialize)]
struct Doc<'a> {
    version: &'static str,
    schema_ref: &'static str,
    item: Item<'a>,
    annotations: Vec<Value>,
    properties: [(); 0],
}

#[derive(Serialize)]
struct Item<'a> {
    name: &'a str,
    path: &'a str,
    source_info: Value,
    slots: [Value; 1],
}

fn id(entry: &EntryInfo, what: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("us-dicomizer annotation/{}/{what}", entry.sop_instance_uid).as_bytes(),
    )
    .to_string()
}

fn tag(entry: &EntryInfo, n: usize, name: &str, value: String, frame: u32) -> Value {
    json!({
        "annotators": [],
        "frames": { frame.to_string(): { "keyframe": true, "tag": {} } },
        "id": id(entry, &n.to_string()),
        "name": name,
        "properties": [{ "frame_index": frame, "name": name, "value": value }],
        "ranges": [[frame, frame + 1]],
        "reviewers": [],
        "slot_names": ["0"],
        "updated_at": UPDATED_AT,
    })
}

/// The file for `a` (already in the entry's coordinates), indent 2, UTF-8.
pub fn write(a: &Annotations, entry: &EntryInfo, s: &AnnotationSettings) -> Vec<u8> {
    let mut annotations = Vec::new();
    let mut n = 0usize;
    for (frame, list) in &a.polygons {
        for p in list.iter().filter(|p| p.points.len() >= 3) {
            n += 1;
            let xs = p.points.iter().map(|q| q[0]);
            let ys = p.points.iter().map(|q| q[1]);
            let (x0, x1) = (
                xs.clone().fold(f64::MAX, f64::min),
                xs.fold(f64::MIN, f64::max),
            );
            let (y0, y1) = (
                ys.clone().fold(f64::MAX, f64::min),
                ys.fold(f64::MIN, f64::max),
            );
            let path: Vec<Value> = p
                .points
                .iter()
                .map(|q| json!({"x": q[0], "y": q[1]}))
                .collect();
            annotations.push(json!({
                "annotators": [],
                "frames": { frame.to_string(): {
                    "bounding_box": { "h": y1 - y0, "w": x1 - x0, "x": x0, "y": y0 },
                    "keyframe": true,
                    "polygon": { "paths": [path] },
                }},
                "global_sub_types": {},
                "id": id(entry, &n.to_string()),
                "interpolate_algorithm": "linear-1.1",
                "interpolated": true,
                "name": p.label,
                "properties": [],
                "ranges": [[frame, frame + 1]],
                "reviewers": [],
                "slot_names": ["0"],
                "updated_at": UPDATED_AT,
            }));
        }
    }
    for (frame, grade) in &a.grades {
        n += 1;
        annotations.push(tag(entry, n, &s.grade_name, grade.to_string(), *frame));
    }
    if let Some(status) = &a.status {
        n += 1;
        annotations.push(tag(entry, n, &s.status_name, status.clone(), 0));
    }
    let doc = Doc {
        version: "2.0",
        schema_ref: SCHEMA_REF,
        item: Item {
            name: entry.file_name,
            path: entry.folder,
            source_info: json!({
                "dataset": { "dataset_management_url": "", "name": "", "slug": "" },
                "item_id": id(entry, "item"),
                "pseudonym": entry.pseudonym,
                "team": { "name": "", "slug": "" },
                "workview_url": "",
            }),
            slots: [json!({
                "frame_count": entry.frames,
                "frame_urls": [],
                "fps": null,
                "height": entry.height,
                "metadata": {
                    "colorspace": "RGB",
                    "handler": null,
                    "primary_plane": "AXIAL",
                    "shape": null,
                },
                "slot_name": "0",
                "source_files": [{ "file_name": entry.file_name, "url": "" }],
                "thumbnail_url": "",
                "type": "dicom",
                "width": entry.width,
            })],
        },
        annotations,
        properties: [],
    };
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Reads a Darwin JSON 2.0 file: an entry with `properties` is a tag (the grade or the status,
/// by name), any other entry holds polygons per frame (`frames.<f>.polygon.paths`, or a
/// top-level `polygon` for frame 0). Returns the annotations and warnings about what was left
/// out; an error when the file is not one.
pub fn parse(v: &Value, s: &AnnotationSettings) -> Result<(Annotations, Vec<String>), String> {
    let list = v
        .get("annotations")
        .and_then(Value::as_array)
        .ok_or("`annotations` is not a list")?;
    let mut a = Annotations::default();
    let mut warnings = Vec::new();
    let grade_names = [s.grade_name.as_str(), "ACEP Grading Score"];
    let status_names = [s.status_name.as_str(), "DVT Status", "Thrombosis"];
    for (i, entry_v) in list.iter().enumerate() {
        let n = i + 1;
        let entry = entry_v
            .as_object()
            .ok_or_else(|| format!("annotation {n} is not an object"))?;
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("polygon");
        if let Some(props) = entry
            .get("properties")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
        {
            for prop in props {
                let pname = prop.get("name").and_then(Value::as_str).unwrap_or(name);
                let value = prop.get("value").unwrap_or(&Value::Null);
                if grade_names.contains(&pname) {
                    let frame = prop
                        .get("frame_index")
                        .and_then(Value::as_u64)
                        .and_then(|f| u32::try_from(f).ok())
                        .unwrap_or(0);
                    match grade_value(value, s) {
                        Ok(Some(g)) => {
                            a.grades.insert(frame, g);
                        }
                        Ok(None) => {}
                        Err(why) => {
                            warnings.push(format!("grade of frame {frame} left out: {why}"))
                        }
                    }
                } else if status_names.contains(&pname) {
                    let t = value.as_str().map(str::trim).unwrap_or("");
                    if !t.is_empty() {
                        a.status = Some(t.to_string());
                    }
                } else {
                    warnings.push(format!("annotation {n}: property `{pname}` left out"));
                }
            }
            continue;
        }
        let mut frames: Vec<(u32, &Value)> = Vec::new();
        if let Some(f) = entry.get("frames").and_then(Value::as_object) {
            for (key, content) in f {
                let frame = key
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("annotation {n}: frame `{key}` is not a number"))?;
                frames.push((frame, content));
            }
        } else if entry.contains_key("polygon") {
            frames.push((0, entry_v));
        }
        for (frame, content) in frames {
            let Some(paths) = content
                .get("polygon")
                .and_then(|p| p.get("paths"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for path in paths {
                let points = path_points(path)
                    .map_err(|why| format!("annotation {n} (frame {frame}): {why}"))?;
                if points.len() < 3 {
                    warnings.push(format!(
                        "annotation {n} (frame {frame}) left out: {} points, a polygon needs 3",
                        points.len()
                    ));
                    continue;
                }
                a.polygons.entry(frame).or_default().push(Polygon {
                    label: name.to_string(),
                    points,
                });
            }
        }
    }
    Ok((a, warnings))
}

fn path_points(path: &Value) -> Result<Vec<[f64; 2]>, String> {
    path.as_array()
        .ok_or("a path is not a list")?
        .iter()
        .map(|p| {
            let x = p.get("x").and_then(Value::as_f64);
            let y = p.get("y").and_then(Value::as_f64);
            match (x, y) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok([x, y]),
                _ => Err(format!("point {p} is not {{x, y}}")),
            }
        })
        .collect()
}
