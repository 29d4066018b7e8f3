//! Blanking rectangles of a frame with the value that displays as black.

use crate::core::crop::CropRect;
use crate::core::pixels::render::Palette;
use crate::core::pixels::Frame;

/// The stored sample bytes of one black pixel for frames like `f` (interleaved, as decoded).
/// `signed`: Pixel Representation 1. PALETTE COLOR uses the darkest palette entry.
pub fn black_pixel(f: &Frame, signed: bool, palette: Option<&Palette>) -> Vec<u8> {
    let bps = f.bytes_per_sample as usize;
    match (f.photometric.as_str(), f.spp) {
        ("PALETTE COLOR", _) => {
            let idx = palette
                .and_then(|p| {
                    (0..p.red.len().min(p.green.len()).min(p.blue.len()))
                        .min_by_key(|&i| {
                            p.red[i] as u32 * 299 + p.green[i] as u32 * 587 + p.blue[i] as u32 * 114
                        })
                        .map(|i| (i as i32 + p.first).max(0) as u16)
                })
                .unwrap_or(0);
            sample_bytes(idx, bps)
        }
        ("YBR_FULL", 3) | ("YBR_FULL_422", 3) => {
            let mid = if bps == 2 { 0x8000u16 } else { 128 };
            [
                sample_bytes(0, bps),
                sample_bytes(mid, bps),
                sample_bytes(mid, bps),
            ]
            .concat()
        }
        (_, 3) => vec![0u8; 3 * bps],
        ("MONOCHROME1", _) => {
            let v = if signed {
                if bps == 2 {
                    0x7fff
                } else {
                    0x7f
                }
            } else if bps == 2 {
                0xffff
            } else {
                0xff
            };
            sample_bytes(v, bps)
        }
        _ => {
            // MONOCHROME2: the lowest value present (signed data and Bits Stored < Allocated
            // make a literal 0 mid-grey or out of range)
            let n = f.width as usize * f.height as usize;
            let darkest = (0..n)
                .map(|i| sample(f, i))
                .min_by_key(|&v| if signed { v as i16 as i32 } else { v as i32 })
                .unwrap_or(0);
            sample_bytes(darkest, bps)
        }
    }
}

fn sample(f: &Frame, i: usize) -> u16 {
    if f.bytes_per_sample == 2 {
        u16::from_le_bytes([f.data[2 * i], f.data[2 * i + 1]])
    } else {
        f.data[i] as u16
    }
}

fn sample_bytes(v: u16, bps: usize) -> Vec<u8> {
    if bps == 2 {
        v.to_le_bytes().to_vec()
    } else {
        vec![v as u8]
    }
}

/// Fills every rectangle (frame coordinates, clamped) with `pixel`. Returns pixels changed.
pub fn fill(f: &mut Frame, rects: &[CropRect], pixel: &[u8]) -> u64 {
    let px = f.spp as usize * f.bytes_per_sample as usize;
    if pixel.len() != px {
        return 0;
    }
    let row = f.row_bytes();
    let mut changed = 0;
    for r in rects {
        let (x1, y1) = (r.x1.min(f.width), r.y1.min(f.height));
        for y in r.y0..y1 {
            for x in r.x0..x1 {
                let at = y as usize * row + x as usize * px;
                let dst = &mut f.data[at..at + px];
                if dst != pixel {
                    dst.copy_from_slice(pixel);
                    changed += 1;
                }
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(photometric: &str, spp: u8, bps: u8, data: Vec<u8>) -> Frame {
        Frame {
            width: 2,
            height: 2,
            spp,
            bytes_per_sample: bps,
            photometric: photometric.into(),
            data,
        }
    }

    #[test]
    fn black_is_what_displays_black() {
        let f = frame("YBR_FULL", 3, 1, vec![9; 12]);
        assert_eq!(black_pixel(&f, false, None), vec![0, 128, 128]);
        let f = frame("MONOCHROME1", 1, 1, vec![9; 4]);
        assert_eq!(black_pixel(&f, false, None), vec![255]);
        let f = frame("MONOCHROME2", 1, 2, vec![5, 0, 3, 0, 200, 1, 9, 0]);
        assert_eq!(black_pixel(&f, false, None), vec![3, 0]);
        let p = Palette {
            first: 0,
            red: vec![200, 10, 50],
            green: vec![200, 5, 50],
            blue: vec![200, 1, 50],
        };
        let f = frame("PALETTE COLOR", 1, 1, vec![0; 4]);
        assert_eq!(black_pixel(&f, false, Some(&p)), vec![1]);
    }

    #[test]
    fn fill_changes_only_the_rectangle() {
        let mut f = frame("RGB", 3, 1, vec![255; 12]);
        let n = fill(&mut f, &[CropRect::new(1, 0, 2, 1)], &[0, 0, 0]);
        assert_eq!(n, 1);
        assert_eq!(
            f.data,
            [255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255]
        );
    }
}
