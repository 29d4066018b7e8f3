//! A synthetic ultrasound exam: single- and multi-frame, MONOCHROME2, RGB, native YBR_FULL_422
//! and JPEG Baseline files with a burned-in banner and obviously fake PHI. Used by `demo`, the
//! tests and the benchmarks.

use std::path::{Path, PathBuf};

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, FileMetaTableBuilder, InMemDicomObject};

use crate::core::pixels::{encapsulated, jpeg, Frame};
use crate::core::text::draw::{draw_text, Canvas, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mono,
    Rgb,
    Ybr422Native,
    JpegBaseline,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    pub columns: u32,
    pub rows: u32,
    pub frames: u32,
    pub regions: bool,
    /// Fake patient identity written into the header.
    pub patient_name: String,
    pub patient_id: String,
    /// Distinguishes files of one exam (used in UIDs).
    pub instance: u32,
    /// Draw a fan-shaped sector (speckle changing from frame to frame) instead of the
    /// rectangular scan area, and no block banner.
    pub sector: bool,
    /// Text burned into every frame, drawn over the image.
    pub text: Vec<Planted>,
}

/// A line of text burned into the pixels.
#[derive(Debug, Clone)]
pub struct Planted {
    pub x: u32,
    pub y: u32,
    pub text: String,
    pub scale: u32,
    pub style: Style,
    pub colour: [u8; 3],
}

impl Planted {
    pub fn new(x: u32, y: u32, text: &str, scale: u32, style: Style, colour: [u8; 3]) -> Self {
        Planted {
            x,
            y,
            text: text.into(),
            scale,
            style,
            colour,
        }
    }
}

impl Spec {
    pub fn new(kind: Kind, columns: u32, rows: u32, frames: u32) -> Spec {
        Spec {
            kind,
            columns,
            rows,
            frames,
            regions: true,
            patient_name: "DEMO^FAKE^PATIENT".into(),
            patient_id: "DEMO-000001".into(),
            instance: 1,
            sector: false,
            text: Vec::new(),
        }
    }
}

/// The scan area that the synthetic image draws (x0, y0, x1, y1; exclusive end).
pub fn scan_area(columns: u32, rows: u32) -> (u32, u32, u32, u32) {
    (
        columns / 8,
        rows / 8 + 8,
        columns - columns / 8,
        rows - rows / 16,
    )
}

/// Grey value of the synthetic image at (x, y) in frame f: a speckled scan area, a banner of
/// "text" blocks at the top, black elsewhere.
pub fn pixel(x: u32, y: u32, f: u32, columns: u32, rows: u32) -> u8 {
    let (x0, y0, x1, y1) = scan_area(columns, rows);
    let banner_top = rows / 40 + 2;
    let banner_bottom = banner_top + (rows / 20).max(6);
    if y >= banner_top && y < banner_bottom && x > columns / 20 && x < columns - columns / 20 {
        // blocky glyphs: 6 px wide letters with 2 px gaps
        let col = (x / 2) % 4;
        let row = (y - banner_top) / 2;
        return if col != 3 && !(row + x / 8).is_multiple_of(3) {
            235
        } else {
            0
        };
    }
    if x >= x0 && x < x1 && y >= y0 && y < y1 {
        let h =
            x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ f.wrapping_mul(83_492_791);
        let depth = 200u32.saturating_sub((y - y0) * 120 / (y1 - y0).max(1));
        return (40 + (h % 64) + depth / 2).min(250) as u8;
    }
    0
}

