//! A generated sentinel exam: every place where identity hides carries a unique `ZZ…` value,
//! a distinctive date (20990102, 19010203) or a UID under the `…111111` root.
#![allow(dead_code)]

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};

pub const UID_ROOT: &str = "1.2.826.0.1.3680043.9.111111";
pub const US_MF: &str = "1.2.840.10008.5.1.4.1.1.3.1";

/// Byte strings that must not survive de-identification.
pub const SENTINELS: &[&str] = &[
    "ZZ", "zz", "Zz", "111111", "20990102", "19010203", "MÜLLER", "Ünal",
];

fn el(g: u16, e: u16, vr: VR, v: impl Into<PrimitiveValue>) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(g, e), vr, v.into())
}

fn sq(g: u16, e: u16, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        Tag(g, e),
        VR::SQ,
        DataSetSequence::new(items, Length::UNDEFINED),
    )
}

fn obj(elems: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elems)
}

pub fn pixel_bytes() -> Vec<u8> {
    (0..256u32).map(|i| (i % 50) as u8 + 100).collect() // no ASCII letters or digits
}

/// Sentinel file number `n` (1 or 2) of one study/series. File 2 references file 1.
pub fn sentinel_file(n: u32) -> FileDicomObject<InMemDicomObject> {
    let sop = format!("{UID_ROOT}.1.{n}");
    let mut e = vec![
        el(0x0008, 0x0000, VR::UL, 1234u32), // stale group length
        el(
            0x0008,
            0x0005,
            VR::CS,
            if n == 2 { "ISO_IR 192" } else { "ISO_IR 100" },
        ),
        el(0x0008, 0x0008, VR::CS, "ORIGINAL\\PRIMARY"),
        el(0x0008, 0x0012, VR::DA, "20990102"),
        el(0x0008, 0x0013, VR::TM, "101530"),
        el(0x0008, 0x0016, VR::UI, US_MF),
        el(0x0008, 0x0018, VR::UI, sop.as_str()),
        el(0x0008, 0x0020, VR::DA, "20990102"),
        el(0x0008, 0x0021, VR::DA, "19010203"),
        el(0x0008, 0x0023, VR::DA, "20990102"),
        el(0x0008, 0x002A, VR::DT, "20990102101530.5"),
        el(0x0008, 0x0030, VR::TM, "101530"),
        el(0x0008, 0x0033, VR::TM, "101531"),
        el(0x0008, 0x0050, VR::SH, "ZZACC0001"),
        el(0x0008, 0x0060, VR::CS, "US"),
        el(0x0008, 0x0070, VR::LO, "ACME Medical"),
        el(0x0008, 0x0080, VR::LO, "ZZPHI INSTITUTION"),
        el(0x0008, 0x0081, VR::ST, "ZZPHI INSTITUTION ADDRESS"),
        el(0x0008, 0x0090, VR::PN, "ZZPHI^REFERRER"),
        el(0x0008, 0x0094, VR::SH, "ZZ555 0101"),
        el(0x0008, 0x1010, VR::SH, "ZZSTATION01"),
        el(0x0008, 0x1030, VR::LO, "ZZPHI STUDY DESCRIPTION"),
        el(0x0008, 0x103E, VR::LO, "ZZPHI SERIES DESCRIPTION"),
        el(
            0x0008,
            0x1050,
            VR::PN,
            if n == 2 {
                "ZZPHI^Ünal"
            } else {
                "ZZPHI^PERFORMER"
            },
        ),
        el(0x0008, 0x1070, VR::PN, "ZZPHI^OPERATOR"),
        el(0x0008, 0x1090, VR::LO, "Model 9"),
        el(0x0008, 0x2111, VR::ST, "ZZPHI DERIVATION DESCRIPTION"),
        el(
            0x0010,
            0x0010,
            VR::PN,
            if n == 2 {
                "ZZPHI^MÜLLER^JANE"
            } else {
                "ZZPHI^DOE^JANE"
            },
        ),
        el(0x0010, 0x0020, VR::LO, "ZZMRN12345678"),
        el(0x0010, 0x0021, VR::LO, "ZZISSUER"),
        el(0x0010, 0x0030, VR::DA, "19010203"),
        el(0x0010, 0x0040, VR::CS, "F"),
        el(0x0010, 0x1001, VR::PN, "ZZPHI^ALIAS1\\ZZPHI^ALIAS2"),
        el(0x0010, 0x1010, VR::AS, "045Y"),
        el(0x0010, 0x1040, VR::LO, "ZZPHI PATIENT ADDRESS"),
        el(0x0010, 0x4000, VR::LT, "ZZPHI PATIENT COMMENTS"),
        el(0x0018, 0x1000, VR::LO, "ZZSERIAL123"),
        el(0x0018, 0x1002, VR::UI, format!("{UID_ROOT}.7").as_str()),
        el(0x0018, 0x1030, VR::LO, "ZZPHI PROTOCOL"),
        el(0x0018, 0x5010, VR::LO, "L12-3"),
        el(0x0020, 0x000D, VR::UI, format!("{UID_ROOT}.2").as_str()),
        el(0x0020, 0x000E, VR::UI, format!("{UID_ROOT}.3").as_str()),
        el(0x0020, 0x0010, VR::SH, "ZZSTUDYID1"),
        el(0x0020, 0x0011, VR::IS, "1"),
        el(0x0020, 0x0013, VR::IS, n.to_string().as_str()),
        el(0x0020, 0x0020, VR::CS, PrimitiveValue::Empty),
        el(0x0020, 0x0052, VR::UI, format!("{UID_ROOT}.4").as_str()),
        el(0x0020, 0x4000, VR::LT, "ZZPHI IMAGE COMMENTS"),
        el(0x0028, 0x0002, VR::US, 1u16),
        el(0x0028, 0x0004, VR::CS, "MONOCHROME2"),
        el(0x0028, 0x0008, VR::IS, "1"),
        el(0x0028, 0x0010, VR::US, 16u16),
        el(0x0028, 0x0011, VR::US, 16u16),
        el(0x0028, 0x0100, VR::US, 8u16),
        el(0x0028, 0x0101, VR::US, 8u16),
        el(0x0028, 0x0102, VR::US, 7u16),
        el(0x0028, 0x0103, VR::US, 0u16),
        el(0x0028, 0x0301, VR::CS, "YES"),
        el(0x0032, 0x1060, VR::LO, "ZZPHI REQUESTED PROCEDURE"),
        // Other Patient IDs Sequence
        sq(
            0x0010,
            0x1002,
            vec![obj(vec![
                el(0x0010, 0x0020, VR::LO, "ZZOTHERPID99"),
                el(0x0010, 0x0021, VR::LO, "ZZOTHERISSUER"),
            ])],
        ),
        // Request Attributes Sequence
        sq(
            0x0040,
            0x0275,
            vec![obj(vec![
                el(0x0008, 0x0050, VR::SH, "ZZREQACC1"),
                el(0x0040, 0x1001, VR::SH, "ZZREQPROC1"),
                el(0x0040, 0x0009, VR::SH, "ZZSPSID1"),
                el(0x0032, 0x1060, VR::LO, "ZZPHI REQ DESCRIPTION"),
            ])],
        ),
        // Anatomic Region Sequence, kept by the profile: PN, DA and UI planted inside
        sq(
            0x0008,
            0x2218,
            vec![obj(vec![
                el(0x0008, 0x0100, VR::SH, "T-48000"),
                el(0x0008, 0x0102, VR::SH, "SRT"),
                el(0x0008, 0x0104, VR::LO, "vein"),
                el(0x0040, 0xA123, VR::PN, "ZZPHI^NESTED^PN"),
                el(0x0040, 0xA121, VR::DA, "20990102"),
                el(0x0008, 0x1155, VR::UI, format!("{UID_ROOT}.98").as_str()),
            ])],
        ),
        // Sequence of Ultrasound Regions: geometry + a PN 3 levels deep
        sq(
            0x0018,
            0x6011,
            vec![obj(vec![
                el(0x0018, 0x6012, VR::US, 1u16),
                el(0x0018, 0x6014, VR::US, 1u16),
                el(0x0018, 0x6016, VR::UL, 0u32),
                el(0x0018, 0x6018, VR::UL, 2u32),
                el(0x0018, 0x601A, VR::UL, 3u32),
                el(0x0018, 0x601C, VR::UL, 13u32),
                el(0x0018, 0x601E, VR::UL, 14u32),
                el(0x0018, 0x602C, VR::FD, 0.01f64),
                el(0x0018, 0x602E, VR::FD, 0.01f64),
                sq(
                    0x0008,
                    0x1140,
                    vec![obj(vec![
                        el(0x0008, 0x1150, VR::UI, US_MF),
                        el(0x0008, 0x1155, VR::UI, format!("{UID_ROOT}.97").as_str()),
                        sq(
                            0x0040,
                            0xA730,
                            vec![obj(vec![
                                el(0x0040, 0xA123, VR::PN, "ZZPHI^DEEP^THREE"),
                                el(0x0040, 0xA160, VR::UT, "ZZPHI DEEP TEXT"),
                            ])],
                        ),
                    ])],
                ),
            ])],
        ),
        // VOI LUT Sequence with an explanation
        sq(
            0x0028,
            0x3010,
            vec![obj(vec![
                el(
                    0x0028,
                    0x3002,
                    VR::US,
                    PrimitiveValue::U16([2, 0, 8].into_iter().collect()),
                ),
                el(0x0028, 0x3003, VR::LO, "ZZPHI LUT EXPLANATION"),
                el(
                    0x0028,
                    0x3006,
                    VR::US,
                    PrimitiveValue::U16([0, 255].into_iter().collect()),
                ),
            ])],
        ),
        // SR-like content
        sq(
            0x0040,
            0xA730,
            vec![obj(vec![
                el(0x0040, 0xA040, VR::CS, "TEXT"),
                el(0x0040, 0xA160, VR::UT, "ZZPHI TEXT VALUE"),
            ])],
        ),
        // Graphic annotation with text
        sq(
            0x0070,
            0x0001,
            vec![obj(vec![sq(
                0x0070,
                0x0008,
                vec![obj(vec![el(0x0070, 0x0006, VR::ST, "ZZPHI GRAPHIC TEXT")])],
            )])],
        ),
        // Icon Image Sequence with a thumbnail
        sq(
            0x0088,
            0x0200,
            vec![obj(vec![
                el(0x0028, 0x0010, VR::US, 4u16),
                el(0x0028, 0x0011, VR::US, 4u16),
                el(
                    0x7FE0,
                    0x0010,
                    VR::OB,
                    PrimitiveValue::from(b"ZZPHI ICON PIXELS".to_vec()),
                ),
            ])],
        ),
        // Overlay plane and curve
        el(0x6000, 0x0010, VR::US, 16u16),
        el(0x6000, 0x0022, VR::LO, "ZZPHI OVERLAY DESCRIPTION"),
        el(
            0x6000,
            0x3000,
            VR::OB,
            PrimitiveValue::from(b"ZZPHI OVERLAY DATA".to_vec()),
        ),
        el(0x6000, 0x4000, VR::LT, "ZZPHI OVERLAY COMMENTS"),
        el(0x5000, 0x0022, VR::LO, "ZZPHI CURVE DESCRIPTION"),
        el(
            0x5000,
            0x3000,
            VR::OB,
            PrimitiveValue::from(b"ZZPHI CURVE DATA".to_vec()),
        ),
        // Private block with a nested private sequence, UN and DA
        el(0x0009, 0x0010, VR::LO, "ZZVENDOR PRIVATE"),
        el(0x0009, 0x1001, VR::LO, "ZZPHI PRIVATE LO"),
        sq(
            0x0009,
            0x1002,
            vec![obj(vec![
                el(0x0010, 0x0010, VR::PN, "ZZPHI^PRIVATE^SEQ"),
                el(0x0011, 0x0010, VR::LO, "ZZNESTED CREATOR"),
                el(0x0011, 0x1001, VR::DA, "20990102"),
            ])],
        ),
        el(
            0x0009,
            0x1003,
            VR::UN,
            PrimitiveValue::from(b"ZZPHI PRIVATE UN".to_vec()),
        ),
        el(0x0009, 0x1004, VR::DA, "20990102"),
        el(0x0019, 0x0010, VR::LO, "SAFE CREATOR"),
        el(0x0019, 0x100C, VR::DS, "42"),
        el(0x0019, 0x100D, VR::LO, "ZZPHI NOT ALLOWED"),
        el(0x7FE0, 0x0010, VR::OB, PrimitiveValue::from(pixel_bytes())),
        el(
            0xFFFC,
            0xFFFC,
            VR::OB,
            PrimitiveValue::from(b"ZZPHI PADDING".to_vec()),
        ),
    ];
    if n == 2 {
        // cross-file reference to file 1
        e.push(sq(
            0x0008,
            0x1140,
            vec![obj(vec![
                el(0x0008, 0x1150, VR::UI, US_MF),
                el(0x0008, 0x1155, VR::UI, format!("{UID_ROOT}.1.1").as_str()),
            ])],
        ));
    }
    obj(e)
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid(format!("{UID_ROOT}.77"))
                .implementation_version_name("ZZIMPLVER")
                .source_application_entity_title("ZZSRCAE")
                .sending_application_entity_title("ZZSENDAE")
                .receiving_application_entity_title("ZZRECVAE"),
        )
        .expect("meta")
}

pub fn to_bytes(o: &FileDicomObject<InMemDicomObject>) -> Vec<u8> {
    let mut v = Vec::new();
    o.write_all(&mut v).expect("write");
    v
}

/// Sentinels found in `bytes` (case-insensitive for ASCII), with a little context for failures.
pub fn leaks(bytes: &[u8]) -> Vec<String> {
    let lower: Vec<u8> = bytes.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut out = Vec::new();
    for s in SENTINELS {
        let n: Vec<u8> = s
            .as_bytes()
            .iter()
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if let Some(p) = lower.windows(n.len()).position(|w| w == n.as_slice()) {
            let a = p.saturating_sub(20);
            let b = (p + n.len() + 20).min(bytes.len());
            out.push(format!(
                "{s:?} at {p}: {:?}",
                String::from_utf8_lossy(&bytes[a..b])
            ));
        }
    }
    out
}
