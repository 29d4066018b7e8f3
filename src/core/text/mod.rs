//! Burned-in text: finding it in the pixels of a file ([`scan`]), deciding what to do with it
//! ([`policy`]), blanking it ([`mask`]), drawing test text ([`draw`]) and reading exported
//! frames back with OCR ([`ocr`]).
//!
//! A file is scanned on a few frames (every frame of a short file; first, middle, last and
//! evenly spaced ones of a cine, at most [`MAX_SAMPLES`]). For cines the per-pixel minimum of
//! those frames is scanned too: overlay text stays, moving speckle fades. Boxes are in image
//! coordinates (the uncropped frame).

pub mod detect;
pub mod draw;
mod label;
pub mod mask;
pub mod ocr;
pub mod policy;
mod rows;
mod search;

pub use search::Search;

use serde::Serialize;

use crate::core::crop::CropRect;
use crate::core::load::FileInfo;
use crate::core::pixels::{decode, render, Frame};
use detect::Image8;

/// Frames sampled per file.
pub const MAX_SAMPLES: usize = 8;

/// A row of text found in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TextBox {
    /// Image coordinates, x1/y1 exclusive.
    pub rect: CropRect,
    /// Its surroundings are scan content, not black: masking it would hide anatomy.
    pub over_scan: bool,
    pub glyphs: u32,
    pub glyph_height: u32,
}

impl TextBox {
    /// The box grown by the masking margin (2 pixels plus a quarter of the glyph height),
    /// clamped to the image.
    pub fn with_margin(&self, columns: u32, rows: u32) -> CropRect {
        let m = 2 + self.glyph_height / 4;
        CropRect::new(
            self.rect.x0.saturating_sub(m),
            self.rect.y0.saturating_sub(m),
            (self.rect.x1 + m).min(columns),
            (self.rect.y1 + m).min(rows),
        )
    }

    pub fn label(&self) -> String {
        let r = self.rect;
        format!("[{},{},{},{}]", r.x0, r.y0, r.x1, r.y1)
    }
}

/// Which frames to read.
pub fn sample_frames(frames: u32) -> Vec<u32> {
    if frames as usize <= MAX_SAMPLES {
        return (0..frames).collect();
    }
    let last = frames - 1;
    let mut v: Vec<u32> = (0..MAX_SAMPLES as u32)
        .map(|k| (k as u64 * last as u64 / (MAX_SAMPLES as u64 - 1)) as u32)
        .collect();
    v.push(frames / 2);
    v.sort_unstable();
    v.dedup();
    v
}

/// The sampled frames of a file as 8-bit RGB or grey (palette applied, 16-bit windowed).
pub fn read_frames(
    obj: &dicom_object::DefaultDicomObject,
    info: &FileInfo,
) -> Result<Vec<Frame>, String> {
    let palette = (info.photometric == "PALETTE COLOR")
        .then(|| render::read_palette(obj))
        .flatten();
    let window = render::read_window(obj, info.pixel_representation == 1);
    use rayon::prelude::*;
    sample_frames(info.frames)
        .into_par_iter()
        .map(|i| decode::decode_full_8bit(obj, info, i, palette.as_ref(), window))
        .collect()
}

/// Text boxes of a file, from its frames (8-bit, all the same size).
pub fn scan_frames(frames: &[Frame]) -> Vec<TextBox> {
    scan_images(&images(frames))
}

/// The frames prepared for the search (luma and overlay colour), once per file: the first
/// search and every [`recheck_images`] of the export read these.
pub fn images(frames: &[Frame]) -> Vec<Image8<'_>> {
    use rayon::prelude::*;
    frames
        .par_iter()
        .map(|f| Image8::from_samples(f.width, f.height, f.spp, &f.data))
        .collect()
}

/// Text boxes in a set of images of one file.
pub fn scan_images(imgs: &[Image8]) -> Vec<TextBox> {
    Search::run(imgs, false).boxes
}

