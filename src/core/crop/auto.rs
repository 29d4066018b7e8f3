//! Automatic crop, deterministic: the union of the ultrasound regions if the file has them,
//! else the bright scan area near the centre of the middle frame, ignoring the banner rows.

use super::{CropRect, CropSource};
use crate::core::load::UsRegion;
use crate::core::pixels::Frame;

/// From SequenceOfUltrasoundRegions (Max values inclusive), clamped to the image.
pub fn from_regions(regions: &[UsRegion], columns: u32, rows: u32) -> Option<CropRect> {
    let mut it = regions.iter().filter(|r| {
        r.min_x0 <= r.max_x1 && r.min_y0 <= r.max_y1 && r.min_x0 < columns && r.min_y0 < rows
    });
    let first = it.next()?;
    let mut b = (first.min_x0, first.min_y0, first.max_x1, first.max_y1);
    for r in it {
        b = (
            b.0.min(r.min_x0),
            b.1.min(r.min_y0),
            b.2.max(r.max_x1),
            b.3.max(r.max_y1),
        );
    }
    let rect = CropRect::new(b.0, b.1, (b.2 + 1).min(columns), (b.3 + 1).min(rows));
    rect.validate(columns, rows).ok().map(|_| rect)
}

/// From image content: an 8-bit grey or RGB frame. Bright cells (4x4 pixels) are grouped
/// into 8-connected components; components lying wholly within the top `banner_rows` rows
/// (burned-in text) are ignored; the largest component near the centre wins; its box is then
/// refined to the exact bright pixels.
pub fn from_content(f: &Frame, banner_rows: u32, threshold: u8) -> Option<CropRect> {
    const CELL: u32 = 4;
    let (w, h) = (f.width, f.height);
    if w < CELL * 4 || h < CELL * 4 {
        return None;
    }
    let gw = w / CELL;
    let gh = h / CELL;
    let spp = f.spp as usize;
    let bright = |x: u32, y: u32| -> bool {
        let i = ((y * w + x) as usize) * spp;
        let v = if spp == 3 {
            f.data[i].max(f.data[i + 1]).max(f.data[i + 2])
        } else {
            f.data[i]
        };
        v > threshold
    };
    let mut mask = vec![false; (gw * gh) as usize];
    for gy in 0..gh {
        for gx in 0..gw {
            let mut n = 0;
            for y in gy * CELL..gy * CELL + CELL {
                for x in gx * CELL..gx * CELL + CELL {
                    n += bright(x, y) as u32;
                }
            }
            mask[(gy * gw + gx) as usize] = n >= 4;
        }
    }
    let banner_cells = banner_rows.div_ceil(CELL);
    let mut label = vec![0u32; mask.len()];
    // (near the centre, area, label, cell bounding box)
    type Candidate = (bool, u64, u32, (u32, u32, u32, u32));
    let mut best: Option<Candidate> = None;
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let (mut area, mut b) = (0u64, (u32::MAX, u32::MAX, 0u32, 0u32));
        while let Some(i) = stack.pop() {
            area += 1;
            let (x, y) = (i as u32 % gw, i as u32 / gw);
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    if nx < 0 || ny < 0 || nx >= gw as i32 || ny >= gh as i32 {
                        continue;
                    }
                    let j = (ny as u32 * gw + nx as u32) as usize;
                    if mask[j] && label[j] == 0 {
                        label[j] = next;
                        stack.push(j);
                    }
                }
            }
        }
        if b.3 < banner_cells {
            continue; // a line of burned-in text
        }
        let (cx, cy) = (gw / 2, gh / 2);
        let central =
            b.0 <= cx + gw / 6 && b.2 + gw / 6 >= cx && b.1 <= cy + gh / 6 && b.3 + gh / 6 >= cy;
        let better = match &best {
            None => true,
            Some((bc, ba, _, _)) => (central, area) > (*bc, *ba),
        };
        if better {
            best = Some((central, area, next, b));
        }
    }
    let (_, area, id, b) = best?;
    if area < 16 {
        return None;
    }
    // exact bright pixels of the chosen component's cells
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    for gy in b.1..=b.3 {
        for gx in b.0..=b.2 {
            if label[(gy * gw + gx) as usize] != id {
                continue;
            }
            for y in gy * CELL..gy * CELL + CELL {
                for x in gx * CELL..gx * CELL + CELL {
                    if bright(x, y) {
                        x0 = x0.min(x);
                        y0 = y0.min(y);
                        x1 = x1.max(x + 1);
                        y1 = y1.max(y + 1);
                    }
                }
            }
        }
    }
    let rect = CropRect::new(x0, y0, x1, y1);
    rect.validate(w, h).ok().map(|_| rect)
}

/// The frame used for content detection: the middle one (never random).
pub fn detection_frame(frames: u32) -> u32 {
    frames / 2
}

/// Regions first, then content.
pub fn detect(
    regions: &[UsRegion],
    columns: u32,
    rows: u32,
    frame: impl FnOnce() -> Option<Frame>,
    banner_rows: u32,
    threshold: u8,
) -> Option<(CropRect, CropSource)> {
    if let Some(r) = from_regions(regions, columns, rows) {
        return Some((r, CropSource::AutoRegions));
    }
    let f = frame()?;
    from_content(&f, banner_rows, threshold).map(|r| (r, CropSource::AutoContent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_union_is_exclusive_at_the_far_edge() {
        let r = [
            UsRegion {
                min_x0: 10,
                min_y0: 20,
                max_x1: 99,
                max_y1: 79,
                spatial_format: 1,
                data_type: 1,
            },
            UsRegion {
                min_x0: 50,
                min_y0: 90,
                max_x1: 149,
                max_y1: 119,
                spatial_format: 3,
                data_type: 3,
            },
        ];
        assert_eq!(
            from_regions(&r, 200, 200),
            Some(CropRect::new(10, 20, 150, 120))
        );
    }

    #[test]
    fn content_finds_the_bright_centre_not_the_banner() {
        let (w, h) = (200u32, 160u32);
        let mut data = vec![0u8; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let banner = y < 20 && x > 10 && x < 190;
                let scan = (40..140).contains(&y) && (50..150).contains(&x);
                if banner || scan {
                    data[(y * w + x) as usize] = 200;
                }
            }
        }
        let f = Frame {
            width: w,
            height: h,
            spp: 1,
            bytes_per_sample: 1,
            photometric: "MONOCHROME2".into(),
            data,
        };
        assert_eq!(
            from_content(&f, 30, 8),
            Some(CropRect::new(50, 40, 150, 140))
        );
    }
}
