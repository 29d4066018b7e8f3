//! What the de-identification writes after cleaning: the markers of PS3.15 E.1.1, the file's
//! tags, and the file meta group.
//!
//! Markers: Patient Identity Removed = YES; De-identification Method (tool, version, table
//! revision, options); De-identification Method Code Sequence (CID 7050, scheme DCM) with
//! 113100, the options in effect and 113101 when the pixels were cleaned (`ctx.cropped`);
//! Longitudinal Temporal Information Modified = MODIFIED / UNMODIFIED / REMOVED; Burned In
//! Annotation = NO only when `ctx.crop_approved` (otherwise the input's value stays). Tags: a
//! coded position goes to Anatomic Region Sequence (0008,2218), a side to Image Laterality
//! (0020,0062) (see `laterality.rs`).

use super::charset::Charset;
use super::elems::*;
use super::table::Opt;
use super::walker::DateMode;
use super::{annex_e, laterality, DeidContext, DeidSettings, TOOL_NAME};
use crate::core::tags::TagTarget;
use crate::core::uid;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_object::{FileDicomObject, InMemDicomObject};

fn option_meaning(o: Opt) -> (&'static str, &'static str) {
    annex_e::OPTION_CODES
        .iter()
        .find(|(x, _, _)| *x == o)
        .map(|(_, c, m)| (*c, *m))
        .expect("every option column has a CID 7050 code")
}

pub(super) fn code_item(value: &str, scheme: &str, meaning: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tag_of(0x0008_0100), VR::SH, PrimitiveValue::from(value)),
        DataElement::new(tag_of(0x0008_0102), VR::SH, PrimitiveValue::from(scheme)),
        DataElement::new(tag_of(0x0008_0104), VR::LO, PrimitiveValue::from(meaning)),
    ])
}

/// Writes the markers; returns the CID 7050 codes applied (113100 first).
pub(super) fn write_markers(
    ds: &mut InMemDicomObject,
    settings: &DeidSettings,
    ctx: &DeidContext,
    enabled: &[bool; Opt::COUNT],
    dates: DateMode,
) -> Vec<String> {
    let mut codes: Vec<(String, String)> = Vec::new();
    let (pc, pm) = annex_e::PROFILE_CODE;
    codes.push((pc.into(), pm.into()));
    if ctx.cropped {
        let (c, m) = annex_e::CLEAN_PIXEL_DATA_CODE;
        codes.push((c.into(), m.into()));
    }
    for o in Opt::ALL {
        if enabled[o as usize] {
            let (c, m) = option_meaning(o);
            codes.push((c.into(), m.into()));
        }
    }
    let mut method: Vec<String> = vec![
        format!("{TOOL_NAME} {}", env!("CARGO_PKG_VERSION")),
        format!("PS3.15 Table E.1-1 {} Basic Profile", annex_e::REVISION),
    ];
    for (_, m) in codes.iter().skip(1) {
        let mut m = m.clone();
        m.truncate(64);
        method.push(m);
    }
    if let DateMode::Shift(_) = dates {
        method.push(format!(
            "dates shifted by a keyed per-patient offset, {} to {} days",
            settings.min_shift_days, settings.max_shift_days
        ));
    }
    ds.put(str_elem(T_IDENTITY_REMOVED, VR::CS, "YES"));
    ds.put(DataElement::new(
        tag_of(T_DEID_METHOD),
        VR::LO,
        PrimitiveValue::Strs(method.into_iter().collect()),
    ));
    let scheme = annex_e::CODING_SCHEME;
    ds.put(seq_elem(
        T_DEID_CODES,
        codes.iter().map(|(c, m)| code_item(c, scheme, m)).collect(),
    ));
    let longitudinal = match dates {
        DateMode::Keep => "UNMODIFIED",
        DateMode::Shift(_) => "MODIFIED",
        DateMode::Remove => "REMOVED",
    };
    ds.put(str_elem(T_LONGITUDINAL, VR::CS, longitudinal));
    if ctx.crop_approved {
        ds.put(str_elem(T_BURNED_IN, VR::CS, "NO"));
    }
    codes.into_iter().map(|(c, _)| c).collect()
}

/// Writes the file's tags; returns notes on conflicts resolved (laterality).
pub(super) fn write_tags(
    ds: &mut InMemDicomObject,
    ctx: &DeidContext,
    mut charset: Charset,
) -> Vec<String> {
    let mut region: Option<InMemDicomObject> = None;
    let mut side: Option<String> = None;
    for t in ctx.tags {
        match t.target {
            TagTarget::AnatomicRegion => {
                if let Some(c) = &t.code {
                    let (v, s, m) = (
                        charset.fold(&c.value),
                        charset.fold(&c.scheme),
                        charset.fold(&c.meaning),
                    );
                    region = Some(code_item(&v, &s, &m));
                }
            }
            TagTarget::Laterality => {
                let v = t.value.trim().to_ascii_uppercase();
                if matches!(v.as_str(), "R" | "L" | "U" | "B") {
                    side = Some(v);
                }
            }
            TagTarget::None => {}
        }
    }
    charset.apply(ds);
    if let Some(item) = region {
        ds.put(seq_elem(T_ANATOMIC_REGION, vec![item]));
    }
    let mut notes = Vec::new();
    if let Some(l) = side {
        notes.extend(laterality::apply(ds, &l));
    }
    notes
}

/// Rewrites the file meta group for the de-identified data set.
pub(super) fn update_meta(
    obj: &mut FileDicomObject<InMemDicomObject>,
    retain_uids: bool,
    map_uid: &mut dyn FnMut(&str) -> String,
) {
    let new_sop = get_str(obj, T_SOP_INSTANCE_UID);
    let meta_sop = obj
        .meta()
        .media_storage_sop_instance_uid
        .trim_matches([' ', '\0'])
        .to_string();
    let new_meta_sop = match new_sop {
        Some(s) => s,
        None if retain_uids => meta_sop,
        None => map_uid(&meta_sop),
    };
    obj.update_meta(|m| {
        m.media_storage_sop_instance_uid = new_meta_sop;
        m.source_application_entity_title = None;
        m.sending_application_entity_title = None;
        m.receiving_application_entity_title = None;
        m.private_information_creator_uid = None;
        m.private_information = None;
        m.implementation_class_uid = uid::implementation_class_uid();
        m.implementation_version_name = Some(uid::implementation_version_name());
        m.update_information_group_length();
    });
}
