//! Pixel Data labelled SQ with an undefined length: the parser (dicom-rs) reads its items as
//! data sets, not as fragments, so a fragment's bytes become element headers with lengths
//! nobody checked. The element walk must walk it the same way: a length beyond the file is
//! refused before anything is allocated. (Its own test binary: it measures this process's
//! peak memory.)

use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::load;

fn peak_kb() -> i64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    u.ru_maxrss
}

/// A JPEG file whose Pixel Data is relabelled SQ and whose first fragment starts with an
/// element header declaring `len` bytes.
fn relabelled(len: u32) -> Vec<u8> {
    let obj = demo::build(&Spec::new(Kind::JpegBaseline, 64, 48, 2)).unwrap();
    let mut b = Vec::new();
    obj.write_all(&mut b).unwrap();
    let p = (0..b.len() - 12)
        .rev()
        .find(|&p| b[p..p + 4] == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    assert_eq!(&b[p + 4..p + 6], b"OB");
    assert_eq!(b[p + 8..p + 12], [0xFF; 4]);
    b[p + 4..p + 6].copy_from_slice(b"SQ");
    // the offset table item, then the first fragment's value
    let table_len = u32::from_le_bytes(b[p + 16..p + 20].try_into().unwrap()) as usize;
    let frag = p + 20 + table_len;
    assert_eq!(b[frag..frag + 4], [0xFE, 0xFF, 0x00, 0xE0]);
    let mut el = vec![0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0];
    el.extend_from_slice(&len.to_le_bytes());
    b[frag + 8..frag + 20].copy_from_slice(&el);
    b
}

#[test]
fn pixel_data_labelled_sq_is_walked_as_a_sequence_and_its_lengths_checked() {
    let before = peak_kb();
    for len in [0x7FFF_FFF0u32, 0x4000_0000, 0x0100_0000] {
        let b = relabelled(len);
        let r = load::parse_dicom(&b);
        let Err(reason) = r else {
            panic!("{len:#x}: read although a length runs past the file");
        };
        assert!(reason.contains("broken DICOM file"), "{reason}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.dcm");
        std::fs::write(&path, &b).unwrap();
        assert!(load::parse_file(&path).is_err());
    }
    let grown_mb = (peak_kb() - before) / 1024;
    assert!(
        grown_mb < 256,
        "peak memory grew by {grown_mb} MB for files of a few KB"
    );
}
