//! The 80 % evaluation: plants identity text into the shared corpus's real ultrasound frames
//! (where the frames are dark, as devices print it: inside each file's automatic crop beside
//! the sector when there is room, else elsewhere in the frame; over the scan only where no dark
//! place exists), writes each as a new file (native 8-bit
//! or JPEG Baseline, alternately; cines keep their moving scan under static text), runs the
//! default export (`batch` settings, automatic crop) and prints: files exported vs blocked, and
//! planted strings surviving readable, by glyph pixels left in the output and by OCR
//! (`tesseract`, when installed). Skips when the corpus is absent.
//!
//!     cargo run --example planted_corpus [WORK_DIR]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::export::{self, CropChoice, ExportItem, ExportRequest, Status};
use us_dicomizer::core::load::{self, InputSource, SourceKind};
use us_dicomizer::core::pixels::{decode, encapsulated, jpeg, render, Frame};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::text::draw::{draw_text, text_size, Canvas, Style};
use us_dicomizer::core::text::{self, ocr};

const WORDS: [&str; 8] = [
    "DOE^JANE",
    "ID 4711-22",
    "03/02/1961",
    "ST MARY HOSP",
    "10:42:13 PM",
    "MUSTERMANN",
    "1958-02-14",
    "PAT 889301",
];
const COLOURS: [[u8; 3]; 5] = [
    [255, 255, 255],
    [250, 230, 40],
    [60, 230, 240],
    [170, 170, 170],
    [120, 255, 120],
];

struct Planted {
    text: String,
    rect: CropRect,
    on_dark: bool,
    /// Inside the original's automatic crop.
    in_crop: bool,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as u32
    }
}

fn luma(f: &Frame, x: u32, y: u32) -> u8 {
    let at = (y * f.width + x) as usize * f.spp as usize;
    if f.spp == 3 {
        let p = &f.data[at..at + 3];
        ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8
    } else {
        f.data[at]
    }
}

/// A place for a `w` x `h` box inside `crop` where every sampled frame is dark (4 px margin),
/// not overlapping `taken`.
fn dark_place(
    frames: &[Frame],
    crop: &CropRect,
    w: u32,
    h: u32,
    taken: &[CropRect],
    rng: &mut Rng,
) -> Option<CropRect> {
    let m = 4;
    if crop.width() < w + 2 * m || crop.height() < h + 2 * m {
        return None;
    }
    let mut spots = Vec::new();
    for y in (crop.y0 + m..crop.y1 - h - m).step_by(4) {
        for x in (crop.x0 + m..crop.x1 - w - m).step_by(4) {
            let r = CropRect::new(x, y, x + w, y + h);
            let grown = CropRect::new(x - m, y - m, x + w + m, y + h + m);
            if taken.iter().any(|t| text::intersect(t, &grown).is_some()) {
                continue;
            }
            let dark = frames.iter().all(|f| {
                (grown.y0..grown.y1).all(|yy| (grown.x0..grown.x1).all(|xx| luma(f, xx, yy) <= 16))
            });
            if dark {
                spots.push(r);
            }
        }
    }
    (!spots.is_empty()).then(|| spots[rng.next(spots.len() as u32) as usize])
}

