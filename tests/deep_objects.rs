//! Our own walkers over nested sequences (de-identification, verify's text and search values,
//! the UI's header tree) stop at `dcm::MAX_NESTING` levels with a reason that names the limit,
//! on objects built in memory (not through the parser, whose walk refuses deep files first).

mod deid_support;

use deid_support::*;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use us_dicomizer::core::dcm::MAX_NESTING;
use us_dicomizer::core::deid::{deidentify, DeidContext, DeidSettings};

/// A chain of `levels` nested Content Sequences; each item holds a text value naming its
/// level, the deepest item also `deepest`.
fn chain(levels: usize, deepest: &str) -> DataElement<InMemDicomObject> {
    let mut inner = InMemDicomObject::from_element_iter([DataElement::new(
        Tag(0x0040, 0xA160),
        VR::UT,
        PrimitiveValue::from(deepest),
    )]);
    for level in (1..levels).rev() {
        let seq = DataElement::new(
            Tag(0x0040, 0xA730),
            VR::SQ,
            DataSetSequence::new(vec![inner], Length::UNDEFINED),
        );
        let text = DataElement::new(
            Tag(0x0040, 0xA160),
            VR::UT,
            PrimitiveValue::from(format!("level {level}")),
        );
        inner = InMemDicomObject::from_element_iter([text, seq]);
    }
    DataElement::new(
        Tag(0x0040, 0xA730),
        VR::SQ,
        DataSetSequence::new(vec![inner], Length::UNDEFINED),
    )
}

/// The deepest item level of a data set (top level: 0).
fn depth(obj: &InMemDicomObject) -> u32 {
    // iterative, so that measuring cannot overflow either
    let mut deepest = 0;
    let mut stack = vec![(obj, 0u32)];
    while let Some((o, d)) = stack.pop() {
        deepest = deepest.max(d);
        for e in o.iter() {
            if let Value::Sequence(s) = e.value() {
                stack.extend(s.items().iter().map(|i| (i, d + 1)));
            }
        }
    }
    deepest
}

#[test]
fn de_identification_removes_sequences_below_the_limit_and_says_so() {
    for levels in [MAX_NESTING as usize + 1, 300, 1_000] {
        let mut obj = sentinel_file(1);
        obj.put(chain(levels, "ZZDEEPVALUE"));
        assert_eq!(depth(&obj), levels as u32);
        let ctx = DeidContext {
            key: b"deep-key",
            pseudonym: "P01",
            cropped: false,
            crop_approved: false,
            tags: &[],
        };
        let out = deidentify(&mut obj, &DeidSettings::default(), &ctx).unwrap();
        assert!(depth(&obj) <= MAX_NESTING, "{levels}: {}", depth(&obj));
        let note = format!("deeper than {MAX_NESTING} levels");
        assert!(
            out.notes.iter().any(|n| n.contains(&note)),
            "{levels}: {:?}",
            out.notes
        );
    }
    // at the limit nothing is removed
    let mut obj = sentinel_file(1);
    obj.put(chain(MAX_NESTING as usize, "ZZDEEPVALUE"));
    let ctx = DeidContext {
        key: b"deep-key",
        pseudonym: "P01",
        cropped: false,
        crop_approved: false,
        tags: &[],
    };
    let out = deidentify(&mut obj, &DeidSettings::default(), &ctx).unwrap();
    assert!(!out.notes.iter().any(|n| n.contains("depth limit")));
}

#[test]
fn verify_text_and_search_values_stop_at_the_limit() {
    let top = InMemDicomObject::from_element_iter([chain(400, "QQDEEPVALUE")]);
    let mut text = String::new();
    us_dicomizer::core::verify::text::dataset_text(&top, &mut text);
    assert!(
        text.contains(&format!("level {}", MAX_NESTING)),
        "walked to the limit"
    );
    assert!(!text.contains(&format!("level {}", MAX_NESTING + 2)));
    assert!(!text.contains("QQDEEPVALUE"));
}

#[test]
fn the_header_tree_names_the_limit() {
    let mut obj = sentinel_file(1);
    obj.put(chain(500, "QQDEEPVALUE"));
    let rows = us_dicomizer::tui::metatree::build(&obj);
    let limit = format!("deeper than {MAX_NESTING} levels are not shown");
    assert_eq!(rows.iter().filter(|r| r.value.contains(&limit)).count(), 1);
    assert!(!rows.iter().any(|r| r.value.contains("QQDEEPVALUE")));
}
