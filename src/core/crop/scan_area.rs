//! Finding the ultrasound scan area(s) of a frame from its content alone, deterministically.
//!
//! The rule, in order:
//! 1. Background level: the most common value among "flat" pixels (equal to both right and
//!    lower neighbours). Screens fill everything outside the image with one level (black on
//!    most devices, grey on some).
//! 2. A pixel is active when its grey value (max of the channels) differs from the background
//!    by more than `tolerance`, or when it is coloured.
//! 3. The frame is cut into square cells; a cell is dense when at least half its pixels are
//!    active. Speckle fills its cells; text strokes, outlines, tick marks and dotted scales do
//!    not.
//! 4. An opening (erode, then dilate, one cell) removes what is thinner than three cells:
//!    text lines, calliper marks, the thin outline of a sector.
//! 5. 8-connected components of what is left; the ones lying wholly in the top `banner_rows`
//!    rows, or lower than a line of text, are dropped.
//! 6. The largest is the scan area. A second one is a second pane when it holds at least half
//!    as many cells, sits beside the first (no shared columns) and shares at least half its
//!    rows (dual-pane layouts). Smaller pieces whose box lies mostly inside the pane(s) join.
//! 7. Each pane is grown back (up to three cells, through dense or half-dense cells) to undo
//!    the opening at its edges and sector apex, then refined to its exact active pixels.
//!
//! The result names its shape (a sector fills much less of its box than a rectangle).

use super::CropRect;
use crate::core::pixels::Frame;

/// What content detection looked at and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanAreas {
    /// One or two panes, left to right.
    pub panes: Vec<Pane>,
    /// The background level (0..255) the rule measured.
    pub background: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pane {
    pub rect: CropRect,
    pub shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Sector,
    Rectangle,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Sector => "sector",
            Shape::Rectangle => "rectangle",
        }
    }
}

impl ScanAreas {
    /// The crop: the box around every pane.
    pub fn union(&self) -> CropRect {
        let mut it = self.panes.iter().map(|p| p.rect);
        let first = it.next().unwrap_or(CropRect::new(0, 0, 0, 0));
        it.fold(first, |a, b| {
            CropRect::new(
                a.x0.min(b.x0),
                a.y0.min(b.y0),
                a.x1.max(b.x1),
                a.y1.max(b.y1),
            )
        })
    }

    /// Which rule chose the crop, for the report.
    pub fn describe(&self) -> String {
        let shapes: Vec<&str> = self.panes.iter().map(|p| p.shape.as_str()).collect();
        let panes = if self.panes.len() == 1 {
            format!("one {} pane", shapes[0])
        } else {
            format!("{} panes ({})", self.panes.len(), shapes.join(", "))
        };
        format!(
            "content: {panes} found as textured area different from the background level {}",
            self.background
        )
    }
}

/// Options of the rule.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rows at the top where devices burn in the banner: parts lying wholly inside are ignored.
    pub banner_rows: u32,
    /// Difference from the background level (0..255) that makes a pixel active.
    pub tolerance: u8,
}