/// Grey value of a fan-shaped sector image: apex above the top centre, speckle that changes
/// from frame to frame, a bright tissue layer and a dark vessel; black outside the fan.
pub fn sector_pixel(x: u32, y: u32, f: u32, columns: u32, rows: u32) -> u8 {
    let (cx, apex) = (columns as f32 / 2.0, rows as f32 * 0.08);
    let (dx, dy) = (x as f32 - cx, y as f32 - apex);
    let r = (dx * dx + dy * dy).sqrt();
    let (r0, r1) = (rows as f32 * 0.06, rows as f32 * 0.86);
    if dy <= 0.0 || r < r0 || r > r1 || dx.abs() > dy * 0.75 {
        return 0;
    }
    let h = x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ f.wrapping_mul(83_492_791);
    let speckle = (h % 97) as f32;
    let depth = 1.0 - (r - r0) / (r1 - r0) * 0.6;
    let layer = if ((r / rows as f32) * 9.0).fract() < 0.08 {
        70.0
    } else {
        0.0
    };
    let vessel_c = (cx + columns as f32 * 0.05, apex + rows as f32 * 0.5);
    let vd = ((x as f32 - vessel_c.0).powi(2) + (y as f32 - vessel_c.1).powi(2)).sqrt();
    if vd < rows as f32 * 0.07 {
        return (speckle * 0.15) as u8;
    }
    ((30.0 + speckle * 1.1 + layer) * depth).min(235.0) as u8
}

fn base_grey(s: &Spec, f: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((s.columns * s.rows) as usize);
    for y in 0..s.rows {
        for x in 0..s.columns {
            out.push(if s.sector {
                // the demo shows a brighter scan than the detector's measurement background
                let v = sector_pixel(x, y, f, s.columns, s.rows);
                if v == 0 {
                    0
                } else {
                    (v as f32 * 1.4 + 12.0).min(235.0) as u8
                }
            } else {
                pixel(x, y, f, s.columns, s.rows)
            });
        }
    }
    out
}

fn draw_planted(s: &Spec, data: &mut [u8], spp: u8) {
    let mut c = Canvas {
        data,
        width: s.columns,
        height: s.rows,
        spp,
    };
    for t in &s.text {
        draw_text(&mut c, t.x, t.y, &t.text, t.scale, t.style, t.colour);
    }
}

fn grey_frame(s: &Spec, f: u32) -> Vec<u8> {
    let mut out = base_grey(s, f);
    draw_planted(s, &mut out, 1);
    out
}

fn rgb_frame(s: &Spec, f: u32) -> Vec<u8> {
    let mut out = rgb_base(s, f);
    draw_planted(s, &mut out, 3);
    out
}

fn rgb_base(s: &Spec, f: u32) -> Vec<u8> {
    let g = base_grey(s, f);
    let (x0, y0, x1, _) = scan_area(s.columns, s.rows);
    let mut out = Vec::with_capacity(g.len() * 3);
    for (i, v) in g.iter().enumerate() {
        let (x, y) = (i as u32 % s.columns, i as u32 / s.columns);
        // a colour-flow box in the scan area
        let flow = x > x0 + (x1 - x0) / 3 && x < x0 + (x1 - x0) / 2 && y > y0 + 20 && y < y0 + 60;
        if flow {
            out.extend_from_slice(&[*v, v / 3, 255 - v / 2]);
        } else {
            out.extend_from_slice(&[*v, *v, *v]);
        }
    }
    out
}

fn uid(s: &Spec, what: u32) -> String {
    format!("1.2.826.0.1.3680043.10.1337.{}.{}", what, s.instance)
}

