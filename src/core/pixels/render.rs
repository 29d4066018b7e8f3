//! Turning any frame into 8-bit RGB or grey: for the preview, for automatic cropping and for
//! JPEG output. Palette lookup, YCbCr conversion, MONOCHROME1 inversion and 16-bit windowing.

use super::Frame;

/// Palette lookup tables (entries scaled to 8 bits).
#[derive(Debug, Clone, Default)]
pub struct Palette {
    pub first: i32,
    pub red: Vec<u8>,
    pub green: Vec<u8>,
    pub blue: Vec<u8>,
}

/// How to bring 16-bit samples down to 8 bits.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub center: f64,
    pub width: f64,
    pub signed: bool,
}

pub fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (y as f32, cb as f32 - 128.0, cr as f32 - 128.0);
    let c = round_to_u8;
    [
        c(y + 1.402 * cr),
        c(y - 0.344136 * cb - 0.714136 * cr),
        c(y + 1.772 * cb),
    ]
}

/// `v.round().clamp(0.0, 255.0) as u8` (halves away from zero) without the call to the C
/// library's `roundf` that `round` becomes on baseline x86-64: the truncation is exact and so
/// is the fraction (`v - trunc(v)`, Sterbenz), and below zero both give 0.
fn round_to_u8(v: f32) -> u8 {
    if v.is_nan() || v <= 0.0 {
        return 0;
    }
    if v >= 255.0 {
        return 255;
    }
    let t = v as u32;
    (t + ((v - t as f32) >= 0.5) as u32) as u8
}

/// [`ycc_to_rgb`]'s red by (Y, Cr) and blue by (Y, Cb), 256 x 256 each.
fn ycc_tables() -> &'static (Vec<u8>, Vec<u8>) {
    static T: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut red = vec![0u8; 1 << 16];
        let mut blue = vec![0u8; 1 << 16];
        for y in 0..=255u8 {
            for c in 0..=255u8 {
                let i = (y as usize) << 8 | c as usize;
                red[i] = ycc_to_rgb(y, 128, c)[0];
                blue[i] = ycc_to_rgb(y, c, 128)[2];
            }
        }
        (red, blue)
    })
}

/// Stored 8-bit YBR_FULL_422 rows (Y Y Cb Cr per pixel pair, even `columns`) straight to RGB:
/// what [`to_8bit`] gives for the frame expanded to YBR_FULL, without the expanded copy (each
/// pair's chroma terms computed once, the same expressions per pixel).
pub fn ybr422_to_rgb(raw: &[u8], columns: u32, rows: u32) -> Option<Vec<u8>> {
    let (cols, rows) = (columns as usize, rows as usize);
    if !cols.is_multiple_of(2) || raw.len() < cols * rows * 2 {
        return None;
    }
    let (red, blue) = ycc_tables();
    let mut out = vec![0u8; cols * rows * 3];
    for (o, p) in out.chunks_exact_mut(6).zip(raw.chunks_exact(4)) {
        let (cb, cr) = (p[2], p[3]);
        let (cbf, crf) = (cb as f32 - 128.0, cr as f32 - 128.0);
        let (gb, gr) = (0.344136 * cbf, 0.714136 * crf);
        for (k, &y) in p[..2].iter().enumerate() {
            let o = &mut o[k * 3..k * 3 + 3];
            o[0] = red[(y as usize) << 8 | cr as usize];
            o[1] = round_to_u8(y as f32 - gb - gr);
            o[2] = blue[(y as usize) << 8 | cb as usize];
        }
    }
    Some(out)
}

/// [`to_8bit`] taking the frame: 8-bit grey and 8-bit RGB, already what `to_8bit` returns
/// (MONOCHROME1 inverted in place), keep their buffer instead of being copied.
pub fn into_8bit(mut f: Frame, palette: Option<&Palette>, window: Option<Window>) -> Frame {
    let n = f.width as usize * f.height as usize;
    let pi = f.photometric.as_str();
    let grey = f.spp == 1 && pi != "PALETTE COLOR";
    let rgb = f.spp == 3 && !pi.starts_with("YBR");
    let want = if grey { n } else { n * 3 };
    if f.bytes_per_sample != 1 || !(grey || rgb) || f.data.len() < want {
        return to_8bit(&f, palette, window);
    }
    f.data.truncate(want);
    if grey {
        if f.photometric == "MONOCHROME1" {
            f.data.iter_mut().for_each(|v| *v = 255 - *v);
        }
        f.photometric = "MONOCHROME2".into();
    } else {
        f.photometric = "RGB".into();
    }
    f
}

