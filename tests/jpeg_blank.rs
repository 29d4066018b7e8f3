//! JPEG Baseline masking in the DCT domain: the blanked iMCUs decode to black, every other
//! pixel decodes exactly as the input's did (nothing re-encoded), for grey, 4:4:4, 4:2:2 and
//! 4:2:0 streams, cropped or not, and through the default export of a JPEG cine with text.

mod common;

use common::*;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::demo::{Kind, Planted, Spec};
use us_dicomizer::core::export::Status;
use us_dicomizer::core::pixels::{encapsulated, jpeg_blank};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::text::draw::Style;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo)
    }
}

/// Speckle with bright coloured glyph-like bars, compressed at `subsamp`.
fn frame(w: u32, h: u32, subsamp: turbojpeg::Subsamp, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut px = vec![0u8; (w * h * 3) as usize];
    for y in 0..h {
        for x in 0..w {
            let at = ((y * w + x) * 3) as usize;
            let v = (r.next() % 200) as u8;
            px[at] = v;
            px[at + 1] = v / 2 + (x % 50) as u8;
            px[at + 2] = 255 - v;
        }
    }
    for _ in 0..6 {
        let (x, y) = (r.range(0, w - 30), r.range(0, h - 10));
        for yy in y..y + 9 {
            for xx in (x..x + 28).step_by(3) {
                let at = ((yy * w + xx) * 3) as usize;
                px[at..at + 3].copy_from_slice(&[250, 230, 40]);
            }
        }
    }
    let img = turbojpeg::Image {
        pixels: &px[..],
        width: w as usize,
        pitch: (w * 3) as usize,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(img, 85, subsamp).unwrap().to_vec()
}

fn decode(b: &[u8], format: turbojpeg::PixelFormat) -> turbojpeg::Image<Vec<u8>> {
    turbojpeg::decompress(b, format).unwrap()
}

fn inside(rects: &[CropRect], x: u32, y: u32, grow: u32) -> bool {
    rects
        .iter()
        .any(|r| x + grow >= r.x0 && x < r.x1 + grow && y + grow >= r.y0 && y < r.y1 + grow)
}

#[test]
fn blanked_blocks_are_black_and_every_other_pixel_decodes_as_before() {
    use turbojpeg::{PixelFormat as PF, Subsamp};
    let (w, h) = (203u32, 141u32); // partial iMCUs at the right and bottom edges
    let mut cases = 0;
    for (k, subsamp) in [
        Subsamp::Gray,
        Subsamp::None,
        Subsamp::Sub2x1,
        Subsamp::Sub2x2,
    ]
    .into_iter()
    .enumerate()
    {
        let src = frame(w, h, subsamp, 11 + k as u64);
        let layout = jpeg_blank::check(&src, false).unwrap();
        let mcu = layout.mcu();
        assert_eq!(mcu, {
            let (a, b) = subsamp.mcu_size();
            (a as u32, b as u32)
        });
        let mut r = Rng(77 + k as u64);
        for round in 0..6 {
            // a crop on the grid (or none), and a few text-sized boxes inside it
            let crop = (round % 2 == 1).then(|| {
                let x0 = r.range(0, 4) * mcu.0;
                let y0 = r.range(0, 4) * mcu.1;
                CropRect::new(x0, y0, r.range(x0 + 80, w), r.range(y0 + 60, h))
            });
            let c = crop.unwrap_or(CropRect::full(w, h));
            let boxes: Vec<CropRect> = (0..r.range(1, 4))
                .map(|_| {
                    let (x, y) = (r.range(0, c.width() - 30), r.range(0, c.height() - 12));
                    CropRect::new(x, y, x + r.range(5, 30), y + r.range(3, 12))
                })
                .collect();
            let blanked = jpeg_blank::snap_outward(&boxes, mcu, c.width(), c.height());
            let out = jpeg_blank::blank(&src, &layout, crop.as_ref(), &blanked).unwrap();
            let (yi, yo) = (decode(&src, PF::GRAY), decode(&out, PF::GRAY));
            assert_eq!((yo.width as u32, yo.height as u32), (c.width(), c.height()));
            let (ri, ro) = (decode(&src, PF::RGB), decode(&out, PF::RGB));
            let colour = subsamp != Subsamp::Gray;
            for y in 0..c.height() {
                for x in 0..c.width() {
                    let lo = yo.pixels[y as usize * yo.pitch + x as usize];
                    let li = yi.pixels[(y + c.y0) as usize * yi.pitch + (x + c.x0) as usize];
                    let po = y as usize * ro.pitch + x as usize * 3;
                    let pi = (y + c.y0) as usize * ri.pitch + (x + c.x0) as usize * 3;
                    if inside(&blanked, x, y, 0) {
                        assert_eq!(lo, 0, "{subsamp:?} round {round}: luma at {x},{y}");
                        // away from the edge (chroma upsampling), the colour is black too
                        if !colour || !inside_edge(&blanked, x, y) {
                            assert_eq!(&ro.pixels[po..po + 3], &[0, 0, 0], "{subsamp:?} {x},{y}");
                        }
                    } else {
                        assert_eq!(lo, li, "{subsamp:?} round {round}: luma at {x},{y}");
                        // (subsampled chroma is upsampled from its neighbours: the ring next to
                        // a blanked block, and the crop's edges, where the neighbour is gone)
                        let edge = crop.is_some()
                            && (x == 0 || y == 0 || x + 1 == c.width() || y + 1 == c.height());
                        if !colour
                            || subsamp == Subsamp::None
                            || !(inside(&blanked, x, y, 1) || edge)
                        {
                            assert_eq!(
                                &ro.pixels[po..po + 3],
                                &ri.pixels[pi..pi + 3],
                                "{subsamp:?} round {round}: RGB at {x},{y}"
                            );
                        }
                    }
                }
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 24);
}

/// On the outermost pixel ring of a blanked rectangle.
fn inside_edge(rects: &[CropRect], x: u32, y: u32) -> bool {
    rects.iter().any(|r| {
        x >= r.x0
            && x < r.x1
            && y >= r.y0
            && y < r.y1
            && (x == r.x0 || x + 1 == r.x1 || y == r.y0 || y + 1 == r.y1)
    })
}

#[test]
fn monochrome1_blanks_to_the_highest_level() {
    let src = frame(64, 48, turbojpeg::Subsamp::Gray, 5);
    let layout = jpeg_blank::check(&src, true).unwrap();
    let r = [CropRect::new(8, 8, 24, 16)];
    let out = jpeg_blank::blank(&src, &layout, None, &r).unwrap();
    let d = decode(&out, turbojpeg::PixelFormat::GRAY);
    for y in 8..16 {
        for x in 8..24 {
            assert_eq!(d.pixels[y * d.pitch + x], 255);
        }
    }
}

#[test]
fn default_export_of_a_jpeg_cine_blanks_text_blocks_without_re_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    let x = w - w / 8 - 76;
    let text: Vec<Planted> = ["JD 12975", "NTHI GEN", "9:04:47"]
        .iter()
        .enumerate()
        .map(|(k, t)| Planted::new(x, h / 4 + k as u32 * 14, t, 1, Style::Plain, [230; 3]))
        .collect();
    let spec = Spec {
        instance: 3,
        sector: true,
        text,
        ..Spec::new(Kind::JpegBaseline, w, h, 4)
    };
    let input = write_fixture(dir.path(), "cine.dcm", &spec);
    let (x0, y0, x1, y1) = us_dicomizer::core::demo::scan_area(w, h);
    let out = dir.path().join("out.zip");
    let report = export_files(
        &[(input.clone(), user_crop(CropRect::new(x0, y0, x1, y1)))],
        &out,
        &Settings::defaults(),
    );
    let r = &report.files[0];
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    assert!(r
        .burned_in_text
        .as_deref()
        .unwrap_or("")
        .starts_with("masked"));
    assert!(!r.masked.is_empty());
    assert_eq!(r.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.4.50"));
    let crop = r.crop.unwrap();
    let masked: Vec<CropRect> = r
        .masked
        .iter()
        .map(|m| CropRect::new(m[0], m[1], m[2], m[3]))
        .collect();
    // whole 4:2:2 iMCUs (16x8) in output coordinates
    assert!(masked.iter().all(|m| m.x0 % 16 == 0 && m.y0 % 8 == 0));
    let src =
        us_dicomizer::core::load::load(&file_source(&input), &Settings::defaults().load).unwrap();
    let got = read_entry(&out, r.output.as_ref().unwrap());
    // same lossy history as the input: no new lossy compression was recorded
    let ratio = |o: &dicom_object::DefaultDicomObject| {
        us_dicomizer::core::dcm::get_str(
            o,
            dicom_dictionary_std::tags::LOSSY_IMAGE_COMPRESSION_RATIO,
        )
    };
    assert_eq!(ratio(&got.obj), ratio(&src.obj));
    for i in 0..4 {
        let a = encapsulated::frame_bytes(&src.obj, 4, i).unwrap();
        let b = encapsulated::frame_bytes(&got.obj, 4, i).unwrap();
        let (ya, yb) = (
            decode(&a, turbojpeg::PixelFormat::GRAY),
            decode(&b, turbojpeg::PixelFormat::GRAY),
        );
        let mut blank = 0;
        for y in 0..yb.height as u32 {
            for x in 0..yb.width as u32 {
                let v = yb.pixels[y as usize * yb.pitch + x as usize];
                if inside(&masked, x, y, 0) {
                    assert_eq!(v, 0, "frame {i}: masked luma at {x},{y}");
                    blank += 1;
                } else {
                    let u = ya.pixels[(y + crop[1]) as usize * ya.pitch + (x + crop[0]) as usize];
                    assert_eq!(v, u, "frame {i}: luma at {x},{y} changed");
                }
            }
        }
        assert!(blank > 0);
    }
}

/// A person's per-file decision (the TUI's `M` / `N`, `ExportItem.text`) takes the same pixel
/// path as the setting: on a JPEG Baseline cine with a name written over the scan, the default
/// blocks the file; `Mask` exports it with the name's iMCUs blanked in the DCT domain (no
/// re-encode, every other luma sample exact), also under `mask_outside_sector` (where the JPEG is
/// re-encoded); `Keep` exports the name as it was, Burned In Annotation YES.
#[test]
fn a_persons_decision_reaches_the_dct_blanking_and_the_sector_mask() {
    use us_dicomizer::core::export::{self, ExportItem, ExportRequest};
    use us_dicomizer::core::text::draw::text_size;
    use us_dicomizer::core::text::policy::TextChoice;
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    let name = Planted::new(250, 236, "DOE JANE 1958", 2, Style::Plain, [240; 3]);
    let (tw, th) = text_size(&name.text, name.scale, name.style);
    let spec = Spec {
        instance: 5,
        sector: true,
        text: vec![name.clone()],
        ..Spec::new(Kind::JpegBaseline, w, h, 3)
    };
    let input = write_fixture(dir.path(), "cine.dcm", &spec);
    let (x0, y0, x1, y1) = us_dicomizer::core::demo::scan_area(w, h);
    let src =
        us_dicomizer::core::load::load(&file_source(&input), &Settings::defaults().load).unwrap();
    let run = |choice: Option<TextChoice>, settings: &Settings, out: &str| {
        let out = dir.path().join(out);
        let req = ExportRequest {
            items: vec![ExportItem {
                source: file_source(&input),
                crop: user_crop(CropRect::new(x0, y0, x1, y1)),
                tags: tags(),
                index: None,
                text: choice,
                annotations: None,
            }],
            out: out.clone(),
            force: false,
            pseudonym: "TEST01".into(),
            key: vec![7u8; 32],
            allow_uncropped: false,
            write_mapping: false,
            indices: None,
            shard: None,
            excluded: Vec::new(),
        };
        let rep = export::run(
            &req,
            settings,
            &|_| {},
            &std::sync::atomic::AtomicBool::new(false),
        )
        .expect("export runs");
        (rep.files.into_iter().next().unwrap(), out)
    };
    // the name's glyph box in output coordinates, and its largest luma in frame `i`
    let peak = |got: &us_dicomizer::core::load::LoadedFile, crop: [u32; 4], i: u32| {
        let b = encapsulated::frame_bytes(&got.obj, 3, i).unwrap();
        let y = decode(&b, turbojpeg::PixelFormat::GRAY);
        let (gx, gy) = (name.x - crop[0], name.y - crop[1]);
        let mut m = 0u8;
        for yy in gy..gy + th {
            for xx in gx..gx + tw {
                m = m.max(y.pixels[yy as usize * y.pitch + xx as usize]);
            }
        }
        m
    };
    let defaults = Settings::defaults();

    // the setting alone: text over the scan blocks the file and names the box
    let (r, _) = run(None, &defaults, "none.zip");
    assert_eq!(r.status, Status::Skipped, "{:?}", r.reason);
    assert!(r.output.is_none());

    // Mask: exported, blanked in the DCT domain, nothing re-encoded
    let (r, out) = run(Some(TextChoice::Mask), &defaults, "mask.zip");
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    assert_eq!(r.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.4.50"));
    assert!(r
        .burned_in_text
        .as_deref()
        .unwrap_or("")
        .starts_with("masked"));
    let crop = r.crop.unwrap();
    let masked: Vec<CropRect> = r
        .masked
        .iter()
        .map(|m| CropRect::new(m[0], m[1], m[2], m[3]))
        .collect();
    assert!(masked.iter().all(|m| m.x0 % 16 == 0 && m.y0 % 8 == 0));
    let got = read_entry(&out, r.output.as_ref().unwrap());
    for i in 0..3 {
        assert_eq!(peak(&got, crop, i), 0, "frame {i}: the name is black");
        let a = encapsulated::frame_bytes(&src.obj, 3, i).unwrap();
        let b = encapsulated::frame_bytes(&got.obj, 3, i).unwrap();
        let (ya, yb) = (
            decode(&a, turbojpeg::PixelFormat::GRAY),
            decode(&b, turbojpeg::PixelFormat::GRAY),
        );
        for y in 0..yb.height as u32 {
            for x in 0..yb.width as u32 {
                if !inside(&masked, x, y, 0) {
                    let u = ya.pixels[(y + crop[1]) as usize * ya.pitch + (x + crop[0]) as usize];
                    let v = yb.pixels[y as usize * yb.pitch + x as usize];
                    assert_eq!(v, u, "frame {i}: luma at {x},{y} changed");
                }
            }
        }
    }

    // Mask under mask_outside_sector (the JPEG is re-encoded there): the name is dark too
    let mut sector = Settings::defaults();
    sector.pixels.mask_outside_sector = true;
    let (r, out) = run(Some(TextChoice::Mask), &sector, "sector.zip");
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    assert!(r
        .burned_in_text
        .as_deref()
        .unwrap_or("")
        .starts_with("masked"));
    let got = read_entry(&out, r.output.as_ref().unwrap());
    let crop = r.crop.unwrap();
    for i in 0..3 {
        let p = peak(&got, crop, i);
        assert!(
            p < 40,
            "frame {i}: the name is dark under the sector mask ({p})"
        );
    }

    // Keep: exported with the name, Burned In Annotation YES
    let (r, out) = run(Some(TextChoice::Keep), &defaults, "keep.zip");
    assert_eq!(r.status, Status::Exported, "{:?}", r.reason);
    assert!(r.masked.is_empty());
    let got = read_entry(&out, r.output.as_ref().unwrap());
    let p = peak(&got, r.crop.unwrap(), 0);
    assert!(p > 180, "the name is still there ({p})");
    let yes = us_dicomizer::core::dcm::get_str(
        &got.obj,
        dicom_dictionary_std::tags::BURNED_IN_ANNOTATION,
    );
    assert_eq!(yes.as_deref().map(str::trim), Some("YES"));
}
