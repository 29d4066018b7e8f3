//! How the pixels of one file will be written: kept in their JPEG encoding (copied, cropped
//! or blanked in the DCT domain), re-encoded, or written uncompressed.

use dicom_object::DefaultDicomObject;

use crate::core::crop::CropRect;
use crate::core::dcm::TransferSyntaxKind;
use crate::core::export::header::PixelDescription;
use crate::core::load::FileInfo;
use crate::core::pixels::{encapsulated, jpeg, jpeg_blank};
use crate::core::settings::{Encoding, JpegCropMode, Settings};

/// How the pixels of one file will be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelPlan {
    /// Decoded, cropped, written uncompressed (Explicit VR Little Endian).
    Native,
    /// JPEG Baseline frames copied untouched (no crop needed).
    JpegCopy,
    /// JPEG Baseline frames cropped in the DCT domain.
    JpegLossless(CropRect),
    /// Decoded, cropped, re-encoded as JPEG Baseline.
    JpegEncode,
    /// JPEG Baseline frames cropped (unless the rectangle is the whole frame) and blanked in
    /// the DCT domain: whole iMCUs around each mask rectangle, nothing re-encoded.
    JpegBlank(CropRect),
}

pub fn plan_for(
    info: &FileInfo,
    obj: &DefaultDicomObject,
    crop: &CropRect,
    settings: &Settings,
    masking: bool,
    exact: bool,
) -> PixelPlan {
    if settings.output.encoding == Encoding::Jpeg {
        return PixelPlan::JpegEncode;
    }
    if info.ts_kind != TransferSyntaxKind::JpegBaseline || info.bits_allocated != 8 {
        return PixelPlan::Native;
    }
    if exact {
        // blanking outside the sector cuts 8x8 blocks: decode, blank, re-encode
        return PixelPlan::JpegEncode;
    }
    if crop.is_full(info.columns, info.rows) {
        return if masking {
            jpeg_blank_plan(info, obj, crop)
        } else {
            PixelPlan::JpegCopy
        };
    }
    let mcu = encapsulated::frame_bytes(obj, info.frames, 0).and_then(|b| jpeg::mcu_size(&b));
    let Ok(mcu) = mcu else {
        return PixelPlan::JpegEncode;
    };
    match jpeg_lossless_crop(crop, mcu, settings) {
        Some(r) if masking => jpeg_blank_plan(info, obj, &r),
        Some(r) => PixelPlan::JpegLossless(r),
        None => PixelPlan::JpegEncode,
    }
}

/// Text boxes in JPEG Baseline frames: blanked in the DCT domain when the stream allows it
/// (8-bit sequential Huffman, grey, YCbCr or RGB), else decoded, blanked and re-encoded.
fn jpeg_blank_plan(info: &FileInfo, obj: &DefaultDicomObject, rect: &CropRect) -> PixelPlan {
    let mono1 = info.photometric == "MONOCHROME1";
    match encapsulated::frame_bytes(obj, info.frames, 0).and_then(|b| jpeg_blank::check(&b, mono1))
    {
        Ok(_) => PixelPlan::JpegBlank(*rect),
        Err(_) => PixelPlan::JpegEncode,
    }
}

/// The crop a JPEG baseline file kept in its encoding really gets, given its iMCU size: the
/// box itself when its origin is on the grid, else (with `jpeg_crop = "snap"`) the origin moved
/// inward to the grid; `None` when the frames are re-encoded instead. The UI shows this box
/// before the export.
pub fn jpeg_lossless_crop(
    crop: &CropRect,
    mcu: (u32, u32),
    settings: &Settings,
) -> Option<CropRect> {
    if settings.output.encoding == Encoding::Jpeg {
        return None;
    }
    if crop.x0.is_multiple_of(mcu.0) && crop.y0.is_multiple_of(mcu.1) {
        return Some(*crop);
    }
    match settings.output.jpeg_crop {
        JpegCropMode::Snap => jpeg::snap_inward(crop, mcu),
        JpegCropMode::Reencode => None,
    }
}

/// The pixel description of JPEG Baseline frames kept in the DCT domain (copied, cropped or
/// blanked by blocks): the crop's size, no new lossy step.
pub(super) fn jpeg_kept_description(
    info: &FileInfo,
    rect: &CropRect,
    frames: u32,
) -> PixelDescription {
    PixelDescription {
        rows: rect.height(),
        columns: rect.width(),
        frames,
        spp: info.samples_per_pixel as u8,
        photometric: info.photometric.clone(),
        bits: None,
        new_lossy: None,
        was_lossy: true,
        planar: false,
    }
}
