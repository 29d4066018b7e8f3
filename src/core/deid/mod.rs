//! De-identification to DICOM PS3.15 Annex E (Basic Application Level Confidentiality Profile
//! and every option column of Table E.1-1), for the US Image and US Multi-frame Image IODs.
//!
//! # What happens to each element
//!
//! [`deidentify`] rebuilds the data set at every depth (items of every kept sequence, private
//! sequences included) and the file meta group. For each element, in this order:
//!
//! 1. **Group lengths** `(gggg,0000)` are removed (stale after editing); group 0002 elements found
//!    inside the data set are removed (they belong in the file meta only).
//! 2. **Private elements** (odd groups) are removed, with their creators. Only when
//!    `retain_safe_private = true` are the elements listed in `[deid.private] allow` kept,
//!    matched by (group, private creator, element offset), together with their creator element;
//!    they are kept verbatim (items of a kept private sequence are cleaned like any item).
//! 3. **Pixel-owned attributes** (Image Pixel module, LUT descriptors and data, compression
//!    bookkeeping, Pixel Data: see `iod::pixel_owned`) pass through untouched.
//! 4. **Overlays and curves**: every element of the repeating groups `60xx` and `50xx` is
//!    removed (Table E.1-1 removes Overlay Data/Comments and Curve Data; an overlay without its
//!    data is invalid, and bitmaps cannot be "cleaned", so Clean Graphics does not keep them).
//! 5. At the top level, Patient's Name and Patient ID become the pseudonym; the markers written
//!    at the end ((0012,0062-0064), (0028,0303)) are dropped from the input.
//! 6. **Table E.1-1** (generated from the companion JSON, see `gen.rs`): the basic action, or
//!    the enabled option's cell (`K` beats `C` beats basic). Combined codes are resolved with the
//!    US IOD attribute Types (top level only; nested items resolve to X or Z): Type 1 → D,
//!    Type 2 → Z, Type 3 → X. A plain `X` or `Z` on a present Type 1/2 attribute is also turned
//!    into D/Z so the output stays a valid US IOD. `X/Z/U*` sequences (Referenced Image,
//!    Source Image) are kept with their UIDs remapped when `keep_references = true` (default),
//!    removed otherwise.
//!    - `D` writes a dummy consistent with the VR (`ANONYMIZED`, `ANONYMOUS`, `19000101`,
//!      `000000`, `0`, a mapped UID); sequences with D or C are kept and their items cleaned.
//!    - `C` on DA/DT shifts the date (Retain Modified Dates); on TM keeps the time of day (a
//!      whole-day shift does not change it); on UI maps; on a sequence cleans its items. Free
//!      text cannot be proved clean, so `C` on any other VR is treated as removal (emptied or
//!      dummy when the IOD needs the attribute).
//!    - `U` maps UIDs (see [`crate::core::uid`]); standard `1.2.840.10008.*` values are kept.
//! 7. **Fallback for public attributes the table does not name** (the VR backstop):
//!    - PN → emptied.
//!    - DA, DT → shifted (Retain Modified Dates), kept (Retain Full Dates) or removed (emptied
//!      when Type 2 in the IOD); TM → kept when dates are shifted or kept, else removed.
//!      A value that cannot be parsed as a full date is removed (or emptied).
//!    - UI → mapped, except class UIDs (`uid::is_class_uid_tag`) and `retain_uids`.
//!    - AS → removed unless `retain_patient_characteristics`.
//!    - LO, SH, LT, ST, UT, UC, AE, UR → **removed** (emptied or dummy when the IOD needs them),
//!      except the short keep-list in `iod::text_kept` (Manufacturer, Model Name, Transducer
//!      Data, Processing Function, Stage/View Name and the Code Sequence Macro attributes).
//!    - UN, OB, OW, OF, OD, OL, OV (not pixel-owned) → removed: their content cannot be
//!      inspected.
//!    - SQ → kept, items cleaned recursively.
//!    - CS, IS, DS, AT and binary numbers (US, SS, UL, SL, UV, SV, FL, FD) → kept: coded terms
//!      and measurements (ultrasound region geometry lives here).
//!
//! # File meta
//!
//! Media Storage SOP Instance UID := the new SOP Instance UID; Source, Sending and Receiving AE
//! Titles (0002,0016-0018) and the private information (0002,0100/0102) removed;
//! Implementation Class UID and Version Name set to ours; group length recomputed.
//!
//! # Markers
//!
//! Patient Identity Removed = YES; De-identification Method (tool, version, table revision,
//! options); De-identification Method Code Sequence (CID 7050, scheme DCM) with 113100, the
//! options in effect and 113101 when the pixels were cleaned (`ctx.cropped`); Longitudinal
//! Temporal Information Modified = MODIFIED / UNMODIFIED / REMOVED; Burned In Annotation = NO
//! only when `ctx.crop_approved` (otherwise the input's value stays). Tags: a coded position goes
//! to Anatomic Region Sequence (0008,2218), a side to Image Laterality (0020,0062).
//!
//! Replacement text is ASCII (the pseudonym is checked); a non-ASCII code meaning from the
//! vocabulary switches the data set to UTF-8 (ISO_IR 192), except for ISO 2022 data sets, where
//! non-ASCII characters are replaced by `?` (dicom-rs cannot re-encode ISO 2022 text).

