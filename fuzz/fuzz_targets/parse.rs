//! The element walk and the parser on arbitrary bytes: a result or a reason, never a crash, an
//! abort or an allocation beyond the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = us_dicomizer::core::load::parse_dicom(data) {
        let _ = us_dicomizer::core::load::probe(&parsed.obj);
    }
});