/// Builds one synthetic file.
pub fn build(s: &Spec) -> Result<DefaultDicomObject, String> {
    let mut o = InMemDicomObject::new_empty();
    let put = |o: &mut InMemDicomObject, t: Tag, vr: VR, v: PrimitiveValue| {
        o.put(DataElement::new(t, vr, v));
    };
    let multi = s.frames > 1;
    let sop_class = if multi {
        "1.2.840.10008.5.1.4.1.1.3.1"
    } else {
        "1.2.840.10008.5.1.4.1.1.6.1"
    };
    put(
        &mut o,
        tags::SPECIFIC_CHARACTER_SET,
        VR::CS,
        "ISO_IR 100".into(),
    );
    put(
        &mut o,
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(
            ["ORIGINAL".to_string(), "PRIMARY".to_string()]
                .into_iter()
                .collect(),
        ),
    );
    put(&mut o, tags::SOP_CLASS_UID, VR::UI, sop_class.into());
    put(&mut o, tags::SOP_INSTANCE_UID, VR::UI, uid(s, 3).into());
    put(&mut o, tags::STUDY_DATE, VR::DA, "20240115".into());
    put(&mut o, tags::CONTENT_DATE, VR::DA, "20240115".into());
    put(&mut o, tags::STUDY_TIME, VR::TM, "101500".into());
    put(&mut o, tags::CONTENT_TIME, VR::TM, "101510".into());
    put(&mut o, tags::ACCESSION_NUMBER, VR::SH, "DEMOACC42".into());
    put(&mut o, tags::MODALITY, VR::CS, "US".into());
    put(
        &mut o,
        tags::MANUFACTURER,
        VR::LO,
        "us-dicomizer demo".into(),
    );
    put(
        &mut o,
        tags::INSTITUTION_NAME,
        VR::LO,
        "DEMO FAKE HOSPITAL".into(),
    );
    put(
        &mut o,
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        "DEMO^REFERRER".into(),
    );
    put(
        &mut o,
        tags::MANUFACTURER_MODEL_NAME,
        VR::LO,
        "Synthetic".into(),
    );
    put(
        &mut o,
        tags::PATIENT_NAME,
        VR::PN,
        s.patient_name.as_str().into(),
    );
    put(
        &mut o,
        tags::PATIENT_ID,
        VR::LO,
        s.patient_id.as_str().into(),
    );
    put(&mut o, tags::PATIENT_BIRTH_DATE, VR::DA, "19700101".into());
    put(&mut o, tags::PATIENT_SEX, VR::CS, "O".into());
    put(
        &mut o,
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        format!("1.2.826.0.1.3680043.10.1337.1.{}", s.patient_id.len()).into(),
    );
    put(
        &mut o,
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        format!("1.2.826.0.1.3680043.10.1337.2.{}", s.patient_id.len()).into(),
    );
    put(&mut o, tags::STUDY_ID, VR::SH, "DEMO1".into());
    put(&mut o, tags::SERIES_NUMBER, VR::IS, "1".into());
    put(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        s.instance.to_string().into(),
    );
    put(
        &mut o,
        tags::PATIENT_ORIENTATION,
        VR::CS,
        PrimitiveValue::Empty,
    );
    put(&mut o, tags::BURNED_IN_ANNOTATION, VR::CS, "YES".into());
    if multi {
        put(&mut o, tags::FRAME_TIME, VR::DS, "33.3".into());
        put(
            &mut o,
            tags::FRAME_INCREMENT_POINTER,
            VR::AT,
            PrimitiveValue::Tags([tags::FRAME_TIME].into_iter().collect()),
        );
        put(
            &mut o,
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            s.frames.to_string().into(),
        );
    }
    if s.regions {
        let (x0, y0, x1, y1) = scan_area(s.columns, s.rows);
        let mut r = InMemDicomObject::new_empty();
        put(
            &mut r,
            tags::REGION_SPATIAL_FORMAT,
            VR::US,
            PrimitiveValue::from(1u16),
        );
        put(
            &mut r,
            tags::REGION_DATA_TYPE,
            VR::US,
            PrimitiveValue::from(1u16),
        );
        put(
            &mut r,
            tags::REGION_FLAGS,
            VR::UL,
            PrimitiveValue::from(0u32),
        );
        put(
            &mut r,
            tags::REGION_LOCATION_MIN_X0,
            VR::UL,
            PrimitiveValue::from(x0),
        );
        put(
            &mut r,
            tags::REGION_LOCATION_MIN_Y0,
            VR::UL,
            PrimitiveValue::from(y0),
        );
        put(
            &mut r,
            tags::REGION_LOCATION_MAX_X1,
            VR::UL,
            PrimitiveValue::from(x1 - 1),
        );
        put(
            &mut r,
            tags::REGION_LOCATION_MAX_Y1,
            VR::UL,
            PrimitiveValue::from(y1 - 1),
        );
        put(
            &mut r,
            tags::PHYSICAL_UNITS_X_DIRECTION,
            VR::US,
            PrimitiveValue::from(3u16),
        );
        put(
            &mut r,
            tags::PHYSICAL_UNITS_Y_DIRECTION,
            VR::US,
            PrimitiveValue::from(3u16),
        );
        put(
            &mut r,
            tags::PHYSICAL_DELTA_X,
            VR::FD,
            PrimitiveValue::from(0.01f64),
        );
        put(
            &mut r,
            tags::PHYSICAL_DELTA_Y,
            VR::FD,
            PrimitiveValue::from(0.01f64),
        );
        put(
            &mut r,
            tags::REFERENCE_PIXEL_X0,
            VR::SL,
            PrimitiveValue::from(((x1 - x0) / 2) as i32),
        );
        put(
            &mut r,
            tags::REFERENCE_PIXEL_Y0,
            VR::SL,
            PrimitiveValue::from(0i32),
        );
        o.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            Value::from(DataSetSequence::from(vec![r])),
        ));
    }
    put(
        &mut o,
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(s.rows as u16),
    );
    put(
        &mut o,
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(s.columns as u16),
    );
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(8u16),
    );
    put(
        &mut o,
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(8u16),
    );
    put(&mut o, tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16));
    put(
        &mut o,
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    );
    let native = |data: Vec<u8>| Value::from(PrimitiveValue::from(pad(data)));
    let (spp, pi, ts, pixels): (u16, &str, &str, Value<InMemDicomObject>) = match s.kind {
        Kind::Mono => {
            let data: Vec<u8> = (0..s.frames).flat_map(|f| grey_frame(s, f)).collect();
            (1, "MONOCHROME2", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::Rgb => {
            let data: Vec<u8> = (0..s.frames).flat_map(|f| rgb_frame(s, f)).collect();
            (3, "RGB", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::Ybr422Native => {
            if s.columns % 2 == 1 {
                return Err("YBR_FULL_422 needs an even width".into());
            }
            let mut data = Vec::new();
            for f in 0..s.frames {
                for px in rgb_frame(s, f).chunks_exact(6) {
                    let (y1, cb1, cr1) = rgb_to_ycc(&px[0..3]);
                    let (y2, cb2, cr2) = rgb_to_ycc(&px[3..6]);
                    data.extend_from_slice(&[y1, y2, avg(cb1, cb2), avg(cr1, cr2)]);
                }
            }
            (3, "YBR_FULL_422", "1.2.840.10008.1.2.1", native(data))
        }
        Kind::JpegBaseline => {
            put(&mut o, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "01".into());
            let frames: Result<Vec<Vec<u8>>, String> = (0..s.frames)
                .map(|f| {
                    let fr = Frame {
                        width: s.columns,
                        height: s.rows,
                        spp: 3,
                        bytes_per_sample: 1,
                        photometric: "RGB".into(),
                        data: rgb_frame(s, f),
                    };
                    jpeg::encode(&fr, 90)
                })
                .collect();
            let mut frames = frames?;
            let bot = encapsulated::pad_and_offsets(&mut frames);
            let seq = dicom_core::value::PixelFragmentSequence::new(bot, frames);
            (
                3,
                "YBR_FULL_422",
                "1.2.840.10008.1.2.4.50",
                Value::PixelSequence(seq),
            )
        }
    };
    put(
        &mut o,
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(spp),
    );
    put(&mut o, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, pi.into());
    if spp == 3 {
        put(
            &mut o,
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        );
    }
    o.put(DataElement::new(tags::PIXEL_DATA, VR::OB, pixels));
    o.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(ts)
            .implementation_class_uid(crate::core::uid::implementation_class_uid())
            .implementation_version_name(crate::core::uid::implementation_version_name())
            .source_application_entity_title("DEMO_FAKE_AE"),
    )
    .map_err(|e| e.to_string())
}

fn pad(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}

fn avg(a: u8, b: u8) -> u8 {
    (a as u16 + b as u16).div_ceil(2) as u8
}

fn rgb_to_ycc(p: &[u8]) -> (u8, u8, u8) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    (
        c(0.299 * r + 0.587 * g + 0.114 * b),
        c(-0.168736 * r - 0.331264 * g + 0.5 * b + 128.0),
        c(0.5 * r - 0.418688 * g - 0.081312 * b + 128.0),
    )
}

/// Builds one synthetic file and writes it to `path` (atomically).
pub fn write_file(path: &Path, spec: &Spec) -> Result<(), String> {
    let obj = build(spec)?;
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).map_err(|e| e.to_string())?;
    crate::core::fsutil::write_atomic(path, &bytes).map_err(|e| e.to_string())
}

