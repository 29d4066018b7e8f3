//! Blanking rectangles of a JPEG Baseline frame in the DCT domain, without re-encoding.
//!
//! libjpeg-turbo's `tj3Transform` reads the frame's quantised DCT coefficients, optionally
//! crops them on the iMCU grid, and hands each row of 8x8 blocks of each component to a
//! custom filter before writing them again with the same quantisation tables. The filter here
//! sets every block of the chosen iMCUs to the block that decodes to black: AC coefficients 0,
//! the DC coefficient the level that decodes to 0 in the black component (luma, or each of R, G
//! and B) and 128 in the chroma components. Every other block keeps its coefficients, so every
//! pixel outside the blanked iMCUs decodes exactly as before (for luma and RGB coding; with
//! subsampled chroma, fancy upsampling blends the chroma of the one pixel row or column next to
//! a blanked iMCU). Nothing is re-encoded: the file is no more lossy than it was.
//!
//! Rectangles are grown outward to the iMCU grid ([`snap_outward`]) so that whole MCUs are
//! blanked, chroma included. What cannot be done this way (12-bit, lossless or progressive
//! streams, CMYK) is reported by [`check`], and the caller re-encodes instead.

use super::tj_handle::Handle;
use crate::core::crop::CropRect;
use turbojpeg_sys as tj;

/// What the filter needs of a frame: per component its sampling factors and the quantised DC
/// value that decodes to black in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// (h, v, black DC) per component, in frame order.
    comps: Vec<(u32, u32, i16)>,
    hmax: u32,
    vmax: u32,
}

impl Layout {
    /// The iMCU size in pixels (width, height).
    pub fn mcu(&self) -> (u32, u32) {
        (8 * self.hmax, 8 * self.vmax)
    }
}

fn init() -> Result<Handle, String> {
    Handle::new(tj::TJINIT_TJINIT_TRANSFORM as i32)
        .ok_or_else(|| "libjpeg-turbo could not start".into())
}

/// Whether a frame can be blanked in the DCT domain, and how. `monochrome1`: the frame is
/// labelled MONOCHROME1 (black is the highest grey level). The error says why not.
pub fn check(bytes: &[u8], monochrome1: bool) -> Result<Layout, String> {
    let h = init()?;
    // SAFETY: the header is read from a slice we own; tj3Get reads integers of the handle.
    let (prec, lossless, progressive, arithmetic, cs) = unsafe {
        if tj::tj3DecompressHeader(h.0, bytes.as_ptr(), bytes.len() as _) != 0 {
            return Err(format!("JPEG header unreadable: {}", h.last_error()));
        }
        (
            tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_PRECISION as i32),
            tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_LOSSLESS as i32),
            tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_PROGRESSIVE as i32),
            tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_ARITHMETIC as i32),
            tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_COLORSPACE as i32),
        )
    };
    if prec != 8 || lossless == 1 || progressive == 1 || arithmetic == 1 {
        return Err(format!(
            "DCT-domain blanking needs an 8-bit sequential Huffman JPEG (precision {prec})"
        ));
    }
    let (sof, dqt) = parse(bytes)?;
    let black_dc = |q0: u16, black: bool| -> i16 {
        if !black {
            return 0; // chroma: 0 decodes to 128
        }
        // DC = 8 * (value - 128): -1024 decodes to 0, +1016 to 255; rounded away from 128 so
        // the decoded value is clamped to the end of the range
        let q = (1024 + q0 as i32 - 1) / q0.max(1) as i32;
        if monochrome1 {
            q as i16
        } else {
            -q as i16
        }
    };
    let is_black = |ci: usize| -> Result<bool, String> {
        match cs as u32 {
            tj::TJCS_TJCS_GRAY | tj::TJCS_TJCS_YCbCr => Ok(ci == 0),
            tj::TJCS_TJCS_RGB => Ok(true),
            _ => Err("DCT-domain blanking does not handle CMYK/YCCK JPEG".into()),
        }
    };
    let mut comps = Vec::new();
    for (ci, &(hs, vs, tq)) in sof.iter().enumerate() {
        let q0 = dqt
            .get(tq as usize)
            .copied()
            .flatten()
            .ok_or("JPEG frame uses a quantisation table it does not define")?;
        comps.push((hs as u32, vs as u32, black_dc(q0, is_black(ci)?)));
    }
    let hmax = comps.iter().map(|c| c.0).max().unwrap_or(1).max(1);
    let vmax = comps.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    if comps.is_empty() || comps.iter().any(|c| c.0 == 0 || c.1 == 0) {
        return Err("JPEG frame header without valid components".into());
    }
    Ok(Layout { comps, hmax, vmax })
}

