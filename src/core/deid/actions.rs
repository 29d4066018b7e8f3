//! Actions per element: the Table E.1-1 action codes (option-resolved against the IOD
//! Types), dummies per VR, dates, and the VR backstop for attributes the table does not name.

use super::elems::*;
use super::table::A;
use super::walker::{DateMode, Walker};
use super::{codes, dates, iod};
use crate::core::uid;
use dicom_core::header::Header;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_object::mem::InMemElement;

impl Walker<'_> {
    /// A dummy (action D) consistent with the VR. A code sequence gets one dummy code item
    /// (Person Identification Code Sequence: never the original items).
    pub(super) fn dummy(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let tag = u32_tag(e.tag());
        let vr = e.vr();
        Some(match vr {
            VR::SQ if codes::holds_code_items(&e) => {
                return Some(seq_elem(tag, vec![codes::dummy_item()]));
            }
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
    pub(super) fn remove_iod(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        match if depth == 0 { iod::us_type(t) } else { 3 } {
            1 => self.dummy(e, depth),
            2 => Some(empty_elem(t, e.vr())),
            _ => None,
        }
    }

    pub(super) fn date_elem(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let vr = e.vr();
        match self.dates {
            DateMode::Keep => Some(e),
            DateMode::Remove => self.remove_iod(e, depth),
            DateMode::Shift(days) => {
                if vr == VR::TM {
                    return Some(e);
                }
                // Timezone Offset From UTC is not kept when dates are shifted (Table E.1-1
                // gives it C, and free text is removed): the `&ZZXX` suffix of DT values
                // goes with it, so one rule holds for both.
                let f = if vr == VR::DT {
                    dates::shift_dt_without_offset
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

    pub(super) fn apply(&mut self, action: A, e: InMemElement, depth: u32) -> Option<InMemElement> {
        let t = u32_tag(e.tag());
        let vr = e.vr();
        let ty = if depth == 0 { iod::us_type(t) } else { 3 };
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
    pub(super) fn fallback(&mut self, e: InMemElement, depth: u32) -> Option<InMemElement> {
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
                let value = elem_str(&e).unwrap_or_default();
                if iod::text_kept_value(t, &value, self.retain_device) {
                    Some(e)
                } else {
                    self.remove_iod(e, depth)
                }
            }
            vr if is_opaque_vr(vr) => self.remove_iod(e, depth),
            _ => Some(e),
        }
    }
}
