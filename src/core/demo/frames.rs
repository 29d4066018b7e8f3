//! The demo's pixels: a rectangular scan area or a speckled sector that changes from frame to
//! frame, a colour-flow box for RGB, the planted text, and the YCbCr conversion.

use super::Spec;
use crate::core::text::draw::{draw_text, Canvas};

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

pub(super) fn base_grey(s: &Spec, f: u32) -> Vec<u8> {
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

pub(super) fn draw_planted(s: &Spec, data: &mut [u8], spp: u8) {
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

pub(super) fn grey_frame(s: &Spec, f: u32) -> Vec<u8> {
    let mut out = base_grey(s, f);
    draw_planted(s, &mut out, 1);
    out
}

pub(super) fn rgb_frame(s: &Spec, f: u32) -> Vec<u8> {
    let mut out = rgb_base(s, f);
    draw_planted(s, &mut out, 3);
    out
}

pub(super) fn rgb_base(s: &Spec, f: u32) -> Vec<u8> {
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

pub(super) fn avg(a: u8, b: u8) -> u8 {
    (a as u16 + b as u16).div_ceil(2) as u8
}

pub(super) fn rgb_to_ycc(p: &[u8]) -> (u8, u8, u8) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    (
        c(0.299 * r + 0.587 * g + 0.114 * b),
        c(-0.168736 * r - 0.331264 * g + 0.5 * b + 128.0),
        c(0.5 * r - 0.418688 * g - 0.081312 * b + 128.0),
    )
}
