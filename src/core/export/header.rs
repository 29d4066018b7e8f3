//! Making every attribute that describes the pixels agree with the pixels we write.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::core::dcm::get_str_in;

/// What the written pixel data looks like.
#[derive(Debug, Clone)]
pub struct PixelDescription {
    pub rows: u32,
    pub columns: u32,
    pub frames: u32,
    pub spp: u8,
    pub photometric: String,
    /// Bits allocated/stored/high bit and pixel representation; `None` keeps the input's.
    pub bits: Option<(u16, u16, u16, u16)>,
    /// Lossy compression applied by us now: (ratio, method).
    pub new_lossy: Option<(f64, &'static str)>,
    /// The pixel data was lossy before us.
    pub was_lossy: bool,
    /// PlanarConfiguration 1: only RLE YBR_FULL, whose segments are planes by construction.
    pub planar: bool,
}

const PALETTE_TAGS: [Tag; 10] = [
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::PALETTE_COLOR_LOOKUP_TABLE_UID,
];

pub fn apply(obj: &mut InMemDicomObject, d: &PixelDescription) {
    let us = |v: u32| PrimitiveValue::from(v as u16);
    obj.put(DataElement::new(tags::ROWS, VR::US, us(d.rows)));
    obj.put(DataElement::new(tags::COLUMNS, VR::US, us(d.columns)));
    obj.put(DataElement::new(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        us(d.spp as u32),
    ));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from(d.photometric.as_str()),
    ));
    if d.spp == 3 {
        // RLE YBR_FULL is colour-by-plane by construction (one segment per sample), as the US
        // IODs want; everything else we write is colour-by-pixel.
        let planar = d.planar;
        obj.put(DataElement::new(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            us(planar as u32),
        ));
    } else {
        obj.remove_element(tags::PLANAR_CONFIGURATION);
    }
    if let Some((alloc, stored, high, repr)) = d.bits {
        obj.put(DataElement::new(
            tags::BITS_ALLOCATED,
            VR::US,
            PrimitiveValue::from(alloc),
        ));
        obj.put(DataElement::new(
            tags::BITS_STORED,
            VR::US,
            PrimitiveValue::from(stored),
        ));
        obj.put(DataElement::new(
            tags::HIGH_BIT,
            VR::US,
            PrimitiveValue::from(high),
        ));
        obj.put(DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(repr),
        ));
        for t in [
            tags::WINDOW_CENTER,
            tags::WINDOW_WIDTH,
            tags::WINDOW_CENTER_WIDTH_EXPLANATION,
            tags::VOILUT_FUNCTION,
        ] {
            obj.remove_element(t);
        }
    }
    if obj
        .element_opt(tags::NUMBER_OF_FRAMES)
        .ok()
        .flatten()
        .is_some()
        || d.frames > 1
    {
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(d.frames.to_string()),
        ));
    }
    if d.photometric != "PALETTE COLOR" {
        for t in PALETTE_TAGS {
            obj.remove_element(t);
        }
    }
    for t in [
        tags::EXTENDED_OFFSET_TABLE,
        tags::EXTENDED_OFFSET_TABLE_LENGTHS,
        tags::ENCAPSULATED_PIXEL_DATA_VALUE_TOTAL_LENGTH,
        tags::SMALLEST_IMAGE_PIXEL_VALUE,
        tags::LARGEST_IMAGE_PIXEL_VALUE,
        tags::PIXEL_DATA,
    ] {
        obj.remove_element(t);
    }
    // ImageType value 1 becomes DERIVED; the rest is kept.
    let mut image_type: Vec<String> = get_str_in(obj, tags::IMAGE_TYPE)
        .map(|s| s.split('\\').map(|v| v.trim().to_string()).collect())
        .unwrap_or_default();
    if image_type.is_empty() {
        image_type = vec!["DERIVED".into(), "PRIMARY".into()];
    } else {
        image_type[0] = "DERIVED".into();
    }
    obj.put(DataElement::new(
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(image_type.into_iter().collect()),
    ));
    if let Some((ratio, method)) = d.new_lossy {
        let mut ratios: Vec<String> = if d.was_lossy {
            multi(obj, tags::LOSSY_IMAGE_COMPRESSION_RATIO)
        } else {
            vec![]
        };
        let mut methods: Vec<String> = if d.was_lossy {
            multi(obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD)
        } else {
            vec![]
        };
        if ratios.len() != methods.len() {
            ratios.clear();
            methods.clear();
        }
        ratios.push(format_ratio(ratio));
        methods.push(method.to_string());
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION,
            VR::CS,
            PrimitiveValue::from("01"),
        ));
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION_RATIO,
            VR::DS,
            PrimitiveValue::Strs(ratios.into_iter().collect()),
        ));
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION_METHOD,
            VR::CS,
            PrimitiveValue::Strs(methods.into_iter().collect()),
        ));
    } else if d.was_lossy {
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION,
            VR::CS,
            PrimitiveValue::from("01"),
        ));
    }
    tidy_text(obj);
    // Stale group lengths at the top level.
    let stale: Vec<Tag> = obj
        .tags()
        .filter(|t| t.element() == 0 && t.group() != 0x0002)
        .collect();
    for t in stale {
        obj.remove_element(t);
    }
}

fn multi(obj: &InMemDicomObject, t: Tag) -> Vec<String> {
    get_str_in(obj, t)
        .map(|s| {
            s.split('\\')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// DS allows 16 characters.
fn format_ratio(r: f64) -> String {
    let s = format!("{r:.2}");
    s.chars().take(16).collect()
}

/// Text values padded with NUL instead of space (seen in the wild) are trimmed, at every
/// depth: validators reject the NUL, and the value is unchanged otherwise.
pub fn tidy_text(obj: &mut InMemDicomObject) {
    let tags: Vec<Tag> = obj.tags().collect();
    for t in tags {
        let Some(mut e) = obj.take(t) else { continue };
        match e.vr() {
            VR::SQ => {
                if let Some(items) = e.items_mut() {
                    for it in items.iter_mut() {
                        tidy_text(it);
                    }
                }
            }
            VR::AE
            | VR::AS
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::ST
            | VR::TM
            | VR::UC
            | VR::UT => {
                let fix = match e.value() {
                    dicom_core::value::Value::Primitive(PrimitiveValue::Str(s))
                        if s.contains('\0') =>
                    {
                        Some(PrimitiveValue::Str(s.trim_end_matches('\0').to_string()))
                    }
                    dicom_core::value::Value::Primitive(PrimitiveValue::Strs(v))
                        if v.iter().any(|s| s.contains('\0')) =>
                    {
                        Some(PrimitiveValue::Strs(
                            v.iter()
                                .map(|s| s.trim_end_matches('\0').to_string())
                                .collect(),
                        ))
                    }
                    _ => None,
                };
                if let Some(v) = fix {
                    e = DataElement::new(t, e.vr(), v);
                }
            }
            _ => {}
        }
        obj.put(e);
    }
}
