//! The scan's footprint inside its area(s): what `[pixels] mask_outside_sector` keeps.
//!
//! An area is an ultrasound region's rectangle, or a pane the content rule found
//! ([`super::scan_area`]). Inside each area, in order:
//! 1. A pixel is active when, in any of the sampled frames, its grey value (max of the
//!    channels) differs from the background level by more than the tolerance, or it is
//!    coloured. Over a cine's frames the moving speckle fills the whole scan.
//! 2. The area is cut into square cells; a cell is dense when at least half its pixels are
//!    active. An opening (erode, then dilate, one cell) removes text, tick marks and thin
//!    outlines; pieces under a tenth of the largest one are dropped.
//! 3. The convex hull of the active pixels in the kept cells and two rings of cells around
//!    them is the scan:
//!    a fan (sector or curved array) when it fills less than 85 % of its box, else the area's
//!    whole rectangle is kept.
//!
//! Everything outside the kept shapes is blanked in every frame. The hull holds every active
//! scan pixel, so nothing of the scan is lost; what it adds is background (for a curved array,
//! the strip above the top arc).

use super::scan_area::{background_level, Shape};
use super::CropRect;
use crate::core::pixels::Frame;

/// What is kept: per image row, the spans (x0, x1 exclusive) of the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub columns: u32,
    pub rows: u32,
    /// Per area: its rectangle and the shape found in it.
    pub areas: Vec<(CropRect, Shape)>,
    spans: Vec<Vec<(u32, u32)>>,
}

impl Footprint {
    /// Nothing blanked: the whole image is kept.
    pub fn whole(columns: u32, rows: u32) -> Self {
        Footprint {
            columns,
            rows,
            areas: vec![(CropRect::full(columns, rows), Shape::Rectangle)],
            spans: vec![vec![(0, columns)]; rows as usize],
        }
    }

    /// Is (x, y) kept?
    pub fn keeps(&self, x: u32, y: u32) -> bool {
        self.spans
            .get(y as usize)
            .is_some_and(|s| s.iter().any(|&(a, b)| x >= a && x < b))
    }

    /// Does any pixel of `r` stay?
    pub fn keeps_any(&self, r: &CropRect) -> bool {
        (r.y0..r.y1.min(self.rows)).any(|y| {
            self.spans[y as usize]
                .iter()
                .any(|&(a, b)| a < r.x1 && b > r.x0)
        })
    }

    /// The blanked part of the image as rectangles (rows with the same spans merged).
    pub fn outside_rects(&self) -> Vec<CropRect> {
        let mut out: Vec<CropRect> = Vec::new();
        let mut open: Vec<CropRect> = Vec::new();
        for y in 0..self.rows {
            let mut gaps = Vec::new();
            let mut x = 0;
            for &(a, b) in &self.spans[y as usize] {
                if a > x {
                    gaps.push((x, a));
                }
                x = x.max(b);
            }
            if x < self.columns {
                gaps.push((x, self.columns));
            }
            let mut next = Vec::new();
            for (a, b) in gaps {
                if let Some(k) = open.iter().position(|r| r.x0 == a && r.x1 == b) {
                    let mut r = open.swap_remove(k);
                    r.y1 = y + 1;
                    next.push(r);
                } else {
                    next.push(CropRect::new(a, y, b, y + 1));
                }
            }
            out.append(&mut open);
            open = next;
        }
        out.append(&mut open);
        out.sort_by_key(|r| (r.y0, r.x0));
        out
    }

    /// Pixels blanked per frame.
    pub fn blanked_pixels(&self) -> u64 {
        let kept: u64 = self
            .spans
            .iter()
            .flat_map(|s| s.iter().map(|&(a, b)| (b - a) as u64))
            .sum();
        self.columns as u64 * self.rows as u64 - kept
    }

    /// For the report: the shapes kept and what was blanked.
    pub fn describe(&self, from: &str) -> String {
        let shapes: Vec<String> = self
            .areas
            .iter()
            .map(|(r, s)| format!("{} in [{},{},{},{}]", s.as_str(), r.x0, r.y0, r.x1, r.y1))
            .collect();
        format!(
            "kept {} (from {from}); {} pixels per frame blanked outside it",
            shapes.join(", "),
            self.blanked_pixels()
        )
    }
}

