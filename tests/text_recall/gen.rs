//! A harder labelled set for the burned-in text detector: identity strings drawn with
//! anti-aliased TrueType fonts (DejaVu, Liberation, when installed; the embedded bitmap font
//! always) at 9-28 px, in white, yellow, cyan, green and grey, over black, dim speckle, bright
//! speckle and across a sector edge, as single frames, cines (static text over a moving scan)
//! and JPEG Baseline round trips (ringing around the glyphs). Every drawn string keeps its
//! conditions so recall can be printed per condition.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::pixels::Frame;
use us_dicomizer::core::text::draw::{draw_text, Canvas, Style};

pub const W: u32 = 320;
pub const H: u32 = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ground {
    Black,
    DimSpeckle,
    BrightSpeckle,
    /// Half on black, half on speckle: text across the sector's edge.
    SectorEdge,
}

pub const COLOURS: [(&str, [u8; 3]); 5] = [
    ("white", [255, 255, 255]),
    ("yellow", [250, 230, 40]),
    ("cyan", [60, 230, 240]),
    ("green", [110, 240, 110]),
    ("grey", [165, 165, 165]),
];

const WORDS: [&str; 12] = [
    "DOE^JANE",
    "ID 4711-22",
    "03/02/1961",
    "St Mary Hospital",
    "10:42:13 PM",
    "Mustermann, Erika",
    "1958-02-14",
    "PAT 889301",
    "Dr. K. Weiss",
    "14.02.58",
    "Jones Lydia",
    "NTHI General",
];

/// One drawn string with the conditions it was drawn under.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub text: &'static str,
    /// Bounding box of its ink (coverage above 1/3).
    pub rect: CropRect,
    /// Pixels with coverage above 1/2, image coordinates.
    pub ink: Vec<(u32, u32)>,
    pub ground: Ground,
    pub colour: &'static str,
    pub px: u32,
    pub font: String,
    pub jpeg: bool,
    pub cine: bool,
}

pub struct Case {
    pub frames: Vec<Frame>,
    pub drawn: Vec<Drawn>,
}

pub struct Fonts {
    pub ttf: Vec<(String, FontVec)>,
}

impl Fonts {
    /// The Debian DejaVu / Liberation fonts that are installed (none is fine: the bitmap font
    /// is always used).
    pub fn load() -> Fonts {
        let mut ttf = Vec::new();
        for (name, path) in [
            ("dejavu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
            (
                "dejavu-bold",
                "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
            ),
            (
                "dejavu-thin",
                "/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
            ),
            (
                "dejavu-mono",
                "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
            ),
            (
                "dejavu-serif",
                "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
            ),
            (
                "liberation",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            ),
            (
                "liberation-bold",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
            ),
            (
                "liberation-mono",
                "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
            ),
        ] {
            if let Some(f) = std::fs::read(path)
                .ok()
                .and_then(|b| FontVec::try_from_vec(b).ok())
            {
                ttf.push((name.to_string(), f));
            }
        }
        Fonts { ttf }
    }
}

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n.max(1) as u64) as u32
    }
}

/// Speckle with a grain of a few pixels (noise box-blurred 3x3, then squared for the bright
/// scatterers ultrasound shows), scaled to `level` (mean brightness).
pub fn speckle(seed: u64, level: f32) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let n = (W * H) as usize;
    let raw: Vec<f32> = (0..n).map(|_| r.next(1000) as f32 / 1000.0).collect();
    let mut out = vec![0u8; n];
    for y in 0..H {
        for x in 0..W {
            let mut s = 0.0;
            let mut k = 0.0;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (xx, yy) = (x as i32 + dx, y as i32 + dy);
                    if xx >= 0 && yy >= 0 && xx < W as i32 && yy < H as i32 {
                        s += raw[(yy as u32 * W + xx as u32) as usize];
                        k += 1.0;
                    }
                }
            }
            let v = (s / k - 0.3).max(0.0) / 0.4; // 0..~1.75, mean ~0.5
                                                  // a few tissue layers: bright horizontal bands
            let band = if (y / 7) % 5 == 0 { 1.5 } else { 1.0 };
            out[(y * W + x) as usize] = (v * v * level * 2.0 * band).min(250.0) as u8;
        }
    }
    out
}

