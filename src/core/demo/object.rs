//! The demo's DICOM file: header, fake identity, ultrasound regions and the pixel data in the
//! spec's encoding.

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, FileMetaTableBuilder, InMemDicomObject};

use super::frames::{avg, grey_frame, rgb_frame, rgb_to_ycc, scan_area};
use super::{Kind, Spec};
use crate::core::pixels::{encapsulated, jpeg, Frame};

fn uid(s: &Spec, what: u32) -> String {
    format!("1.2.826.0.1.3680043.10.1337.{}.{}", what, s.instance)
}

/// Builds one synthetic file.
pub fn build(s: &Spec) -> Result<DefaultDicomObject, String> {
    let mut o = InMemDicomObject::new_empty();
    let put = |o: &mut InMemDicomObject, t: Tag, vr: VR, v: PrimitiveValue| {
        o.put(DataElement::new(t, vr, v));
    };
    let multi = s.frames > 1;
    let sop_class = if multi {
        "1.2.840.10008.5.1.4.1.1.3.1"
    } else {
        "1.2.840.10008.5.1.4.1.1.6.1"
    };
    put(
        &mut o,
        tags::SPECIFIC_CHARACTER_SET,
        VR::CS,
        "ISO_IR 100".into(),
    );
    put(
        &mut o,
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(
            ["ORIGINAL".to_string(), "PRIMARY".to_string()]
                .into_iter()
                .collect(),
        ),
    );
    put(&mut o, tags::SOP_CLASS_UID, VR::UI, sop_class.into());
    put(&mut o, tags::SOP_INSTANCE_UID, VR::UI, uid(s, 3).into());
    put(&mut o, tags::STUDY_DATE, VR::DA, "20240115".into());
    put(&mut o, tags::CONTENT_DATE, VR::DA, "20240115".into());
    put(&mut o, tags::STUDY_TIME, VR::TM, "101500".into());
    put(&mut o, tags::CONTENT_TIME, VR::TM, "101510".into());
    put(&mut o, tags::ACCESSION_NUMBER, VR::SH, "DEMOACC42".into());
    put(&mut o, tags::MODALITY, VR::CS, "US".into());
    put(
        &mut o,
        tags::MANUFACTURER,
        VR::LO,
        "us-dicomizer demo".into(),
    );
    put(
        &mut o,
        tags::INSTITUTION_NAME,
        VR::LO,
        "DEMO FAKE HOSPITAL".into(),
    );
    put(
        &mut o,
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        "DEMO^REFERRER".into(),
    );
    put(
        &mut o,
        tags::MANUFACTURER_MODEL_NAME,
        VR::LO,
        "Synthetic".into(),
    );
    put(
        &mut o,
        tags::PATIENT_NAME,
        VR::PN,
        s.patient_name.as_str().into(),
    );
    put(
        &mut o,
        tags::PATIENT_ID,
        VR::LO,
        s.patient_id.as_str().into(),
    );
    put(&mut o, tags::PATIENT_BIRTH_DATE, VR::DA, "19700101".into());
    put(&mut o, tags::PATIENT_SEX, VR::CS, "O".into());
    put(
        &mut o,
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        format!("1.2.826.0.1.3680043.10.1337.1.{}", s.patient_id.len()).into(),
    );
    put(
        &mut o,
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        format!("1.2.826.0.1.3680043.10.1337.2.{}", s.patient_id.len()).into(),
    );
    put(&mut o, tags::STUDY_ID, VR::SH, "DEMO1".into());
    put(&mut o, tags::SERIES_NUMBER, VR::IS, "1".into());
    put(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        s.instance.to_string().into(),
    );
    put(
        &mut o,
        tags::PATIENT_ORIENTATION,
        VR::CS,
        PrimitiveValue::Empty,
    );
    put(&mut o, tags::BURNED_IN_ANNOTATION, VR::CS, "YES".into());
    if multi {
        put(&mut o, tags::FRAME_TIME, VR::DS, "33.3".into());
        put(
            &mut o,
            tags::FRAME_INCREMENT_POINTER,
            VR::AT,
            PrimitiveValue::Tags([tags::FRAME_TIME].into_iter().collect()),
        );
        put(
            &mut o,
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            s.frames.to_string().into(),
        );
    }
    if s.regions {
        let (x0, y0, x1, y1) = scan_area(s.columns, s.rows);
        let mut r = InMemDicomObject::new_empty();
        let region: [(Tag, VR, PrimitiveValue); 13] = [
            (tags::REGION_SPATIAL_FORMAT, VR::US, 1u16.into()),
            (tags::REGION_DATA_TYPE, VR::US, 1u16.into()),
            (tags::REGION_FLAGS, VR::UL, 0u32.into()),
            (tags::REGION_LOCATION_MIN_X0, VR::UL, x0.into()),
            (tags::REGION_LOCATION_MIN_Y0, VR::UL, y0.into()),
            (tags::REGION_LOCATION_MAX_X1, VR::UL, (x1 - 1).into()),
            (tags::REGION_LOCATION_MAX_Y1, VR::UL, (y1 - 1).into()),
            (tags::PHYSICAL_UNITS_X_DIRECTION, VR::US, 3u16.into()),
            (tags::PHYSICAL_UNITS_Y_DIRECTION, VR::US, 3u16.into()),
            (tags::PHYSICAL_DELTA_X, VR::FD, 0.01f64.into()),
            (tags::PHYSICAL_DELTA_Y, VR::FD, 0.01f64.into()),
            (
                tags::REFERENCE_PIXEL_X0,
                VR::SL,
                (((x1 - x0) / 2) as i32).into(),
            ),
            (tags::REFERENCE_PIXEL_Y0, VR::SL, 0i32.into()),
        ];
        for (tag, vr, value) in region {
            put(&mut r, tag, vr, value);
        }
        o.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            Value::from(DataSetSequence::from(vec![r])),
        ));
    }
    put(
        &mut o,
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(s.rows as u16),
    );
    put(
        &mut o,
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(s.columns as u16),
    );
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(8u16),
    );
    put(
        &mut o,
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(8u16),
    );
    put(&mut o, tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16));
    put(
        &mut o,
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    );
    let native = |data: Vec<u8>| Value::from(PrimitiveValue::from(pad(data)));
    let (spp, pi, ts, pixels): (u16, &str, &str, Value<InMemDicomObject>) = match s.kind {
        Kind::Mono => {
            let data: Vec<u8> = (0..s.frames).flat_map(|f| grey_frame(s, f)).collect();
            (1, "MONOCHROME2", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::Rgb => {
            let data: Vec<u8> = (0..s.frames).flat_map(|f| rgb_frame(s, f)).collect();
            (3, "RGB", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::Ybr422Native => {
            if s.columns % 2 == 1 {
                return Err("YBR_FULL_422 needs an even width".into());
            }
            let mut data = Vec::new();
            for f in 0..s.frames {
                for px in rgb_frame(s, f).chunks_exact(6) {
                    let (y1, cb1, cr1) = rgb_to_ycc(&px[0..3]);
                    let (y2, cb2, cr2) = rgb_to_ycc(&px[3..6]);
                    data.extend_from_slice(&[y1, y2, avg(cb1, cb2), avg(cr1, cr2)]);
                }
            }
            (3, "YBR_FULL_422", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::JpegBaseline => {
            put(&mut o, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "01".into());
            let frames: Result<Vec<Vec<u8>>, String> = (0..s.frames)
                .map(|f| {
                    let fr = Frame {
                        width: s.columns,
                        height: s.rows,
                        spp: 3,
                        bytes_per_sample: 1,
                        photometric: "RGB".into(),
                        data: rgb_frame(s, f),
                    };
                    jpeg::encode(&fr, 90)
                })
                .collect();
            let mut frames = frames?;
            let bot = encapsulated::pad_and_offsets(&mut frames);
            let seq = dicom_core::value::PixelFragmentSequence::new(bot, frames);
            (
                3,
                "YBR_FULL_422",
                "1.2.840.10008.1.2.4.50",
                Value::PixelSequence(seq),
            )
        }
    };
    put(
        &mut o,
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(spp),
    );
    put(&mut o, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, pi.into());
    if spp == 3 {
        put(
            &mut o,
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        );
    }
    o.put(DataElement::new(tags::PIXEL_DATA, VR::OB, pixels));
    o.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(ts)
            .implementation_class_uid(crate::core::uid::implementation_class_uid())
            .implementation_version_name(crate::core::uid::implementation_version_name())
            .source_application_entity_title("DEMO_FAKE_AE"),
    )
    .map_err(|e| e.to_string())
}

fn pad(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}