/// A demo file that looks like a scanner's: a speckled sector, a banner with the fake patient
/// above the scan region, and a parameter column (with a clinic name, an ID fragment and a
/// clock) inside the region, beside the sector, where only masking removes it.
pub fn realistic(kind: Kind, columns: u32, rows: u32, frames: u32) -> Spec {
    let white = [235, 235, 235];
    let yellow = [240, 220, 60];
    let col_x = columns - columns / 8 - 110;
    let col_y = rows / 8 + 30;
    let mut text = vec![
        Planted::new(12, 6, "DEMO^FAKE^PATIENT", 1, Style::Plain, white),
        Planted::new(
            12,
            20,
            "ID DEMO-000001  DOB 01.01.1900",
            1,
            Style::Plain,
            white,
        ),
        Planted::new(columns - 150, 6, "01 JAN 2000", 1, Style::Plain, white),
    ];
    for (k, line) in [
        "DEMO CLINIC",
        "ID 000001",
        "L12-5 8MHz",
        "Gn 60 DR 55",
        "10:42:13 am",
    ]
    .iter()
    .enumerate()
    {
        let colour = if k == 4 { yellow } else { white };
        text.push(Planted::new(
            col_x,
            col_y + k as u32 * 14,
            line,
            1,
            Style::Plain,
            colour,
        ));
    }
    Spec {
        sector: true,
        text,
        ..Spec::new(kind, columns, rows, frames)
    }
}