pub mod annex_e;
mod dates;
#[cfg(test)]
mod gen;
mod iod;
pub mod table;

use crate::core::error::{CoreError, Result};
use crate::core::tags::{TagTarget, TagValue};
use crate::core::uid::{self, UidMapper};
use dicom_core::header::Header;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_object::mem::InMemElement;
use dicom_object::{FileDicomObject, InMemDicomObject};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::BTreeMap;
use table::{Opt, A};

pub use iod::{pixel_owned, text_kept, us_type};

/// Tool name written into De-identification Method.
pub const TOOL_NAME: &str = "us-dicomizer";

/// `[deid]` settings. Every Table E.1-1 option column is a bool; defaults are the basic profile
/// with Retain Longitudinal Temporal Information Modified Dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeidSettings {
    /// Retain Safe Private Option (113111): keep the private elements of `[deid.private] allow`.
    pub retain_safe_private: bool,
    /// Retain UIDs Option (113110): keep original UIDs (links the export to the source PACS).
    pub retain_uids: bool,
    /// Retain Device Identity Option (113109): serial numbers, station names, device UIDs.
    pub retain_device_identity: bool,
    /// Retain Institution Identity Option (113112).
    pub retain_institution_identity: bool,
    /// Retain Patient Characteristics Option (113108): sex, age, size, weight...
    pub retain_patient_characteristics: bool,
    /// Retain Longitudinal Temporal Information Full Dates Option (113106): dates unchanged.
    pub retain_long_full_dates: bool,
    /// Retain Longitudinal Temporal Information Modified Dates Option (113107): dates shifted
    /// by a keyed per-patient offset.
    pub retain_long_modified_dates: bool,
    /// Clean Descriptors Option (113105): descriptor code sequences kept and cleaned; free-text
    /// descriptors are still removed.
    pub clean_descriptors: bool,
    /// Clean Structured Content Option (113104).
    pub clean_structured_content: bool,
    /// Clean Graphics Option (113103).
    pub clean_graphics: bool,
    /// Largest date shift in days (shift is in [-max, -1] ∪ [1, max]).
    pub max_shift_days: u32,
    /// Keep Referenced/Source Image Sequences (X/Z/U*) with remapped UIDs.
    pub keep_references: bool,
    /// Path of the project key; empty/absent = `<config dir>/deid.key`, created once.
    pub key_file: Option<String>,
    /// What to do when the key file is open to group or others: "warn" or "refuse".
    pub key_permissions: crate::core::key::KeyPermissions,
    /// `[deid.private]`.
    pub private: PrivateSettings,
}