/// Finds the scan area(s) of an 8-bit grey (spp 1) or RGB (spp 3) frame. The error says what
/// was looked for and what was found instead.
pub fn find(f: &Frame, opts: Options) -> Result<ScanAreas, String> {
    let (w, h) = (f.width, f.height);
    if f.bytes_per_sample != 1 || !(f.spp == 1 || f.spp == 3) {
        return Err("scan-area detection needs an 8-bit grey or RGB frame".into());
    }
    let cell = (w.min(h) / 64).clamp(2, 8);
    if w < cell * 8 || h < cell * 8 {
        return Err(format!(
            "no scan area: the {w}x{h} frame is too small to tell a scan area from text"
        ));
    }
    let spp = f.spp as usize;
    let grey: Vec<u8> = (0..(w * h) as usize)
        .map(|i| {
            let p = &f.data[i * spp..i * spp + spp];
            p.iter().copied().max().unwrap_or(0)
        })
        .collect();
    let colour = |i: usize| -> bool {
        if spp != 3 {
            return false;
        }
        let p = &f.data[i * 3..i * 3 + 3];
        let (mx, mn) = (p.iter().max().unwrap(), p.iter().min().unwrap());
        mx - mn > 40
    };
    let plain: Vec<bool> = (0..grey.len()).map(|i| !colour(i)).collect();
    let background = background_level(&grey, &plain, w, h);
    let tol = opts.tolerance as i32;
    let active: Vec<bool> = (0..grey.len())
        .map(|i| (grey[i] as i32 - background as i32).abs() > tol || colour(i))
        .collect();

    let (gw, gh) = (w / cell, h / cell);
    let count = |gx: u32, gy: u32| -> u32 {
        let mut n = 0;
        for y in gy * cell..gy * cell + cell {
            let row = (y * w) as usize;
            for x in gx * cell..gx * cell + cell {
                n += active[row + x as usize] as u32;
            }
        }
        n
    };
    let full = cell * cell;
    let mut counts = vec![0u32; (gw * gh) as usize];
    for gy in 0..gh {
        for gx in 0..gw {
            counts[(gy * gw + gx) as usize] = count(gx, gy);
        }
    }
    let dense: Vec<bool> = counts.iter().map(|&n| n * 2 >= full).collect();
    let opened = dilate(&erode(&dense, gw, gh), gw, gh);

    let comps = components(&opened, gw, gh);
    // the banner setting is in pixels of a full-size screen; small images get at most 1/4
    let banner_rows = opts.banner_rows.min(h / 4);
    let banner_cells = banner_rows.div_ceil(cell);
    let min_rows = (h / 10).max(16).div_ceil(cell);
    let mut kept: Vec<&Component> = comps
        .iter()
        .filter(|c| c.b.3 >= banner_cells && c.b.3 + 1 - c.b.1 >= min_rows)
        .collect();
    kept.sort_by(|a, b| b.cells.len().cmp(&a.cells.len()).then(a.b.cmp(&b.b)));
    let total = (gw * gh) as usize;
    let Some(first) = kept.first().copied() else {
        return Err(format!(
            "no scan area: looked for a textured area at least {} pixels high differing from the background level {background} (tolerance {tol}) below the top {} banner rows; found only text-sized marks",
            min_rows * cell, banner_rows
        ));
    };
    if first.cells.len() * 25 < total {
        return Err(format!(
            "no scan area: looked for a textured area covering at least 4% of the frame differing from the background level {background} (tolerance {tol}); the largest covers {:.1}%",
            first.cells.len() as f64 * 100.0 / total as f64
        ));
    }
    let mut panes: Vec<Vec<&Component>> = vec![vec![first]];
    if let Some(second) = kept.iter().skip(1).copied().find(|c| {
        c.cells.len() * 2 >= first.cells.len()
            && (c.b.2 < first.b.0 || c.b.0 > first.b.2)
            && overlap(c.b.1, c.b.3, first.b.1, first.b.3) * 2
                >= (c.b.3 - c.b.1 + 1).min(first.b.3 - first.b.1 + 1)
    }) {
        panes.push(vec![second]);
    }
    // fragments of a pane join it: pieces whose box lies mostly inside the pane's box (split
    // by a dark vessel), and pieces just above or below it in the same columns (a sector cut
    // by a dark band); repeated until nothing changes
    loop {
        let mut joined = false;
        for c in kept.iter().copied() {
            if panes.iter().any(|p| p.iter().any(|q| std::ptr::eq(*q, c))) {
                continue;
            }
            for p in panes.iter_mut() {
                let b = bbox_of(p);
                let inside = c
                    .cells
                    .iter()
                    .filter(|&&i| {
                        let (x, y) = (i as u32 % gw, i as u32 / gw);
                        x >= b.0 && x <= b.2 && y >= b.1 && y <= b.3
                    })
                    .count();
                let cols = overlap(c.b.0, c.b.2, b.0, b.2);
                let gap = c.b.1.saturating_sub(b.3).max(b.1.saturating_sub(c.b.3));
                if inside * 2 > c.cells.len() || (cols * 2 > c.b.2 - c.b.0 + 1 && gap <= 3) {
                    p.push(c);
                    joined = true;
                    break;
                }
            }
        }
        if !joined {
            break;
        }
    }

    let mut out = Vec::new();
    for p in &panes {
        let mut mask = vec![false; total];
        for c in p {
            for &i in &c.cells {
                mask[i] = true;
            }
        }
        let filled = mask.iter().filter(|&&m| m).count();
        let b = bbox_of(p);
        let box_cells = ((b.2 - b.0 + 1) * (b.3 - b.1 + 1)) as usize;
        let shape = if filled * 100 >= box_cells * 85 {
            Shape::Rectangle
        } else {
            Shape::Sector
        };
        // exact active pixels of the pane's cells
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
        for gy in b.1..=b.3 {
            for gx in b.0..=b.2 {
                if !mask[(gy * gw + gx) as usize] {
                    continue;
                }
                for y in gy * cell..gy * cell + cell {
                    for x in gx * cell..gx * cell + cell {
                        if active[(y * w + x) as usize] {
                            x0 = x0.min(x);
                            y0 = y0.min(y);
                            x1 = x1.max(x + 1);
                            y1 = y1.max(y + 1);
                        }
                    }
                }
            }
        }
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        // grow back what the opening took (sector apex and slanted edges): a side moves out
        // by one line while that line holds an active pixel, at most three cells; a blank line
        // (the gap before a side panel or a text line) stops it
        let limit = 3 * cell;
        let start = (x0, y0, x1, y1);
        let line = |x: u32, y: u32| active[(y * w + x) as usize];
        loop {
            let mut moved = false;
            if x0 > 0 && start.0 - x0 < limit && (y0..y1).any(|y| line(x0 - 1, y)) {
                x0 -= 1;
                moved = true;
            }
            if x1 < w && x1 - start.2 < limit && (y0..y1).any(|y| line(x1, y)) {
                x1 += 1;
                moved = true;
            }
            if y0 > 0 && start.1 - y0 < limit && (x0..x1).any(|x| line(x, y0 - 1)) {
                y0 -= 1;
                moved = true;
            }
            if y1 < h && y1 - start.3 < limit && (x0..x1).any(|x| line(x, y1)) {
                y1 += 1;
                moved = true;
            }
            if !moved {
                break;
            }
        }
        out.push(Pane {
            rect: CropRect::new(x0, y0, x1, y1),
            shape,
        });
    }
    out.sort_by_key(|p| (p.rect.x0, p.rect.y0));
    Ok(ScanAreas {
        panes: out,
        background,
    })
}

