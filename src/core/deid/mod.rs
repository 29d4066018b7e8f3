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
//!    bookkeeping, Pixel Data: see `iod::pixel_owned`) pass through, except those that can
//!    carry text: the ICC Profile and its Color Space are removed, and a text-VR pixel
//!    attribute is kept only as a code string (`iod::pixel_owned_clean`).
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
//!      except the short keep-list in `iod::text_kept` (Manufacturer, Model Name, Stage/View
//!      Name, whose values must not look like an identifier, and the Code Sequence Macro
//!      attributes, whose items then pass the code rule of `codes.rs`). Device descriptions
//!      that can name an individual device (Transducer Data, Processing Function) are kept
//!      only with Retain Device Identity (`iod::device_text`).
//!    - UN, OB, OW, OF, OD, OL, OV (not pixel-owned) → removed: their content cannot be
//!      inspected.
//!    - SQ → kept, items cleaned recursively.
//! 8. **Item rules** (`walker.rs`): every cleaned item that is a code item passes the code rule
//!    (`codes.rs`: standard or vocabulary terms only, with their standard meaning); a sequence
//!    that holds the HL7 v2 Hierarchic Designator Macro is removed whole (`hl7.rs`); a sequence
//!    left without items is removed (emptied when the IOD requires it).
//! 9. **UTC offsets**: Timezone Offset From UTC is removed unless full dates are kept, and then
//!    the `&ZZXX` suffix of every DT value is removed with it (`dates.rs`). With Retain Full
//!    Dates both are kept.
//!    - CS, IS, DS, AT and binary numbers (US, SS, UL, SL, UV, SV, FL, FD) → kept: coded terms
//!      and measurements (ultrasound region geometry lives here).
//!
//! # Files
//!
//! `walker.rs` (the walk, private elements, item rules), `actions.rs` (Table E.1-1 actions,
//! dummies per VR, dates, the VR backstop), `codes.rs` (code items), `hl7.rs`, `dates.rs`,
//! `iod.rs` (IOD Types, pixel-owned and kept attributes), `markers.rs` (markers, tags, file
//! meta), `laterality.rs` (the side tag wins), `charset.rs` (character sets of written text),
//! `settings.rs`, `table.rs` and the generated `annex_e.rs` and `dicom_codes.tsv`.

mod actions;
pub mod annex_e;
mod charset;
pub mod codes;
pub(crate) mod dates;
mod elems;
#[cfg(test)]
mod gen;
#[cfg(test)]
mod gen_codes;
mod hl7;
mod iod;
pub mod laterality;
mod markers;
mod settings;
pub mod table;
mod walker;

use crate::core::error::{CoreError, Result};
use crate::core::tags::{Code, TagValue};
use crate::core::uid::UidMapper;
use dicom_core::Tag;
use dicom_object::{FileDicomObject, InMemDicomObject};
use elems::*;
use serde::Serialize;
use std::collections::BTreeMap;
use walker::{DateMode, Walker};

pub use iod::{device_text, device_text_ok, pixel_owned, text_kept, text_kept_value, us_type};
pub use settings::{DeidSettings, PrivateAllow, PrivateSettings};

/// Tool name written into De-identification Method.
pub const TOOL_NAME: &str = "us-dicomizer";

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
    /// Decisions to show in the report and the UI (a laterality conflict resolved for the
    /// tag). Never a patient value.
    pub notes: Vec<String>,
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

/// De-identifies `obj` in place (data set at every depth and file meta), per `settings`, and
/// writes the de-identification markers and the file's tags. The codes of the file's own tags
/// count as known terms; see [`deidentify_with_vocabulary`] for the whole vocabulary.
pub fn deidentify(
    obj: &mut FileDicomObject<InMemDicomObject>,
    settings: &DeidSettings,
    ctx: &DeidContext,
) -> Result<DeidOutcome> {
    let vocab: Vec<Code> = ctx.tags.iter().filter_map(|t| t.code.clone()).collect();
    deidentify_with_vocabulary(obj, settings, ctx, &vocab)
}

