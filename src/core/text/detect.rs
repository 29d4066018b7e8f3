//! Finding burned-in text in one 8-bit image: glyph-sized, high-contrast connected components
//! (at several brightness thresholds) grouped into rows. A row counts as text when its glyphs
//! sit on a black background, are drawn in a saturated overlay colour (yellow, cyan, green),
//! stay identical across the frames of a cine, or, without any of these, when at least four
//! glyphs of one height share a baseline or top line.
//!
//! Deterministic, no model: every rule is a number below.

use crate::core::crop::CropRect;

/// An 8-bit picture prepared for detection.
#[derive(Debug, Clone)]
pub struct Image8 {
    pub width: u32,
    pub height: u32,
    /// Luma (BT.601) of every pixel.
    pub luma: Vec<u8>,
    /// Pixels in an overlay colour (yellow, cyan, green: saturated, bright, not red or blue,
    /// which colour Doppler uses).
    pub overlay_colour: Vec<bool>,
}

impl Image8 {
    /// From interleaved 8-bit grey (spp 1) or RGB (spp 3) samples.
    pub fn from_samples(width: u32, height: u32, spp: u8, data: &[u8]) -> Image8 {
        let n = width as usize * height as usize;
        let mut luma = vec![0u8; n];
        let mut overlay_colour = vec![false; n];
        if spp == 3 {
            for ((l, o), p) in luma
                .iter_mut()
                .zip(overlay_colour.iter_mut())
                .zip(data.chunks_exact(3))
            {
                let (r, g, b) = (p[0] as u32, p[1] as u32, p[2] as u32);
                *l = ((299 * r + 587 * g + 114 * b) / 1000) as u8;
                let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
                // green carries the overlay colours; red- or blue-only hues are Doppler
                *o = mx >= 140 && mx - mn >= 70 && g * 10 >= mx * 7;
            }
        } else {
            let m = n.min(data.len());
            luma[..m].copy_from_slice(&data[..m]);
        }
        Image8 {
            width,
            height,
            luma,
            overlay_colour,
        }
    }

