//! Parse, validate and decode every frame (capped) of arbitrary bytes through the same checks
//! the loader applies (frame size cap, RLE header checks, guarded dicom-rs decoders).
#![no_main]

use libfuzzer_sys::fuzz_target;
use us_dicomizer::core::load;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = load::parse_dicom(data) else {
        return;
    };
    let Ok(info) = load::probe(&parsed.obj) else {
        return;
    };
    let limits = us_dicomizer::core::settings::Settings::defaults().load;
    if load::check_frame_size(&info, &limits).is_err() {
        return;
    }
    for i in 0..info.frames.min(4) {
        let _ = us_dicomizer::core::pixels::decode::decode_full(&parsed.obj, &info, i);
    }
});