/// (H, V, Tq) of each component of the SOF0/SOF1 header, and the DC entry of each of the four
/// quantisation tables the stream defines.
#[allow(clippy::type_complexity)]
fn parse(b: &[u8]) -> Result<(Vec<(u8, u8, u8)>, [Option<u16>; 4]), String> {
    let mut dqt = [None; 4];
    let mut sof = None;
    let mut p = 2;
    while p + 4 <= b.len() {
        if b[p] != 0xFF {
            return Err("JPEG markers out of order".into());
        }
        let m = b[p + 1];
        if m == 0xFF {
            p += 1;
            continue;
        }
        if m == 0xDA || m == 0xD9 {
            break;
        }
        if matches!(m, 0x01 | 0xD0..=0xD7) {
            p += 2;
            continue;
        }
        let len = u16::from_be_bytes([b[p + 2], b[p + 3]]) as usize;
        let seg = b
            .get(p + 4..p + 2 + len)
            .filter(|_| len >= 2)
            .ok_or("truncated JPEG marker segment")?;
        match m {
            0xDB => {
                let mut i = 0;
                while i < seg.len() {
                    let (pq, tq) = (seg[i] >> 4, (seg[i] & 15) as usize);
                    let n = if pq == 0 { 64 } else { 128 };
                    let t = seg.get(i + 1..i + 1 + n).ok_or("truncated DQT segment")?;
                    let q0 = if pq == 0 {
                        t[0] as u16
                    } else {
                        u16::from_be_bytes([t[0], t[1]])
                    };
                    if tq < 4 {
                        dqt[tq] = Some(q0);
                    }
                    i += 1 + n;
                }
            }
            0xC0 | 0xC1 => {
                let n = *seg.get(5).ok_or("truncated frame header")? as usize;
                let c = seg
                    .get(6..6 + 3 * n)
                    .ok_or("truncated frame header components")?;
                sof = Some(
                    c.chunks(3)
                        .map(|c| (c[1] >> 4, c[1] & 15, c[2] & 3))
                        .collect(),
                );
            }
            0xC2..=0xCF if !matches!(m, 0xC4 | 0xC8 | 0xCC) => {
                return Err("not a baseline (sequential Huffman) JPEG".into());
            }
            _ => {}
        }
        p += 2 + len;
    }
    Ok((sof.ok_or("no baseline JPEG frame header")?, dqt))
}

/// Rectangles grown outward to the iMCU grid and clamped to `width` x `height`.
pub fn snap_outward(rects: &[CropRect], mcu: (u32, u32), width: u32, height: u32) -> Vec<CropRect> {
    rects
        .iter()
        .map(|r| {
            CropRect::new(
                r.x0 / mcu.0 * mcu.0,
                r.y0 / mcu.1 * mcu.1,
                (r.x1.div_ceil(mcu.0) * mcu.0).min(width),
                (r.y1.div_ceil(mcu.1) * mcu.1).min(height),
            )
        })
        .filter(|r| r.x0 < r.x1 && r.y0 < r.y1)
        .collect()
}

struct Filter<'a> {
    layout: &'a Layout,
    /// Blanked rectangles, on the iMCU grid, output coordinates.
    rects: &'a [CropRect],
}