impl Default for DeidSettings {
    fn default() -> Self {
        DeidSettings {
            retain_safe_private: false,
            retain_uids: false,
            retain_device_identity: false,
            retain_institution_identity: false,
            retain_patient_characteristics: false,
            retain_long_full_dates: false,
            retain_long_modified_dates: true,
            clean_descriptors: false,
            clean_structured_content: false,
            clean_graphics: false,
            max_shift_days: 365,
            keep_references: true,
            key_file: None,
            key_permissions: crate::core::key::KeyPermissions::Warn,
            private: PrivateSettings::default(),
        }
    }
}

/// `[deid.private]`: the safe-private allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivateSettings {
    pub allow: Vec<PrivateAllow>,
}

/// One allowed private element: creator string and `"gggg,xxee"` (odd group, element offset
/// within the creator's block), as in PS3.15 Table E.3.10-1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateAllow {
    pub creator: String,
    pub element: String,
}

#[derive(Debug, Clone)]
struct AllowRule {
    group: u16,
    offset: u8,
    creator: String,
}

impl DeidSettings {
    fn enabled(&self) -> [bool; Opt::COUNT] {
        let mut e = [false; Opt::COUNT];
        e[Opt::RetainSafePrivate as usize] = self.retain_safe_private;
        e[Opt::RetainUids as usize] = self.retain_uids;
        e[Opt::RetainDeviceIdentity as usize] = self.retain_device_identity;
        e[Opt::RetainInstitutionIdentity as usize] = self.retain_institution_identity;
        e[Opt::RetainPatientCharacteristics as usize] = self.retain_patient_characteristics;
        e[Opt::RetainLongFullDates as usize] = self.retain_long_full_dates;
        e[Opt::RetainLongModifiedDates as usize] =
            self.retain_long_modified_dates && !self.retain_long_full_dates;
        e[Opt::CleanDescriptors as usize] = self.clean_descriptors;
        e[Opt::CleanStructuredContent as usize] = self.clean_structured_content;
        e[Opt::CleanGraphics as usize] = self.clean_graphics;
        e
    }

    /// Checks the settings (allow-list syntax, shift range). Called by [`deidentify`] too.
    pub fn validate(&self) -> Result<()> {
        self.allow_rules().map(|_| ())?;
        if self.retain_long_modified_dates
            && !self.retain_long_full_dates
            && self.max_shift_days == 0
        {
            return Err(CoreError::Config(
                "[deid] max_shift_days must be at least 1".into(),
            ));
        }
        if self.max_shift_days > 36_500 {
            return Err(CoreError::Config(
                "[deid] max_shift_days must be at most 36500".into(),
            ));
        }
        Ok(())
    }

    fn allow_rules(&self) -> Result<Vec<AllowRule>> {
        if !self.private.allow.is_empty() && !self.retain_safe_private {
            return Err(CoreError::Config(
                "[deid.private] allow is set but [deid] retain_safe_private = false; set it to true to keep those private elements".into(),
            ));
        }
        self.private
            .allow
            .iter()
            .map(|a| {
                let bad = || {
                    CoreError::Config(format!(
                        "[deid.private] allow: element {:?} must look like \"0019,xx0C\" (odd group, xx, 2-digit offset)",
                        a.element
                    ))
                };
                let e = a.element.trim().trim_start_matches('(').trim_end_matches(')');
                let (g, el) = e.split_once(',').ok_or_else(bad)?;
                let group = u16::from_str_radix(g.trim(), 16).map_err(|_| bad())?;
                let el = el.trim();
                if el.len() != 4 || !el[..2].eq_ignore_ascii_case("xx") {
                    return Err(bad());
                }
                let offset = u8::from_str_radix(&el[2..], 16).map_err(|_| bad())?;
                if group % 2 == 0 || group <= 0x0007 || group == 0xFFFF {
                    return Err(bad());
                }
                let creator = a.creator.trim().to_string();
                if creator.is_empty() {
                    return Err(CoreError::Config("[deid.private] allow: empty creator".into()));
                }
                Ok(AllowRule {
                    group,
                    offset,
                    creator,
                })
            })
            .collect()
    }
}

