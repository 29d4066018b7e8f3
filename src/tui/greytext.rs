//! The preview without colour (`NO_COLOR`): grey levels as characters of increasing ink, the
//! crop outline drawn with box characters, what the crop removes in a lighter ramp. Colour
//! escape sequences are dropped under NO_COLOR, so halfblocks would show only shapes.

use image::{imageops, RgbImage};

use crate::core::crop::CropRect;

/// Ten levels, from no ink to full ink.
const RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
/// Outside the crop: at most a light dot pattern, so the kept area stands out.
const OUTSIDE: [char; 3] = [' ', '.', ':'];

/// Character cells are about twice as tall as wide: one cell covers 1x2 image "pixels".
pub fn grey_text(
    img: &RgbImage,
    geom: (u32, u32),
    crop: Option<CropRect>,
    area: (u16, u16),
) -> Vec<String> {
    let (gw, gh) = (area.0.max(1) as u32, area.1.max(1) as u32 * 2);
    let s = (gw as f64 / img.width().max(1) as f64).min(gh as f64 / img.height().max(1) as f64);
    let tw = ((img.width() as f64 * s).floor() as u32).clamp(1, gw);
    let th = ((img.height() as f64 * s).floor() as u32).clamp(2, gh.max(2));
    let rows = th.div_ceil(2);
    let pic = imageops::resize(img, tw, rows * 2, imageops::FilterType::Triangle);
    let luma = |x: u32, y: u32| {
        let p = pic.get_pixel(x, y).0;
        0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64
    };
    // The crop in cell coordinates (half-open), if it removes anything.
    let cells = crop.filter(|c| !c.is_full(geom.0, geom.1)).map(|c| {
        let sx = |x: u32| ((x as u64 * tw as u64) / geom.0.max(1) as u64) as u32;
        let sy = |y: u32| ((y as u64 * rows as u64) / geom.1.max(1) as u64) as u32;
        let (x0, y0) = (sx(c.x0).min(tw - 1), sy(c.y0).min(rows - 1));
        (
            x0,
            y0,
            sx(c.x1).clamp(x0 + 1, tw) - 1,
            sy(c.y1).clamp(y0 + 1, rows) - 1,
        )
    });
    let mut out = Vec::with_capacity(rows as usize);
    for cy in 0..rows {
        let mut line = String::with_capacity(tw as usize);
        for cx in 0..tw {
            let l = (luma(cx, cy * 2) + luma(cx, cy * 2 + 1)) / 2.0;
            let ch = match cells {
                Some((x0, y0, x1, y1)) => {
                    let on_x = cx == x0 || cx == x1;
                    let on_y = cy == y0 || cy == y1;
                    let in_x = cx >= x0 && cx <= x1;
                    let in_y = cy >= y0 && cy <= y1;
                    if on_x && on_y {
                        match (cx == x0, cy == y0) {
                            (true, true) => '┌',
                            (false, true) => '┐',
                            (true, false) => '└',
                            (false, false) => '┘',
                        }
                    } else if on_y && in_x {
                        '─'
                    } else if on_x && in_y {
                        '│'
                    } else if in_x && in_y {
                        level(&RAMP, l)
                    } else {
                        level(&OUTSIDE, l)
                    }
                }
                None => level(&RAMP, l),
            };
            line.push(ch);
        }
        out.push(line);
    }
    out
}

fn level(ramp: &[char], l: f64) -> char {
    let i = ((l / 256.0) * ramp.len() as f64).floor() as usize;
    ramp[i.min(ramp.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, _| {
            let v = (x * 255 / (w - 1)) as u8;
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn a_gradient_keeps_its_grey_levels() {
        let lines = grey_text(&gradient(200, 100), (200, 100), None, (40, 10));
        let mid = &lines[lines.len() / 2];
        let distinct: std::collections::BTreeSet<char> = mid.chars().collect();
        assert!(
            distinct.len() >= 8,
            "a 1-bit threshold would give 2: {mid:?}"
        );
        // Left is dark (no ink), right is bright (full ink), increasing.
        assert_eq!(mid.chars().next(), Some(' '));
        assert_eq!(mid.chars().last(), Some('@'));
        let idx: Vec<usize> = mid
            .chars()
            .map(|c| RAMP.iter().position(|r| *r == c).unwrap())
            .collect();
        assert!(idx.windows(2).all(|w| w[0] <= w[1]), "{mid:?}");
    }

    #[test]
    fn the_crop_outline_is_drawn_with_characters() {
        let img = RgbImage::from_pixel(200, 100, image::Rgb([200, 200, 200]));
        let crop = CropRect::new(50, 20, 150, 80);
        let lines = grey_text(&img, (200, 100), Some(crop), (40, 10));
        let all = lines.join("\n");
        for c in ['┌', '┐', '└', '┘', '─', '│'] {
            assert!(all.contains(c), "{c} missing:\n{all}");
        }
        // Inside is the bright ramp, outside the light one.
        let row = &lines[lines.len() / 2];
        assert!(row.starts_with(':'), "{row:?}");
        assert!(
            row.contains("###"),
            "grey 200 is the 8th of 10 levels: {row:?}"
        );
    }
}
