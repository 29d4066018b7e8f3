//! Drawing text into 8-bit frames with an embedded 8x8 bitmap font (`font8x8`): the demo exam
//! burns its fake banner and parameter column with it, and the detector is tuned and measured
//! on text drawn with it.

use crate::core::crop::CropRect;

/// Letter shapes derived from the 8x8 font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// Every stroke one pixel wider.
    Bold,
    /// Twice as tall as wide (condensed look).
    Tall,
}

/// An 8-bit interleaved picture to draw into.
pub struct Canvas<'a> {
    pub data: &'a mut [u8],
    pub width: u32,
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub spp: u8,
}

/// Size in pixels of `text` drawn at `scale`.
pub fn text_size(text: &str, scale: u32, style: Style) -> (u32, u32) {
    let n = text.chars().count() as u32;
    let sy = if style == Style::Tall { 2 } else { 1 };
    (n * 8 * scale, 8 * scale * sy)
}

/// Draws `text` with its top-left corner at (x, y); pixels outside the canvas are dropped.
/// Returns the box of the pixels set (the ink), or `None` if none were.
pub fn draw_text(
    c: &mut Canvas,
    x: u32,
    y: u32,
    text: &str,
    scale: u32,
    style: Style,
    colour: [u8; 3],
) -> Option<CropRect> {
    let sy = if style == Style::Tall {
        2 * scale
    } else {
        scale
    };
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (k, ch) in text.chars().enumerate() {
        let code = ch as usize;
        let glyph = if code < 128 {
            font8x8::legacy::BASIC_LEGACY[code]
        } else {
            font8x8::legacy::BASIC_LEGACY[b'?' as usize]
        };
        let gx = x + k as u32 * 8 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8u32 {
                let on = bits >> col & 1 == 1
                    || (style == Style::Bold && col > 0 && bits >> (col - 1) & 1 == 1);
                if !on {
                    continue;
                }
                for dy in 0..sy {
                    for dx in 0..scale {
                        let (px, py) = (gx + col * scale + dx, y + row as u32 * sy + dy);
                        if px >= c.width || py >= c.height {
                            continue;
                        }
                        let at = (py * c.width + px) as usize * c.spp as usize;
                        if c.spp == 3 {
                            c.data[at..at + 3].copy_from_slice(&colour);
                        } else {
                            c.data[at] = ((colour[0] as u32 * 299
                                + colour[1] as u32 * 587
                                + colour[2] as u32 * 114)
                                / 1000) as u8;
                        }
                        x0 = x0.min(px);
                        y0 = y0.min(py);
                        x1 = x1.max(px + 1);
                        y1 = y1.max(py + 1);
                    }
                }
            }
        }
    }
    (x0 < x1).then(|| CropRect::new(x0, y0, x1, y1))
}
