//! Finding burned-in text in one 8-bit image: glyph-sized, high-contrast connected components
//! (at several brightness thresholds) grouped into rows. A row counts as text when its glyphs
//! sit on a black background, are drawn in a saturated overlay colour (yellow, cyan, green),
//! stay identical across the frames of a cine, or, without any of these, when at least four
//! glyphs of one height share a baseline or top line.
//!
//! Deterministic, no model: every rule is a number below.

use std::borrow::Cow;

use super::label::{label, Blob, Labelled};
use crate::core::crop::CropRect;

/// An 8-bit picture prepared for detection.
#[derive(Debug, Clone)]
pub struct Image8<'a> {
    pub width: u32,
    pub height: u32,
    /// Luma (BT.601) of every pixel: a grey frame's own samples, borrowed.
    pub luma: Cow<'a, [u8]>,
    /// Pixels in an overlay colour (yellow, cyan, green: saturated, bright, not red or blue,
    /// which colour Doppler uses). Empty when no pixel has one (every grey picture).
    pub overlay_colour: Vec<bool>,
}

impl<'a> Image8<'a> {
    /// From interleaved 8-bit grey (spp 1) or RGB (spp 3) samples.
    pub fn from_samples(width: u32, height: u32, spp: u8, data: &'a [u8]) -> Image8<'a> {
        let n = width as usize * height as usize;
        if spp != 3 {
            let luma = if data.len() >= n {
                Cow::Borrowed(&data[..n])
            } else {
                let mut l = data.to_vec();
                l.resize(n, 0);
                Cow::Owned(l)
            };
            return Image8 {
                width,
                height,
                luma,
                overlay_colour: Vec::new(),
            };
        }
        let mut luma = vec![0u8; n];
        let mut overlay_colour = vec![false; n];
        let any = rgb_planes(data, &mut luma, &mut overlay_colour);
        if !any {
            overlay_colour = Vec::new();
        }
        Image8 {
            width,
            height,
            luma: Cow::Owned(luma),
            overlay_colour,
        }
    }

    /// Whether pixel `i` has an overlay colour.
    pub fn colour_at(&self, i: usize) -> bool {
        self.overlay_colour.get(i).copied().unwrap_or(false)
    }
}

/// Luma (BT.601) and overlay colour of interleaved RGB samples; whether any pixel has an
/// overlay colour. The same loop compiled for AVX2 when the CPU has it (the compiler vectorises
/// it there: about three times faster), else for the baseline.
fn rgb_planes(data: &[u8], luma: &mut [u8], overlay: &mut [bool]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above
        return unsafe { rgb_planes_avx2(data, luma, overlay) };
    }
    rgb_planes_loop(data, luma, overlay)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rgb_planes_avx2(data: &[u8], luma: &mut [u8], overlay: &mut [bool]) -> bool {
    rgb_planes_loop(data, luma, overlay)
}

#[inline(always)]
fn rgb_planes_loop(data: &[u8], luma: &mut [u8], overlay: &mut [bool]) -> bool {
    let mut any = false;
    for ((l, o), p) in luma
        .iter_mut()
        .zip(overlay.iter_mut())
        .zip(data.chunks_exact(3))
    {
        let (r, g, b) = (p[0] as u32, p[1] as u32, p[2] as u32);
        *l = ((299 * r + 587 * g + 114 * b) / 1000) as u8;
        let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
        // green carries the overlay colours; red- or blue-only hues are Doppler
        *o = mx >= 140 && mx - mn >= 70 && g * 10 >= mx * 7;
        any |= *o;
    }
    any
}

/// One row of text found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub rect: CropRect,
    /// Number of glyph components in the row.
    pub glyphs: u32,
    /// Height of the tallest glyph.
    pub glyph_height: u32,
}

/// Brightness thresholds tried, darkest first: dim grey text on black is found at the first,
/// white text on speckle at the last.
const THRESHOLDS: [u8; 4] = [70, 130, 190, 236];
/// Glyph heights accepted (pixels).
const MIN_H: u32 = 5;
const MAX_H: u32 = 64;
/// A glyph is this much brighter than the ring of pixels around it.
const MIN_CONTRAST: i32 = 60;
/// A ring this dark is "black background".
const BLACK_RING: u32 = 30;
/// Above this many candidate glyphs at one threshold the picture is speckle: skip it.
const MAX_CANDIDATES: usize = 6000;