/// The corpus file with text drawn into its (sampled) frames, written as 8-bit native or JPEG.
fn planted_file(
    src: &load::LoadedFile,
    frames: &mut [Frame],
    crop: &CropRect,
    out: &Path,
    as_jpeg: bool,
    rng: &mut Rng,
) -> Result<Vec<Planted>, String> {
    let mut planted: Vec<Planted> = Vec::new();
    for _ in 0..3 {
        let word = WORDS[rng.next(WORDS.len() as u32) as usize];
        let scale = 1 + rng.next(2);
        let style = [Style::Plain, Style::Bold, Style::Tall][rng.next(3) as usize];
        let colour = COLOURS[rng.next(COLOURS.len() as u32) as usize];
        let (w, h) = text_size(word, scale, style);
        let taken: Vec<CropRect> = planted.iter().map(|p| p.rect).collect();
        let (f0w, f0h) = (frames[0].width, frames[0].height);
        let whole = CropRect::full(f0w, f0h);
        let place = dark_place(frames, crop, w, h, &taken, rng)
            .or_else(|| dark_place(frames, &whole, w, h, &taken, rng));
        let (rect, on_dark) = match place {
            Some(r) => (r, true),
            None if crop.width() > w + 8 && crop.height() > h + 8 => {
                let x = crop.x0 + 4 + rng.next(crop.width() - w - 8);
                let y = crop.y0 + 4 + rng.next(crop.height() - h - 8);
                (CropRect::new(x, y, x + w, y + h), false)
            }
            None => continue,
        };
        for f in frames.iter_mut() {
            let mut c = Canvas {
                width: f.width,
                height: f.height,
                spp: f.spp,
                data: &mut f.data,
            };
            draw_text(&mut c, rect.x0, rect.y0, word, scale, style, colour);
        }
        planted.push(Planted {
            text: word.to_string(),
            rect,
            on_dark,
            in_crop: text::intersect(&rect, crop) == Some(rect),
        });
    }
    let mut obj = src.obj.clone();
    // sequences other than the regions (some corpus files carry malformed ones the loader
    // repairs), private elements and whatever trails the pixel data stay behind; a new SOP
    // Instance UID (the corpus holds the same image in several encodings)
    let drop: Vec<_> = obj
        .iter()
        .map(|e| e.header().tag)
        .filter(|t| {
            t.group() % 2 == 1
                || *t > tags::PIXEL_DATA
                || (*t != tags::SEQUENCE_OF_ULTRASOUND_REGIONS
                    && obj.element(*t).map(|e| e.vr() == VR::SQ).unwrap_or(false))
        })
        .collect();
    for t in drop {
        obj.remove_element(t);
    }
    let uid = format!(
        "2.25.{}",
        10_000_000 + rng.next(1 << 30) as u64 * 1000 + planted.len() as u64
    );
    obj.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from(uid.clone()),
    ));
    obj.update_meta(|m| m.media_storage_sop_instance_uid = uid.clone());
    for t in [
        tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::WINDOW_CENTER,
        tags::WINDOW_WIDTH,
        tags::PLANAR_CONFIGURATION,
    ] {
        obj.remove_element(t);
    }
    let f0 = &frames[0];
    let colour = f0.spp == 3;
    let us = |v: u16| PrimitiveValue::from(v);
    let mut put = |t, vr, v: PrimitiveValue| obj.put(DataElement::new(t, vr, v));
    put(tags::SAMPLES_PER_PIXEL, VR::US, us(f0.spp as u16));
    put(tags::BITS_ALLOCATED, VR::US, us(8));
    put(tags::BITS_STORED, VR::US, us(8));
    put(tags::HIGH_BIT, VR::US, us(7));
    put(tags::PIXEL_REPRESENTATION, VR::US, us(0));
    put(tags::ROWS, VR::US, us(f0.height as u16));
    put(tags::COLUMNS, VR::US, us(f0.width as u16));
    if colour {
        put(tags::PLANAR_CONFIGURATION, VR::US, us(0));
    }
    if frames.len() > 1 || src.info.frames > 1 {
        put(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(frames.len().to_string()),
        );
    }
    let ts = if as_jpeg {
        let mut enc: Vec<Vec<u8>> = frames
            .iter()
            .map(|f| {
                let mut g = f.clone();
                g.photometric = if colour { "RGB" } else { "MONOCHROME2" }.into();
                jpeg::encode(&g, 90)
            })
            .collect::<Result<_, _>>()?;
        let bot = encapsulated::pad_and_offsets(&mut enc);
        put(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from(if colour {
                "YBR_FULL_422"
            } else {
                "MONOCHROME2"
            }),
        );
        put(
            tags::LOSSY_IMAGE_COMPRESSION,
            VR::CS,
            PrimitiveValue::from("01"),
        );
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            Value::PixelSequence(PixelFragmentSequence::new(bot, enc)),
        ));
        "1.2.840.10008.1.2.4.50"
    } else {
        put(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from(if colour { "RGB" } else { "MONOCHROME2" }),
        );
        let mut data: Vec<u8> = frames.iter().flat_map(|f| f.data.iter().copied()).collect();
        if data.len() % 2 == 1 {
            data.push(0);
        }
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::from(data),
        ));
        "1.2.840.10008.1.2.1"
    };
    obj.update_meta(|m| {
        m.transfer_syntax = ts.to_string();
        m.update_information_group_length();
    });
    obj.write_to_file(out).map_err(|e| e.to_string())?;
    Ok(planted)
}

