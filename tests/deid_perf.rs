//! Header-only de-identification throughput on ~0.7 MB files (read, de-identify, write), 200
//! files, rayon over the available cores. The bar (>= 1000 files/s on 2 cores) applies to
//! release builds; debug builds only print the rate.

mod deid_support;

use deid_support::*;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::OpenFileOptions;
use rayon::prelude::*;
use std::time::Instant;
use us_dicomizer::core::deid::{deidentify, DeidContext, DeidSettings};

#[test]
fn header_only_throughput() {
    let mut o = sentinel_file(1);
    o.put(DataElement::new(
        Tag(0x7FE0, 0x0010),
        VR::OB,
        PrimitiveValue::from(vec![7u8; 700_000]),
    ));
    let bytes = to_bytes(&o);
    let n = 200;
    let settings = DeidSettings::default();
    let t = Instant::now();
    let total: usize = (0..n)
        .into_par_iter()
        .map(|_| {
            let mut obj = OpenFileOptions::new()
                .from_reader(bytes.as_slice())
                .unwrap();
            let ctx = DeidContext {
                key: b"perf-key",
                pseudonym: "P01",
                cropped: false,
                crop_approved: false,
                tags: &[],
            };
            deidentify(&mut obj, &settings, &ctx).unwrap();
            let mut out = Vec::with_capacity(bytes.len());
            obj.write_all(&mut out).unwrap();
            out.len()
        })
        .sum();
    let secs = t.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    eprintln!(
        "header-only de-identification: {n} files of {} KB in {secs:.3} s = {rate:.0} files/s ({} MB out)",
        bytes.len() / 1024,
        total / 1_000_000
    );
    if !cfg!(debug_assertions) {
        assert!(rate >= 1000.0, "{rate:.0} files/s");
    }
}

#[test]
fn deidentify_alone_is_cheap() {
    // The walk itself, without parsing or writing: must be far below the file budget (1 ms).
    let settings = DeidSettings::default();
    let objs: Vec<_> = (0..200).map(|_| sentinel_file(2)).collect();
    let t = Instant::now();
    for mut o in objs {
        let ctx = DeidContext {
            key: b"perf-key",
            pseudonym: "P01",
            cropped: false,
            crop_approved: false,
            tags: &[],
        };
        deidentify(&mut o, &settings, &ctx).unwrap();
    }
    let per = t.elapsed().as_secs_f64() / 200.0;
    eprintln!("deidentify alone: {:.1} µs per file", per * 1e6);
    if !cfg!(debug_assertions) {
        assert!(per < 0.0005, "{per}");
    }
}
