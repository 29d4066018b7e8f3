//! JPEG Baseline through libjpeg-turbo: decode, encode, and lossless (DCT-domain) crop.

use super::Frame;
use crate::core::crop::CropRect;

/// Decodes an 8-bit JPEG stream to RGB (colour) or grey.
pub fn decode(bytes: &[u8], colour: bool) -> Result<Frame, String> {
    let format = if colour {
        turbojpeg::PixelFormat::RGB
    } else {
        turbojpeg::PixelFormat::GRAY
    };
    let img =
        turbojpeg::decompress(bytes, format).map_err(|e| format!("JPEG decode failed: {e}"))?;
    let spp = if colour { 3 } else { 1 };
    let row = img.width * spp;
    let data = if img.pitch == row {
        img.pixels
    } else {
        img.pixels
            .chunks(img.pitch)
            .flat_map(|r| r[..row].iter().copied())
            .collect()
    };
    Ok(Frame {
        width: img.width as u32,
        height: img.height as u32,
        spp: spp as u8,
        bytes_per_sample: 1,
        photometric: if colour {
            "RGB".into()
        } else {
            "MONOCHROME2".into()
        },
        data,
    })
}

/// Encodes 8-bit RGB (4:2:2, to be labelled YBR_FULL_422) or grey (MONOCHROME2).
pub fn encode(f: &Frame, quality: u8) -> Result<Vec<u8>, String> {
    if f.bytes_per_sample != 1 || !(f.photometric == "RGB" || f.photometric == "MONOCHROME2") {
        return Err(format!(
            "JPEG encoder needs 8-bit RGB or MONOCHROME2, got {}",
            f.photometric
        ));
    }
    let (format, subsamp) = if f.spp == 3 {
        (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x1)
    } else {
        (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray)
    };
    let image = turbojpeg::Image {
        pixels: &f.data[..],
        width: f.width as usize,
        pitch: f.row_bytes(),
        height: f.height as usize,
        format,
    };
    with_compressor(quality, |c| {
        c.set_subsamp(subsamp).map_err(|e| e.to_string())?;
        c.compress_to_vec(image)
            .map_err(|e| format!("JPEG encode failed: {e}"))
    })
}

thread_local! {
    static COMPRESSOR: std::cell::RefCell<Option<turbojpeg::Compressor>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's libjpeg-turbo compressor at `quality`: made once per thread and
/// reused frame after frame (each caller sets the subsampling it needs); dropped after an error.
pub(super) fn with_compressor<R>(
    quality: u8,
    f: impl FnOnce(&mut turbojpeg::Compressor) -> Result<R, String>,
) -> Result<R, String> {
    COMPRESSOR.with(|cell| {
        // (busy only if `f` re-entered: a fresh compressor then)
        let Ok(mut slot) = cell.try_borrow_mut() else {
            let mut c = turbojpeg::Compressor::new().map_err(|e| e.to_string())?;
            c.set_quality(quality as i32).map_err(|e| e.to_string())?;
            return f(&mut c);
        };
        let mut c = match slot.take() {
            Some(c) => c,
            None => turbojpeg::Compressor::new().map_err(|e| e.to_string())?,
        };
        c.set_quality(quality as i32).map_err(|e| e.to_string())?;
        let r = f(&mut c);
        if r.is_ok() {
            *slot = Some(c);
        }
        r
    })
}

/// The iMCU size (width, height) of a JPEG stream: crops must start on this grid.
pub fn mcu_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    let h = turbojpeg::read_header(bytes).map_err(|e| format!("JPEG header unreadable: {e}"))?;
    let (w, hh) = h.subsamp.mcu_size();
    Ok((w as u32, hh as u32))
}

/// The crop that a lossless transform can do: origin moved inward to the MCU grid.
/// `None` if nothing would remain.
pub fn snap_inward(r: &CropRect, mcu: (u32, u32)) -> Option<CropRect> {
    let x0 = r.x0.div_ceil(mcu.0) * mcu.0;
    let y0 = r.y0.div_ceil(mcu.1) * mcu.1;
    let s = CropRect::new(x0, y0, r.x1, r.y1);
    (s.x0 < s.x1 && s.y0 < s.y1).then_some(s)
}

/// Crops in the DCT domain (no re-encoding). The origin must be on the MCU grid.
pub fn lossless_crop(bytes: &[u8], r: &CropRect) -> Result<Vec<u8>, String> {
    let mut t = turbojpeg::Transform::op(turbojpeg::TransformOp::None);
    t.crop = Some(turbojpeg::TransformCrop {
        x: r.x0 as usize,
        y: r.y0 as usize,
        width: Some(r.width() as usize),
        height: Some(r.height() as usize),
    });
    let mut tr = turbojpeg::Transformer::new().map_err(|e| e.to_string())?;
    tr.transform_to_vec(&t, bytes)
        .map_err(|e| format!("lossless JPEG crop failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(spp: u8, seed: u32) -> Frame {
        let (w, h) = (40u32, 24u32);
        Frame {
            width: w,
            height: h,
            spp,
            bytes_per_sample: 1,
            photometric: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
            data: (0..w * h * spp as u32)
                .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 11) as u8)
                .collect(),
        }
    }

    /// The thread's reused compressor gives what a fresh one gives, whatever it encoded before
    /// (grey, colour, another quality): no setting leaks from one frame to the next.
    #[test]
    fn reused_compressor_leaks_no_setting() {
        let fresh = |f: &Frame, q: u8| {
            let (format, subsamp) = if f.spp == 3 {
                (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x1)
            } else {
                (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray)
            };
            let mut c = turbojpeg::Compressor::new().unwrap();
            c.set_quality(q as i32).unwrap();
            c.set_subsamp(subsamp).unwrap();
            c.compress_to_vec(turbojpeg::Image {
                pixels: &f.data[..],
                width: f.width as usize,
                pitch: f.row_bytes(),
                height: f.height as usize,
                format,
            })
            .unwrap()
        };
        let (rgb, grey) = (frame(3, 1), frame(1, 2));
        for (f, q) in [(&rgb, 90), (&grey, 60), (&rgb, 75), (&grey, 95), (&rgb, 90)] {
            assert_eq!(encode(f, q).unwrap(), fresh(f, q), "spp {} q {q}", f.spp);
        }
    }
}
