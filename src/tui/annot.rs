//! Annotation mode's state (the vertex cursor and the polygon being drawn) and the overlay it
//! puts over the preview: polygons in their class colour, the open polygon and the cursor.
//! The overlay is data (integer pixels of the original frame), computed from the state and
//! drawn by the preview worker into the frame's pixels (every protocol, halfblocks included)
//! or, under NO_COLOR, into the grey-level characters; both map image coordinates the way the
//! crop outline does.

use image::{Rgb, RgbImage};

use crate::core::annotation::{AnnotationSettings, Polygon};
use crate::core::crop::CropRect;

use super::keymap::Mode;
use super::state::{AppState, FileId};

/// The vertex cursor and the open polygon (annotation mode).
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotEdit {
    pub file: FileId,
    /// Cursor in original-frame pixels.
    pub cursor: (u32, u32),
    /// Vertices placed so far (original-frame pixels).
    pub points: Vec<[f64; 2]>,
    /// The frame the open polygon is drawn on (set by its first vertex).
    pub frame: u32,
    /// Index into the class vocabulary for the next polygon.
    pub class: usize,
    /// Index of the selected polygon in the current frame's list.
    pub selected: Option<usize>,
}

/// One outline to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayShape {
    pub points: Vec<(i64, i64)>,
    pub colour: [u8; 3],
    /// NO_COLOR: the character its edges are drawn with.
    pub mark: char,
    pub closed: bool,
    pub selected: bool,
}

/// What to draw over one frame, in original-frame pixels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overlay {
    pub shapes: Vec<OverlayShape>,
    pub cursor: Option<(u32, u32)>,
}

/// `#RRGGBB` as RGB (magenta when it does not parse, so a typo is visible, not invisible).
pub fn parse_colour(s: &str) -> [u8; 3] {
    let h = s.trim().trim_start_matches('#');
    let byte = |i: usize| h.get(i..i + 2).and_then(|v| u8::from_str_radix(v, 16).ok());
    match (h.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => [r, g, b],
        _ => [255, 0, 255],
    }
}

/// The colour of a stored label (grey for a label outside the vocabulary, e.g. imported).
pub fn label_colour(settings: &AnnotationSettings, label: &str) -> [u8; 3] {
    settings
        .class(label)
        .map(|c| parse_colour(&c.colour))
        .unwrap_or([200, 200, 200])
}

/// The short name shown for a stored label.
pub fn label_short<'a>(settings: &'a AnnotationSettings, label: &'a str) -> &'a str {
    settings
        .class(label)
        .map(|c| c.short.as_str())
        .unwrap_or(label)
}

/// NO_COLOR mark of the n-th polygon of a frame: its number in the list.
fn list_mark(i: usize) -> char {
    char::from_digit(i as u32 + 1, 10)
        .filter(|_| i < 9)
        .unwrap_or('+')
}

fn to_px(p: &[f64; 2]) -> (i64, i64) {
    (p[0].round() as i64, p[1].round() as i64)
}

/// The polygons of the current file's frame, and in annotation mode the open polygon and the
/// cursor. None when there is nothing to draw.
pub fn overlay_for(state: &AppState) -> Option<Overlay> {
    let f = state.current()?;
    let vocab = &state.settings.annotation;
    let edit = state
        .annot
        .as_ref()
        .filter(|e| e.file == f.id && matches!(state.mode, Mode::Annotate | Mode::AnnotateClass));
    let polys: &[Polygon] = f
        .annotations
        .polygons
        .get(&f.frame)
        .map(|v| v.as_slice())
        .unwrap_or(&[]);
    let mut ov = Overlay::default();
    for (i, p) in polys.iter().enumerate() {
        ov.shapes.push(OverlayShape {
            points: p.points.iter().map(to_px).collect(),
            colour: label_colour(vocab, &p.label),
            mark: list_mark(i),
            closed: true,
            selected: edit.and_then(|e| e.selected) == Some(i),
        });
    }
    if let Some(e) = edit {
        if !e.points.is_empty() && e.frame == f.frame {
            let colour = vocab
                .classes
                .get(e.class)
                .map(|c| parse_colour(&c.colour))
                .unwrap_or([255, 255, 255]);
            let mut points: Vec<(i64, i64)> = e.points.iter().map(to_px).collect();
            // The rubber band to the cursor.
            points.push((e.cursor.0 as i64, e.cursor.1 as i64));
            ov.shapes.push(OverlayShape {
                points,
                colour,
                mark: 'o',
                closed: false,
                selected: false,
            });
        }
        ov.cursor = Some(e.cursor);
    }
    if ov.shapes.is_empty() && ov.cursor.is_none() {
        None
    } else {
        Some(ov)
    }
}