/// Per-file inputs of [`deidentify`].
#[derive(Debug, Clone, Copy)]
pub struct DeidContext<'a> {
    /// The project key (UID mapping and date shifts).
    pub key: &'a [u8],
    /// Written as Patient's Name and Patient ID: `[A-Za-z0-9_-]`, 1 to 64 characters.
    pub pseudonym: &'a str,
    /// The pixels were cleaned (cropped to the image region): adds code 113101.
    pub cropped: bool,
    /// The user set or approved the crop: Burned In Annotation = NO.
    pub crop_approved: bool,
    /// The file's tags, resolved against the vocabulary.
    pub tags: &'a [TagValue],
}

/// What [`deidentify`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeidOutcome {
    /// CID 7050 code values written into (0012,0064), 113100 first.
    pub codes_applied: Vec<String>,
    /// The date offset applied, when dates were shifted.
    pub date_shift_days: Option<i32>,
    /// Original → new UIDs met in this file (sorted, unique), for the private mapping file.
    pub uid_map: Vec<(String, String)>,
    /// The tags written (for the manifest).
    pub tags: Vec<TagValue>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DateMode {
    Keep,
    Shift(i32),
    Remove,
}

/// True when the pseudonym can be written as PN and LO and used in entry names.
pub fn valid_pseudonym(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Burned-in text risk for the export gate: Burned In Annotation (0028,0301) is YES, or it is
/// absent/unknown on an ultrasound or secondary-capture object ("may have"). Only an explicit
/// NO is safe.
pub fn burned_in_risk(obj: &InMemDicomObject) -> bool {
    let value = |t: Tag| {
        obj.get(t)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_matches([' ', '\0']).to_ascii_uppercase())
    };
    match value(Tag(0x0028, 0x0301)).as_deref() {
        Some("NO") => false,
        Some("YES") => true,
        _ => {
            let modality = value(Tag(0x0008, 0x0060)).unwrap_or_default();
            let class = value(Tag(0x0008, 0x0016)).unwrap_or_default();
            modality == "US"
                || modality == "IVUS"
                || class.starts_with("1.2.840.10008.5.1.4.1.1.6.")
                || class.starts_with("1.2.840.10008.5.1.4.1.1.3.")
                || class.starts_with("1.2.840.10008.5.1.4.1.1.7")
        }
    }
}

struct Walker<'a> {
    enabled: [bool; Opt::COUNT],
    retain_uids: bool,
    retain_chars: bool,
    keep_refs: bool,
    dates: DateMode,
    allow: &'a [AllowRule],
    uids: UidMapper,
    uid_map: BTreeMap<String, String>,
    pseudonym: &'a str,
}

const T_PATIENT_NAME: u32 = 0x0010_0010;
const T_PATIENT_ID: u32 = 0x0010_0020;
const T_SOP_INSTANCE_UID: u32 = 0x0008_0018;
const T_IDENTITY_REMOVED: u32 = 0x0012_0062;
const T_DEID_METHOD: u32 = 0x0012_0063;
const T_DEID_CODES: u32 = 0x0012_0064;
const T_BURNED_IN: u32 = 0x0028_0301;
const T_LONGITUDINAL: u32 = 0x0028_0303;
const T_ANATOMIC_REGION: u32 = 0x0008_2218;
const T_IMAGE_LATERALITY: u32 = 0x0020_0062;
const T_SPECIFIC_CHARSET: u32 = 0x0008_0005;

#[inline]
fn u32_tag(t: Tag) -> u32 {
    ((t.group() as u32) << 16) | t.element() as u32
}

fn tag_of(t: u32) -> Tag {
    Tag((t >> 16) as u16, (t & 0xFFFF) as u16)
}