fn background(ground: Ground, seed: u64) -> Vec<u8> {
    match ground {
        Ground::Black => vec![0; (W * H) as usize],
        Ground::DimSpeckle => speckle(seed, 35.0),
        Ground::BrightSpeckle => speckle(seed, 95.0),
        Ground::SectorEdge => {
            let mut v = speckle(seed, 80.0);
            // a slanted edge: black left of x = W/2 + (y - H/2) / 3
            for y in 0..H {
                let edge = (W / 2) as i32 + (y as i32 - (H / 2) as i32) / 3;
                for x in 0..W {
                    if (x as i32) < edge {
                        v[(y * W + x) as usize] = 0;
                    }
                }
            }
            v
        }
    }
}

/// Alpha coverage of `text` at `px` pixels, top-left at (x, y), into a W x H map.
fn render_ttf(font: &FontVec, text: &str, px: u32, x: u32, y: u32, cov: &mut [f32]) -> u32 {
    let scale = PxScale::from(px as f32);
    let sf = font.as_scaled(scale);
    let mut caret = x as f32;
    let base = y as f32 + sf.ascent();
    let mut last = None;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(prev) = last {
            caret += sf.kern(prev, id);
        }
        let g = id.with_scale_and_position(scale, ab_glyph::point(caret, base));
        if let Some(o) = font.outline_glyph(g) {
            let b = o.px_bounds();
            o.draw(|gx, gy, c| {
                let (xx, yy) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                if xx >= 0 && yy >= 0 && (xx as u32) < W && (yy as u32) < H {
                    let at = (yy as u32 * W + xx as u32) as usize;
                    cov[at] = cov[at].max(c.clamp(0.0, 1.0));
                }
            });
        }
        caret += sf.h_advance(id);
        last = Some(id);
    }
    (caret - x as f32).ceil() as u32
}

/// Width and height a string takes at `px` with `font` (None: bitmap font at the closest
/// scale).
fn extent(font: Option<&FontVec>, text: &str, px: u32) -> (u32, u32) {
    match font {
        Some(f) => {
            let sf = f.as_scaled(PxScale::from(px as f32));
            let w: f32 = text.chars().map(|c| sf.h_advance(f.glyph_id(c))).sum();
            (
                w.ceil() as u32 + 2,
                (sf.ascent() - sf.descent()).ceil() as u32 + 2,
            )
        }
        None => {
            let s = bitmap_scale(px);
            (text.chars().count() as u32 * 8 * s, 8 * s)
        }
    }
}

fn bitmap_scale(px: u32) -> u32 {
    (px / 8).clamp(1, 3)
}