/// Called by libjpeg-turbo once per row of blocks of each component: `coeffs` holds
/// `array.w / 8` blocks of 64 coefficients (natural order, DC first) for block row
/// `array.y / 8`.
unsafe extern "C" fn blank_blocks(
    coeffs: *mut libc::c_short,
    array: tj::tjregion,
    _plane: tj::tjregion,
    component: libc::c_int,
    _transform_id: libc::c_int,
    transform: *mut tj::tjtransform,
) -> libc::c_int {
    // SAFETY: `data` points to the Filter that lives across the tj3Transform call, and `coeffs`
    // to array.w / 8 blocks of 64 coefficients (libjpeg-turbo's contract for custom filters).
    let f = unsafe { &*((*transform).data as *const Filter) };
    let Some(&(hs, vs, dc)) = f.layout.comps.get(component as usize) else {
        return -1;
    };
    if array.w <= 0 || array.y < 0 {
        return 0;
    }
    let blocks = array.w as usize / 8;
    let row = unsafe { std::slice::from_raw_parts_mut(coeffs, blocks * 64) };
    let by = array.y as u32 / 8;
    let (hmax, vmax) = (f.layout.hmax, f.layout.vmax);
    for r in f.rects {
        // component pixels (the rectangle is on the iMCU grid, so these are whole blocks)
        let (y0, y1) = (r.y0 * vs / vmax, (r.y1 * vs).div_ceil(vmax));
        if by < y0 / 8 || by >= y1.div_ceil(8) {
            continue;
        }
        let (x0, x1) = (r.x0 * hs / hmax, (r.x1 * hs).div_ceil(hmax));
        for bx in (x0 / 8) as usize..(x1.div_ceil(8) as usize).min(blocks) {
            let b = &mut row[bx * 64..bx * 64 + 64];
            b.fill(0);
            b[0] = dc;
        }
    }
    0
}

/// The frame cropped to `crop` (origin on the iMCU grid; `None`: the whole frame) with
/// `rects` (output coordinates, on the iMCU grid: see [`snap_outward`]) blanked in the DCT
/// domain. `layout` comes from [`check`] on the same stream.
pub fn blank(
    bytes: &[u8],
    layout: &Layout,
    crop: Option<&CropRect>,
    rects: &[CropRect],
) -> Result<Vec<u8>, String> {
    let h = init()?;
    let filter = Filter { layout, rects };
    let mut region = tj::tjregion {
        x: 0,
        y: 0,
        w: 0,
        h: 0,
    };
    let mut options = 0u32;
    if let Some(c) = crop {
        region = tj::tjregion {
            x: c.x0 as i32,
            y: c.y0 as i32,
            w: c.width() as i32,
            h: c.height() as i32,
        };
        options |= tj::TJXOPT_CROP;
    }
    let t = tj::tjtransform {
        r: region,
        op: tj::TJXOP_TJXOP_NONE as i32,
        options: options as i32,
        data: &filter as *const Filter as *mut libc::c_void,
        customFilter: Some(blank_blocks),
    };
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut len: tj::size_t = 0;
    // SAFETY: the input slice, the transform and the filter it points to outlive the call;
    // libjpeg-turbo allocates the output buffer, which is copied and freed with tj3Free.
    unsafe {
        let rc = tj::tj3Transform(
            h.0,
            bytes.as_ptr(),
            bytes.len() as _,
            1,
            &mut out,
            &mut len,
            &t,
        );
        if rc != 0 || out.is_null() {
            if !out.is_null() {
                tj::tj3Free(out as *mut libc::c_void);
            }
            return Err(format!("DCT-domain blanking failed: {}", h.last_error()));
        }
        let v = std::slice::from_raw_parts(out, len as usize).to_vec();
        tj::tj3Free(out as *mut libc::c_void);
        Ok(v)
    }
}
