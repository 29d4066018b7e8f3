//! What we need to know about a file, read from its header, and whether we can work on it.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use serde::Serialize;

use crate::core::dcm::{get_str, get_u32, TransferSyntaxKind};

/// One item of SequenceOfUltrasoundRegions (DICOM Max values are inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsRegion {
    pub min_x0: u32,
    pub min_y0: u32,
    pub max_x1: u32,
    pub max_y1: u32,
    pub spatial_format: u16,
    pub data_type: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    pub sop_instance_uid: String,
    pub sop_class_uid: String,
    pub modality: String,
    pub transfer_syntax: String,
    pub ts_kind: TransferSyntaxKind,
    pub photometric: String,
    pub rows: u32,
    pub columns: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub pixel_representation: u16,
    pub planar_configuration: u16,
    pub manufacturer: String,
    pub model: String,
    pub regions: Vec<UsRegion>,
    /// Milliseconds between frames, for cine playback.
    pub frame_time_ms: Option<f64>,
    /// BurnedInAnnotation as written (YES/NO), if present.
    pub burned_in: Option<String>,
    /// True when the pixel data in the file is already lossy.
    pub lossy: bool,
    /// Things worth telling the user that do not stop the work (e.g. not ultrasound).
    pub flags: Vec<String>,
    /// The side the file states: Image Laterality (0020,0062), else Laterality (0020,0060)
    /// (shown against the side tag, which wins on export).
    pub laterality: Option<String>,
    /// Native pixel data left in the file (large files are not read into memory).
    #[serde(skip)]
    pub pixel_location: Option<PixelLocation>,
    /// Who the file belongs to (original values: never shown, logged or serialised).
    #[serde(skip)]
    pub patient: crate::core::patients::PatientKey,
}

/// Where native pixel data sits in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelLocation {
    pub path: std::path::PathBuf,
    /// Byte offset of the first sample.
    pub offset: u64,
    /// Value length in bytes.
    pub len: u64,
    /// Holds a spilled ZIP member's temporary file while the pixels are read from it.
    pub keep: super::spill::KeepAlive,
}

impl FileInfo {
    pub fn is_ultrasound(&self) -> bool {
        self.modality.eq_ignore_ascii_case("US")
    }

    pub fn is_multi_frame(&self) -> bool {
        self.frames > 1
    }

    /// May the pixels carry burned-in text? YES, or unknown on ultrasound.
    pub fn may_have_burned_in_text(&self) -> bool {
        match self.burned_in.as_deref() {
            Some("NO") => false,
            Some(_) => true,
            None => self.is_ultrasound(),
        }
    }
}

const SOP_CLASS_DICOMDIR: &str = "1.2.840.10008.1.3.10";

/// Validates a parsed object; the error is a human reason.
pub fn probe(obj: &DefaultDicomObject) -> Result<FileInfo, String> {
    probe_with(obj, None)
}

