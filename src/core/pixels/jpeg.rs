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
    let mut c = turbojpeg::Compressor::new().map_err(|e| e.to_string())?;
    c.set_quality(quality as i32).map_err(|e| e.to_string())?;
    c.set_subsamp(subsamp).map_err(|e| e.to_string())?;
    c.compress_to_vec(image)
        .map_err(|e| format!("JPEG encode failed: {e}"))
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