impl Overlay {
    /// The overlay in the coordinates of `crop`'s area (the zoom shows only that area): points
    /// are moved by the crop's origin, and what lies outside the area is left outside (clipped
    /// when drawn, never pressed onto its edge); the cursor only while it is inside.
    pub fn within(&self, crop: &CropRect) -> Overlay {
        let (dx, dy) = (i64::from(crop.x0), i64::from(crop.y0));
        Overlay {
            shapes: self
                .shapes
                .iter()
                .map(|s| OverlayShape {
                    points: s.points.iter().map(|p| (p.0 - dx, p.1 - dy)).collect(),
                    ..s.clone()
                })
                .collect(),
            cursor: self
                .cursor
                .filter(|c| (crop.x0..crop.x1).contains(&c.0) && (crop.y0..crop.y1).contains(&c.1))
                .map(|c| (c.0 - crop.x0, c.1 - crop.y0)),
        }
    }
}

/// Maps original-frame pixels to a grid of `w` x `h` (the same rule as the crop outline).
/// Points on the frame (its far edge included) land on the grid; points beyond it stay beyond,
/// so that the drawing clips what is outside instead of squeezing it onto the border.
fn scale(p: (i64, i64), (cols, rows): (u32, u32), (w, h): (u32, u32)) -> (i64, i64) {
    let one = |v: i64, n: u32, m: u32| {
        let s = (v * i64::from(m)).div_euclid(i64::from(n.max(1)));
        if (0..=i64::from(n)).contains(&v) {
            s.clamp(0, i64::from(m) - 1)
        } else {
            s
        }
    };
    (one(p.0, cols, w), one(p.1, rows, h))
}

/// Every grid point on the segment a-b (DDA, inclusive).
fn segment(a: (i64, i64), b: (i64, i64)) -> impl Iterator<Item = (i64, i64)> {
    let n = (b.0 - a.0).abs().max((b.1 - a.1).abs()).max(1);
    (0..=n).map(move |i| {
        let t = i as f64 / n as f64;
        (
            (a.0 as f64 + (b.0 - a.0) as f64 * t).round() as i64,
            (a.1 as f64 + (b.1 - a.1) as f64 * t).round() as i64,
        )
    })
}

fn edges(s: &OverlayShape) -> Vec<((i64, i64), (i64, i64))> {
    let n = s.points.len();
    let mut out: Vec<_> = s.points.windows(2).map(|w| (w[0], w[1])).collect();
    if s.closed && n >= 3 {
        out.push((s.points[n - 1], s.points[0]));
    }
    if n == 1 {
        out.push((s.points[0], s.points[0]));
    }
    out
}

/// Draws the overlay into the frame's pixels (`pic` shows the whole `geom` frame); lines are
/// `t` pixels thick.
pub fn draw_pixels(pic: &mut RgbImage, ov: &Overlay, geom: (u32, u32), t: u32) {
    let (w, h) = (pic.width(), pic.height());
    if w == 0 || h == 0 {
        return;
    }
    let dot = |pic: &mut RgbImage, (x, y): (i64, i64), r: i64, c: [u8; 3]| {
        for yy in y - r..=y + r {
            for xx in x - r..=x + r {
                if xx >= 0 && yy >= 0 && (xx as u32) < w && (yy as u32) < h {
                    pic.put_pixel(xx as u32, yy as u32, Rgb(c));
                }
            }
        }
    };
    let r = (t as i64 - 1) / 2;
    for s in &ov.shapes {
        let pts: Vec<(i64, i64)> = s.points.iter().map(|p| scale(*p, geom, (w, h))).collect();
        let scaled = OverlayShape {
            points: pts,
            ..s.clone()
        };
        for (a, b) in edges(&scaled) {
            for p in segment(a, b) {
                dot(pic, p, r, s.colour);
            }
        }
        // Vertices stand out: white squares on the selected or open polygon.
        if s.selected || !s.closed {
            let open_end = if s.closed { 0 } else { 1 };
            for p in &scaled.points[..scaled.points.len() - open_end] {
                // One pixel in halfblocks, where a square would hide a small polygon.
                dot(pic, *p, r + i64::from(t > 1), [255, 255, 255]);
            }
        }
    }
    if let Some(c) = ov.cursor {
        let (x, y) = scale((c.0 as i64, c.1 as i64), geom, (w, h));
        let arm = (3 * t as i64).max(3);
        for d in 1..=arm {
            for p in [(x - d, y), (x + d, y), (x, y - d), (x, y + d)] {
                dot(pic, p, r, [255, 0, 255]);
            }
        }
        dot(pic, (x, y), r, [255, 255, 255]);
    }
}

