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
    compress_packed(quality, image, subsamp)
}

/// Interleaved grey or RGB rows (any pitch) to JPEG at `quality` with `subsamp`, through this
/// thread's compressor and output buffer.
pub(super) fn compress_packed(
    quality: u8,
    image: turbojpeg::Image<&[u8]>,
    subsamp: turbojpeg::Subsamp,
) -> Result<Vec<u8>, String> {
    let len = turbojpeg::compressed_buf_len(image.width, image.height, subsamp)
        .map_err(|e| format!("JPEG encode failed: {e}"))?;
    with_compressor(quality, |c| {
        c.set_subsamp(subsamp).map_err(|e| e.to_string())?;
        compress_into(len, |out| c.compress_to_slice(image, out))
    })
}

thread_local! {
    static OUTPUT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A thread's output buffer larger than this (frames of tens of megapixels) is let go after
/// use rather than held for the life of the thread.
const KEEP_OUTPUT: usize = 8 << 20;

/// Runs one compression into this thread's output buffer of at least `len` bytes and returns
/// the bytes written. `len` is libjpeg-turbo's worst case for the image, so the encoder never
/// grows its buffer (when it allocates the buffer itself it starts at 4 KB and doubles,
/// copying what it has each time) and the result is copied once.
pub(super) fn compress_into(
    len: usize,
    f: impl FnOnce(&mut [u8]) -> turbojpeg::Result<usize>,
) -> Result<Vec<u8>, String> {
    let run = |buf: &mut Vec<u8>| {
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let n = f(&mut buf[..]).map_err(|e| format!("JPEG encode failed: {e}"))?;
        Ok(buf[..n].to_vec())
    };
    OUTPUT.with(|cell| {
        let Ok(mut buf) = cell.try_borrow_mut() else {
            return run(&mut Vec::new());
        };
        let r = run(&mut buf);
        if buf.len() > KEEP_OUTPUT {
            *buf = Vec::new();
        }
        r
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
        sized(spp, seed, 40, 24)
    }

    fn sized(spp: u8, seed: u32, w: u32, h: u32) -> Frame {
        let data = (0..w * h * spp as u32)
            .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 11) as u8)
            .collect();
        Frame::eight_bit(w, h, spp, data)
    }

    /// The thread's reused compressor gives what a fresh one gives, whatever it encoded before
    /// (grey, colour, another quality): no setting leaks from one frame to the next.
    #[test]
    fn reused_compressor_leaks_no_setting() {
        let (rgb, grey) = (frame(3, 1), frame(1, 2));
        for (f, q) in [(&rgb, 90), (&grey, 60), (&rgb, 75), (&grey, 95), (&rgb, 90)] {
            assert_eq!(encode(f, q).unwrap(), fresh(f, q), "spp {} q {q}", f.spp);
        }
    }

    /// The thread's reused output buffer: frames of odd sizes, a large one (whose buffer is
    /// let go) between small ones, each the exact stream a fresh compressor writes into its
    /// own growing buffer (nothing of a longer earlier stream left at the end).
    #[test]
    fn reused_output_buffer_gives_the_fresh_stream() {
        let sizes = [
            (1, 1),
            (17, 9),
            (640, 480),
            (3, 5),
            (2100, 2050),
            (33, 1),
            (1, 31),
        ];
        for (k, &(w, h)) in sizes.iter().enumerate() {
            for spp in [1u8, 3] {
                let f = sized(spp, k as u32, w, h);
                let got = encode(&f, 85).unwrap();
                assert_eq!(got, fresh(&f, 85), "{w}x{h} spp {spp}");
                let back = decode(&got, spp == 3).unwrap();
                assert_eq!((back.width, back.height), (w, h));
            }
        }
    }

    fn fresh(f: &Frame, q: u8) -> Vec<u8> {
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
    }
}
