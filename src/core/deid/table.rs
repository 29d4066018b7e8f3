//! Types and lookups for the PS3.15 Table E.1-1 action table.
//!
//! The rows themselves live in [`super::annex_e`], a module generated from
//! `../shared/reference/ps3.15-annex-e.json` (see `gen.rs`); nothing in it is typed by hand.

use super::annex_e::{PATTERNS, PRIVATE_ATTRIBUTES, ROWS};

/// An action code of Table E.1-1 (PS3.15 E.1.1, "Action codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum A {
    /// Replace with a non-zero length dummy value consistent with the VR.
    D,
    /// Replace with a zero-length value.
    Z,
    /// Remove.
    X,
    /// Keep (sequences: keep, clean the items).
    K,
    /// Clean: replace with values of similar meaning known not to identify anyone.
    C,
    /// Replace with a consistent non-zero length UID.
    U,
    /// `Z/D`: Z unless D is required by the IOD (Type 2 vs Type 1).
    ZD,
    /// `X/Z`: X unless Z is required by the IOD (Type 3 vs Type 2).
    XZ,
    /// `X/D`: X unless D is required by the IOD (Type 3 vs Type 1).
    XD,
    /// `X/Z/D`: X unless Z or D is required by the IOD.
    XZD,
    /// `X/Z/U*`: X unless Z or replacement of the contained instance UIDs is required.
    XZU,
}

impl A {
    /// Parses the action text used in the JSON (`"X/Z/D"`, ...).
    pub fn parse(s: &str) -> Option<A> {
        Some(match s {
            "D" => A::D,
            "Z" => A::Z,
            "X" => A::X,
            "K" => A::K,
            "C" => A::C,
            "U" => A::U,
            "Z/D" => A::ZD,
            "X/Z" => A::XZ,
            "X/D" => A::XD,
            "X/Z/D" => A::XZD,
            "X/Z/U*" => A::XZU,
            _ => return None,
        })
    }
}

/// An option column of Table E.1-1. The discriminant indexes `[bool; Opt::COUNT]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opt {
    RetainSafePrivate = 0,
    RetainUids = 1,
    RetainDeviceIdentity = 2,
    RetainInstitutionIdentity = 3,
    RetainPatientCharacteristics = 4,
    RetainLongFullDates = 5,
    RetainLongModifiedDates = 6,
    CleanDescriptors = 7,
    CleanStructuredContent = 8,
    CleanGraphics = 9,
}

impl Opt {
    pub const COUNT: usize = 10;
    pub const ALL: [Opt; Opt::COUNT] = [
        Opt::RetainSafePrivate,
        Opt::RetainUids,
        Opt::RetainDeviceIdentity,
        Opt::RetainInstitutionIdentity,
        Opt::RetainPatientCharacteristics,
        Opt::RetainLongFullDates,
        Opt::RetainLongModifiedDates,
        Opt::CleanDescriptors,
        Opt::CleanStructuredContent,
        Opt::CleanGraphics,
    ];

    /// The JSON key (and settings key) of the column.
    pub fn key(self) -> &'static str {
        match self {
            Opt::RetainSafePrivate => "retain_safe_private",
            Opt::RetainUids => "retain_uids",
            Opt::RetainDeviceIdentity => "retain_device_identity",
            Opt::RetainInstitutionIdentity => "retain_institution_identity",
            Opt::RetainPatientCharacteristics => "retain_patient_characteristics",
            Opt::RetainLongFullDates => "retain_long_full_dates",
            Opt::RetainLongModifiedDates => "retain_long_modified_dates",
            Opt::CleanDescriptors => "clean_descriptors",
            Opt::CleanStructuredContent => "clean_structured_content",
            Opt::CleanGraphics => "clean_graphics",
        }
    }

    pub fn from_key(key: &str) -> Option<Opt> {
        Opt::ALL.into_iter().find(|o| o.key() == key)
    }
}

/// One row of Table E.1-1.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// `(group << 16) | element`; wildcard nibbles are 0.
    pub tag: u32,
    /// Which bits of a tag must equal `tag` (`0xFFFF_FFFF` for a single tag).
    pub mask: u32,
    pub keyword: &'static str,
    pub vr: &'static str,
    pub basic: A,
    /// Option cells that are not empty.
    pub options: &'static [(Opt, A)],
}

impl Row {
    /// The action for this row once the enabled options are applied.
    ///
    /// Precedence when several enabled options have a cell: `K` (retain) wins over `C` (clean),
    /// which wins over the basic action. So Retain Full Dates beats Retain Modified Dates.
    pub fn resolve(&self, enabled: &[bool; Opt::COUNT]) -> A {
        let mut eff = self.basic;
        let mut overridden = false;
        for &(opt, a) in self.options {
            if !enabled[opt as usize] {
                continue;
            }
            if a == A::K {
                return A::K;
            }
            if !overridden {
                eff = a;
                overridden = true;
            }
        }
        eff
    }
}

/// Finds the row for a public tag: exact rows by binary search, then the wildcard rows
/// (curves `50xx,xxxx`, overlays `60xx,3000` / `60xx,4000`). Private tags (odd groups) are
/// not looked up here: see [`private_row`].
#[inline]
pub fn lookup(tag: u32) -> Option<&'static Row> {
    if let Ok(i) = ROWS.binary_search_by_key(&tag, |r| r.tag) {
        return Some(&ROWS[i]);
    }
    let group = tag >> 16;
    if (0x5000..=0x60FF).contains(&group) {
        return PATTERNS.iter().find(|r| tag & r.mask == r.tag);
    }
    None
}

/// The `(GGGG,EEEE) where GGGG is odd` row.
pub fn private_row() -> &'static Row {
    &PRIVATE_ATTRIBUTES
}
