//! One file through the pipeline: decode, crop, encode, fix headers, de-identify, write.
//! [`plan`]: how its pixels will be written; [`prepare`]: the pixels computed and the header
//! rewritten; [`write`]: the file written out.

mod plan;
mod prepare;
mod write;

pub use plan::{jpeg_lossless_crop, plan_for, PixelPlan};
pub use prepare::{prepare, prepare_reusing, PixelOut, Prepared, StoredFrames};
pub use write::write;

use crate::core::crop::CropRect;

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The crop actually applied (may be snapped to the JPEG grid).
    pub crop: CropRect,
    pub frames: u32,
    /// Pixel values differ from the original's (the input was lossy or we compressed).
    pub lossy: bool,
    pub transfer_syntax: String,
    pub photometric: String,
    pub plan: PixelPlan,
    /// Rectangles blanked in every frame (output coordinates).
    pub masked: Vec<CropRect>,
}
