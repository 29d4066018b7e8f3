//! The walker: rebuilds a data set element by element at every depth, dispatching each
//! public element to Table E.1-1 (`actions.rs`) or the VR backstop, keeping allow-listed
//! private elements, and applying the item rules (code items, HL7 designator sequences).

use super::charset::Charset;
use super::elems::*;
use super::settings::AllowRule;
use super::table::{self, Opt};
use super::{codes, hl7, iod};
use crate::core::tags::Code;
use crate::core::uid::{self, UidMapper};
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;
use smallvec::SmallVec;
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum DateMode {
    Keep,
    Shift(i32),
    Remove,
}

pub(super) struct Walker<'a> {
    pub(super) enabled: [bool; Opt::COUNT],
    pub(super) retain_uids: bool,
    pub(super) retain_chars: bool,
    pub(super) retain_device: bool,
    pub(super) keep_refs: bool,
    pub(super) dates: DateMode,
    pub(super) allow: &'a [AllowRule],
    pub(super) uids: UidMapper,
    pub(super) uid_map: BTreeMap<String, String>,
    pub(super) pseudonym: &'a str,
    /// Codes of the tag vocabulary: known terms besides the standard's.
    pub(super) vocab: &'a [Code],
    /// The data set's character set (standard code meanings may be non-ASCII).
    pub(super) charset: Charset,
    /// Sequences removed because they sat deeper than `dcm::MAX_NESTING`.
    pub(super) too_deep: usize,
}

impl Walker<'_> {
    pub(super) fn map_uid(&mut self, value: &str) -> String {
        let mut out = String::with_capacity(48);
        for (i, part) in value.split('\\').enumerate() {
            if i > 0 {
                out.push('\\');
            }
            let part = part.trim_matches([' ', '\0']);
            if part.is_empty() || uid::is_standard_uid(part) {
                out.push_str(part);
                continue;
            }
            let new = match self.uid_map.get(part) {
                Some(n) => n.clone(),
                None => {
                    let n = self.uids.map(part);
                    self.uid_map.insert(part.to_string(), n.clone());
                    n
                }
            };
            out.push_str(&new);
        }
        out
    }

    pub(super) fn uid_elem(&mut self, e: InMemElement) -> InMemElement {
        let tag = u32_tag(e.tag());
        match elem_str(&e) {
            Some(s) => {
                let new = self.map_uid(&s);
                str_elem(tag, VR::UI, &new)
            }
            None => empty_elem(tag, VR::UI),
        }
    }

    /// Keeps a sequence and cleans its items. Code items that are not standard terms are
    /// dropped (`codes.rs`); a sequence left without items, and every HL7 v2 Hierarchic
    /// Designator sequence (`hl7.rs`), is removed whole, or emptied where the IOD needs it.
    pub(super) fn recurse(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let tag = u32_tag(e.tag());
        let required = depth == 0 && iod::us_type(tag) <= 2;
        if hl7::is_designator_sequence(&e) {
            return required.then(|| empty_elem(tag, VR::SQ));
        }
        // depth guard: items below the limit are not walked (nor kept: unchecked values
        // never reach an export)
        if depth + 1 > crate::core::dcm::MAX_NESTING {
            self.too_deep += 1;
            return None;
        }
        match e.into_value() {
            Value::Sequence(seq) => {
                let had_items = !seq.items().is_empty();
                let items: Vec<InMemDicomObject> = seq
                    .into_items()
                    .into_iter()
                    .filter_map(|it| {
                        let cleaned = self.clean(it, depth + 1);
                        codes::apply_rule(self, cleaned)
                    })
                    .collect();
                if had_items && items.is_empty() && !required {
                    return None;
                }
                Some(seq_elem(tag, items))
            }
            // An SQ-typed element without items (should not happen): drop it.
            _ => None,
        }
    }

    fn public(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        let group = t >> 16;
        if group == 0x0002 {
            return None;
        }
        if iod::pixel_owned(t) {
            return iod::pixel_owned_clean(e);
        }
        if (0x5000..=0x50FF).contains(&group) || (0x6000..=0x60FF).contains(&group) {
            return None;
        }
        if depth == 0 {
            match t {
                T_PATIENT_NAME => return Some(str_elem(t, VR::PN, self.pseudonym)),
                T_PATIENT_ID => return Some(str_elem(t, VR::LO, self.pseudonym)),
                T_IDENTITY_REMOVED | T_DEID_METHOD | T_DEID_CODES | T_LONGITUDINAL => return None,
                _ => {}
            }
        }
        match table::lookup(t) {
            Some(row) => {
                let a = row.resolve(&self.enabled);
                self.apply(a, e, depth)
            }
            None => self.fallback(e, depth),
        }
    }

    /// Cleans one data set (the top level, or an item at `depth` > 0).
    pub(super) fn clean(&mut self, obj: InMemDicomObject, depth: u32) -> InMemDicomObject {
        let mut out: Vec<InMemElement> = Vec::with_capacity(64);
        // (group, block, creator element) of private creators, and blocks with kept elements.
        let mut creators: SmallVec<[(u16, u8, InMemElement); 4]> = SmallVec::new();
        let mut kept_blocks: SmallVec<[(u16, u8); 4]> = SmallVec::new();
        for e in obj {
            let tag = e.tag();
            if tag.element() == 0x0000 {
                continue;
            }
            if tag.group() % 2 == 1 {
                if self.allow.is_empty() || tag.group() <= 0x0007 || tag.group() == 0xFFFF {
                    continue;
                }
                let el = tag.element();
                if (0x0010..=0x00FF).contains(&el) {
                    creators.push((tag.group(), el as u8, e));
                    continue;
                }
                if el < 0x1000 {
                    continue;
                }
                let block = (el >> 8) as u8;
                let offset = (el & 0xFF) as u8;
                let creator = creators
                    .iter()
                    .find(|(g, b, _)| *g == tag.group() && *b == block)
                    .and_then(|(_, _, c)| elem_str(c))
                    .map(|s| s.trim_matches([' ', '\0']).to_string());
                let Some(creator) = creator else { continue };
                let allowed = self
                    .allow
                    .iter()
                    .any(|r| r.group == tag.group() && r.offset == offset && r.creator == creator);
                if !allowed {
                    continue;
                }
                if !kept_blocks.contains(&(tag.group(), block)) {
                    kept_blocks.push((tag.group(), block));
                }
                if e.vr() == VR::SQ {
                    if let Some(x) = self.recurse(e, depth) {
                        out.push(x);
                    }
                } else {
                    out.push(e);
                }
                continue;
            }
            if let Some(x) = self.public(e, depth) {
                out.push(x);
            }
        }
        for (g, b, c) in creators {
            if kept_blocks.contains(&(g, b)) {
                out.push(c);
            }
        }
        InMemDicomObject::from_element_iter(out)
    }
}
