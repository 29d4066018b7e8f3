//! `[deid]` settings: the Table E.1-1 option columns, the date shift range, and the
//! safe-private allow-list.

use super::table::Opt;
use crate::core::error::{CoreError, Result};
use serde::{Deserialize, Serialize};

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
    /// Smallest date shift in days, in magnitude (shift is in [-max, -min] ∪ [min, max]): a
    /// shift of a day or two leaves the real dates nearly readable.
    pub min_shift_days: u32,
    /// Largest date shift in days.
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
            min_shift_days: 30,
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
pub(super) struct AllowRule {
    pub(super) group: u16,
    pub(super) offset: u8,
    pub(super) creator: String,
}

impl DeidSettings {
    pub(super) fn enabled(&self) -> [bool; Opt::COUNT] {
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
        let shifting = self.retain_long_modified_dates && !self.retain_long_full_dates;
        if shifting && self.min_shift_days == 0 {
            return Err(CoreError::Config(
                "[deid] min_shift_days must be at least 1 (a shift of 0 days keeps the real dates)"
                    .into(),
            ));
        }
        if shifting && self.min_shift_days > self.max_shift_days {
            return Err(CoreError::Config(format!(
                "[deid] min_shift_days ({}) must not be larger than max_shift_days ({})",
                self.min_shift_days, self.max_shift_days
            )));
        }
        Ok(())
    }

    pub(super) fn allow_rules(&self) -> Result<Vec<AllowRule>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
