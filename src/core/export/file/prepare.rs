//! One file made ready to be written: its pixels decoded, cropped, blanked and encoded as the
//! plan says, and its header rewritten to describe them.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use rayon::prelude::*;

use super::plan::{jpeg_kept_description, plan_for, PixelPlan};
use super::Written;
use crate::core::crop::CropRect;
use crate::core::export::header::{self, PixelDescription};
use crate::core::load::{FileInfo, LoadedFile};
use crate::core::pixels::{
    decode, encapsulated, jpeg, jpeg_blank, jpeg_direct, jpeg_markers, render, rle,
};
use crate::core::settings::Settings;
use crate::core::text::mask;

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const RLE: &str = "1.2.840.10008.1.2.5";

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