/// An 8-bit version for display or JPEG: RGB for colour and palette, MONOCHROME2 for grey.
pub fn to_8bit(f: &Frame, palette: Option<&Palette>, window: Option<Window>) -> Frame {
    let n = f.width as usize * f.height as usize;
    let (spp, photometric, data): (u8, &str, Vec<u8>) = match (f.photometric.as_str(), f.spp) {
        ("PALETTE COLOR", 1) => {
            let mut out = Vec::with_capacity(n * 3);
            let p = palette.cloned().unwrap_or_default();
            for i in 0..n {
                let idx = sample(f, i) as i32 - p.first;
                let get = |t: &Vec<u8>| {
                    t.get(idx.clamp(0, t.len().saturating_sub(1) as i32) as usize)
                        .copied()
                        .unwrap_or(0)
                };
                out.extend_from_slice(&[get(&p.red), get(&p.green), get(&p.blue)]);
            }
            (3, "RGB", out)
        }
        (_, 1) => {
            let mut out = Vec::with_capacity(n);
            if f.bytes_per_sample == 1 {
                out.extend_from_slice(&f.data[..n]);
            } else {
                let w = window.unwrap_or_else(|| min_max_window(f));
                for i in 0..n {
                    let raw = sample(f, i);
                    let v = if w.signed {
                        raw as i16 as f64
                    } else {
                        raw as f64
                    };
                    let lo = w.center - w.width / 2.0;
                    let t = ((v - lo) / w.width.max(1.0)).clamp(0.0, 1.0);
                    out.push((t * 255.0).round() as u8);
                }
            }
            if f.photometric == "MONOCHROME1" {
                out.iter_mut().for_each(|v| *v = 255 - *v);
            }
            (1, "MONOCHROME2", out)
        }
        (pi, _) if f.bytes_per_sample == 1 && f.data.len() >= n * 3 => {
            // 8-bit colour: straight over the samples (no per-sample width test)
            let src = &f.data[..n * 3];
            let out = if pi.starts_with("YBR") {
                // red and blue depend on two samples each: looked up (the same expressions,
                // evaluated once per pair of values); green computed
                let (red, blue) = ycc_tables();
                let mut out = vec![0u8; n * 3];
                for (o, p) in out.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
                    let (y, cb, cr) = (p[0], p[1], p[2]);
                    let (yf, cbf, crf) = (y as f32, cb as f32 - 128.0, cr as f32 - 128.0);
                    o[0] = red[(y as usize) << 8 | cr as usize];
                    o[1] = round_to_u8(yf - 0.344136 * cbf - 0.714136 * crf);
                    o[2] = blue[(y as usize) << 8 | cb as usize];
                }
                out
            } else {
                src.to_vec()
            };
            (3, "RGB", out)
        }
        (pi, _) => {
            let mut out = Vec::with_capacity(n * 3);
            let shift = if f.bytes_per_sample == 2 { 8 } else { 0 };
            for i in 0..n {
                let s = |k: usize| (sample(f, i * 3 + k) >> shift) as u8;
                let px = [s(0), s(1), s(2)];
                if pi.starts_with("YBR") {
                    out.extend_from_slice(&ycc_to_rgb(px[0], px[1], px[2]));
                } else {
                    out.extend_from_slice(&px);
                }
            }
            (3, "RGB", out)
        }
    };
    Frame {
        width: f.width,
        height: f.height,
        spp,
        bytes_per_sample: 1,
        photometric: photometric.into(),
        data,
    }
}

fn sample(f: &Frame, i: usize) -> u16 {
    if f.bytes_per_sample == 2 {
        u16::from_le_bytes([f.data[2 * i], f.data[2 * i + 1]])
    } else {
        f.data[i] as u16
    }
}

fn min_max_window(f: &Frame) -> Window {
    let n = f.data.len() / 2;
    let (mut lo, mut hi) = (u16::MAX, 0u16);
    for i in 0..n {
        let v = sample(f, i);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        (lo, hi) = (0, 1);
    }
    Window {
        center: (lo as f64 + hi as f64) / 2.0,
        width: (hi as f64 - lo as f64).max(1.0),
        signed: false,
    }
}