/// NO_COLOR: draws the overlay into the grey-level characters (one cell = 1x2 image pixels of
/// the fitted picture): each polygon's edges with its list number, the open polygon with `o`,
/// the selected polygon with `&`, the cursor with `X` (none of them in the grey ramp).
pub fn draw_text(lines: &mut [String], ov: &Overlay, geom: (u32, u32)) {
    let rows = lines.len() as u32;
    let cols = lines.first().map(|l| l.chars().count()).unwrap_or(0) as u32;
    if rows == 0 || cols == 0 {
        return;
    }
    let mut grid: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let mut put = |(x, y): (i64, i64), c: char| {
        if let Some(cell) = grid
            .get_mut(y as usize)
            .and_then(|row| row.get_mut(x as usize))
        {
            *cell = c;
        }
    };
    for s in &ov.shapes {
        let pts: Vec<(i64, i64)> = s
            .points
            .iter()
            .map(|p| scale(*p, geom, (cols, rows)))
            .collect();
        let scaled = OverlayShape {
            points: pts,
            ..s.clone()
        };
        let mark = if s.selected { '&' } else { s.mark };
        for (a, b) in edges(&scaled) {
            for p in segment(a, b) {
                put(p, mark);
            }
        }
    }
    if let Some(c) = ov.cursor {
        put(scale((c.0 as i64, c.1 as i64), geom, (cols, rows)), 'X');
    }
    for (line, row) in lines.iter_mut().zip(grid) {
        *line = row.into_iter().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(colour: [u8; 3]) -> Overlay {
        Overlay {
            shapes: vec![OverlayShape {
                points: vec![(100, 100), (300, 100), (300, 300), (100, 300)],
                colour,
                mark: '1',
                closed: true,
                selected: false,
            }],
            cursor: Some((50, 50)),
        }
    }

    #[test]
    fn polygon_edges_land_where_the_image_points_are() {
        // A 400x400 frame shown in 100x100 pixels: the square's corners at 25 and 75.
        let mut pic = RgbImage::new(100, 100);
        draw_pixels(&mut pic, &square([0, 170, 255]), (400, 400), 1);
        for (x, y) in [(25, 25), (75, 25), (75, 75), (25, 75), (50, 25), (25, 50)] {
            assert_eq!(pic.get_pixel(x, y).0, [0, 170, 255], "({x},{y})");
        }
        assert_eq!(pic.get_pixel(50, 50).0, [0, 0, 0], "inside stays untouched");
        // The cursor at (50,50) of the frame = (12,12) here.
        assert_eq!(pic.get_pixel(12, 12).0, [255, 255, 255]);
        assert_eq!(pic.get_pixel(14, 12).0, [255, 0, 255]);
    }

    #[test]
    fn no_color_draws_edges_with_the_list_number() {
        let mut lines = vec![" ".repeat(40); 20];
        draw_text(&mut lines, &square([1, 2, 3]), (400, 400));
        let all = lines.join("\n");
        assert!(lines[5].contains("111111"), "{all}");
        assert_eq!(lines[2].chars().nth(5), Some('X'), "{all}");
        assert_eq!(lines[10].chars().nth(20), Some(' '), "inside untouched");
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_colour("#00AAFF"), [0, 170, 255]);
        assert_eq!(parse_colour("nonsense"), [255, 0, 255]);
    }
}
