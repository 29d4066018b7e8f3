//! SequenceOfUltrasoundRegions after a crop: every region is intersected with the crop and
//! shifted; regions wholly outside are removed. Region Max values are inclusive. The reference
//! pixel is relative to the region's top-left corner, so it moves when that corner is clipped;
//! physical deltas do not change.

use dicom_core::value::Value;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::core::crop::CropRect;

/// Updates the sequence in place. Returns how many regions were kept.
pub fn crop_regions(obj: &mut InMemDicomObject, r: &CropRect) -> usize {
    let Some(mut el) = obj.take_element(tags::SEQUENCE_OF_ULTRASOUND_REGIONS).ok() else {
        return 0;
    };
    let mut kept = Vec::new();
    if let Some(items) = el.items_mut() {
        for mut item in items.drain(..) {
            if crop_item(&mut item, r) {
                kept.push(item);
            }
        }
    }
    let n = kept.len();
    if n > 0 {
        obj.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            Value::from(dicom_core::value::DataSetSequence::from(kept)),
        ));
    }
    n
}

fn get(item: &InMemDicomObject, t: Tag) -> Option<i64> {
    item.element_opt(t).ok().flatten()?.to_int::<i64>().ok()
}

fn crop_item(item: &mut InMemDicomObject, r: &CropRect) -> bool {
    let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
        get(item, tags::REGION_LOCATION_MIN_X0),
        get(item, tags::REGION_LOCATION_MIN_Y0),
        get(item, tags::REGION_LOCATION_MAX_X1),
        get(item, tags::REGION_LOCATION_MAX_Y1),
    ) else {
        return false;
    };
    let (cx0, cy0, cx1, cy1) = (r.x0 as i64, r.y0 as i64, r.x1 as i64 - 1, r.y1 as i64 - 1);
    let nx0 = x0.max(cx0);
    let ny0 = y0.max(cy0);
    let nx1 = x1.min(cx1);
    let ny1 = y1.min(cy1);
    if nx0 > nx1 || ny0 > ny1 {
        return false;
    }
    let put_ul = |item: &mut InMemDicomObject, t: Tag, v: i64| {
        item.put(DataElement::new(t, VR::UL, PrimitiveValue::from(v as u32)));
    };
    put_ul(item, tags::REGION_LOCATION_MIN_X0, nx0 - cx0);
    put_ul(item, tags::REGION_LOCATION_MIN_Y0, ny0 - cy0);
    put_ul(item, tags::REGION_LOCATION_MAX_X1, nx1 - cx0);
    put_ul(item, tags::REGION_LOCATION_MAX_Y1, ny1 - cy0);
    // The reference pixel is measured from the region's own corner, which moved by (nx0-x0, ny0-y0).
    for (t, shift) in [
        (tags::REFERENCE_PIXEL_X0, nx0 - x0),
        (tags::REFERENCE_PIXEL_Y0, ny0 - y0),
    ] {
        if shift == 0 {
            continue;
        }
        if let Some(v) = get(item, t) {
            item.put(DataElement::new(
                t,
                VR::SL,
                PrimitiveValue::from((v - shift) as i32),
            ));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(x0: u32, y0: u32, x1: u32, y1: u32, rx: i32) -> InMemDicomObject {
        let mut it = InMemDicomObject::new_empty();
        it.put(DataElement::new(
            tags::REGION_LOCATION_MIN_X0,
            VR::UL,
            PrimitiveValue::from(x0),
        ));
        it.put(DataElement::new(
            tags::REGION_LOCATION_MIN_Y0,
            VR::UL,
            PrimitiveValue::from(y0),
        ));
        it.put(DataElement::new(
            tags::REGION_LOCATION_MAX_X1,
            VR::UL,
            PrimitiveValue::from(x1),
        ));
        it.put(DataElement::new(
            tags::REGION_LOCATION_MAX_Y1,
            VR::UL,
            PrimitiveValue::from(y1),
        ));
        it.put(DataElement::new(
            tags::REFERENCE_PIXEL_X0,
            VR::SL,
            PrimitiveValue::from(rx),
        ));
        it
    }

    #[test]
    fn intersects_shifts_and_drops() {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            Value::from(dicom_core::value::DataSetSequence::from(vec![
                region(10, 20, 109, 119, 50),  // partly inside
                region(300, 300, 400, 400, 0), // outside
            ])),
        ));
        let kept = crop_regions(&mut obj, &CropRect::new(30, 0, 200, 100));
        assert_eq!(kept, 1);
        let seq = obj.element(tags::SEQUENCE_OF_ULTRASOUND_REGIONS).unwrap();
        let it = &seq.items().unwrap()[0];
        assert_eq!(get(it, tags::REGION_LOCATION_MIN_X0), Some(0));
        assert_eq!(get(it, tags::REGION_LOCATION_MIN_Y0), Some(20));
        assert_eq!(get(it, tags::REGION_LOCATION_MAX_X1), Some(79));
        assert_eq!(get(it, tags::REGION_LOCATION_MAX_Y1), Some(99));
        // region corner moved right by 20 => the reference pixel moves left by 20
        assert_eq!(get(it, tags::REFERENCE_PIXEL_X0), Some(30));
    }
}