/// The most common value among uncoloured (`plain`) pixels equal to their right and lower
/// neighbours; 0 if none.
pub fn background_level(grey: &[u8], plain: &[bool], w: u32, h: u32) -> u8 {
    let mut hist = [0u64; 256];
    for y in 0..h.saturating_sub(1) {
        for x in 0..w.saturating_sub(1) {
            let i = (y * w + x) as usize;
            let v = grey[i];
            if plain[i] && grey[i + 1] == v && grey[i + w as usize] == v {
                hist[v as usize] += 1;
            }
        }
    }
    let (mut best, mut n) = (0u8, 0u64);
    for (v, &c) in hist.iter().enumerate() {
        if c > n {
            best = v as u8;
            n = c;
        }
    }
    best
}

struct Component {
    cells: Vec<usize>,
    /// Cell box (x0, y0, x1, y1), inclusive.
    b: (u32, u32, u32, u32),
}

fn bbox_of(p: &[&Component]) -> (u32, u32, u32, u32) {
    p.iter().fold((u32::MAX, u32::MAX, 0, 0), |a, c| {
        (
            a.0.min(c.b.0),
            a.1.min(c.b.1),
            a.2.max(c.b.2),
            a.3.max(c.b.3),
        )
    })
}

fn overlap(a0: u32, a1: u32, b0: u32, b1: u32) -> u32 {
    (a1.min(b1) + 1).saturating_sub(a0.max(b0))
}

fn neighbours(i: usize, gw: u32, gh: u32) -> impl Iterator<Item = Option<usize>> {
    let (x, y) = ((i as u32 % gw) as i64, (i as u32 / gw) as i64);
    (-1i64..=1).flat_map(move |dy| {
        (-1i64..=1).map(move |dx| {
            let (nx, ny) = (x + dx, y + dy);
            (nx >= 0 && ny >= 0 && nx < gw as i64 && ny < gh as i64)
                .then(|| (ny as u32 * gw + nx as u32) as usize)
        })
    })
}

/// A cell stays when it and its 8 neighbours are set (outside the frame counts as set, so
/// an area touching the border is not eaten from that side).
fn erode(m: &[bool], gw: u32, gh: u32) -> Vec<bool> {
    (0..m.len())
        .map(|i| m[i] && neighbours(i, gw, gh).all(|n| n.is_none_or(|j| m[j])))
        .collect()
}

fn dilate(m: &[bool], gw: u32, gh: u32) -> Vec<bool> {
    (0..m.len())
        .map(|i| m[i] || neighbours(i, gw, gh).any(|n| n.is_some_and(|j| m[j])))
        .collect()
}

fn components(m: &[bool], gw: u32, gh: u32) -> Vec<Component> {
    let mut seen = vec![false; m.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..m.len() {
        if !m[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut cells = Vec::new();
        let mut b = (u32::MAX, u32::MAX, 0u32, 0u32);
        while let Some(i) = stack.pop() {
            cells.push(i);
            let (x, y) = (i as u32 % gw, i as u32 / gw);
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            for j in neighbours(i, gw, gh).flatten() {
                if m[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        out.push(Component { cells, b });
    }
    out
}
