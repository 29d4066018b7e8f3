//! Pixels: decoding every supported encoding, cropping, re-encoding, and rendering for preview.

pub mod crop;
pub mod decode;
pub mod encapsulated;
pub mod jpeg;
pub mod jpeg12;
pub mod jpeg_blank;
pub mod jpeg_direct;
pub mod jpeg_markers;
pub mod layout;
pub mod render;
pub mod rle;
mod tj_handle;

/// A decoded (or natively read) frame region: interleaved samples, little-endian for 16 bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// 1 or 3.
    pub spp: u8,
    /// 1 (8-bit) or 2 (16-bit).
    pub bytes_per_sample: u8,
    /// What the samples mean: MONOCHROME1, MONOCHROME2, PALETTE COLOR, RGB or YBR_FULL.
    pub photometric: String,
    pub data: Vec<u8>,
}

impl Frame {
    /// An 8-bit grey (MONOCHROME2, `spp` 1) or RGB (`spp` 3) frame of interleaved samples.
    pub fn eight_bit(width: u32, height: u32, spp: u8, data: Vec<u8>) -> Frame {
        Frame {
            width,
            height,
            spp,
            bytes_per_sample: 1,
            photometric: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
            data,
        }
    }

    pub fn row_bytes(&self) -> usize {
        self.width as usize * self.spp as usize * self.bytes_per_sample as usize
    }
}
