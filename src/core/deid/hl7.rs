//! HL7 v2 Hierarchic Designator Macro (PS3.3 Table 10-17): Local Namespace Entity ID
//! (0040,0031), Universal Entity ID (0040,0032), Universal Entity ID Type (0040,0033).
//!
//! The sequences that hold it (Issuer of Patient ID Qualifiers, Issuer of Accession Number,
//! Order Placer/Filler Identifier, Assigning Facility, ...) name the organisation that issued
//! an identifier. Cleaning their items attribute by attribute leaves a Universal Entity ID
//! Type without its ID, or an empty item, both IOD errors; and nothing in them is needed once
//! the identifier is gone. So such a sequence is removed whole (emptied where the IOD makes it
//! Type 2), at every depth, whatever action the table gives its attributes.

use dicom_core::value::Value;
use dicom_core::Tag;
use dicom_object::mem::InMemElement;

const MACRO: [Tag; 3] = [
    Tag(0x0040, 0x0031),
    Tag(0x0040, 0x0032),
    Tag(0x0040, 0x0033),
];

/// True for a sequence whose items carry the HL7 v2 Hierarchic Designator Macro.
pub fn is_designator_sequence(e: &InMemElement) -> bool {
    match e.value() {
        Value::Sequence(seq) => seq
            .items()
            .iter()
            .any(|item| MACRO.iter().any(|t| item.get(*t).is_some())),
        _ => false,
    }
}