/// Whether at least 1 % of the pixels change.
pub(super) fn gate(steady: &[bool]) -> bool {
    let moving = steady.iter().filter(|&&s| !s).count();
    moving * 100 >= steady.len()
}

/// Per pixel, whether it stays the same (within JPEG noise) in every image; `None` for fewer
/// than three images and images of several sizes.
pub(super) fn steady_all(imgs: &[Image8]) -> Option<Vec<bool>> {
    if imgs.len() < 3 {
        return None;
    }
    let n = imgs[0].luma.len();
    if imgs.iter().any(|i| i.luma.len() != n) {
        return None;
    }
    // per-pixel lowest and highest value over the images, one image at a time (in memory
    // order, so the compiler vectorises it)
    let mut lo = imgs[0].luma.to_vec();
    let mut hi = lo.clone();
    for i in &imgs[1..] {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(i.luma.iter()) {
            *l = (*l).min(v);
            *h = (*h).max(v);
        }
    }
    Some(lo.iter().zip(&hi).map(|(l, h)| h - l <= 24).collect())
}

pub(super) fn min_image<'a>(imgs: &[Image8<'a>]) -> Image8<'a> {
    let mut out = imgs[0].clone();
    let luma = out.luma.to_mut();
    for i in &imgs[1..] {
        for (o, &v) in luma.iter_mut().zip(i.luma.iter()) {
            *o = (*o).min(v);
        }
    }
    // an empty overlay plane is all false, and so is the plane's minimum with it
    if imgs.iter().any(|i| i.overlay_colour.is_empty()) {
        out.overlay_colour = Vec::new();
    } else {
        for i in &imgs[1..] {
            for (o, &v) in out.overlay_colour.iter_mut().zip(&i.overlay_colour) {
                *o &= v;
            }
        }
    }
    out
}

/// Scans a loaded file.
pub fn scan(
    obj: &dicom_object::DefaultDicomObject,
    info: &FileInfo,
) -> Result<Vec<TextBox>, String> {
    Ok(scan_frames(&read_frames(obj, info)?))
}

/// Boxes that reach into the crop.
pub fn inside(boxes: &[TextBox], crop: &CropRect) -> Vec<TextBox> {
    boxes
        .iter()
        .filter(|b| intersect(&b.rect, crop).is_some())
        .copied()
        .collect()
}

pub fn intersect(a: &CropRect, b: &CropRect) -> Option<CropRect> {
    let r = CropRect::new(
        a.x0.max(b.x0),
        a.y0.max(b.y0),
        a.x1.min(b.x1),
        a.y1.min(b.y1),
    );
    (r.x0 < r.x1 && r.y0 < r.y1).then_some(r)
}

/// Mask rectangles in the coordinates of the cropped frame.
pub fn to_crop_coords(rects: &[CropRect], crop: &CropRect) -> Vec<CropRect> {
    rects
        .iter()
        .filter_map(|r| intersect(r, crop))
        .map(|r| {
            CropRect::new(
                r.x0 - crop.x0,
                r.y0 - crop.y0,
                r.x1 - crop.x0,
                r.y1 - crop.y0,
            )
        })
        .collect()
}

/// The search again on the pixels as they will be written: each frame cropped, the masks
/// blanked. What it returns is in crop coordinates.
pub fn recheck(frames: &[Frame], mask: &[CropRect], crop: &CropRect) -> Vec<TextBox> {
    recheck_images(&images(frames), mask, crop)
}

/// [`recheck`] on the images of [`images`]: the crop and the black boxes are cut from the
/// prepared images (a black pixel is luma 0 and no overlay colour, what the frame blanked and
/// prepared again gives), so the frames are neither copied nor converted again.
pub fn recheck_images(imgs: &[Image8], mask: &[CropRect], crop: &CropRect) -> Vec<TextBox> {
    let local = to_crop_coords(mask, crop);
    use rayon::prelude::*;
    let out: Vec<Image8> = imgs
        .par_iter()
        .map(|i| {
            let mut c = crop_image(i, crop);
            blank_image(&mut c, &local);
            c
        })
        .collect();
    scan_images(&out)
}