/// Reads the palette of a PALETTE COLOR file (8- or 16-bit entries, scaled to 8 bits).
pub fn read_palette(obj: &dicom_object::DefaultDicomObject) -> Option<Palette> {
    use dicom_dictionary_std::tags;
    let desc = |t| -> Option<Vec<i32>> {
        let e = obj.element_opt(t).ok()??;
        e.to_multi_int::<i32>().ok()
    };
    let table = |dt, t| -> Option<Vec<u8>> {
        let d = desc(dt)?;
        let entries = if d.first().copied().unwrap_or(0) == 0 {
            65536
        } else {
            d[0] as usize
        };
        let bits = d.get(2).copied().unwrap_or(8);
        let e = obj.element_opt(t).ok()??;
        let raw = e.to_bytes().ok()?;
        let out: Vec<u8> = if raw.len() >= entries * 2 {
            raw.chunks_exact(2)
                .take(entries)
                .map(|c| {
                    let v = u16::from_le_bytes([c[0], c[1]]);
                    if bits > 8 {
                        (v >> 8) as u8
                    } else {
                        v as u8
                    }
                })
                .collect()
        } else {
            raw.iter().take(entries).copied().collect()
        };
        Some(out)
    };
    let first = desc(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR)?
        .get(1)
        .copied()
        .unwrap_or(0);
    Some(Palette {
        first,
        red: table(
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?,
        green: table(
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?,
        blue: table(
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?,
    })
}

/// VOI window from the header, if any.
pub fn read_window(obj: &dicom_object::DefaultDicomObject, signed: bool) -> Option<Window> {
    use dicom_dictionary_std::tags;
    let first = |t| -> Option<f64> {
        obj.element_opt(t)
            .ok()??
            .to_multi_float64()
            .ok()?
            .first()
            .copied()
    };
    let center = first(tags::WINDOW_CENTER)?;
    let width = first(tags::WINDOW_WIDTH)?;
    (width > 0.0).then_some(Window {
        center,
        width,
        signed,
    })
}

/// An `image` crate RGB picture, for the terminal preview.
pub fn to_rgb_image(
    f: &Frame,
    palette: Option<&Palette>,
    window: Option<Window>,
) -> image::RgbImage {
    let e = to_8bit(f, palette, window);
    let data = if e.spp == 3 {
        e.data
    } else {
        e.data.iter().flat_map(|&v| [v, v, v]).collect()
    };
    image::RgbImage::from_raw(e.width, e.height, data).unwrap_or_else(|| image::RgbImage::new(1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored 4:2:2 straight to RGB equals expanding it (crop_native) and converting it.
    #[test]
    fn ybr422_to_rgb_matches_expand_then_convert() {
        let (cols, rows) = (38u32, 5u32);
        let raw: Vec<u8> = (0..cols * rows * 2)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let l = crate::core::pixels::crop::NativeLayout {
            columns: cols,
            rows,
            spp: 3,
            bytes_per_sample: 1,
            planar: false,
            photometric: "YBR_FULL_422".into(),
        };
        let full = crate::core::crop::CropRect::full(cols, rows);
        let want = to_8bit(
            &crate::core::pixels::crop::crop_native(&raw, &l, &full),
            None,
            None,
        );
        assert_eq!(ybr422_to_rgb(&raw, cols, rows), Some(want.data));
        assert_eq!(ybr422_to_rgb(&raw[1..], cols, rows), None);
    }

    /// `into_8bit` gives what `to_8bit` gives, for every kind of frame it may keep or hand on.
    #[test]
    fn into_8bit_matches_to_8bit() {
        let frame = |pi: &str, spp: u8, bps: u8, extra: usize| {
            let n = 6 * 4 * spp as usize * bps as usize + extra;
            Frame {
                width: 6,
                height: 4,
                spp,
                bytes_per_sample: bps,
                photometric: pi.into(),
                data: (0..n).map(|i| (i * 37 % 251) as u8).collect(),
            }
        };
        let p = Palette {
            first: 0,
            red: (0..=255).collect(),
            green: (0..=255).rev().collect(),
            blue: vec![7; 256],
        };
        for f in [
            frame("MONOCHROME2", 1, 1, 0),
            frame("MONOCHROME2", 1, 1, 3),
            frame("MONOCHROME1", 1, 1, 0),
            frame("MONOCHROME2", 1, 2, 0),
            frame("RGB", 3, 1, 0),
            frame("RGB", 3, 1, 5),
            frame("RGB", 3, 2, 0),
            frame("YBR_FULL", 3, 1, 0),
            frame("PALETTE COLOR", 1, 1, 0),
        ] {
            assert_eq!(
                into_8bit(f.clone(), Some(&p), None),
                to_8bit(&f, Some(&p), None),
                "{} spp {} bps {}",
                f.photometric,
                f.spp,
                f.bytes_per_sample
            );
        }
    }

    fn round_clamp(v: f32) -> u8 {
        v.round().clamp(0.0, 255.0) as u8
    }

    #[test]
    fn fast_rounding_is_round_then_clamp() {
        // halves, the float just below each half, negatives, the ends, and a dense sweep
        let mut vs = vec![
            -1e9f32,
            -0.5,
            -0.49999997,
            -0.0,
            0.0,
            0.49999997,
            0.5,
            254.5,
            255.0,
        ];
        vs.extend([
            254.49998,
            255.49998,
            255.5,
            1e9,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]);
        for k in -2000..=270_000 {
            let v = k as f32 / 1000.0;
            vs.extend([
                v,
                f32::from_bits(v.to_bits().wrapping_add(1)),
                f32::from_bits(v.to_bits().wrapping_sub(1)),
            ]);
        }
        for v in vs {
            assert_eq!(round_to_u8(v), round_clamp(v), "{v:e}");
        }
    }

    #[test]
    fn ycc_conversion_and_8bit_colour_path_match_the_formula() {
        let reference = |y: u8, cb: u8, cr: u8| {
            let (y, cb, cr) = (y as f32, cb as f32 - 128.0, cr as f32 - 128.0);
            [
                round_clamp(y + 1.402 * cr),
                round_clamp(y - 0.344136 * cb - 0.714136 * cr),
                round_clamp(y + 1.772 * cb),
            ]
        };
        let mut data = Vec::new();
        let mut want = Vec::new();
        for y in (0..=255u8).step_by(3) {
            for cb in 0..=255u8 {
                for cr in 0..=255u8 {
                    assert_eq!(ycc_to_rgb(y, cb, cr), reference(y, cb, cr));
                    if cr % 17 == 0 {
                        data.extend([y, cb, cr]);
                        want.extend(reference(y, cb, cr));
                    }
                }
            }
        }
        let f = Frame {
            width: (data.len() / 3) as u32,
            height: 1,
            spp: 3,
            bytes_per_sample: 1,
            photometric: "YBR_FULL".into(),
            data: data.clone(),
        };
        let out = to_8bit(&f, None, None);
        assert_eq!((out.photometric.as_str(), out.spp), ("RGB", 3));
        assert_eq!(out.data, want);
        let rgb = to_8bit(
            &Frame {
                photometric: "RGB".into(),
                ..f
            },
            None,
            None,
        );
        assert_eq!(rgb.data, data);
    }

    #[test]
    fn ycc_grey_is_grey() {
        assert_eq!(ycc_to_rgb(100, 128, 128), [100, 100, 100]);
    }

    #[test]
    fn monochrome1_is_inverted() {
        let f = Frame {
            width: 2,
            height: 1,
            spp: 1,
            bytes_per_sample: 1,
            photometric: "MONOCHROME1".into(),
            data: vec![0, 200],
        };
        assert_eq!(to_8bit(&f, None, None).data, vec![255, 55]);
    }

    #[test]
    fn palette_is_applied() {
        let f = Frame {
            width: 2,
            height: 1,
            spp: 1,
            bytes_per_sample: 1,
            photometric: "PALETTE COLOR".into(),
            data: vec![0, 1],
        };
        let p = Palette {
            first: 0,
            red: vec![10, 20],
            green: vec![30, 40],
            blue: vec![50, 60],
        };
        assert_eq!(
            to_8bit(&f, Some(&p), None).data,
            vec![10, 30, 50, 20, 40, 60]
        );
    }
}
