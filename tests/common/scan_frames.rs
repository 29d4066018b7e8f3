//! Generated ultrasound screens with a known scan area, for the auto-crop evaluation: sector
//! or linear panes (one or two, side by side), a banner of text or a filled banner bar at the
//! top, side panels (text column, colour bar, depth dots), bottom annotations (text, ECG).
#![allow(dead_code)]

use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::pixels::Frame;

/// Deterministic xorshift generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % (hi - lo) as u64) as u32
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneKind {
    Sector,
    Linear,
}

/// One generated screen and what is known about it.
pub struct Case {
    pub frame: Frame,
    /// Box around every scan-area pixel (exclusive far edges).
    pub truth: CropRect,
    /// Pixels of the scan area.
    pub scan: Vec<bool>,
    /// Rows `0..banner_bottom` hold the banner.
    pub banner_bottom: u32,
    pub kind: PaneKind,
    pub panes: u32,
    pub label: String,
}

struct Canvas {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn set(&mut self, x: u32, y: u32, c: [u8; 3]) {
        if x < self.w && y < self.h {
            let i = ((y * self.w + x) * 3) as usize;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }
    fn rect(&mut self, x0: u32, y0: u32, x1: u32, y1: u32, c: [u8; 3]) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.set(x, y, c);
            }
        }
    }
    /// A line of pseudo-text: 5x7 glyphs of random strokes, `scale` pixels per dot.
    fn text(&mut self, rng: &mut Rng, x: u32, y: u32, chars: u32, scale: u32, c: [u8; 3]) {
        for k in 0..chars {
            if rng.range(0, 6) == 0 {
                continue; // a space
            }
            let gx = x + k * 6 * scale;
            for row in 0..7 {
                let bits = rng.range(0, 32);
                for col in 0..5 {
                    if bits & (1 << col) != 0
                        && (row == 0 || row == 6 || col == 0 || rng.range(0, 3) == 0)
                    {
                        self.rect(
                            gx + col * scale,
                            y + row * scale,
                            gx + col * scale + scale,
                            y + row * scale + scale,
                            c,
                        );
                    }
                }
            }
        }
    }
}