/// One case: a background, three strings, optionally a cine of 6 frames and/or a JPEG round
/// trip.
pub fn case(
    fonts: &Fonts,
    seed: u64,
    ground: Ground,
    jpeg: bool,
    cine: bool,
    colour_pick: Option<usize>,
) -> Case {
    let mut r = Rng::new(seed * 7919 + 13);
    let mut cov_all: Vec<(Vec<f32>, [u8; 3])> = Vec::new();
    let mut drawn: Vec<Drawn> = Vec::new();
    let mut tries = 0;
    while drawn.len() < 3 && tries < 60 {
        tries += 1;
        let text = WORDS[r.next(WORDS.len() as u32) as usize];
        let px = 9 + r.next(20); // 9..=28
        let fi = r.next(fonts.ttf.len() as u32 + 1) as usize;
        let font = fonts.ttf.get(fi);
        let (tw, th) = extent(font.map(|f| &f.1), text, px);
        if tw + 8 >= W || th + 8 >= H {
            continue;
        }
        let (x, y) = if ground == Ground::SectorEdge {
            // centred on the edge at its row
            let y = 4 + r.next(H - th - 8);
            let edge = (W / 2) as i32 + (y as i32 + th as i32 / 2 - (H / 2) as i32) / 3;
            let x = (edge - tw as i32 / 2).clamp(4, (W - tw - 4) as i32) as u32;
            (x, y)
        } else {
            (4 + r.next(W - tw - 8), 4 + r.next(H - th - 8))
        };
        let room = CropRect::new(
            x.saturating_sub(8),
            y.saturating_sub(8),
            x + tw + 8,
            y + th + 8,
        );
        if drawn
            .iter()
            .any(|d| us_dicomizer::core::text::intersect(&d.rect, &room).is_some())
        {
            continue;
        }
        let ci = colour_pick.unwrap_or(r.next(COLOURS.len() as u32) as usize);
        let (cname, colour) = COLOURS[ci];
        let mut cov = vec![0f32; (W * H) as usize];
        let fname = match font {
            Some((name, f)) => {
                render_ttf(f, text, px, x, y, &mut cov);
                name.clone()
            }
            None => {
                let style = [Style::Plain, Style::Bold][r.next(2) as usize];
                let mut buf = vec![0u8; (W * H) as usize];
                let mut c = Canvas {
                    data: &mut buf,
                    width: W,
                    height: H,
                    spp: 1,
                };
                draw_text(&mut c, x, y, text, bitmap_scale(px), style, [255, 255, 255]);
                for (c, &b) in cov.iter_mut().zip(&buf) {
                    *c = b as f32 / 255.0;
                }
                if style == Style::Bold {
                    "bitmap-bold".into()
                } else {
                    "bitmap".into()
                }
            }
        };
        let (mut x0, mut y0, mut x1, mut y1) = (W, H, 0, 0);
        let mut ink = Vec::new();
        for yy in 0..H {
            for xx in 0..W {
                let c = cov[(yy * W + xx) as usize];
                if c > 0.33 {
                    x0 = x0.min(xx);
                    y0 = y0.min(yy);
                    x1 = x1.max(xx + 1);
                    y1 = y1.max(yy + 1);
                }
                if c > 0.5 {
                    ink.push((xx, yy));
                }
            }
        }
        if x0 >= x1 {
            continue;
        }
        drawn.push(Drawn {
            text,
            rect: CropRect::new(x0, y0, x1, y1),
            ink,
            ground,
            colour: cname,
            px,
            font: fname,
            jpeg,
            cine,
        });
        cov_all.push((cov, colour));
    }
    let frames = compose(seed, ground, jpeg, cine, &cov_all);
    Case { frames, drawn }
}

/// The frames of `case` with the same background and no text.
pub fn case_without_text(seed: u64, ground: Ground, jpeg: bool, cine: bool) -> Vec<Frame> {
    compose(seed, ground, jpeg, cine, &[])
}

fn compose(
    seed: u64,
    ground: Ground,
    jpeg: bool,
    cine: bool,
    cov_all: &[(Vec<f32>, [u8; 3])],
) -> Vec<Frame> {
    let n_frames = if cine { 6 } else { 1 };
    (0..n_frames)
        .map(|f| {
            // the scan moves: a new speckle every frame, the text stays
            let bg = background(ground, seed * 31 + f as u64 * 1_000_003);
            let mut data = Vec::with_capacity((W * H * 3) as usize);
            for (i, &v) in bg.iter().enumerate() {
                let mut p = [v as f32; 3];
                for (cov, colour) in cov_all {
                    let a = cov[i];
                    if a > 0.0 {
                        for k in 0..3 {
                            p[k] = p[k] * (1.0 - a) + colour[k] as f32 * a;
                        }
                    }
                }
                data.extend(p.iter().map(|&c| c.round().clamp(0.0, 255.0) as u8));
            }
            if jpeg {
                data = jpeg_round_trip(&data, 70 + (seed % 4) as u8 * 7);
            }
            Frame {
                width: W,
                height: H,
                spp: 3,
                bytes_per_sample: 1,
                photometric: "RGB".into(),
                data,
            }
        })
        .collect()
}

/// Encodes RGB as JPEG Baseline at `quality` and decodes it again.
fn jpeg_round_trip(rgb: &[u8], quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode(rgb, W, H, image::ExtendedColorType::Rgb8)
        .expect("jpeg encodes");
    image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .expect("jpeg decodes")
        .to_rgb8()
        .into_raw()
}