fn str_elem(tag: u32, vr: VR, s: &str) -> InMemElement {
    DataElement::new(tag_of(tag), vr, PrimitiveValue::from(s))
}

fn empty_elem(tag: u32, vr: VR) -> InMemElement {
    if vr == VR::SQ {
        DataElement::new(
            tag_of(tag),
            VR::SQ,
            DataSetSequence::<InMemDicomObject>::new(Vec::new(), Length::UNDEFINED),
        )
    } else {
        DataElement::new(tag_of(tag), vr, PrimitiveValue::Empty)
    }
}

fn seq_elem(tag: u32, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(
        tag_of(tag),
        VR::SQ,
        DataSetSequence::new(items, Length::UNDEFINED),
    )
}

fn elem_str(e: &InMemElement) -> Option<String> {
    match e.value() {
        Value::Primitive(p) => Some(p.to_str().into_owned()),
        _ => None,
    }
}

fn is_text_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::AE | VR::UR
    )
}

fn is_opaque_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::UN | VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV
    )
}

impl Walker<'_> {
    fn map_uid(&mut self, value: &str) -> String {
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

    fn uid_elem(&mut self, e: InMemElement) -> InMemElement {
        let tag = u32_tag(e.tag());
        match elem_str(&e) {
            Some(s) => {
                let new = self.map_uid(&s);
                str_elem(tag, VR::UI, &new)
            }
            None => empty_elem(tag, VR::UI),
        }
    }

    /// A dummy (action D) consistent with the VR.
    fn dummy(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let tag = u32_tag(e.tag());
        let vr = e.vr();
        Some(match vr {
            VR::SQ => return self.recurse(e, depth),
            VR::UI => return Some(self.uid_elem(e)),
            VR::PN => str_elem(tag, vr, "ANONYMOUS"),
            VR::AE => str_elem(tag, vr, "ANONYMOUS"),
            VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::CS => {
                str_elem(tag, vr, "ANONYMIZED")
            }
            VR::DA => str_elem(tag, vr, "19000101"),
            VR::TM => str_elem(tag, vr, "000000"),
            VR::DT => str_elem(tag, vr, "19000101000000"),
            VR::AS => str_elem(tag, vr, "000D"),
            VR::IS | VR::DS => str_elem(tag, vr, "0"),
            VR::US => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0u16)),
            VR::SS => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0i16)),
            VR::UL => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0u32)),
            VR::SL => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0i32)),
            VR::FL => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0f32)),
            VR::FD => DataElement::new(tag_of(tag), vr, PrimitiveValue::from(0f64)),
            _ => empty_elem(tag, vr),
        })
    }

    /// Removal that respects the IOD: Type 1 → dummy, Type 2 → empty, else removed.
    fn remove_iod(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        match if depth == 0 { us_type(t) } else { 3 } {
            1 => self.dummy(e, depth),
            2 => Some(empty_elem(t, e.vr())),
            _ => None,
        }
    }

    fn date_elem(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let vr = e.vr();
        match self.dates {
            DateMode::Keep => Some(e),
            DateMode::Remove => self.remove_iod(e, depth),
            DateMode::Shift(days) => {
                if vr == VR::TM {
                    return Some(e);
                }
                let f = if vr == VR::DT {
                    dates::shift_dt
                } else {
                    dates::shift_da
                };
                let shifted = elem_str(&e).and_then(|s| dates::shift_multi(&s, days, f));
                match shifted {
                    Some(s) => Some(str_elem(u32_tag(e.tag()), vr, &s)),
                    None => self.remove_iod(e, depth),
                }
            }
        }
    }

    fn recurse(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let tag = u32_tag(e.tag());
        match e.into_value() {
            Value::Sequence(seq) => {
                let items: Vec<InMemDicomObject> = seq
                    .into_items()
                    .into_iter()
                    .map(|it| self.clean(it, depth + 1))
                    .collect();
                Some(seq_elem(tag, items))
            }
            // An SQ-typed element without items (should not happen): drop it.
            _ => None,
        }
    }

    /// Applies a Table E.1-1 action (already option-resolved) to an element.
    fn apply(&mut self, action: A, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        let vr = e.vr();
        let ty = if depth == 0 { us_type(t) } else { 3 };
        let action = match action {
            A::ZD => {
                if ty == 1 {
                    A::D
                } else {
                    A::Z
                }
            }
            A::XZ => {
                if ty <= 2 {
                    A::Z
                } else {
                    A::X
                }
            }
            A::XD => {
                if ty == 1 {
                    A::D
                } else {
                    A::X
                }
            }
            A::XZD => match ty {
                1 => A::D,
                2 => A::Z,
                _ => A::X,
            },
            A::XZU => {
                if self.keep_refs || ty <= 2 {
                    A::U
                } else {
                    A::X
                }
            }
            A::X if ty == 1 => A::D,
            A::X if ty == 2 => A::Z,
            A::Z if ty == 1 => A::D,
            a => a,
        };
        match action {
            A::X => None,
            A::Z => Some(empty_elem(t, vr)),
            A::D => self.dummy(e, depth),
            A::K => {
                if vr == VR::SQ {
                    self.recurse(e, depth)
                } else {
                    Some(e)
                }
            }
            A::U => match vr {
                VR::UI => Some(self.uid_elem(e)),
                VR::SQ => self.recurse(e, depth),
                _ => self.dummy(e, depth),
            },
            A::C => match vr {
                VR::SQ => self.recurse(e, depth),
                VR::DA | VR::DT | VR::TM => self.date_elem(e, depth),
                VR::UI => Some(self.uid_elem(e)),
                _ => self.remove_iod(e, depth),
            },
            // Combined codes were resolved above.
            _ => None,
        }
    }

    /// The VR backstop for public attributes that Table E.1-1 does not name.
    fn fallback(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        match e.vr() {
            VR::SQ => self.recurse(e, depth),
            VR::PN => Some(empty_elem(t, VR::PN)),
            VR::DA | VR::DT | VR::TM => self.date_elem(e, depth),
            VR::UI => {
                if self.retain_uids || uid::is_class_uid_tag(t) {
                    Some(e)
                } else {
                    Some(self.uid_elem(e))
                }
            }
            VR::AS => {
                if self.retain_chars {
                    Some(e)
                } else {
                    self.remove_iod(e, depth)
                }
            }
            vr if is_text_vr(vr) => {
                if iod::text_kept(t) {
                    Some(e)
                } else {
                    self.remove_iod(e, depth)
                }
            }
            vr if is_opaque_vr(vr) => self.remove_iod(e, depth),
            _ => Some(e),
        }
    }

    fn public(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        let group = t >> 16;
        if group == 0x0002 {
            return None;
        }
        if iod::pixel_owned(t) {
            return Some(e);
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
    fn clean(&mut self, obj: InMemDicomObject, depth: u32) -> InMemDicomObject {
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

fn option_meaning(o: Opt) -> (&'static str, &'static str) {
    annex_e::OPTION_CODES
        .iter()
        .find(|(x, _, _)| *x == o)
        .map(|(_, c, m)| (*c, *m))
        .expect("every option column has a CID 7050 code")
}

fn code_item(value: &str, scheme: &str, meaning: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(Tag(0x0008, 0x0100), VR::SH, PrimitiveValue::from(value)),
        DataElement::new(Tag(0x0008, 0x0102), VR::SH, PrimitiveValue::from(scheme)),
        DataElement::new(Tag(0x0008, 0x0104), VR::LO, PrimitiveValue::from(meaning)),
    ])
}

/// De-identifies `obj` in place (data set at every depth and file meta), per `settings`, and
/// writes the de-identification markers and the file's tags. See the module documentation for
/// the exact rules. Pixel data and the Image Pixel module are left to the pixel pipeline.
pub fn deidentify(
    obj: &mut FileDicomObject<InMemDicomObject>,
    settings: &DeidSettings,
    ctx: &DeidContext,
) -> Result<DeidOutcome> {
    if ctx.key.is_empty() {
        return Err(CoreError::Invalid("empty de-identification key".into()));
    }
    if !valid_pseudonym(ctx.pseudonym) {
        return Err(CoreError::Invalid(
            "the pseudonym must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'".into(),
        ));
    }
    settings.validate()?;
    let allow = if settings.retain_safe_private {
        settings.allow_rules()?
    } else {
        Vec::new()
    };
    let enabled = settings.enabled();

    let original_pid = obj
        .get(tag_of(T_PATIENT_ID))
        .and_then(elem_str)
        .map(|s| s.trim_matches([' ', '\0']).to_string())
        .filter(|s| !s.is_empty());
    let dates = if settings.retain_long_full_dates {
        DateMode::Keep
    } else if settings.retain_long_modified_dates {
        let basis = original_pid.as_deref().unwrap_or(ctx.pseudonym);
        DateMode::Shift(crate::core::key::date_shift_days(
            ctx.key,
            basis,
            settings.max_shift_days,
        ))
    } else {
        DateMode::Remove
    };

    let mut w = Walker {
        enabled,
        retain_uids: settings.retain_uids,
        retain_chars: settings.retain_patient_characteristics,
        keep_refs: settings.keep_references,
        dates,
        allow: &allow,
        uids: UidMapper::new(ctx.key),
        uid_map: BTreeMap::new(),
        pseudonym: ctx.pseudonym,
    };

    let ds: &mut InMemDicomObject = obj;
    let taken = std::mem::replace(ds, InMemDicomObject::new_empty());
    *ds = w.clean(taken, 0);

    // ---- markers ----
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
            "dates shifted by a keyed per-patient offset, max {} days",
            settings.max_shift_days
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

    // ---- tags ----
    let charset = ds
        .get(tag_of(T_SPECIFIC_CHARSET))
        .and_then(elem_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let iso2022 = charset.contains("2022");
    let utf8 = charset.contains("ISO_IR 192") || charset.contains("GB18030");
    let mut need_utf8 = false;
    let mut fold = |s: &str| -> String {
        if s.is_ascii() {
            s.to_string()
        } else if iso2022 {
            s.chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect()
        } else {
            need_utf8 |= !utf8;
            s.to_string()
        }
    };
    let mut region: Option<InMemDicomObject> = None;
    let mut laterality: Option<String> = None;
    for t in ctx.tags {
        match t.target {
            TagTarget::AnatomicRegion => {
                if let Some(c) = &t.code {
                    region = Some(code_item(
                        &fold(&c.value),
                        &fold(&c.scheme),
                        &fold(&c.meaning),
                    ));
                }
            }
            TagTarget::Laterality => {
                let v = t.value.trim().to_ascii_uppercase();
                if matches!(v.as_str(), "R" | "L" | "U" | "B") {
                    laterality = Some(v);
                }
            }
            TagTarget::None => {}
        }
    }
    if need_utf8 {
        ds.convert_to_utf8();
    }
    if let Some(item) = region {
        ds.put(seq_elem(T_ANATOMIC_REGION, vec![item]));
    }
    if let Some(l) = laterality {
        ds.put(str_elem(T_IMAGE_LATERALITY, VR::CS, &l));
        // Laterality (0020,0060) is Type 2C: required only when Image Laterality is absent.
        // An empty one left beside Image Laterality is an IOD error.
        let series_laterality = tag_of(0x0020_0060);
        if ds
            .get(series_laterality)
            .map(|e| e.to_str().map(|s| s.trim().is_empty()).unwrap_or(true))
            .unwrap_or(false)
        {
            ds.remove_element(series_laterality);
        }
    }

    // ---- file meta ----
    let new_sop = ds.get(tag_of(T_SOP_INSTANCE_UID)).and_then(elem_str);
    let meta_sop = obj
        .meta()
        .media_storage_sop_instance_uid
        .trim_matches([' ', '\0'])
        .to_string();
    let new_meta_sop = match new_sop {
        Some(s) if !s.trim_matches([' ', '\0']).is_empty() => {
            s.trim_matches([' ', '\0']).to_string()
        }
        _ => {
            if settings.retain_uids {
                meta_sop
            } else {
                w.map_uid(&meta_sop)
            }
        }
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

    Ok(DeidOutcome {
        codes_applied: codes.into_iter().map(|(c, _)| c).collect(),
        date_shift_days: match dates {
            DateMode::Shift(d) => Some(d),
            _ => None,
        },
        uid_map: w.uid_map.into_iter().collect(),
        tags: ctx.tags.to_vec(),
    })
}

/// [`deidentify`] with the `[deid]` part of the full settings (the export's entry point).
pub fn run_for_export(
    obj: &mut FileDicomObject<InMemDicomObject>,
    settings: &crate::core::settings::Settings,
    key: &[u8],
    pseudonym: &str,
    cropped: bool,
    crop_approved: bool,
    tags: &[TagValue],
) -> Result<DeidOutcome> {
    deidentify(
        obj,
        &settings.deid,
        &DeidContext {
            key,
            pseudonym,
            cropped,
            crop_approved,
            tags,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookup_and_resolution() {
        assert_eq!(annex_e::ROW_COUNT, 621);
        let pn = table::lookup(0x0010_0010).unwrap();
        assert_eq!(pn.keyword, "PatientName");
        assert_eq!(pn.basic, A::Z);
        let sd = table::lookup(0x0008_0020).unwrap();
        let mut en = [false; Opt::COUNT];
        assert_eq!(sd.resolve(&en), A::Z);
        en[Opt::RetainLongModifiedDates as usize] = true;
        assert_eq!(sd.resolve(&en), A::C);
        en[Opt::RetainLongFullDates as usize] = true;
        assert_eq!(sd.resolve(&en), A::K);
        assert_eq!(table::lookup(0x6002_3000).unwrap().keyword, "OverlayData");
        assert_eq!(table::lookup(0x5010_1234).unwrap().basic, A::X);
        assert!(table::lookup(0x0028_0010).is_none());
        assert_eq!(table::private_row().basic, A::X);
        // the generated rows are sorted (binary search precondition)
        assert!(annex_e::ROWS.windows(2).all(|w| w[0].tag < w[1].tag));
    }

    #[test]
    fn settings_parse_and_validate() {
        #[derive(Deserialize)]
        struct S {
            deid: DeidSettings,
        }
        let s: S = toml::from_str(
            "[deid]\nretain_safe_private = true\n[deid.private]\nallow = [ { creator = \"ACME 1.1\", element = \"0019,xx0C\" } ]\n",
        )
        .unwrap();
        let r = s.deid.allow_rules().unwrap();
        assert_eq!((r[0].group, r[0].offset), (0x0019, 0x0C));
        assert!(s.deid.retain_long_modified_dates);
        let bad: std::result::Result<S, _> = toml::from_str("[deid]\nretain_everything = true\n");
        assert!(bad.is_err());
        let mut d = DeidSettings::default();
        d.private.allow.push(PrivateAllow {
            creator: "X".into(),
            element: "0019,xx0C".into(),
        });
        assert!(
            d.validate().is_err(),
            "allow-list without retain_safe_private"
        );
        d.retain_safe_private = true;
        d.private.allow[0].element = "0018,xx0C".into();
        assert!(d.validate().is_err(), "even group");
    }

    #[test]
    fn pseudonym_rule() {
        assert!(valid_pseudonym("P01_x-2"));
        assert!(!valid_pseudonym(""));
        assert!(!valid_pseudonym("a b"));
        assert!(!valid_pseudonym("Müller"));
        assert!(!valid_pseudonym(&"a".repeat(65)));
    }
}