#[derive(Debug, Clone, Copy)]
pub(super) struct Comp {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub on_black: bool,
    pub colour: bool,
    pub steady: bool,
    /// Mean luma minus the ring's (255 for components of the overlay-colour plane).
    pub contrast: i32,
}

impl Comp {
    pub fn h(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// Components found at one threshold: glyph-sized ones, and the contrasted pieces too small
/// to be glyphs alone (dots, commas, faint lowercase letters) that only complete a row.
pub(super) struct Pieces {
    glyphs: Vec<Comp>,
    minor: Vec<Comp>,
}

/// Overlay-colour pixels needed before the colour plane is searched on its own.
const MIN_COLOUR_PIXELS: usize = 20;

/// Text rows in `img`. `steady` (cines): per pixel, true when the pixel is the same in every
/// sampled frame while other pixels change; `None` for single frames.
pub fn detect(img: &Image8, steady: Option<&[bool]>) -> Vec<Found> {
    detect_keeping(img, steady, false).0
}

/// What the search of one image keeps for [`detect_again`]: per pass, its labelling with the
/// runs, and the rings it read.
#[derive(Debug, Default)]
pub(super) struct Memo {
    pub(super) passes: Vec<PassMemo>,
}

#[derive(Debug)]
pub(super) struct PassMemo {
    /// The threshold; `None`: the overlay-colour plane.
    pub(super) threshold: Option<u8>,
    pub(super) labelled: Labelled,
    /// Per component, the ring read (mean, count); `u32::MAX` mean: not read.
    pub(super) rings: Vec<(u32, u32)>,
}

pub(super) const NOT_READ: (u32, u32) = (u32::MAX, 0);

/// The plane of overlay-colour pixels (255) when there are enough of them to search.
pub(super) fn colour_plane(img: &Image8) -> Option<Vec<u8>> {
    (img.overlay_colour.iter().filter(|&&c| c).count() >= MIN_COLOUR_PIXELS).then(|| {
        img.overlay_colour
            .iter()
            .map(|&c| if c { 255u8 } else { 0 })
            .collect::<Vec<u8>>()
    })
}

/// [`detect`], and with `keep` what [`detect_again`] reuses.
pub(super) fn detect_keeping(
    img: &Image8,
    steady: Option<&[bool]>,
    keep: bool,
) -> (Vec<Found>, Memo) {
    use rayon::prelude::*;
    // the thresholds are independent: searched in parallel, their rows kept in this order
    // and the plane of overlay-colour pixels alone: saturated glyphs stand out of grey speckle
    // even where their brightness does not
    let plane = colour_plane(img);
    let passes: Vec<Option<u8>> = THRESHOLDS
        .iter()
        .map(|&t| Some(t))
        .chain(plane.is_some().then_some(None))
        .collect();
    let per_pass: Vec<(Vec<Found>, Option<PassMemo>)> = passes
        .par_iter()
        .map(|&pass| {
            let (src, t) = match (pass, &plane) {
                (Some(t), _) => (&img.luma[..], t),
                (None, Some(plane)) => (&plane[..], 128),
                (None, None) => return (Vec::new(), None),
            };
            let labelled = label(src, img.width, t, &img.overlay_colour, steady, keep);
            let mut rings = if keep {
                vec![NOT_READ; labelled.blobs.len()]
            } else {
                Vec::new()
            };
            let p = pieces(&labelled.blobs, pass.is_none(), steady.is_some(), |i, b| {
                let r = match &plane {
                    Some(plane) if pass.is_none() => {
                        (ring_outside(img, plane, b.x0, b.y0, b.x1, b.y1), 1)
                    }
                    _ => ring(img, b.x0, b.y0, b.x1, b.y1, t),
                };
                if keep {
                    rings[i] = r;
                }
                r
            });
            let memo = keep.then_some(PassMemo {
                threshold: pass,
                labelled,
                rings,
            });
            (rows_of(p, steady.is_some()), memo)
        })
        .collect();
    let mut memo = Memo::default();
    let mut found = Vec::new();
    for (f, m) in per_pass {
        found.extend(f);
        memo.passes.extend(m);
    }
    (merge_found(found), memo)
}

/// The rows of one pass's pieces (none when the pass holds too many glyph candidates).
pub(super) fn rows_of(p: Pieces, cine: bool) -> Vec<Found> {
    if p.glyphs.len() > MAX_CANDIDATES {
        return Vec::new();
    }
    let rows = super::rows::group_rows(&p.glyphs, cine);
    super::rows::complete(rows, &p.glyphs, &p.minor)
}

pub use super::rows::merge_found;

fn glyph_sized(cw: u32, ch: u32, area: u32) -> bool {
    (MIN_H..=MAX_H).contains(&ch) && cw <= 4 * ch + 4 && cw <= 200 && area >= 5
        // solid blocks (scale bars, markers) are not glyphs; thin bars (1, l, I) are
        && !(cw > 3 && area * 100 > cw * ch * 92)
}

/// A piece that may complete a row: small, but not a speck of one or two pixels.
fn minor_sized(cw: u32, ch: u32, area: u32) -> bool {
    ch < MIN_H && cw <= 3 * MIN_H && area >= 2
}

/// The glyph-like components among `blobs` (in raster order of first pixel), and the pieces
/// too small to be glyphs; `ring(i, blob)` reads the ring of the i-th (mean, count). A pass of
/// the overlay-colour plane (`colour_pass`) has a contrast of hue, not brightness: counted as
/// full, its ring the mean of the pixels outside the plane.
pub(super) fn pieces(
    blobs: &[Blob],
    colour_pass: bool,
    cine: bool,
    mut ring: impl FnMut(usize, &Blob) -> (u32, u32),
) -> Pieces {
    let mut out = Pieces {
        glyphs: Vec::new(),
        minor: Vec::new(),
    };
    for (i, blob) in blobs.iter().enumerate() {
        let Blob {
            x0,
            y0,
            x1,
            y1,
            area,
            sum,
            colour,
            still,
        } = *blob;
        let (cw, ch) = (x1 - x0, y1 - y0);
        let glyph = glyph_sized(cw, ch, area);
        if !glyph && !minor_sized(cw, ch, area) {
            continue;
        }
        let steady = cine && still * 10 >= area * 9;
        // (ring mean, whether the colour counts, contrast)
        let (ring_mean, colour_counts, contrast) = if colour_pass {
            let (ring_mean, _) = ring(i, blob);
            (ring_mean, true, 255)
        } else {
            let mean = (sum / area as u64) as i32;
            let (ring_mean, ring_n) = ring(i, blob);
            if ring_n == 0 || mean - ring_mean as i32 <= MIN_CONTRAST {
                continue;
            }
            // overlay colours on dark ground (yellow Doppler blobs sit on red and orange)
            (ring_mean, colour * 2 >= area, mean - ring_mean as i32)
        };
        let c = Comp {
            x0,
            y0,
            x1,
            y1,
            on_black: ring_mean <= BLACK_RING,
            colour: colour_counts && ring_mean <= 2 * BLACK_RING,
            steady,
            contrast,
        };
        if glyph {
            out.glyphs.push(c);
            if out.glyphs.len() > MAX_CANDIDATES {
                // speckle: the pass is skipped whatever the other components are
                break;
            }
        } else {
            out.minor.push(c);
        }
    }
    out
}

/// Mean luma of the pixels outside `plane` in the box grown by 2.
pub(super) fn ring_outside(img: &Image8, plane: &[u8], x0: u32, y0: u32, x1: u32, y1: u32) -> u32 {
    let (gx0, gy0) = (x0.saturating_sub(2), y0.saturating_sub(2));
    let (gx1, gy1) = ((x1 + 2).min(img.width), (y1 + 2).min(img.height));
    let (mut sum, mut n) = (0u32, 0u32);
    for y in gy0..gy1 {
        for x in gx0..gx1 {
            let i = (y * img.width + x) as usize;
            if plane[i] == 0 {
                sum += img.luma[i] as u32;
                n += 1;
            }
        }
    }
    sum.checked_div(n).unwrap_or(0)
}

/// Mean luma of the pixels below `t` in the box grown by 2, and how many there are.
pub(super) fn ring(img: &Image8, x0: u32, y0: u32, x1: u32, y1: u32, t: u8) -> (u32, u32) {
    let (gx0, gy0) = (x0.saturating_sub(2), y0.saturating_sub(2));
    let (gx1, gy1) = ((x1 + 2).min(img.width), (y1 + 2).min(img.height));
    let (mut sum, mut n) = (0u32, 0u32);
    let w = img.width as usize;
    for y in gy0 as usize..gy1 as usize {
        for &v in &img.luma[y * w + gx0 as usize..y * w + gx1 as usize] {
            let below = (v < t) as u32;
            sum += v as u32 * below;
            n += below;
        }
    }
    (sum.checked_div(n).unwrap_or(0), n)
}

/// Share of the band just outside `r` (at distance `pad`, 2 pixels wide) that is scan content:
/// pixels that move across the frames of a cine (`steady` given), else bright textured pixels.
/// Flat bars (banners, colour scales) and black background are not scan content.
pub fn scan_share(img: &Image8, steady: Option<&[bool]>, r: &CropRect, pad: u32) -> f32 {
    let (w, h) = (img.width, img.height);
    let (ox0, oy0) = (r.x0.saturating_sub(pad + 2), r.y0.saturating_sub(pad + 2));
    let (ox1, oy1) = ((r.x1 + pad + 2).min(w), (r.y1 + pad + 2).min(h));
    let (ix0, iy0) = (r.x0.saturating_sub(pad), r.y0.saturating_sub(pad));
    let (ix1, iy1) = ((r.x1 + pad).min(w), (r.y1 + pad).min(h));
    let (mut scan, mut n) = (0u32, 0u32);
    for y in oy0..oy1 {
        for x in ox0..ox1 {
            if x >= ix0 && x < ix1 && y >= iy0 && y < iy1 {
                continue;
            }
            n += 1;
            let p = (y * w + x) as usize;
            let is_scan = match steady {
                Some(s) => !s[p],
                None => {
                    let v = img.luma[p] as i32;
                    let right = img.luma[(y * w + (x + 1).min(w - 1)) as usize] as i32;
                    let down = img.luma[((y + 1).min(h - 1) * w + x) as usize] as i32;
                    v > 24 && (v - right).abs() + (v - down).abs() >= 16
                }
            };
            scan += is_scan as u32;
        }
    }
    if n == 0 {
        0.0
    } else {
        scan as f32 / n as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 8-bit RGB colour gets the luma and overlay colour of the formula, whichever loop
    /// the CPU runs (AVX2 or baseline), at every position of a row (vector bodies and tails).
    #[test]
    fn rgb_planes_give_the_formula_for_every_colour() {
        for r in 0..=255u32 {
            // 65,536 pixels and one more (a tail after the vector body)
            let mut data: Vec<u8> = Vec::with_capacity(3 * 65_537);
            for g in 0..=255u32 {
                for b in 0..=255u32 {
                    data.extend([r as u8, g as u8, b as u8]);
                }
            }
            data.extend([r as u8, 200, 7]);
            let n = data.len() / 3;
            let (mut luma, mut colour) = (vec![0u8; n], vec![false; n]);
            let any = rgb_planes(&data, &mut luma, &mut colour);
            let mut want_any = false;
            for (i, p) in data.chunks_exact(3).enumerate() {
                let (r, g, b) = (p[0] as u32, p[1] as u32, p[2] as u32);
                let l = ((299 * r + 587 * g + 114 * b) / 1000) as u8;
                let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
                let c = mx >= 140 && mx - mn >= 70 && g * 10 >= mx * 7;
                want_any |= c;
                assert_eq!((luma[i], colour[i]), (l, c), "rgb {r} {g} {b}");
            }
            assert_eq!(any, want_any);
        }
    }
}