fn source(p: &Path) -> InputSource {
    InputSource {
        kind: SourceKind::File(p.to_path_buf()),
        size: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
    }
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/dicom");
    if !corpus.join("MANIFEST.tsv").exists() {
        println!(
            "planted_corpus: no shared corpus at {}: skipped",
            corpus.display()
        );
        return;
    }
    let work = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("planted_corpus"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let settings = Settings::defaults();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("us_"))
        })
        .collect();
    names.sort();
    let mut rng = Rng(20261130);
    let mut made: Vec<(PathBuf, Vec<Planted>)> = Vec::new();
    for (k, p) in names.iter().enumerate() {
        let Ok(src) = load::load(&source(p), &settings.load) else {
            continue;
        };
        let Ok(mut frames) = text::read_frames(&src.obj, &src.info) else {
            continue;
        };
        let crop = export::auto_crop_explained(&src, &settings)
            .map(|c| c.0)
            .unwrap_or(CropRect::full(src.info.columns, src.info.rows));
        let out = work.join(format!("planted_{k:02}.dcm"));
        match planted_file(&src, &mut frames, &crop, &out, k % 2 == 1, &mut rng) {
            Ok(planted) => made.push((out, planted)),
            Err(e) => println!("{}: not planted: {e}", k),
        }
    }
    let zip = work.join("out.zip");
    let req = ExportRequest {
        items: made
            .iter()
            .map(|(p, _)| ExportItem {
                source: source(p),
                crop: CropChoice::Auto,
                tags: [
                    ("position", "CFV"),
                    ("side", "L"),
                    ("purpose", "diagnostic"),
                ]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
                index: None,
                text: None,
                annotations: None,
            })
            .collect(),
        out: zip.clone(),
        force: true,
        pseudonym: "P1".into(),
        key: vec![7u8; 32],
        allow_uncropped: false,
        write_mapping: false,
        indices: None,
        shard: None,
        excluded: Vec::new(),
    };
    let started = std::time::Instant::now();
    let report = export::run(&req, &settings, &|_| {}, &AtomicBool::new(false)).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let with_ocr = ocr::available();
    let (mut planted_n, mut on_dark, mut exported, mut blocked) = (0, 0, 0, 0);
    let mut in_crop_dark = 0;
    let (mut glyphs_left, mut ocr_read, mut ocr_input, mut cropped_away) = (0, 0, 0, 0);
    for ((input, planted), r) in made.iter().zip(&report.files) {
        planted_n += planted.len();
        on_dark += planted.iter().filter(|p| p.on_dark).count();
        in_crop_dark += planted.iter().filter(|p| p.on_dark && p.in_crop).count();
        let name = input.file_name().unwrap().to_string_lossy().to_string();
        let kinds: Vec<&str> = planted
            .iter()
            .map(|p| match (p.on_dark, p.in_crop) {
                (false, _) => "over the scan",
                (true, true) => "dark, in the crop",
                (true, false) => "dark, outside the crop",
            })
            .collect();
        if r.status != Status::Exported {
            blocked += 1;
            println!(
                "{name} [{}]: {:?}: {}",
                kinds.join("; "),
                r.status,
                r.reason.as_deref().unwrap_or("")
            );
            continue;
        }
        exported += 1;
        let crop = r.crop.unwrap();
        let crop = CropRect::new(crop[0], crop[1], crop[2], crop[3]);
        let out = read_entry(&zip, r.output.as_ref().unwrap());
        let outs: Vec<Frame> = (0..out.info.frames)
            .filter_map(|i| decode::decode_full(&out.obj, &out.info, i).ok())
            .map(|f| render::to_8bit(&f, None, None))
            .collect();
        let ocr_text = if with_ocr {
            outs.first()
                .and_then(|f| ocr::read_text(f).ok())
                .map(|t| ocr::normalise(&t))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let ocr_in = if with_ocr {
            let src = load::load(&source(input), &settings.load).unwrap();
            decode::decode_cropped(&src.obj, &src.info, 0, &crop)
                .ok()
                .map(|f| render::to_8bit(&f, None, None))
                .and_then(|f| ocr::read_text(&f).ok())
                .map(|t| ocr::normalise(&t))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let mut notes = Vec::new();
        for p in planted {
            let Some(inter) = text::intersect(&p.rect, &crop) else {
                cropped_away += 1;
                continue;
            };
            let local = CropRect::new(
                inter.x0 - crop.x0,
                inter.y0 - crop.y0,
                inter.x1 - crop.x0,
                inter.y1 - crop.y0,
            );
            let area = local.width() * local.height();
            let bright = outs
                .iter()
                .map(|f| {
                    (local.y0..local.y1.min(f.height))
                        .flat_map(|y| (local.x0..local.x1.min(f.width)).map(move |x| (x, y)))
                        .filter(|&(x, y)| luma(f, x, y) > 50)
                        .count() as u32
                })
                .max()
                .unwrap_or(0);
            let left = p.on_dark && bright * 50 > area;
            glyphs_left += left as usize;
            let n = ocr::normalise(&p.text);
            let read = with_ocr && n.len() >= 4 && ocr_text.contains(&n);
            ocr_read += read as usize;
            ocr_input += (with_ocr && ocr_in.contains(&n)) as usize;
            if left || read {
                notes.push(format!(
                    "`{}` at {:?} survives (bright {bright}/{area}, ocr {read})",
                    p.text, p.rect
                ));
            }
        }
        println!(
            "{name} [{}]: exported, {} ({}){}",
            kinds.join("; "),
            r.burned_in_text.as_deref().unwrap_or(""),
            r.pixel_encoding.unwrap_or(""),
            if notes.is_empty() {
                String::new()
            } else {
                format!(": {}", notes.join("; "))
            }
        );
    }
    let files = made.len().max(1);
    println!(
        "planted_corpus: {} files, {planted_n} strings planted ({on_dark} on dark: {in_crop_dark} inside the crop; {} over the scan); exported {exported} ({:.0} %), blocked {blocked}; in the exported files: {cropped_away} cut away by the crop, {glyphs_left} with glyph pixels left, {} read by OCR ({} read by OCR in the planted input inside the crop); export {secs:.1} s",
        made.len(),
        planted_n - on_dark,
        exported as f64 * 100.0 / files as f64,
        if with_ocr { ocr_read.to_string() } else { "n/a (no tesseract)".into() },
        if with_ocr { ocr_input.to_string() } else { "n/a".into() },
    );
}

fn read_entry(zip: &Path, name: &str) -> load::LoadedFile {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut e = z.by_name(name).unwrap();
    let mut bytes = Vec::new();
    e.read_to_end(&mut bytes).unwrap();
    let parsed = load::parse_dicom(&bytes).expect("output parses");
    let info = load::probe(&parsed.obj).expect("output validates");
    load::LoadedFile {
        source: source(zip),
        obj: parsed.obj,
        info,
    }
}
