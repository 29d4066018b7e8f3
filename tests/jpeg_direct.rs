//! JPEG output straight from the stored samples (pixels/jpeg_direct.rs) against the general
//! path (decode, crop, 8-bit rendering, encode) on generated inputs of every kind it takes,
//! with crops on and off the 4:2:2 pair grid, odd widths and frames past the first.

mod common;

use common::*;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::Kind;
use us_dicomizer::core::load::{self, LoadedFile};
use us_dicomizer::core::pixels::{decode, jpeg, jpeg_direct, render};
use us_dicomizer::core::settings::Settings;

fn loaded(kind: Kind, w: u32, h: u32, frames: u32) -> (tempfile::TempDir, LoadedFile) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_fixture(dir.path(), "f.dcm", &fixture_spec(kind, w, h, frames, 1));
    let f = load::load(&file_source(&p), &Settings::defaults().load).unwrap();
    (dir, f)
}

fn general(f: &LoadedFile, i: u32, r: &CropRect) -> Vec<u8> {
    let fr = decode::decode_cropped(&f.obj, &f.info, i, r).unwrap();
    jpeg::encode(&render::to_8bit(&fr, None, None), 90).unwrap()
}

fn direct(f: &LoadedFile, i: u32, r: &CropRect) -> Vec<u8> {
    jpeg_direct::encode(&f.obj, &f.info, i, r, 90)
        .expect("this input takes the direct path")
        .unwrap()
}

/// Decoded RGB (or grey) of a JPEG stream.
fn pixels(j: &[u8], colour: bool) -> (usize, usize, Vec<u8>) {
    let f = jpeg::decode(j, colour).unwrap();
    (f.width as usize, f.height as usize, f.data)
}

/// The 8-bit source pixels of the crop, as the general path sees them.
fn source(f: &LoadedFile, i: u32, r: &CropRect) -> Vec<u8> {
    let fr = decode::decode_cropped(&f.obj, &f.info, i, r).unwrap();
    render::to_8bit(&fr, None, None).data
}

fn mean_abs(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as i32 - *y as i32).abs() as f64)
        .sum::<f64>()
        / a.len() as f64
}

/// The RGB samples of `v` at the pixels where the source `src` is coloured (all if not asked).
fn coloured(src: &[u8], v: &[u8], colour_only: bool) -> Vec<u8> {
    src.chunks_exact(3)
        .zip(v.chunks_exact(3))
        .filter(|(s, _)| !colour_only || s[0].abs_diff(s[1]) > 20 || s[1].abs_diff(s[2]) > 20)
        .flat_map(|(_, p)| p.iter().copied())
        .collect()
}

const CROPS: [(u32, u32, u32, u32); 4] = [
    (12, 17, 150, 110), // even origin and width
    (11, 3, 150, 117),  // odd origin, odd width
    (0, 0, 160, 120),   // whole frame
    (33, 40, 98, 41),   // one row, odd width
];

#[test]
fn native_grey_and_rgb_give_the_same_stream_as_the_general_path() {
    for kind in [Kind::Mono, Kind::Rgb] {
        let (_d, f) = loaded(kind, 160, 120, 2);
        for (x0, y0, x1, y1) in CROPS {
            let r = CropRect::new(x0, y0, x1, y1);
            for i in 0..2 {
                // the encoder gets the very same samples, only without the copies
                assert_eq!(
                    direct(&f, i, &r),
                    general(&f, i, &r),
                    "{kind:?} {r:?} frame {i}"
                );
            }
        }
    }
}