/// Writes the demo exam into `dir` (created if needed). Refuses to overwrite existing files.
pub fn write_exam(dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let specs = [
        (
            "demo_01_mono_single.dcm",
            Spec {
                instance: 1,
                ..realistic(Kind::Mono, 640, 480, 1)
            },
        ),
        (
            "demo_02_rgb_cine.dcm",
            Spec {
                instance: 2,
                ..realistic(Kind::Rgb, 640, 480, 12)
            },
        ),
        (
            "demo_03_jpeg_cine.dcm",
            Spec {
                instance: 3,
                ..realistic(Kind::JpegBaseline, 640, 480, 24)
            },
        ),
        (
            "demo_04_ybr422_single.dcm",
            Spec {
                instance: 4,
                regions: false,
                ..realistic(Kind::Ybr422Native, 640, 480, 1)
            },
        ),
        (
            "demo_05_jpeg_single.dcm",
            Spec {
                instance: 5,
                ..realistic(Kind::JpegBaseline, 800, 600, 1)
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, spec) in specs {
        let path = dir.join(name);
        if path.exists() {
            return Err(format!(
                "`{}` already exists: pick an empty folder",
                path.display()
            ));
        }
        write_file(&path, &spec)?;
        out.push(path);
    }
    Ok(out)
}
