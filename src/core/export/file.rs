//! One file through the pipeline: decode, crop, encode, fix headers, de-identify, write.

use std::io::Write;

use dicom_dictionary_std::tags;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use rayon::prelude::*;

use super::header::{self, PixelDescription};
use crate::core::crop::CropRect;
use crate::core::dcm::{get_str, TransferSyntaxKind};
use crate::core::load::{FileInfo, LoadedFile};
use crate::core::pixels::{
    decode, encapsulated, jpeg, jpeg_blank, jpeg_direct, jpeg_markers, render, rle,
};
use crate::core::settings::{Encoding, JpegCropMode, Settings};
use crate::core::text::mask;

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const RLE: &str = "1.2.840.10008.1.2.5";

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

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The crop actually applied (may be snapped to the JPEG grid).
    pub crop: CropRect,
    pub frames: u32,
    /// Pixel values differ from the original's (the input was lossy or we compressed).
    pub lossy: bool,
    pub transfer_syntax: String,
    pub photometric: String,
    pub plan: PixelPlan,
    /// Rectangles blanked in every frame (output coordinates).
    pub masked: Vec<CropRect>,
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

/// A file ready to be written: the new header (no pixel data), the pixels to write, and the
/// original object that native frames are decoded from while writing.
pub struct Prepared {
    pub obj: DefaultDicomObject,
    pub pixels: PixelOut,
    pub written: Written,
    pub src: DefaultDicomObject,
    pub info: FileInfo,
}

pub enum PixelOut {
    /// Uncompressed frames, decoded and cropped in chunks while writing.
    Native {
        frame_bytes: usize,
        vr_ow: bool,
        rect: CropRect,
        /// Text boxes to blank (frame coordinates) and the black pixel's sample bytes.
        mask: Vec<CropRect>,
        black: Vec<u8>,
        /// Native YBR_FULL_422 copied in its stored layout (crop x origin and width even).
        ybr422_pairs: bool,
    },
    /// Compressed frames and their transfer syntax.
    Encapsulated(Vec<Vec<u8>>, &'static str),
}

/// Frames of a file already read, by number: the text search's sampled frames when they are
/// the stored rows themselves (native 8-bit MONOCHROME2 or RGB, see
/// [`jpeg_direct::takes_stored_rows`]), so that the JPEG encoder does not read them again (from
/// disk, for a large file).
#[derive(Default)]
pub struct StoredFrames(Vec<(u32, Vec<u8>)>);

impl StoredFrames {
    /// `frames`: [`crate::core::text::read_frames`] of the file (its sampled frames, in
    /// order); kept only where each is a whole stored frame.
    pub fn from_sampled(info: &FileInfo, frames: Vec<crate::core::pixels::Frame>) -> Self {
        let numbers = crate::core::text::sample_frames(info.frames);
        if !jpeg_direct::takes_stored_rows(info) || numbers.len() != frames.len() {
            return StoredFrames::default();
        }
        let size = info.columns as usize * info.rows as usize * info.samples_per_pixel as usize;
        let whole = |f: &crate::core::pixels::Frame| {
            f.width == info.columns
                && f.height == info.rows
                && f.bytes_per_sample == 1
                && f.spp as u16 == info.samples_per_pixel
                && f.data.len() == size
        };
        if !frames.iter().all(whole) {
            return StoredFrames::default();
        }
        StoredFrames(
            numbers
                .into_iter()
                .zip(frames.into_iter().map(|f| f.data))
                .collect(),
        )
    }

    /// How many frames are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn get(&self, i: u32) -> Option<&[u8]> {
        self.0
            .binary_search_by_key(&i, |(n, _)| *n)
            .ok()
            .map(|k| &self.0[k].1[..])
    }
}