/// As [`probe`], for an object whose native pixel data was left in the file at `location`.
pub fn probe_with(
    obj: &DefaultDicomObject,
    location: Option<PixelLocation>,
) -> Result<FileInfo, String> {
    let meta = obj.meta();
    let media_class = meta
        .media_storage_sop_class_uid()
        .trim_end_matches('\0')
        .trim();
    if media_class == SOP_CLASS_DICOMDIR
        || obj
            .element_opt(tags::DIRECTORY_RECORD_SEQUENCE)
            .ok()
            .flatten()
            .is_some()
    {
        return Err(
            "DICOMDIR: a media directory listing, not an image (load the files it lists)".into(),
        );
    }
    let transfer_syntax = meta
        .transfer_syntax()
        .trim_end_matches('\0')
        .trim()
        .to_string();
    if transfer_syntax.is_empty() {
        return Err(
            "broken DICOM file: the file meta information has no Transfer Syntax UID".into(),
        );
    }
    let ts_kind = TransferSyntaxKind::of(&transfer_syntax)
        .ok_or_else(|| format!("unsupported transfer syntax {transfer_syntax}"))?;
    let pixel = match obj.element_opt(tags::PIXEL_DATA) {
        Ok(Some(e)) => Some(e),
        _ if location.is_some() => None,
        _ => {
            let what = get_str(obj, tags::MODALITY).unwrap_or_default();
            return Err(if what.is_empty() {
                "no pixel data: not an image".into()
            } else {
                format!("no pixel data: not an image (modality {what})")
            });
        }
    };

    let rows = get_u32(obj, tags::ROWS).unwrap_or(0);
    let columns = get_u32(obj, tags::COLUMNS).unwrap_or(0);
    if rows == 0 || columns == 0 {
        return Err("Rows or Columns missing or zero".into());
    }
    let samples_per_pixel = get_u32(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as u16;
    let bits_allocated = get_u32(obj, tags::BITS_ALLOCATED).unwrap_or(0) as u16;
    let bits_stored = get_u32(obj, tags::BITS_STORED).unwrap_or(bits_allocated as u32) as u16;
    let pixel_representation = get_u32(obj, tags::PIXEL_REPRESENTATION).unwrap_or(0) as u16;
    let planar_configuration = get_u32(obj, tags::PLANAR_CONFIGURATION).unwrap_or(0) as u16;
    let photometric = get_str(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    let frames_raw = get_str(obj, tags::NUMBER_OF_FRAMES);
    let frames = match frames_raw.as_deref() {
        None | Some("") => 1,
        Some(s) => s
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("NumberOfFrames `{s}` is not a number"))?,
    };
    if frames == 0 {
        return Err("NumberOfFrames is 0".into());
    }
    if !matches!(bits_allocated, 8 | 16) {
        return Err(format!(
            "BitsAllocated {bits_allocated} is not supported (8 or 16)"
        ));
    }
    if bits_stored == 0 || bits_stored > bits_allocated {
        return Err(format!(
            "BitsStored {bits_stored} does not fit BitsAllocated {bits_allocated}"
        ));
    }
    let pi_ok = match (photometric.as_str(), samples_per_pixel) {
        ("MONOCHROME1" | "MONOCHROME2" | "PALETTE COLOR", 1) => true,
        ("RGB" | "YBR_FULL" | "YBR_FULL_422", 3) => true,
        ("YBR_RCT" | "YBR_ICT" | "YBR_PARTIAL_420", 3) => ts_kind.is_encapsulated(),
        _ => false,
    };
    if !pi_ok {
        return Err(format!(
            "photometric interpretation `{photometric}` with {samples_per_pixel} samples per pixel is not supported here"
        ));
    }
    if photometric == "PALETTE COLOR" {
        for t in [
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        ] {
            if obj.element_opt(t).ok().flatten().is_none() {
                return Err("PALETTE COLOR without its lookup table descriptors".into());
            }
        }
    }
    if photometric == "YBR_FULL_422" && !ts_kind.is_encapsulated() && columns % 2 == 1 {
        return Err("native YBR_FULL_422 with an odd number of columns".into());
    }

    if ts_kind.is_encapsulated() {
        let pixel = pixel.ok_or("encapsulated pixel data missing")?;
        let frags = pixel.fragments().map(|f| f.len()).unwrap_or(0);
        if frags == 0 {
            return Err("encapsulated pixel data has no fragments".into());
        }
        if frags < frames as usize
            && pixel.offset_table().map(|t| t.is_empty()).unwrap_or(true)
            && frags != 1
        {
            // Several frames share fragments without an offset table: we split on JPEG markers.
            if !ts_kind.is_jpeg_family() {
                return Err(format!(
                    "{frames} frames in {frags} fragments without an offset table"
                ));
            }
        }
    } else {
        let expected = crate::core::pixels::layout::native_frame_bytes(
            rows,
            columns,
            samples_per_pixel,
            bits_allocated,
            &photometric,
        ) * frames as u64;
        let have = match (pixel, &location) {
            (_, Some(loc)) => loc.len,
            (Some(pixel), None) => match pixel.header().len.get() {
                Some(l) if l > 0 => l as u64,
                _ => pixel
                    .value()
                    .to_bytes()
                    .map(|b| b.len() as u64)
                    .unwrap_or(0),
            },
            (None, None) => 0,
        };
        if have < expected {
            return Err(format!(
                "pixel data is truncated: {have} bytes, {expected} expected"
            ));
        }
    }

    let modality = get_str(obj, tags::MODALITY).unwrap_or_default();
    let mut flags = Vec::new();
    if !modality.eq_ignore_ascii_case("US") {
        flags.push(if modality.is_empty() {
            "not ultrasound: no Modality".to_string()
        } else {
            format!("not ultrasound: modality {modality}")
        });
    }
    let frame_time_ms = get_str(obj, tags::FRAME_TIME)
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .or_else(|| {
            get_str(obj, tags::CINE_RATE)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| *v > 0.0)
                .map(|r| 1000.0 / r)
        });
    let lossy =
        ts_kind.is_lossy() || get_str(obj, tags::LOSSY_IMAGE_COMPRESSION).as_deref() == Some("01");

    Ok(FileInfo {
        sop_instance_uid: get_str(obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        sop_class_uid: get_str(obj, tags::SOP_CLASS_UID).unwrap_or_default(),
        modality,
        transfer_syntax,
        ts_kind,
        photometric,
        rows,
        columns,
        frames,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        pixel_representation,
        planar_configuration,
        manufacturer: get_str(obj, tags::MANUFACTURER).unwrap_or_default(),
        model: get_str(obj, tags::MANUFACTURER_MODEL_NAME).unwrap_or_default(),
        regions: read_regions(obj),
        frame_time_ms,
        burned_in: get_str(obj, tags::BURNED_IN_ANNOTATION).map(|s| s.to_ascii_uppercase()),
        lossy,
        flags,
        laterality: get_str(obj, Tag(0x0020, 0x0062))
            .or_else(|| get_str(obj, Tag(0x0020, 0x0060)))
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty()),
        pixel_location: location,
        patient: crate::core::patients::PatientKey::from_obj(obj),
    })
}

/// Reads SequenceOfUltrasoundRegions; items missing a coordinate are ignored.
pub fn read_regions(obj: &DefaultDicomObject) -> Vec<UsRegion> {
    let Ok(Some(seq)) = obj.element_opt(tags::SEQUENCE_OF_ULTRASOUND_REGIONS) else {
        return Vec::new();
    };
    let Some(items) = seq.items() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|it| {
            let g = |t: Tag| {
                it.element_opt(t)
                    .ok()
                    .flatten()
                    .and_then(|e| e.to_int::<u32>().ok())
            };
            let g16 = |t: Tag| {
                it.element_opt(t)
                    .ok()
                    .flatten()
                    .and_then(|e| e.to_int::<u16>().ok())
                    .unwrap_or(0)
            };
            Some(UsRegion {
                min_x0: g(tags::REGION_LOCATION_MIN_X0)?,
                min_y0: g(tags::REGION_LOCATION_MIN_Y0)?,
                max_x1: g(tags::REGION_LOCATION_MAX_X1)?,
                max_y1: g(tags::REGION_LOCATION_MAX_Y1)?,
                spatial_format: g16(tags::REGION_SPATIAL_FORMAT),
                data_type: g16(tags::REGION_DATA_TYPE),
            })
        })
        .collect()
}