    fn at(&self, x: u32, y: u32) -> u8 {
        self.luma[(y * self.width + x) as usize]
    }
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
struct Comp {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    on_black: bool,
    colour: bool,
    steady: bool,
    /// Mean luma minus the ring's.
    contrast: i32,
}

impl Comp {
    fn h(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// Text rows in `img`. `steady` (cines): per pixel, true when the pixel is the same in every
/// sampled frame while other pixels change; `None` for single frames.
pub fn detect(img: &Image8, steady: Option<&[bool]>) -> Vec<Found> {
    use rayon::prelude::*;
    // the thresholds are independent: searched in parallel, their rows kept in this order
    let per_threshold: Vec<Vec<Found>> = THRESHOLDS
        .par_iter()
        .map(|&t| {
            let comps = components(img, t, steady);
            if comps.len() > MAX_CANDIDATES {
                return Vec::new();
            }
            group_rows(&comps, steady.is_some())
        })
        .collect();
    merge_found(per_threshold.into_iter().flatten().collect())
}

/// Glyph-like components of the pixels at or above `t`.
fn components(img: &Image8, t: u8, steady: Option<&[bool]>) -> Vec<Comp> {
    let mut out = Vec::new();
    for blob in super::label::blobs(&img.luma, img.width, t, &img.overlay_colour, steady) {
        let super::label::Blob {
            x0,
            y0,
            x1,
            y1,
            area,
            sum,
            colour,
            still,
        } = blob;
        let (cw, ch) = (x1 - x0, y1 - y0);
        if !(MIN_H..=MAX_H).contains(&ch) || cw > 4 * ch + 4 || cw > 200 || area < 5 {
            continue;
        }
        // solid blocks (scale bars, markers) are not glyphs; thin bars (1, l, I) are
        if cw > 3 && area * 100 > cw * ch * 92 {
            continue;
        }
        let mean = (sum / area as u64) as i32;
        let (ring_mean, ring_n) = ring(img, x0, y0, x1, y1, t);
        if ring_n == 0 || mean - ring_mean as i32 <= MIN_CONTRAST {
            continue;
        }
        out.push(Comp {
            x0,
            y0,
            x1,
            y1,
            on_black: ring_mean <= BLACK_RING,
            // overlay colours on dark ground (yellow Doppler blobs sit on red and orange)
            colour: colour * 2 >= area && ring_mean <= 2 * BLACK_RING,
            steady: steady.is_some() && still * 10 >= area * 9,
            contrast: mean - ring_mean as i32,
        });
    }
    out
}

/// Mean luma of the pixels below `t` in the box grown by 2, and how many there are.
fn ring(img: &Image8, x0: u32, y0: u32, x1: u32, y1: u32, t: u8) -> (u32, u32) {
    let (gx0, gy0) = (x0.saturating_sub(2), y0.saturating_sub(2));
    let (gx1, gy1) = ((x1 + 2).min(img.width), (y1 + 2).min(img.height));
    let (mut sum, mut n) = (0u32, 0u32);
    for y in gy0..gy1 {
        for x in gx0..gx1 {
            let v = img.at(x, y);
            if v < t {
                sum += v as u32;
                n += 1;
            }
        }
    }
    (sum.checked_div(n).unwrap_or(0), n)
}

/// Groups components into rows and keeps the rows that look like text.
fn group_rows(comps: &[Comp], cine: bool) -> Vec<Found> {
    let n = comps.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| comps[i].x0);
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (k, &a) in order.iter().enumerate() {
        let ca = comps[a];
        for &b in &order[k + 1..] {
            let cb = comps[b];
            let hmax = ca.h().max(cb.h());
            if cb.x0 > ca.x1 + hmax * 8 / 5 + 1 {
                break;
            }
            let hmin = ca.h().min(cb.h());
            let overlap = ca.y1.min(cb.y1) as i64 - ca.y0.max(cb.y0) as i64;
            if overlap * 2 < hmin as i64 || hmax * 10 > hmin * 22 {
                continue;
            }
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra] = rb;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups
        .values()
        .filter_map(|g| {
            let members: Vec<Comp> = g.iter().map(|&i| comps[i]).collect();
            is_text(&members, cine).then(|| {
                let rect = CropRect::new(
                    members.iter().map(|c| c.x0).min().unwrap_or(0),
                    members.iter().map(|c| c.y0).min().unwrap_or(0),
                    members.iter().map(|c| c.x1).max().unwrap_or(0),
                    members.iter().map(|c| c.y1).max().unwrap_or(0),
                );
                Found {
                    rect,
                    glyphs: members.len() as u32,
                    glyph_height: members.iter().map(|c| c.h()).max().unwrap_or(0),
                }
            })
        })
        .collect()
}

/// `cine`: the scan moves between frames, so overlay text is steady: a row with neither black
/// ground, overlay colour nor steady pixels is anatomy.
fn is_text(m: &[Comp], cine: bool) -> bool {
    let n = m.len();
    if n < 2 {
        return false;
    }
    let evidence = m
        .iter()
        .filter(|c| c.on_black || c.colour || c.steady)
        .count();
    if evidence * 3 >= n * 2 {
        return true;
    }
    if n < 4 || cine {
        return false;
    }
    // no background evidence: a regular row of strongly contrasted, letter-shaped glyphs of
    // one height on a common line (pieces of a bright tissue layer are wider and dimmer)
    let letters = m
        .iter()
        .filter(|c| (c.x1 - c.x0) * 10 <= c.h() * 25 && c.contrast >= 100)
        .count();
    if letters * 4 < n * 3 {
        return false;
    }
    let mut hs: Vec<u32> = m.iter().map(|c| c.h()).collect();
    hs.sort_unstable();
    let med_h = hs[n / 2];
    let same_h = hs
        .iter()
        .filter(|&&h| h * 10 >= med_h * 7 && h * 10 <= med_h * 13)
        .count();
    let tol = (med_h / 4).max(1) as i64;
    let aligned = |key: &dyn Fn(&Comp) -> u32| {
        let mut v: Vec<u32> = m.iter().map(key).collect();
        v.sort_unstable();
        let med = v[n / 2] as i64;
        v.iter().filter(|&&x| (x as i64 - med).abs() <= tol).count()
    };
    let line = aligned(&|c| c.y1).max(aligned(&|c| c.y0));
    same_h * 4 >= n * 3 && line * 4 >= n * 3
}

/// Unites rows found at several thresholds that touch.
pub fn merge_found(mut rows: Vec<Found>) -> Vec<Found> {
    let touches = |a: &CropRect, b: &CropRect| {
        a.x0 <= b.x1 + 1 && b.x0 <= a.x1 + 1 && a.y0 <= b.y1 + 1 && b.y0 <= a.y1 + 1
    };
    let mut changed = true;
    while changed {
        changed = false;
        let mut out: Vec<Found> = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(o) = out.iter_mut().find(|o| touches(&o.rect, &r.rect)) {
                o.rect = CropRect::new(
                    o.rect.x0.min(r.rect.x0),
                    o.rect.y0.min(r.rect.y0),
                    o.rect.x1.max(r.rect.x1),
                    o.rect.y1.max(r.rect.y1),
                );
                o.glyphs = o.glyphs.max(r.glyphs);
                o.glyph_height = o.glyph_height.max(r.glyph_height);
                changed = true;
            } else {
                out.push(r);
            }
        }
        rows = out;
    }
    rows.sort_by_key(|r| (r.rect.y0, r.rect.x0));
    rows
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