/// The footprint of the scan inside `areas` (image coordinates), from 8-bit grey or RGB frames
/// of one file (all the same size). Areas where nothing is found are kept whole.
pub fn footprint(frames: &[Frame], areas: &[CropRect], tolerance: u8) -> Footprint {
    let Some(f0) = frames.first() else {
        return Footprint::whole(0, 0);
    };
    let (w, h) = (f0.width, f0.height);
    let spp = f0.spp as usize;
    let usable = |f: &Frame| {
        f.width == w && f.height == h && f.bytes_per_sample == 1 && (f.spp == 1 || f.spp == 3)
    };
    if !frames.iter().all(usable) {
        return Footprint::whole(w, h);
    }
    let n = (w * h) as usize;
    let grey = |f: &Frame, i: usize| f.data[i * spp..i * spp + spp].iter().copied().max();
    let colour = |f: &Frame, i: usize| {
        spp == 3 && {
            let p = &f.data[i * 3..i * 3 + 3];
            p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0) > 40
        }
    };
    let g0: Vec<u8> = (0..n).map(|i| grey(f0, i).unwrap_or(0)).collect();
    let plain: Vec<bool> = (0..n).map(|i| !colour(f0, i)).collect();
    let bg = background_level(&g0, &plain, w, h) as i32;
    let tol = tolerance as i32;
    let mut active = vec![false; n];
    for f in frames {
        for (i, a) in active.iter_mut().enumerate() {
            if !*a {
                *a = (grey(f, i).unwrap_or(0) as i32 - bg).abs() > tol || colour(f, i);
            }
        }
    }
    let mut spans = vec![Vec::new(); h as usize];
    let mut found = Vec::new();
    for a in areas {
        let a = CropRect::new(a.x0.min(w), a.y0.min(h), a.x1.min(w), a.y1.min(h));
        if a.x0 >= a.x1 || a.y0 >= a.y1 {
            continue;
        }
        let (shape, rows) = match hull_rows(&active, w, &a) {
            Some((rows, fill)) if fill < 0.85 => (Shape::Sector, rows),
            _ => (
                Shape::Rectangle,
                (a.y0..a.y1).map(|y| (y, a.x0, a.x1)).collect(),
            ),
        };
        for (y, x0, x1) in rows {
            spans[y as usize].push((x0, x1));
        }
        found.push((a, shape));
    }
    for s in spans.iter_mut() {
        s.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(s.len());
        for &(a, b) in s.iter() {
            match merged.last_mut() {
                Some(l) if a <= l.1 => l.1 = l.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *s = merged;
    }
    Footprint {
        columns: w,
        rows: h,
        areas: found,
        spans,
    }
}

/// The convex hull of the scan inside `a`, as (y, x0, x1 exclusive) rows, and the share of the
/// area's box it fills. `None` when no dense part is found.
#[allow(clippy::type_complexity)]
fn hull_rows(active: &[bool], w: u32, a: &CropRect) -> Option<(Vec<(u32, u32, u32)>, f64)> {
    let (aw, ah) = (a.width(), a.height());
    let cell = (aw.min(ah) / 64).clamp(2, 8);
    let (gw, gh) = (aw.div_ceil(cell), ah.div_ceil(cell));
    if gw < 4 || gh < 4 {
        return None;
    }
    let at = |x: u32, y: u32| active[(y * w + x) as usize];
    let mut dense = vec![false; (gw * gh) as usize];
    for gy in 0..gh {
        for gx in 0..gw {
            let (x0, y0) = (a.x0 + gx * cell, a.y0 + gy * cell);
            let (x1, y1) = ((x0 + cell).min(a.x1), (y0 + cell).min(a.y1));
            let mut k = 0;
            for y in y0..y1 {
                for x in x0..x1 {
                    k += at(x, y) as u32;
                }
            }
            dense[(gy * gw + gx) as usize] = k * 2 >= (x1 - x0) * (y1 - y0);
        }
    }
    let opened = grow(&shrink(&dense, gw, gh), gw, gh);
    // pieces: keep those at least a tenth of the largest
    let mut label = vec![0u32; opened.len()];
    let mut sizes = vec![0usize];
    for start in 0..opened.len() {
        if !opened[start] || label[start] != 0 {
            continue;
        }
        let id = sizes.len() as u32;
        let mut stack = vec![start];
        label[start] = id;
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            for j in around(i, gw, gh) {
                if opened[j] && label[j] == 0 {
                    label[j] = id;
                    stack.push(j);
                }
            }
        }
        sizes.push(size);
    }
    let largest = sizes.iter().copied().max().unwrap_or(0);
    if largest == 0 {
        return None;
    }
    let kept: Vec<bool> = label
        .iter()
        .map(|&l| l != 0 && sizes[l as usize] * 10 >= largest)
        .collect();
    // two rings of cells: the opening can take a sector's slanted edge up to two cells deep
    let near = grow(&grow(&kept, gw, gh), gw, gh);
    // the leftmost and rightmost active pixel of each row, in cells near the kept pieces
    let mut pts: Vec<(i64, i64)> = Vec::new();
    for y in a.y0..a.y1 {
        let gy = (y - a.y0) / cell;
        let mut ends: Option<(u32, u32)> = None;
        for x in a.x0..a.x1 {
            if near[(gy * gw + (x - a.x0) / cell) as usize] && at(x, y) {
                ends = Some(ends.map_or((x, x), |(l, _)| (l, x)));
            }
        }
        if let Some((l, r)) = ends {
            pts.push((l as i64, y as i64));
            pts.push((r as i64, y as i64));
        }
    }
    let hull = convex_hull(pts);
    if hull.len() < 3 {
        return None;
    }
    let mut rows = Vec::new();
    let mut area = 0u64;
    let (ymin, ymax) = (
        hull.iter().map(|p| p.1).min()?,
        hull.iter().map(|p| p.1).max()?,
    );
    for y in ymin..=ymax {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for k in 0..hull.len() {
            let (p, q) = (hull[k], hull[(k + 1) % hull.len()]);
            if (p.1 <= y && q.1 >= y) || (q.1 <= y && p.1 >= y) {
                let x = if p.1 == q.1 {
                    lo = lo.min(p.0.min(q.0) as f64);
                    hi = hi.max(p.0.max(q.0) as f64);
                    continue;
                } else {
                    p.0 as f64 + (y - p.1) as f64 * (q.0 - p.0) as f64 / (q.1 - p.1) as f64
                };
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if lo > hi {
            continue;
        }
        let x0 = (lo.floor().max(a.x0 as f64)) as u32;
        let x1 = ((hi.ceil() + 1.0).min(a.x1 as f64)) as u32;
        if x0 < x1 {
            area += (x1 - x0) as u64;
            rows.push((y as u32, x0, x1));
        }
    }
    let fill = area as f64 / (aw as f64 * ah as f64);
    Some((rows, fill))
}

/// Andrew's monotone chain; counter-clockwise, no repeated last point.
fn convex_hull(mut pts: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    pts.sort_unstable();
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut lower: Vec<(i64, i64)> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<(i64, i64)> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

fn around(i: usize, gw: u32, gh: u32) -> impl Iterator<Item = usize> {
    let (x, y) = ((i as u32 % gw) as i64, (i as u32 / gw) as i64);
    (-1i64..=1).flat_map(move |dy| {
        (-1i64..=1).filter_map(move |dx| {
            let (nx, ny) = (x + dx, y + dy);
            (nx >= 0 && ny >= 0 && nx < gw as i64 && ny < gh as i64 && (dx, dy) != (0, 0))
                .then(|| (ny as u32 * gw + nx as u32) as usize)
        })
    })
}

/// A cell stays when it and its 8 neighbours are set (outside the area counts as set).
fn shrink(m: &[bool], gw: u32, gh: u32) -> Vec<bool> {
    (0..m.len())
        .map(|i| m[i] && around(i, gw, gh).all(|j| m[j]))
        .collect()
}

fn grow(m: &[bool], gw: u32, gh: u32) -> Vec<bool> {
    (0..m.len())
        .map(|i| m[i] || around(i, gw, gh).any(|j| m[j]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_rects_are_the_complement_of_the_spans() {
        let mut f = Footprint::whole(10, 4);
        f.spans = vec![vec![(2, 5)], vec![(2, 5)], vec![], vec![(0, 3), (6, 8)]];
        let r = f.outside_rects();
        let mut hit = [false; 40];
        for q in &r {
            for y in q.y0..q.y1 {
                for x in q.x0..q.x1 {
                    assert!(!hit[(y * 10 + x) as usize], "overlap at {x},{y}");
                    hit[(y * 10 + x) as usize] = true;
                }
            }
        }
        for y in 0..4 {
            for x in 0..10 {
                assert_eq!(hit[(y * 10 + x) as usize], !f.keeps(x, y), "{x},{y}");
            }
        }
        assert_eq!(f.blanked_pixels(), 40 - 3 - 3 - 5);
        // the two identical rows share their rectangles
        assert!(r.contains(&CropRect::new(0, 0, 2, 2)));
    }
}