/// Decides and computes the pixel side and rewrites the pixel-describing header. `mask`:
/// text boxes (image coordinates) blanked in every frame (JPEG Baseline: the whole 8x8 blocks
/// around them, in the DCT domain, where possible); `exact`: rectangles blanked pixel for
/// pixel (outside the scan sector).
pub fn prepare(
    file: LoadedFile,
    crop: CropRect,
    mask: &[CropRect],
    exact: &[CropRect],
    settings: &Settings,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Prepared, String> {
    prepare_reusing(
        file,
        crop,
        mask,
        exact,
        StoredFrames::default(),
        settings,
        progress,
    )
}

/// As [`prepare`], with frames already read (`stored`): JPEG frames encoded straight from the
/// stored rows take those from there instead of reading them again. The same bytes.
pub fn prepare_reusing(
    file: LoadedFile,
    crop: CropRect,
    mask: &[CropRect],
    exact: &[CropRect],
    stored: StoredFrames,
    settings: &Settings,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Prepared, String> {
    let LoadedFile { obj: src, info, .. } = file;
    crop.validate(info.columns, info.rows)?;
    let image_mask = mask;
    let text_mask = crate::core::text::to_crop_coords(mask, &crop);
    let exact_mask = crate::core::text::to_crop_coords(exact, &crop);
    let plan = plan_for(
        &info,
        &src,
        &crop,
        settings,
        !text_mask.is_empty(),
        !exact_mask.is_empty(),
    );
    // the text boxes really blanked (DCT-domain blanking takes whole iMCUs)
    let mut blanked = text_mask.clone();
    let mask = [text_mask, exact_mask].concat();
    let palette = (info.photometric == "PALETTE COLOR")
        .then(|| render::read_palette(&src))
        .flatten();
    let signed = info.pixel_representation == 1;
    let q = settings.output.jpeg_quality;
    let frames = info.frames;
    let done = std::sync::atomic::AtomicU32::new(0);
    let tick = || {
        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(d, frames);
    };
    let (pixels, desc, written_crop) = match plan {
        // (blanking needs whole pixels: with text to mask, 4:2:2 is expanded to YBR_FULL below)
        PixelPlan::Native if mask.is_empty() && decode::keeps_native_ybr422(&info, &crop) => {
            // 4:2:2 pairs stay whole: the stored samples are copied as they are, bit-exact,
            // still native YBR_FULL_422 (dciodvfy's findings on it are the input's own)
            let desc = PixelDescription {
                rows: crop.height(),
                columns: crop.width(),
                frames,
                spp: 3,
                photometric: "YBR_FULL_422".into(),
                bits: None,
                new_lossy: None,
                was_lossy: info.lossy,
                planar: false,
            };
            let out = PixelOut::Native {
                frame_bytes: crop.width() as usize * crop.height() as usize * 2,
                vr_ow: false,
                rect: crop,
                mask: Vec::new(),
                black: Vec::new(),
                ybr422_pairs: true,
            };
            (out, desc, crop)
        }
        PixelPlan::Native => {
            let first = decode::decode_cropped(&src, &info, 0, &crop)?;
            let black = mask::black_pixel(&first, signed, palette.as_ref());
            let mut desc = PixelDescription {
                rows: first.height,
                columns: first.width,
                frames,
                spp: first.spp,
                photometric: first.photometric.clone(),
                bits: None,
                new_lossy: None,
                was_lossy: info.lossy,
                planar: false,
            };
            if first.photometric == "YBR_FULL" {
                // The US IODs accept YBR_FULL only compressed: keep the samples exactly, in RLE
                // (native YBR_FULL_422 cropped through a pixel pair lands here, expanded).
                let out: Result<Vec<Vec<u8>>, String> = (0..frames)
                    .into_par_iter()
                    .map(|i| {
                        let mut f = decode::decode_cropped(&src, &info, i, &crop)?;
                        mask::fill(&mut f, &mask, &black);
                        tick();
                        Ok(rle::encode(&f))
                    })
                    .collect();
                desc.planar = true;
                (PixelOut::Encapsulated(out?, RLE), desc, crop)
            } else {
                let vr_ow = first.bytes_per_sample == 2;
                (
                    PixelOut::Native {
                        frame_bytes: first.data.len(),
                        vr_ow,
                        rect: crop,
                        mask: mask.clone(),
                        black,
                        ybr422_pairs: false,
                    },
                    desc,
                    crop,
                )
            }
        }
        PixelPlan::JpegCopy | PixelPlan::JpegLossless(_) => {
            let rect = match plan {
                PixelPlan::JpegLossless(r) => r,
                _ => crop,
            };
            let out: Result<Vec<Vec<u8>>, String> = (0..frames)
                .into_par_iter()
                .map(|i| {
                    let b = encapsulated::frame_bytes(&src, frames, i)?;
                    // Copied or DCT-cropped streams keep only the segments decoding needs:
                    // COM, EXIF, ICC and other APPn segments can carry identity.
                    let r = if plan == PixelPlan::JpegCopy {
                        jpeg_markers::strip(&b)
                    } else {
                        jpeg::lossless_crop(&b, &rect).and_then(|c| jpeg_markers::strip(&c))
                    };
                    tick();
                    r
                })
                .collect();
            let desc = jpeg_kept_description(&info, &rect, frames);
            (PixelOut::Encapsulated(out?, JPEG_BASELINE), desc, rect)
        }
        PixelPlan::JpegBlank(rect) => {
            let mono1 = info.photometric == "MONOCHROME1";
            let layout = jpeg_blank::check(&encapsulated::frame_bytes(&src, frames, 0)?, mono1)?;
            let local = crate::core::text::to_crop_coords(image_mask, &rect);
            blanked = jpeg_blank::snap_outward(&local, layout.mcu(), rect.width(), rect.height());
            let whole = rect.is_full(info.columns, info.rows);
            let out: Result<Vec<Vec<u8>>, String> = (0..frames)
                .into_par_iter()
                .map(|i| {
                    let b = encapsulated::frame_bytes(&src, frames, i)?;
                    let l = jpeg_blank::check(&b, mono1)?;
                    if l.mcu() != layout.mcu() {
                        return Err("JPEG frames of one file differ in subsampling".into());
                    }
                    let r = jpeg_blank::blank(&b, &l, (!whole).then_some(&rect), &blanked)
                        .and_then(|c| jpeg_markers::strip(&c));
                    tick();
                    r
                })
                .collect();
            let desc = jpeg_kept_description(&info, &rect, frames);
            (PixelOut::Encapsulated(out?, JPEG_BASELINE), desc, rect)
        }
        PixelPlan::JpegEncode => {
            // the header's VOI window, else the whole stored range: one mapping for every
            // frame (a per-frame range would make cine loops flicker)
            let full = ((1u64 << info.bits_stored.min(16)) - 1) as f64;
            let window = render::read_window(&src, signed).or(Some(render::Window {
                center: if signed { -0.5 } else { full / 2.0 },
                width: full,
                signed,
            }));
            let out: Result<Vec<Vec<u8>>, String> = (0..frames)
                .into_par_iter()
                .map(|i| {
                    // straight from the stored samples where possible (nothing to blank),
                    // else the general path
                    let direct = if mask.is_empty() {
                        match stored.get(i) {
                            Some(raw) => jpeg_direct::encode_stored(raw, &info, i, &crop, q),
                            None => jpeg_direct::encode(&src, &info, i, &crop, q),
                        }
                    } else {
                        None
                    };
                    let r = direct.unwrap_or_else(|| {
                        let f = decode::decode_cropped(&src, &info, i, &crop)?;
                        let mut e = render::to_8bit(&f, palette.as_ref(), window);
                        let black = vec![0u8; e.spp as usize];
                        mask::fill(&mut e, &mask, &black);
                        jpeg::encode(&e, q)
                    });
                    tick();
                    r
                })
                .collect();
            let out = out?;
            let colour = info.samples_per_pixel == 3 || info.photometric == "PALETTE COLOR";
            let raw = crop.width() as f64
                * crop.height() as f64
                * if colour { 3.0 } else { 1.0 }
                * frames as f64;
            let compressed: usize = out.iter().map(|f| f.len()).sum::<usize>().max(1);
            let desc = PixelDescription {
                rows: crop.height(),
                columns: crop.width(),
                frames,
                spp: if colour { 3 } else { 1 },
                photometric: if colour {
                    "YBR_FULL_422".into()
                } else {
                    "MONOCHROME2".into()
                },
                bits: Some((8, 8, 7, 0)),
                new_lossy: Some((raw / compressed as f64, "ISO_10918_1")),
                was_lossy: info.lossy,
                planar: false,
            };
            (PixelOut::Encapsulated(out, JPEG_BASELINE), desc, crop)
        }
    };
    let transfer_syntax = match pixels {
        PixelOut::Native { .. } => EXPLICIT_LE,
        PixelOut::Encapsulated(_, ts) => ts,
    };
    let written = Written {
        crop: written_crop,
        frames,
        lossy: info.lossy || desc.new_lossy.is_some(),
        transfer_syntax: transfer_syntax.to_string(),
        photometric: desc.photometric.clone(),
        plan,
        masked: blanked,
    };
    // The new header: a copy of the original's without pixel data, then the new description.
    let mut obj = header_copy(&src);
    header::apply(&mut obj, &desc);
    if !written_crop.is_full(info.columns, info.rows) {
        crate::core::regions::crop_regions(&mut obj, &written_crop);
    }
    obj.update_meta(|m| {
        m.transfer_syntax = transfer_syntax.to_string();
        m.implementation_class_uid = crate::core::uid::implementation_class_uid();
        m.implementation_version_name = Some(crate::core::uid::implementation_version_name());
        m.update_information_group_length();
    });
    Ok(Prepared {
        obj,
        pixels,
        written,
        src,
        info,
    })
}

/// The original object without its pixel data (cheap: pixel data is not copied).
fn header_copy(src: &DefaultDicomObject) -> DefaultDicomObject {
    let meta = src.meta().clone();
    let mut out = DefaultDicomObject::new_empty_with_meta(meta);
    for e in src.iter().filter(|e| e.header().tag != tags::PIXEL_DATA) {
        out.put(e.clone());
    }
    out
}

impl Prepared {
    /// About the size of the written file (the pixels and room for the header), to reserve
    /// the output at once rather than growing it by copies.
    pub fn size_hint(&self) -> usize {
        let pixels = match &self.pixels {
            PixelOut::Native { frame_bytes, .. } => frame_bytes * self.written.frames as usize,
            PixelOut::Encapsulated(frames, _) => frames.iter().map(|f| f.len() + 8).sum(),
        };
        pixels + (64 << 10)
    }
}

/// Writes the file: preamble, meta, the data set before (7FE0,0010), the pixels, the rest.
pub fn write(
    prepared: Prepared,
    out: &mut dyn Write,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<(), String> {
    let Prepared {
        obj,
        pixels,
        written,
        src,
        info,
    } = prepared;
    let ts = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
    let charset = get_str(&obj, tags::SPECIFIC_CHARACTER_SET)
        .and_then(|c| SpecificCharacterSet::from_code(c.split('\\').next().unwrap_or("")))
        .unwrap_or_default();
    let meta = obj.meta().clone();
    let ds = obj.into_inner();
    let (before, after): (Vec<_>, Vec<_>) = ds
        .into_iter()
        .partition(|e| e.header().tag < tags::PIXEL_DATA);
    let before = InMemDicomObject::from_element_iter(before);
    let after = InMemDicomObject::from_element_iter(after);
    let io = |e: std::io::Error| format!("write failed: {e}");
    out.write_all(&[0u8; 128]).map_err(io)?;
    out.write_all(b"DICM").map_err(io)?;
    meta.write(&mut *out)
        .map_err(|e| format!("cannot write file meta: {e}"))?;
    before
        .write_dataset_with_ts(&mut *out, &ts)
        .map_err(|e| format!("cannot write data set: {}", first_line(&e.to_string())))?;
    match pixels {
        PixelOut::Encapsulated(mut frames, _) => {
            encapsulated::write_encapsulated(&mut *out, &mut frames).map_err(io)?;
        }
        PixelOut::Native {
            frame_bytes,
            vr_ow,
            rect,
            mask: boxes,
            black,
            ybr422_pairs,
        } => {
            let total = frame_bytes as u64 * written.frames as u64;
            let padded = total + total % 2;
            if padded > u32::MAX as u64 - 1 {
                return Err("cropped pixel data is larger than 4 GB".into());
            }
            encapsulated::write_native_header(&mut *out, vr_ow, padded as u32).map_err(io)?;
            let rows = boxes.is_empty() && !ybr422_pairs && plain_rows(&info);
            let chunk = (rayon::current_num_threads() * 2).max(2) as u32;
            let mut start = 0u32;
            while start < written.frames {
                let end = (start + chunk).min(written.frames);
                if rows {
                    // read in parallel (from disk when the pixel data was left there)
                    let raws: Result<Vec<_>, String> = (start..end)
                        .into_par_iter()
                        .map(|i| decode::native_frame_raw(&src, &info, i))
                        .collect();
                    for raw in raws? {
                        write_rows(&raw, &info, &rect, frame_bytes, &mut *out)?;
                    }
                    progress(end, written.frames);
                    start = end;
                    continue;
                }
                let frames: Result<Vec<Vec<u8>>, String> = (start..end)
                    .into_par_iter()
                    .map(|i| {
                        if ybr422_pairs {
                            decode::ybr422_pairs_cropped(&src, &info, i, &rect)
                        } else {
                            let mut f = decode::decode_cropped(&src, &info, i, &rect)?;
                            mask::fill(&mut f, &boxes, &black);
                            Ok(f.data)
                        }
                    })
                    .collect();
                for f in frames? {
                    if f.len() != frame_bytes {
                        return Err(format!(
                            "frame sizes differ within the file ({} vs {frame_bytes} bytes)",
                            f.len()
                        ));
                    }
                    out.write_all(&f).map_err(io)?;
                }
                progress(end, written.frames);
                start = end;
            }
            if total % 2 == 1 {
                out.write_all(&[0]).map_err(io)?;
            }
        }
    }
    if after.iter().next().is_some() {
        after
            .write_dataset_with_ts_cs(&mut *out, &ts, charset)
            .map_err(|e| format!("cannot write data set: {}", first_line(&e.to_string())))?;
    }
    Ok(())
}

/// A native input whose cropped frame is a run of rows of its stored frame (interleaved
/// samples of whole bytes): those rows are written straight from it, without a cropped copy
/// in between (a copy fewer; the result is the same bytes).
fn plain_rows(info: &FileInfo) -> bool {
    !info.ts_kind.is_encapsulated()
        && info.bits_allocated > 0
        && info.bits_allocated.is_multiple_of(8)
        && !(info.planar_configuration == 1 && info.samples_per_pixel == 3)
        && !(info.photometric == "YBR_FULL_422" && info.bits_allocated == 8)
}

/// A stored frame cropped to `rect`, written row by row (whole rows at once; see
/// [`plain_rows`]).
fn write_rows(
    raw: &[u8],
    info: &FileInfo,
    rect: &CropRect,
    frame_bytes: usize,
    out: &mut dyn Write,
) -> Result<(), String> {
    let px = info.samples_per_pixel as usize * (info.bits_allocated / 8) as usize;
    let cols = info.columns as usize;
    let (x0, y0, y1) = (rect.x0 as usize, rect.y0 as usize, rect.y1 as usize);
    let w = rect.width() as usize * px;
    let whole = rect.x1 as usize <= cols && y1 <= info.rows as usize;
    if !whole || raw.len() < cols * info.rows as usize * px {
        return Err("the crop lies outside the frame".into());
    }
    if w * (y1 - y0) != frame_bytes {
        return Err(format!(
            "frame sizes differ within the file ({} vs {frame_bytes} bytes)",
            w * (y1 - y0)
        ));
    }
    let io = |e: std::io::Error| format!("write failed: {e}");
    if w == cols * px {
        return out.write_all(&raw[y0 * w..y1 * w]).map_err(io);
    }
    for y in y0..y1 {
        let at = (y * cols + x0) * px;
        out.write_all(&raw[at..at + w]).map_err(io)?;
    }
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

/// The pixel description of JPEG Baseline frames kept in the DCT domain (copied, cropped or
/// blanked by blocks): the crop's size, no new lossy step.
fn jpeg_kept_description(info: &FileInfo, rect: &CropRect, frames: u32) -> PixelDescription {
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
