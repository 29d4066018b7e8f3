//! The attribute tree of a file as display rows (sequences nested), for the metadata pane.
//! Values are shown on screen only; they are never logged.

use dicom_core::dictionary::DataDictionary;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::state::MetaRow;

const MAX_VALUE: usize = 512;
const MAX_ROWS: usize = 20_000;

/// Rows for the file meta group and the data set.
pub fn build(obj: &DefaultDicomObject) -> Vec<MetaRow> {
    let meta = obj.meta();
    let mut rows = Vec::new();
    let clean = |s: &str| s.trim_end_matches(['\0', ' ']).to_string();
    for (tag, vr, name, value) in [
        (
            (0x0002, 0x0002),
            "UI",
            "MediaStorageSOPClassUID",
            clean(meta.media_storage_sop_class_uid()),
        ),
        (
            (0x0002, 0x0003),
            "UI",
            "MediaStorageSOPInstanceUID",
            clean(meta.media_storage_sop_instance_uid()),
        ),
        (
            (0x0002, 0x0010),
            "UI",
            "TransferSyntaxUID",
            clean(meta.transfer_syntax()),
        ),
        (
            (0x0002, 0x0012),
            "UI",
            "ImplementationClassUID",
            clean(meta.implementation_class_uid()),
        ),
    ] {
        rows.push(MetaRow {
            depth: 0,
            tag: format!("({:04X},{:04X})", tag.0, tag.1),
            vr: vr.into(),
            name: name.into(),
            value,
            has_children: false,
        });
    }
    walk(obj, 0, &mut rows);
    rows
}

fn walk(obj: &InMemDicomObject, depth: u16, rows: &mut Vec<MetaRow>) {
    for e in obj.iter() {
        if rows.len() >= MAX_ROWS {
            return;
        }
        let tag = e.header().tag;
        let vr = e.vr();
        let name = name_of(tag);
        match e.value() {
            Value::Sequence(seq) => {
                let items = seq.items();
                rows.push(MetaRow {
                    depth,
                    tag: fmt_tag(tag),
                    vr: vr.to_string().into(),
                    name,
                    value: format!("{} item(s)", items.len()),
                    has_children: !items.is_empty(),
                });
                // depth guard: two rows of indent per level
                if depth as u32 >= 2 * crate::core::dcm::MAX_NESTING {
                    rows.push(MetaRow {
                        depth: depth + 1,
                        tag: String::new(),
                        vr: String::new(),
                        name: String::new(),
                        value: format!(
                            "items nested deeper than {} levels are not shown",
                            crate::core::dcm::MAX_NESTING
                        ),
                        has_children: false,
                    });
                    continue;
                }
                for (i, item) in items.iter().enumerate() {
                    rows.push(MetaRow {
                        depth: depth + 1,
                        tag: format!("item {}", i + 1),
                        vr: String::new(),
                        name: String::new(),
                        value: String::new(),
                        has_children: true,
                    });
                    walk(item, depth + 2, rows);
                }
            }
            Value::PixelSequence(ps) => rows.push(MetaRow {
                depth,
                tag: fmt_tag(tag),
                vr: vr.to_string().into(),
                name,
                value: format!("<encapsulated: {} fragment(s)>", ps.fragments().len()),
                has_children: false,
            }),
            Value::Primitive(p) => {
                let value = if is_binary(vr) {
                    format!("<{} bytes>", e.header().len.get().unwrap_or(0))
                } else {
                    printable(&p.to_str())
                };
                rows.push(MetaRow {
                    depth,
                    tag: fmt_tag(tag),
                    vr: vr.to_string().into(),
                    name,
                    value,
                    has_children: false,
                });
            }
        }
    }
}

fn fmt_tag(t: Tag) -> String {
    format!("({:04X},{:04X})", t.group(), t.element())
}

fn name_of(t: Tag) -> String {
    if t.group() % 2 == 1 {
        return if t.element() < 0x0100 && t.element() >= 0x0010 {
            "PrivateCreator".into()
        } else {
            "Private".into()
        };
    }
    StandardDataDictionary
        .by_tag(t)
        .map(|e| e.alias.to_string())
        .unwrap_or_else(|| "Unknown".into())
}

fn is_binary(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
    )
}

/// One line, no control characters, bounded length.
fn printable(s: &str) -> String {
    let mut out: String = s
        .trim_end_matches(['\0', ' '])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_VALUE)
        .collect();
    if s.chars().count() > MAX_VALUE {
        out.push('…');
    }
    out
}