/// Case number `n` (deterministic).
pub fn case(n: u64) -> Case {
    let mut rng = Rng::new(n + 1);
    let sizes = [(640, 480), (800, 600), (1024, 768), (1280, 720), (960, 720)];
    let (w, h) = sizes[rng.range(0, sizes.len() as u32) as usize];
    let bg_levels = [0u8, 0, 0, 16, 40];
    let bg = bg_levels[rng.range(0, bg_levels.len() as u32) as usize];
    let noisy = rng.range(0, 3) == 0;
    let mut cv = Canvas {
        w,
        h,
        rgb: vec![bg; (w * h * 3) as usize],
    };
    if noisy {
        for v in cv.rgb.iter_mut() {
            *v = v.saturating_add(rng.range(0, 2) as u8);
        }
    }
    let kind = if rng.range(0, 2) == 0 {
        PaneKind::Sector
    } else {
        PaneKind::Linear
    };
    let panes = 1 + rng.range(0, 2);
    let scale = if h >= 700 { 2 } else { 1 };
    // banner: lines of text, or a filled bar with text
    let lines = rng.range(1, 4);
    let banner_bottom = 6 + lines * 10 * scale;
    if rng.range(0, 3) == 0 {
        cv.rect(0, 0, w, banner_bottom, [70, 70, 90]);
    }
    for l in 0..lines {
        let y = 4 + l * 10 * scale;
        cv.text(&mut rng, 8, y, 14, scale, [230, 230, 230]);
        cv.text(&mut rng, w / 2 + 20, y, 12, scale, [220, 220, 120]);
    }
    // side panels and bottom annotations
    let side = 70 * scale.min(2) + rng.range(0, 30);
    let bottom = h - (24 + rng.range(0, 30)) * scale;
    for l in 0..rng.range(3, 10) {
        cv.text(
            &mut rng,
            4,
            banner_bottom + 20 + l * 11 * scale,
            7,
            scale,
            [200, 200, 200],
        );
    }
    let bar_x = w - side + 10;
    for y in banner_bottom + 30..banner_bottom + 30 + h / 3 {
        let t = ((y - banner_bottom - 30) * 255 / (h / 3)) as u8;
        cv.rect(bar_x, y, bar_x + 8 * scale, y + 1, [255 - t, t / 2, t]);
    }
    for k in 0..12 {
        let y = banner_bottom + 20 + k * (bottom - banner_bottom - 30) / 12;
        cv.rect(
            w - side / 2,
            y,
            w - side / 2 + 2 * scale,
            y + 2 * scale,
            [200, 200, 200],
        );
    }
    cv.text(
        &mut rng,
        w / 3,
        bottom + 4 * scale,
        16,
        scale,
        [230, 230, 230],
    );
    if rng.range(0, 2) == 0 {
        for x in side..w - side {
            let y = bottom + 14 * scale + ((x as f64 / 9.0).sin() * 3.0) as u32;
            cv.set(x, y, [40, 220, 40]);
        }
    }
    // panes between the side panels, below the banner (with a gap), above the annotations
    let top = banner_bottom + 6 + rng.range(0, 20);
    let x_lo = side + 4;
    let x_hi = w - side - 4;
    let pane_w = if panes == 1 {
        x_hi - x_lo
    } else {
        (x_hi - x_lo - 8) / 2
    };
    let pane_h = bottom - 6 - top;
    let mut scan = vec![false; (w * h) as usize];
    for p in 0..panes {
        let px0 = x_lo + p * (pane_w + 8);
        let (pw, ph) = match kind {
            PaneKind::Linear => (
                pane_w * rng.range(70, 100) / 100,
                pane_h * rng.range(75, 100) / 100,
            ),
            PaneKind::Sector => (pane_w, pane_h),
        };
        let px0 = px0 + (pane_w - pw) / 2;
        let (cx, half_angle) = (px0 as f64 + pw as f64 / 2.0, (28 + rng.range(0, 18)) as f64);
        let radius = (ph as f64).min(pw as f64 / 2.0 / half_angle.to_radians().sin());
        let r0 = radius * rng.range(0, 15) as f64 / 100.0;
        let blob = (
            px0 as f64 + pw as f64 * rng.unit(),
            top as f64 + ph as f64 * rng.unit(),
            (pw.min(ph) as f64) * 0.15,
        );
        for y in top..top + ph {
            for x in px0..px0 + pw {
                let inside = match kind {
                    PaneKind::Linear => true,
                    PaneKind::Sector => {
                        let (dx, dy) = (x as f64 + 0.5 - cx, (y - top) as f64 + 0.5 + r0);
                        let r = (dx * dx + dy * dy).sqrt();
                        let a = dx.atan2(dy).to_degrees().abs();
                        r >= r0 && r <= radius + r0 && a <= half_angle
                    }
                };
                if !inside {
                    continue;
                }
                scan[(y * w + x) as usize] = true;
                // speckle, darker with depth, a dark (fluid) blob, never exactly background
                let depth = (y - top) as f64 / ph as f64;
                let mut level = 150.0 * (1.0 - 0.7 * depth) * rng.unit().sqrt();
                let (bx, by, br) = blob;
                if ((x as f64 - bx).powi(2) + (y as f64 - by).powi(2)).sqrt() < br {
                    level *= 0.1;
                }
                let v = (bg as f64 + 1.0 + level).min(255.0) as u8;
                cv.set(x, y, [v, v, v]);
            }
        }
    }
    let mut truth = CropRect::new(u32::MAX, u32::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if scan[(y * w + x) as usize] {
                truth = CropRect::new(
                    truth.x0.min(x),
                    truth.y0.min(y),
                    truth.x1.max(x + 1),
                    truth.y1.max(y + 1),
                );
            }
        }
    }
    let label = format!(
        "case {n}: {w}x{h} {:?} x{panes} background {bg}{}",
        kind,
        if noisy { " noisy" } else { "" }
    );
    Case {
        frame: Frame {
            width: w,
            height: h,
            spp: 3,
            bytes_per_sample: 1,
            photometric: "RGB".into(),
            data: cv.rgb,
        },
        truth,
        scan,
        banner_bottom,
        kind,
        panes,
        label,
    }
}

/// How a crop did on a case.
#[derive(Debug, Clone, Copy)]
pub struct Score {
    /// Fraction of scan-area pixels inside the crop.
    pub covered: f64,
    /// The crop holds every scan-area pixel.
    pub whole: bool,
    /// The crop holds no banner row.
    pub no_banner: bool,
    /// Crop area over the truth box area.
    pub excess: f64,
}

pub fn score(c: &Case, crop: &CropRect) -> Score {
    let w = c.frame.width;
    let (mut all, mut inside) = (0u64, 0u64);
    for (i, &s) in c.scan.iter().enumerate() {
        if s {
            all += 1;
            let (x, y) = (i as u32 % w, i as u32 / w);
            if x >= crop.x0 && x < crop.x1 && y >= crop.y0 && y < crop.y1 {
                inside += 1;
            }
        }
    }
    let area = |r: &CropRect| r.width() as f64 * r.height() as f64;
    Score {
        covered: inside as f64 / all.max(1) as f64,
        whole: inside == all,
        no_banner: crop.y0 >= c.banner_bottom,
        excess: area(crop) / area(&c.truth),
    }
}