/// The part of `img` inside `r` (clamped to the image).
pub(super) fn crop_image(img: &Image8, r: &CropRect) -> Image8<'static> {
    let (x0, y0) = (r.x0.min(img.width), r.y0.min(img.height));
    let (x1, y1) = (r.x1.min(img.width).max(x0), r.y1.min(img.height).max(y0));
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut luma = Vec::with_capacity(w * h);
    let colour = !img.overlay_colour.is_empty();
    let mut overlay_colour = Vec::with_capacity(if colour { w * h } else { 0 });
    let stride = img.width as usize;
    for y in y0 as usize..y1 as usize {
        let at = y * stride + x0 as usize;
        luma.extend_from_slice(&img.luma[at..at + w]);
        if colour {
            overlay_colour.extend_from_slice(&img.overlay_colour[at..at + w]);
        }
    }
    Image8 {
        width: w as u32,
        height: h as u32,
        luma: luma.into(),
        overlay_colour,
    }
}

/// Blanks each rectangle (clamped) to black: luma 0, no overlay colour.
pub(super) fn blank_image(img: &mut Image8, rects: &[CropRect]) {
    let stride = img.width as usize;
    let colour = !img.overlay_colour.is_empty();
    for r in rects {
        let (x1, y1) = (r.x1.min(img.width), r.y1.min(img.height));
        if r.x0 >= x1 {
            continue;
        }
        for y in r.y0..y1 {
            let at = y as usize * stride;
            let span = at + r.x0 as usize..at + x1 as usize;
            img.luma.to_mut()[span.clone()].fill(0);
            if colour {
                img.overlay_colour[span].fill(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pixels::Frame;

    /// A cropped, blanked image equals the image of the frame cropped and blanked first (the
    /// way the recheck used to prepare it), for grey and colour, on any rectangles.
    #[test]
    fn image_crop_and_blank_match_the_frame_path() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for spp in [1u8, 3] {
            for _ in 0..20 {
                let (w, h) = (7 + (next() % 40) as u32, 5 + (next() % 30) as u32);
                let data: Vec<u8> = (0..w * h * spp as u32).map(|_| next() as u8).collect();
                let f = Frame::eight_bit(w, h, spp, data);
                let x0 = (next() % w as u64) as u32;
                let y0 = (next() % h as u64) as u32;
                let crop = CropRect::new(
                    x0,
                    y0,
                    x0 + 1 + (next() % (w - x0) as u64) as u32,
                    y0 + 1 + (next() % (h - y0) as u64) as u32,
                );
                let rects: Vec<CropRect> = (0..3)
                    .map(|_| {
                        let (a, b) = ((next() % w as u64) as u32, (next() % h as u64) as u32);
                        CropRect::new(
                            a,
                            b,
                            a + 1 + (next() % 12) as u32,
                            b + 1 + (next() % 9) as u32,
                        )
                    })
                    .collect();
                let local = to_crop_coords(&rects, &crop);
                let mut c = crate::core::pixels::crop::crop_frame(&f, &crop);
                mask::fill(&mut c, &local, &vec![0u8; spp as usize]);
                let want = Image8::from_samples(c.width, c.height, c.spp, &c.data);
                let src = Image8::from_samples(w, h, spp, &f.data);
                let mut got = crop_image(&src, &crop);
                blank_image(&mut got, &local);
                assert_eq!((got.width, got.height), (want.width, want.height));
                assert_eq!(got.luma, want.luma);
                let n = (got.width * got.height) as usize;
                let colour = |i: &Image8| (0..n).map(|p| i.colour_at(p)).collect::<Vec<_>>();
                assert_eq!(colour(&got), colour(&want));
            }
        }
    }
}
