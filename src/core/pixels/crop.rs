//! Cropping native sample layouts straight from the stored bytes into interleaved frames.

use super::Frame;
use crate::core::crop::CropRect;

/// Geometry and meaning of one stored native frame.
#[derive(Debug, Clone)]
pub struct NativeLayout {
    pub columns: u32,
    pub rows: u32,
    pub spp: u8,
    pub bytes_per_sample: u8,
    /// 1 = colour planes stored one after the other.
    pub planar: bool,
    pub photometric: String,
}

/// Crops one stored frame. Planar data becomes interleaved; native YBR_FULL_422 becomes
/// YBR_FULL with each chroma pair repeated for both pixels (the stored samples are kept exactly).
pub fn crop_native(frame: &[u8], l: &NativeLayout, r: &CropRect) -> Frame {
    let (w, h) = (r.width() as usize, r.height() as usize);
    let cols = l.columns as usize;
    let (x0, y0) = (r.x0 as usize, r.y0 as usize);
    let bps = l.bytes_per_sample as usize;
    let spp = l.spp as usize;
    let mut out = Vec::with_capacity(w * h * spp * bps);
    let photometric;
    if l.photometric == "YBR_FULL_422" && bps == 1 {
        photometric = "YBR_FULL".to_string();
        // written in place, pixel by pixel (no growing of the vector per pixel)
        out.resize(w * h * 3, 0);
        for (y, dst) in (y0..y0 + h).zip(out.chunks_exact_mut(w * 3)) {
            let row = &frame[y * cols * 2..(y + 1) * cols * 2];
            for (x, o) in (x0..x0 + w).zip(dst.chunks_exact_mut(3)) {
                let pair = &row[(x / 2) * 4..(x / 2) * 4 + 4];
                o[0] = pair[x % 2];
                o[1] = pair[2];
                o[2] = pair[3];
            }
        }
    } else if l.planar && spp == 3 {
        photometric = l.photometric.clone();
        let plane = cols * l.rows as usize * bps;
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                for s in 0..3 {
                    let at = s * plane + (y * cols + x) * bps;
                    out.extend_from_slice(&frame[at..at + bps]);
                }
            }
        }
    } else {
        photometric = l.photometric.clone();
        let px = spp * bps;
        for y in y0..y0 + h {
            let start = (y * cols + x0) * px;
            out.extend_from_slice(&frame[start..start + w * px]);
        }
    }
    Frame {
        width: w as u32,
        height: h as u32,
        spp: l.spp,
        bytes_per_sample: l.bytes_per_sample,
        photometric,
        data: out,
    }
}

/// Crops a stored YBR_FULL_422 frame keeping its layout (Y Y Cb Cr per pixel pair): the samples
/// are copied as they are. The crop's x origin and width must be even (see [`keeps_ybr422_pairs`]).
pub fn crop_ybr422_pairs(frame: &[u8], columns: u32, r: &CropRect) -> Vec<u8> {
    debug_assert!(keeps_ybr422_pairs(r));
    let cols = columns as usize;
    let (x0, w) = (r.x0 as usize, r.width() as usize);
    let mut out = Vec::with_capacity(w * r.height() as usize * 2);
    for y in r.y0 as usize..r.y1 as usize {
        let start = (y * cols + x0) * 2;
        out.extend_from_slice(&frame[start..start + w * 2]);
    }
    out
}

/// A crop keeps every 4:2:2 pixel pair whole when its x origin and width are even.
pub fn keeps_ybr422_pairs(r: &CropRect) -> bool {
    r.x0.is_multiple_of(2) && r.width().is_multiple_of(2)
}

/// Crops an interleaved frame.
pub fn crop_frame(f: &Frame, r: &CropRect) -> Frame {
    let l = NativeLayout {
        columns: f.width,
        rows: f.height,
        spp: f.spp,
        bytes_per_sample: f.bytes_per_sample,
        planar: false,
        photometric: f.photometric.clone(),
    };
    crop_native(&f.data, &l, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planar_rgb_becomes_interleaved() {
        // 2x2 RGB planar: R plane 1..4, G plane 11..14, B plane 21..24
        let data: Vec<u8> = vec![1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24];
        let l = NativeLayout {
            columns: 2,
            rows: 2,
            spp: 3,
            bytes_per_sample: 1,
            planar: true,
            photometric: "RGB".into(),
        };
        let f = crop_native(&data, &l, &CropRect::new(1, 0, 2, 2));
        assert_eq!(f.data, vec![2, 12, 22, 4, 14, 24]);
    }

    #[test]
    fn ybr422_expands_pairs_exactly() {
        // one row, 4 pixels: (Y0 Y1 Cb Cr) (Y2 Y3 Cb Cr)
        let data: Vec<u8> = vec![10, 20, 100, 200, 30, 40, 101, 201];
        let l = NativeLayout {
            columns: 4,
            rows: 1,
            spp: 3,
            bytes_per_sample: 1,
            planar: false,
            photometric: "YBR_FULL_422".into(),
        };
        let f = crop_native(&data, &l, &CropRect::new(1, 0, 3, 1));
        assert_eq!(f.photometric, "YBR_FULL");
        assert_eq!(f.data, vec![20, 100, 200, 30, 101, 201]);
    }

    #[test]
    fn ybr422_pairs_are_copied_as_stored() {
        // 4x2 pixels: row 0 (Y0 Y1 Cb Cr)(Y2 Y3 Cb Cr), row 1 likewise
        let data: Vec<u8> = (1..=16u8).collect();
        let r = CropRect::new(2, 1, 4, 2);
        assert!(keeps_ybr422_pairs(&r));
        assert_eq!(crop_ybr422_pairs(&data, 4, &r), vec![13, 14, 15, 16]);
        let r = CropRect::new(0, 0, 4, 2);
        assert_eq!(crop_ybr422_pairs(&data, 4, &r), data);
        assert!(!keeps_ybr422_pairs(&CropRect::new(1, 0, 3, 1)));
        assert!(!keeps_ybr422_pairs(&CropRect::new(0, 0, 3, 1)));
    }

    #[test]
    fn sixteen_bit_rows_are_copied() {
        let data: Vec<u8> = (0..16u8).collect(); // 2x4 mono 16-bit
        let l = NativeLayout {
            columns: 4,
            rows: 2,
            spp: 1,
            bytes_per_sample: 2,
            planar: false,
            photometric: "MONOCHROME2".into(),
        };
        let f = crop_native(&data, &l, &CropRect::new(1, 1, 3, 2));
        assert_eq!(f.data, vec![10, 11, 12, 13]);
    }
}
