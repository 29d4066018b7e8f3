//! 12-bit JPEG (JPEG Extended, process 4) through libjpeg-turbo 3's tj3Decompress12, which
//! the `turbojpeg` wrapper does not expose; dicom-rs's JPEG decoder stops at 8 bits.

use super::tj_handle::Handle;
use super::Frame;
use turbojpeg_sys as tj;

/// The precision (bits per sample) a JPEG stream's frame header declares, if it has one.
pub fn precision(b: &[u8]) -> Option<u8> {
    let mut p = 2;
    while p + 4 < b.len() {
        if b[p] != 0xFF {
            return None;
        }
        let m = b[p + 1];
        if (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
            return b.get(p + 4).copied();
        }
        p += 2 + u16::from_be_bytes([b[p + 2], b[p + 3]]) as usize;
    }
    None
}

/// Decodes a 12-bit JPEG stream to grey or RGB samples, 16 bits each (little endian).
pub fn decode(bytes: &[u8], colour: bool) -> Result<Frame, String> {
    // SAFETY: plain FFI calls on a handle we own; the output buffer is sized from the header
    // libjpeg-turbo read, and libjpeg-turbo writes at most height * pitch samples.
    unsafe {
        let Some(h) = Handle::new(tj::TJINIT_TJINIT_DECOMPRESS as i32) else {
            return Err("12-bit JPEG: libjpeg-turbo could not start".into());
        };
        if tj::tj3DecompressHeader(h.0, bytes.as_ptr(), bytes.len() as _) != 0 {
            return Err(format!("12-bit JPEG header: {}", h.last_error()));
        }
        let w = tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_JPEGWIDTH as i32);
        let ht = tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_JPEGHEIGHT as i32);
        let prec = tj::tj3Get(h.0, tj::TJPARAM_TJPARAM_PRECISION as i32);
        if w <= 0 || ht <= 0 {
            return Err("12-bit JPEG: no image size in the header".into());
        }
        if prec != 12 {
            return Err(format!("JPEG precision {prec} is not 12"));
        }
        let (spp, format) = if colour {
            (3usize, tj::TJPF_TJPF_RGB)
        } else {
            (1usize, tj::TJPF_TJPF_GRAY)
        };
        let pitch = w as usize * spp;
        let mut out = vec![0i16; pitch * ht as usize];
        if tj::tj3Decompress12(
            h.0,
            bytes.as_ptr(),
            bytes.len() as _,
            out.as_mut_ptr(),
            pitch as i32,
            format,
        ) != 0
        {
            return Err(format!("12-bit JPEG decode failed: {}", h.last_error()));
        }
        Ok(Frame {
            width: w as u32,
            height: ht as u32,
            spp: spp as u8,
            bytes_per_sample: 2,
            photometric: if colour { "RGB" } else { "MONOCHROME2" }.into(),
            data: out.iter().flat_map(|v| (*v as u16).to_le_bytes()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn precision_is_read_from_the_frame_header() {
        // SOI, APP0 (len 4), SOF1 with precision 12
        let b = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC1, 0, 11, 12, 0, 8,
        ];
        assert_eq!(super::precision(&b), Some(12));
        assert_eq!(super::precision(&[0xFF, 0xD8, 0x00]), None);
    }
}