#[test]
fn native_ybr422_and_jpeg_422_match_the_general_path_within_jpeg_tolerance() {
    for kind in [Kind::Ybr422Native, Kind::JpegBaseline] {
        let (_d, f) = loaded(kind, 160, 120, 2);
        for (x0, y0, x1, y1) in CROPS {
            let r = CropRect::new(x0, y0, x1, y1);
            for i in 0..2 {
                let (w, h, a) = pixels(&direct(&f, i, &r), true);
                assert_eq!((w, h), (r.width() as usize, r.height() as usize));
                let (_, _, b) = pixels(&general(&f, i, &r), true);
                let src = source(&f, i, &r);
                // everywhere, and on the coloured pixels alone (the fixture is mostly grey)
                for colour_only in [false, true] {
                    let pick = |v: &[u8]| -> Vec<u8> { coloured(&src, v, colour_only) };
                    let (s, a, b) = (pick(&src), pick(&a), pick(&b));
                    if s.is_empty() {
                        continue;
                    }
                    let (ours, theirs) = (mean_abs(&a, &s), mean_abs(&b, &s));
                    eprintln!(
                        "{kind:?} {r:?} frame {i} colour {colour_only}: direct {ours:.2}, general {theirs:.2}"
                    );
                    // as close to the source as the general path (which converts colour twice)
                    assert!(
                        ours <= theirs + 1.0 && ours < if colour_only { 12.0 } else { 4.0 },
                        "{kind:?} {r:?} frame {i}: direct {ours:.2}, general {theirs:.2}"
                    );
                }
            }
        }
    }
}

#[test]
fn other_inputs_take_the_general_path() {
    // MONOCHROME1 needs inverting: no direct route
    let (_d, mut f) = loaded(Kind::Mono, 64, 48, 1);
    f.info.photometric = "MONOCHROME1".into();
    assert!(jpeg_direct::encode(&f.obj, &f.info, 0, &CropRect::new(0, 0, 64, 48), 90).is_none());
}

/// The export hands the text search's sampled frames to the encoder (`file::StoredFrames`)
/// instead of reading them again: the JPEG frames are the bytes of those read from the input,
/// pixel data in memory or left on disk (a file over 8 MB), grey and RGB; inputs whose
/// sampled frames are not their stored rows (YBR_FULL_422, JPEG) keep none.
#[test]
fn sampled_frames_given_to_the_encoder_give_the_frames_read_from_the_input() {
    use us_dicomizer::core::export::file::{self, PixelOut, StoredFrames};
    use us_dicomizer::core::settings::Encoding;
    use us_dicomizer::core::text;
    let mut settings = Settings::defaults();
    settings.output.encoding = Encoding::Jpeg;
    let frames_of = |p: file::Prepared| match p.pixels {
        PixelOut::Encapsulated(f, _) => f,
        PixelOut::Native { .. } => panic!("JPEG encoding gives encapsulated frames"),
    };
    for (kind, w, h, frames, on_disk) in [
        (Kind::Mono, 640, 480, 30, true),
        (Kind::Rgb, 640, 480, 11, true),
        (Kind::Mono, 97, 61, 1, false),
        (Kind::Rgb, 97, 61, 12, false),
    ] {
        let crop = CropRect::new(9, 6, w - 31, h - 7);
        let (_a, read) = loaded(kind, w, h, frames);
        let (_b, reusing) = loaded(kind, w, h, frames);
        assert_eq!(
            reusing.info.pixel_location.is_some(),
            on_disk,
            "{kind:?} {frames}"
        );
        let sampled = text::read_frames(&reusing.obj, &reusing.info).unwrap();
        let stored = StoredFrames::from_sampled(&reusing.info, sampled);
        assert_eq!(stored.len(), text::sample_frames(frames).len(), "{kind:?}");
        let a = file::prepare(read, crop, &[], &[], &settings, &|_, _| {}).unwrap();
        let b =
            file::prepare_reusing(reusing, crop, &[], &[], stored, &settings, &|_, _| {}).unwrap();
        let (a, b) = (frames_of(a), frames_of(b));
        assert_eq!(a.len(), frames as usize);
        assert!(a == b, "{kind:?} {w}x{h}x{frames}: frames differ");
    }
    for kind in [Kind::Ybr422Native, Kind::JpegBaseline] {
        let (_d, f) = loaded(kind, 96, 64, 3);
        let sampled = text::read_frames(&f.obj, &f.info).unwrap();
        assert!(
            StoredFrames::from_sampled(&f.info, sampled).is_empty(),
            "{kind:?}"
        );
    }
}
