//! JPEG marker segments: a JPEG Baseline input whose frames carry a COM comment, an EXIF
//! APP1, an ICC APP2 and bytes after EOI is exported through both compressed-copy paths (the
//! full frame copied, and the DCT-domain crop); no text survives, the frames still decode, and
//! `verify` finds the text when it is put back into an exported frame.

mod common;

use common::*;
use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::export::{CropChoice, Status};
use us_dicomizer::core::pixels::decode;
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::verify::verify;

fn seg(m: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, m];
    v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Every frame of `src` with text segments after SOI (and optionally bytes after EOI).
fn inject(src: &Path, dst: &Path, text: &[u8], trailer: bool) {
    let mut obj = dicom_object::open_file(src).unwrap();
    let el = obj.element(tags::PIXEL_DATA).unwrap();
    let frags: Vec<Vec<u8>> = el.fragments().unwrap().iter().map(|f| f.to_vec()).collect();
    let mut out = Vec::new();
    for f in frags {
        let end = f.len() - f.iter().rev().take_while(|b| **b == 0).count();
        let mut g = f[..2].to_vec();
        g.extend(seg(0xFE, text));
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(text);
        g.extend(seg(0xE1, &exif));
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend_from_slice(text);
        g.extend(seg(0xE2, &icc));
        g.extend_from_slice(&f[2..end]);
        if trailer {
            g.extend_from_slice(text);
        }
        if g.len() % 2 == 1 {
            g.push(0);
        }
        out.push(g);
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(Vec::<u32>::new(), out)),
    ));
    obj.write_to_file(dst).unwrap();
}

fn entry_bytes(zip: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut b = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut b).unwrap();
    b
}

fn export(src: &Path, out: &Path, crop: CropChoice) -> (String, Vec<u8>) {
    let mut settings = Settings::defaults();
    settings.output.allow_burned_in_without_crop = true;
    let rep = export_files(&[(src.to_path_buf(), crop)], out, &settings);
    let f = &rep.files[0];
    assert_eq!(f.status, Status::Exported, "{:?}", f.reason);
    assert_eq!(f.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.4.50"));
    let name = f.output.clone().unwrap();
    let b = entry_bytes(out, &name);
    (name, b)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn fixture(dir: &Path) -> PathBuf {
    let plain = write_fixture(
        dir,
        "j.dcm",
        &fixture_spec(Kind::JpegBaseline, 128, 96, 2, 1),
    );
    let src = dir.join("IMG_WITH_MARKERS.dcm");
    inject(&plain, &src, b"ZZPHI JPEG TEXT", true);
    assert!(contains(&std::fs::read(&src).unwrap(), b"ZZPHI JPEG TEXT"));
    src
}

#[test]
fn copied_and_cropped_jpeg_frames_keep_only_decoding_segments() {
    let d = tempfile::tempdir().unwrap();
    let src = fixture(d.path());
    let full = CropChoice::Fixed(
        CropRect::new(0, 0, 128, 96),
        us_dicomizer::core::crop::CropSource::User,
    );
    let cropped = user_crop(CropRect::new(16, 16, 112, 80));
    for (i, crop) in [full, cropped].into_iter().enumerate() {
        let out = d.path().join(format!("out{i}.zip"));
        let (name, bytes) = export(&src, &out, crop);
        assert!(!contains(&bytes, b"ZZPHI"), "marker text kept (path {i})");
        assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"ICC_PROFILE"));
        let o = read_entry(&out, &name);
        for fr in 0..o.info.frames {
            decode::decode_full(&o.obj, &o.info, fr).expect("frame decodes");
        }
    }
}

#[test]
fn verify_finds_marker_text_put_back() {
    let d = tempfile::tempdir().unwrap();
    let plain = write_fixture(
        d.path(),
        "j.dcm",
        &fixture_spec(Kind::JpegBaseline, 128, 96, 2, 1),
    );
    let inputs = d.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    // a short (6-character) comment: only searched inside JPEG marker segments
    let src = inputs.join("IM1.dcm");
    inject(&plain, &src, b"ZQ7K2W", false);
    let out = d.path().join("out.zip");
    let (name, _) = export(&src, &out, user_crop(CropRect::new(16, 16, 112, 80)));
    let clean = verify(&out, std::slice::from_ref(&inputs), &mut |_, _| {}).unwrap();
    assert!(clean.is_clean(), "{:?}", clean.findings);
    // the fix switched off: the comment put back into the exported frames
    let exported = d.path().join("exported.dcm");
    std::fs::write(&exported, entry_bytes(&out, &name)).unwrap();
    let leaky_dcm = d.path().join("leaky.dcm");
    inject(&exported, &leaky_dcm, b"ZQ7K2W", false);
    let leaky = d.path().join("leaky.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&leaky).unwrap());
    z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(&std::fs::read(&leaky_dcm).unwrap()).unwrap();
    z.finish().unwrap();
    let bad = verify(&leaky, &[inputs], &mut |_, _| {}).unwrap();
    assert!(
        bad.findings.iter().any(|f| f.needle_kind == "jpeg-marker"),
        "{:?}",
        bad.findings
    );
}
