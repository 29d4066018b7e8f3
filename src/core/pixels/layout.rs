//! Sizes of native (uncompressed) pixel data.

/// Bytes of one native frame. YBR_FULL_422 stores 2 bytes per pixel (Y Y Cb Cr per pair).
pub fn native_frame_bytes(
    rows: u32,
    columns: u32,
    spp: u16,
    bits_allocated: u16,
    photometric: &str,
) -> u64 {
    let pixels = rows as u64 * columns as u64;
    if photometric == "YBR_FULL_422" && bits_allocated == 8 {
        return pixels * 2;
    }
    pixels * spp as u64 * (bits_allocated as u64 / 8)
}