/// [`deidentify`], with `vocabulary`: the codes of the tag vocabulary, known terms for the code
/// rule (`codes.rs`) besides the standard's. See the module documentation for the rules. Pixel
/// data and the Image Pixel module are left to the pixel pipeline.
pub fn deidentify_with_vocabulary(
    obj: &mut FileDicomObject<InMemDicomObject>,
    settings: &DeidSettings,
    ctx: &DeidContext,
    vocabulary: &[Code],
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

    let original_pid = get_str(obj, T_PATIENT_ID);
    let dates = if settings.retain_long_full_dates {
        DateMode::Keep
    } else if settings.retain_long_modified_dates {
        let basis = original_pid.as_deref().unwrap_or(ctx.pseudonym);
        DateMode::Shift(crate::core::key::date_shift_days(
            ctx.key,
            basis,
            settings.min_shift_days,
            settings.max_shift_days,
        ))
    } else {
        DateMode::Remove
    };

    let mut w = Walker {
        enabled,
        retain_uids: settings.retain_uids,
        retain_chars: settings.retain_patient_characteristics,
        retain_device: settings.retain_device_identity,
        keep_refs: settings.keep_references,
        dates,
        allow: &allow,
        uids: UidMapper::new(ctx.key),
        uid_map: BTreeMap::new(),
        pseudonym: ctx.pseudonym,
        vocab: vocabulary,
        charset: charset::Charset::of(obj),
        too_deep: 0,
    };

    let ds: &mut InMemDicomObject = obj;
    let taken = std::mem::replace(ds, InMemDicomObject::new_empty());
    *ds = w.clean(taken, 0);

    let codes_applied = markers::write_markers(ds, settings, ctx, &enabled, dates);
    let charset = std::mem::replace(&mut w.charset, charset::Charset::of(ds));
    let mut notes = markers::write_tags(ds, ctx, charset);
    if w.too_deep > 0 {
        notes.push(format!(
            "removed {} sequence(s) nested deeper than {} levels (de-identification depth limit)",
            w.too_deep,
            crate::core::dcm::MAX_NESTING
        ));
    }
    markers::update_meta(obj, settings.retain_uids, &mut |u| w.map_uid(u));

    Ok(DeidOutcome {
        codes_applied,
        date_shift_days: match dates {
            DateMode::Shift(d) => Some(d),
            _ => None,
        },
        uid_map: w.uid_map.into_iter().collect(),
        tags: ctx.tags.to_vec(),
        notes,
    })
}

/// [`deidentify_with_vocabulary`] with the `[deid]` part and the tag vocabulary of the full
/// settings (the export's entry point).
pub fn run_for_export(
    obj: &mut FileDicomObject<InMemDicomObject>,
    settings: &crate::core::settings::Settings,
    key: &[u8],
    pseudonym: &str,
    cropped: bool,
    crop_approved: bool,
    tags: &[TagValue],
) -> Result<DeidOutcome> {
    let mut vocab: Vec<Code> = settings
        .tags
        .lists
        .iter()
        .flat_map(|l| l.values.iter().filter_map(|v| v.code().cloned()))
        .collect();
    vocab.extend(tags.iter().filter_map(|t| t.code.clone()));
    deidentify_with_vocabulary(
        obj,
        &settings.deid,
        &DeidContext {
            key,
            pseudonym,
            cropped,
            crop_approved,
            tags,
        },
        &vocab,
    )
}

#[cfg(test)]
mod tests {
    use super::table::{Opt, A};
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
    fn pseudonym_rule() {
        assert!(valid_pseudonym("P01_x-2"));
        assert!(!valid_pseudonym(""));
        assert!(!valid_pseudonym("a b"));
        assert!(!valid_pseudonym("Müller"));
        assert!(!valid_pseudonym(&"a".repeat(65)));
    }
}
