//! Tags the de-identification writes or recognises, and small element builders.

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;

pub(super) const T_PATIENT_NAME: u32 = 0x0010_0010;
pub(super) const T_PATIENT_ID: u32 = 0x0010_0020;
pub(super) const T_SOP_INSTANCE_UID: u32 = 0x0008_0018;
pub(super) const T_IDENTITY_REMOVED: u32 = 0x0012_0062;
pub(super) const T_DEID_METHOD: u32 = 0x0012_0063;
pub(super) const T_DEID_CODES: u32 = 0x0012_0064;
pub(super) const T_BURNED_IN: u32 = 0x0028_0301;
pub(super) const T_LONGITUDINAL: u32 = 0x0028_0303;
pub(super) const T_ANATOMIC_REGION: u32 = 0x0008_2218;
pub(super) const T_IMAGE_LATERALITY: u32 = 0x0020_0062;
pub(super) const T_LATERALITY: u32 = 0x0020_0060;
pub(super) const T_SPECIFIC_CHARSET: u32 = 0x0008_0005;

#[inline]
pub(super) fn u32_tag(t: Tag) -> u32 {
    ((t.group() as u32) << 16) | t.element() as u32
}

pub(super) fn tag_of(t: u32) -> Tag {
    Tag((t >> 16) as u16, (t & 0xFFFF) as u16)
}

pub(super) fn str_elem(tag: u32, vr: VR, s: &str) -> InMemElement {
    DataElement::new(tag_of(tag), vr, PrimitiveValue::from(s))
}

pub(super) fn empty_elem(tag: u32, vr: VR) -> InMemElement {
    if vr == VR::SQ {
        seq_elem(tag, Vec::new())
    } else {
        DataElement::new(tag_of(tag), vr, PrimitiveValue::Empty)
    }
}

pub(super) fn seq_elem(tag: u32, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(
        tag_of(tag),
        VR::SQ,
        DataSetSequence::new(items, Length::UNDEFINED),
    )
}

pub(super) fn elem_str(e: &InMemElement) -> Option<String> {
    match e.value() {
        Value::Primitive(p) => Some(p.to_str().into_owned()),
        _ => None,
    }
}

/// The trimmed string value of `tag` in `obj`, if present and not empty.
pub(super) fn get_str(obj: &InMemDicomObject, tag: u32) -> Option<String> {
    obj.get(tag_of(tag))
        .and_then(elem_str)
        .map(|s| s.trim_matches([' ', '\0']).to_string())
        .filter(|s| !s.is_empty())
}

pub(super) fn is_text_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::AE | VR::UR
    )
}

pub(super) fn is_opaque_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::UN | VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV
    )
}
