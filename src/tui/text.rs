//! Burned-in text in the UI: what the detector found in a file (it runs on a worker, once per
//! file), what the export will do with it (the engine's own decision, [`policy::decide_file`],
//! so the screen never promises what the export does not do), the box the keys act on, the
//! crop that leaves a box out, and the overlay layer drawn over the preview.

use image::{Rgb, RgbImage};

use crate::core::crop::CropRect;
use crate::core::text::policy::{self, Decision, TextChoice};
use crate::core::text::{self, TextBox};

use super::action::Action;
use super::keymap::Mode;
use super::state::{AppState, FileEntry};

/// The detector's result for one file (kept for the session's lifetime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextScan {
    /// Asked for; the worker has not answered yet.
    Pending,
    Found(Vec<TextBox>),
    Failed(String),
}

/// The text layer of a preview: boxes (image coordinates, masking margin included) and the
/// selected one. Part of the preview request, so a change redraws the frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextOverlay {
    pub boxes: Vec<CropRect>,
    pub selected: Option<usize>,
}

impl FileEntry {
    /// The boxes found in this file (empty while unknown).
    pub fn text_boxes(&self) -> &[TextBox] {
        match &self.text {
            Some(TextScan::Found(b)) => b,
            _ => &[],
        }
    }

    /// What the export will decide for this file's text with the crop `crop` (`None`: no crop,
    /// the whole frame); `None` while the detector has not answered.
    pub fn text_decision(
        &self,
        crop: Option<CropRect>,
        settings: &crate::core::settings::Settings,
    ) -> Option<(Vec<TextBox>, Decision)> {
        let info = self.info()?;
        let Some(TextScan::Found(all)) = &self.text else {
            return None;
        };
        let crop = crop.unwrap_or_else(|| CropRect::full(info.columns, info.rows));
        let inside = text::inside(all, &crop);
        // the TUI never allows uncropped export by flag: only the setting does
        let allow = settings.output.allow_burned_in_without_crop;
        let d = policy::decide_file(
            &inside,
            settings.pixels.burned_in_text,
            self.text_choice,
            allow,
        );
        Some((inside, d))
    }

    /// Why the export would refuse this file's text (with its applied crop).
    pub fn text_blocker(&self, settings: &crate::core::settings::Settings) -> Option<String> {
        match self.text_decision(self.crop.map(|(r, _)| r), settings)? {
            (_, Decision::Block(reason)) => Some(reason),
            _ => None,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "box"
    } else {
        "boxes"
    }
}

impl AppState {
    /// The first key bound to `action` in the file list, for messages.
    fn files_key(&self, action: Action) -> String {
        self.keymap
            .keys_for(Mode::Files, action)
            .first()
            .cloned()
            .unwrap_or_else(|| action.name().to_string())
    }

    /// The keys that decide about text: `M mask · N keep · X shrink the crop`.
    pub fn text_keys_hint(&self) -> String {
        format!(
            "{} mask · {} keep · {} shrink the crop",
            self.files_key(Action::TextMask),
            self.files_key(Action::TextKeep),
            self.files_key(Action::TextExclude)
        )
    }

    /// The detail line about the current file's text, and whether it is a warning.
    pub fn text_line(&self) -> Option<(String, bool)> {
        let f = self.current()?;
        f.info()?;
        let scan = f.text.as_ref()?;
        let all = match scan {
            TextScan::Pending => return Some(("burned-in text: searching…".into(), false)),
            TextScan::Failed(e) => {
                return Some((format!("burned-in text: not searched ({e})"), true))
            }
            TextScan::Found(b) => b,
        };
        let shown = self.shown_crop();
        let (inside, d) = f.text_decision(shown, &self.settings)?;
        let n = inside.len();
        let cropped = match (shown, f.info()) {
            (Some(c), Some(i)) => !c.is_full(i.columns, i.rows),
            _ => false,
        };
        let place = if cropped {
            "inside the crop"
        } else {
            "in the frame (no crop)"
        };
        let yours = if f.text_choice.is_some() {
            " (your decision)"
        } else {
            ""
        };
        Some(match d {
            Decision::Clean if all.is_empty() => ("no burned-in text found".into(), false),
            Decision::Clean => (
                format!(
                    "{} text {} outside the crop: cut away on export",
                    all.len(),
                    plural(all.len())
                ),
                false,
            ),
            Decision::Mask(_) => (
                format!("{n} text {} {place}: masked on export{yours}", plural(n)),
                true,
            ),
            Decision::Keep(_) => (
                format!(
                    "{n} text {} {place}: kept on export, Burned In Annotation YES{yours}",
                    plural(n)
                ),
                true,
            ),
            Decision::Block(_) => {
                let over = inside.iter().filter(|b| b.over_scan).count();
                let what =
                    if over > 0 && self.settings.pixels.burned_in_text == policy::TextMode::Mask {
                        "text over the scan".to_string()
                    } else {
                        format!("{n} text {} {place}", plural(n))
                    };
                (format!("{what}: decide ({})", self.text_keys_hint()), true)
            }
        })
    }

    /// The selected box of the current file (index into its boxes), if still valid.
    pub fn selected_text_box(&self) -> Option<usize> {
        let f = self.current()?;
        match self.text_sel {
            Some((id, i)) if id == f.id && i < f.text_boxes().len() => Some(i),
            _ => None,
        }
    }

    /// The text layer for the current file's preview.
    pub fn text_overlay(&self) -> TextOverlay {
        let Some(f) = self.current() else {
            return TextOverlay::default();
        };
        let Some(info) = f.info() else {
            return TextOverlay::default();
        };
        TextOverlay {
            boxes: f
                .text_boxes()
                .iter()
                .map(|b| b.with_margin(info.columns, info.rows))
                .collect(),
            selected: self.selected_text_box(),
        }
    }
}

/// The largest part of `crop` that leaves `avoid` out, cutting along one side of it; `None`
/// when `avoid` does not reach into the crop or nothing would be left.
pub fn shrink_to_exclude(crop: &CropRect, avoid: &CropRect) -> Option<CropRect> {
    text::intersect(crop, avoid)?;
    let candidates = [
        // keep what is below, above, right of, left of the box
        (avoid.y1 < crop.y1).then(|| CropRect::new(crop.x0, avoid.y1, crop.x1, crop.y1)),
        (avoid.y0 > crop.y0).then(|| CropRect::new(crop.x0, crop.y0, crop.x1, avoid.y0)),
        (avoid.x1 < crop.x1).then(|| CropRect::new(avoid.x1, crop.y0, crop.x1, crop.y1)),
        (avoid.x0 > crop.x0).then(|| CropRect::new(crop.x0, crop.y0, avoid.x0, crop.y1)),
    ];
    candidates
        .into_iter()
        .flatten()
        .max_by_key(|r| r.width() as u64 * r.height() as u64)
}

/// Normal boxes and the selected one: both unlike the crop outline's amber.
const BOX: Rgb<u8> = Rgb([255, 40, 220]);
const SELECTED: Rgb<u8> = Rgb([40, 255, 255]);

/// The boxes' indices in drawing order: the selected box last, so it is on top.
fn draw_order(overlay: &TextOverlay) -> Vec<usize> {
    let mut order: Vec<usize> = (0..overlay.boxes.len())
        .filter(|i| Some(*i) != overlay.selected)
        .collect();
    order.extend(overlay.selected.filter(|i| *i < overlay.boxes.len()));
    order
}

/// Draws the boxes' outlines just outside each box (the text itself stays visible) into `img`,
/// whose pixels map onto `geom` image pixels; lines are `t` pixels of `img` thick.
pub fn draw_boxes(img: &mut RgbImage, geom: (u32, u32), overlay: &TextOverlay, t: u32) {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return;
    }
    let sx = |x: u32| ((x as u64 * w as u64) / geom.0.max(1) as u64) as i64;
    let sy = |y: u32| ((y as u64 * h as u64) / geom.1.max(1) as u64) as i64;
    let t = t.max(1) as i64;
    for i in draw_order(overlay) {
        let b = overlay.boxes[i];
        let colour = if Some(i) == overlay.selected {
            SELECTED
        } else {
            BOX
        };
        let (x0, y0, x1, y1) = (sx(b.x0) - t, sy(b.y0) - t, sx(b.x1) + t, sy(b.y1) + t);
        for y in y0.max(0)..y1.min(h as i64) {
            for x in x0.max(0)..x1.min(w as i64) {
                let edge = x < x0 + t || x >= x1 - t || y < y0 + t || y >= y1 - t;
                if edge {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
}

/// Draws the boxes into grey-level character lines (NO_COLOR), one cell outside each box:
/// rounded dashed outlines, a double line for the selected box; none of these characters is in
/// the grey ramp or the crop outline (`geom`: the image pixels the lines show).
pub fn draw_boxes_text(lines: &mut [String], geom: (u32, u32), overlay: &TextOverlay) {
    let rows = lines.len() as i64;
    let cols = lines.first().map(|l| l.chars().count()).unwrap_or(0) as i64;
    if rows == 0 || cols == 0 {
        return;
    }
    let mut grid: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let sx = |x: u32| (x as i64 * cols) / geom.0.max(1) as i64;
    let sy = |y: u32| (y as i64 * rows) / geom.1.max(1) as i64;
    for i in draw_order(overlay) {
        let b = overlay.boxes[i];
        let sel = Some(i) == overlay.selected;
        let (h, v, tl, tr, bl, br) = if sel {
            ('═', '║', '╔', '╗', '╚', '╝')
        } else {
            ('┄', '┆', '╭', '╮', '╰', '╯')
        };
        // one cell outside the box
        let (x0, y0) = (sx(b.x0) - 1, sy(b.y0) - 1);
        let (x1, y1) = (
            (sx(b.x1.saturating_sub(1)) + 1).max(x0 + 2),
            (sy(b.y1.saturating_sub(1)) + 1).max(y0 + 2),
        );
        let mut put = |x: i64, y: i64, c: char| {
            if x >= 0 && y >= 0 && x < cols && y < rows {
                grid[y as usize][x as usize] = c;
            }
        };
        for x in x0 + 1..x1 {
            put(x, y0, h);
            put(x, y1, h);
        }
        for y in y0 + 1..y1 {
            put(x0, y, v);
            put(x1, y, v);
        }
        put(x0, y0, tl);
        put(x1, y0, tr);
        put(x0, y1, bl);
        put(x1, y1, br);
    }
    for (l, g) in lines.iter_mut().zip(grid) {
        *l = g.into_iter().collect();
    }
}

/// The zoomed view: the part of `img` (which shows `geom` image pixels) inside `crop`, with
/// the overlay moved into the crop's coordinates. `None` when the crop is the whole frame.
pub fn zoom(
    img: &RgbImage,
    geom: (u32, u32),
    crop: &CropRect,
    overlay: &TextOverlay,
) -> Option<(RgbImage, (u32, u32), TextOverlay)> {
    if crop.is_full(geom.0, geom.1) || crop.width() == 0 || crop.height() == 0 {
        return None;
    }
    let (w, h) = (img.width() as u64, img.height() as u64);
    let sx = |x: u32| ((x as u64 * w) / geom.0.max(1) as u64) as u32;
    let sy = |y: u32| ((y as u64 * h) / geom.1.max(1) as u64) as u32;
    let (x0, y0) = (sx(crop.x0), sy(crop.y0));
    let (x1, y1) = (sx(crop.x1).max(x0 + 1), sy(crop.y1).max(y0 + 1));
    let part = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
    let mut moved = TextOverlay {
        boxes: Vec::new(),
        selected: None,
    };
    for (i, b) in overlay.boxes.iter().enumerate() {
        if let Some(r) = text::intersect(b, crop) {
            if overlay.selected == Some(i) {
                moved.selected = Some(moved.boxes.len());
            }
            moved.boxes.push(CropRect::new(
                r.x0 - crop.x0,
                r.y0 - crop.y0,
                r.x1 - crop.x0,
                r.y1 - crop.y0,
            ));
        }
    }
    Some((part, (crop.width(), crop.height()), moved))
}

/// The box the keys act on, set by cycling: the boxes that reach into the shown crop, in
/// reading order.
pub fn boxes_in_view(state: &AppState) -> Vec<usize> {
    let Some(f) = state.current() else {
        return Vec::new();
    };
    let Some(info) = f.info() else {
        return Vec::new();
    };
    let crop = state
        .shown_crop()
        .unwrap_or_else(|| CropRect::full(info.columns, info.rows));
    let mut idx: Vec<usize> = f
        .text_boxes()
        .iter()
        .enumerate()
        .filter(|(_, b)| text::intersect(&b.rect, &crop).is_some())
        .map(|(i, _)| i)
        .collect();
    let boxes = f.text_boxes();
    idx.sort_by_key(|&i| (boxes[i].rect.y0, boxes[i].rect.x0));
    idx
}

/// A person's decision, shown in messages.
pub fn choice_name(c: Option<TextChoice>) -> &'static str {
    match c {
        Some(TextChoice::Mask) => "masked on export (your decision, text over the scan too)",
        Some(TextChoice::Keep) => "kept on export (your decision, Burned In Annotation YES)",
        None => "back to the setting",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shrunk_crop_keeps_the_largest_side_and_leaves_the_box_out() {
        let crop = CropRect::new(100, 50, 700, 550);
        // a box near the top right: keeping what is below it is largest
        let b = CropRect::new(600, 60, 690, 80);
        let r = shrink_to_exclude(&crop, &b).unwrap();
        assert!(text::intersect(&r, &b).is_none(), "{r:?}");
        assert_eq!(r, CropRect::new(100, 80, 700, 550));
        // a tall box at the left edge: keep what is right of it
        let b = CropRect::new(90, 40, 150, 560);
        assert_eq!(
            shrink_to_exclude(&crop, &b),
            Some(CropRect::new(150, 50, 700, 550))
        );
        // outside: nothing to do
        assert_eq!(shrink_to_exclude(&crop, &CropRect::new(0, 0, 50, 40)), None);
    }

    #[test]
    fn text_outlines_are_drawn_with_their_own_characters() {
        let mut lines = vec![" ".repeat(40); 12];
        let o = TextOverlay {
            boxes: vec![
                CropRect::new(100, 100, 200, 120),
                CropRect::new(100, 300, 200, 320),
            ],
            selected: Some(1),
        };
        draw_boxes_text(&mut lines, (400, 480), &o);
        let all = lines.join("\n");
        for c in ['╭', '╯', '┄', '╔', '╝', '═'] {
            assert!(all.contains(c), "{c} missing:\n{all}");
        }
        // none of the crop outline's characters
        assert!(!all.contains('┌') && !all.contains('─'), "{all}");
    }
}
