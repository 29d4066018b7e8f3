//! Encapsulated pixel data: finding the bytes of one frame, and writing fragments back.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;

/// The compressed bytes of frame `i` (0-based).
///
/// One fragment per frame is the common case; otherwise the Basic Offset Table groups
/// fragments; without one, JPEG streams are split at their end-of-image markers.
pub fn frame_bytes(obj: &DefaultDicomObject, frames: u32, i: u32) -> Result<Vec<u8>, String> {
    let el = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| "no pixel data".to_string())?;
    let frags = el.fragments().ok_or("pixel data is not encapsulated")?;
    let bot = el.offset_table().unwrap_or(&[]);
    let i = i as usize;
    if frags.len() == frames as usize {
        return frags
            .get(i)
            .map(|f| f.to_vec())
            .ok_or_else(|| format!("frame {} is missing", i + 1));
    }
    if frames == 1 {
        return Ok(frags.iter().flat_map(|f| f.iter().copied()).collect());
    }
    if bot.len() == frames as usize {
        // Offsets are measured from the first fragment's item tag: each item has an 8-byte header.
        let mut starts = Vec::with_capacity(frags.len());
        let mut pos = 0u64;
        for f in frags.iter() {
            starts.push(pos);
            pos += f.len() as u64 + 8;
        }
        let begin = bot[i] as u64;
        let end = bot.get(i + 1).map(|v| *v as u64).unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for (f, s) in frags.iter().zip(&starts) {
            if *s >= begin && *s < end {
                out.extend_from_slice(f);
            }
        }
        if out.is_empty() {
            return Err(format!(
                "frame {} not found through the offset table",
                i + 1
            ));
        }
        return Ok(out);
    }
    // No usable table: JPEG frames end with FFD9 (possibly followed by one pad byte).
    let mut current = Vec::new();
    let mut n = 0usize;
    for f in frags.iter() {
        current.extend_from_slice(f);
        if ends_with_eoi(f) {
            if n == i {
                return Ok(current);
            }
            n += 1;
            current.clear();
        }
    }
    Err(format!(
        "frame {} not found among {} fragments",
        i + 1,
        frags.len()
    ))
}

fn ends_with_eoi(f: &[u8]) -> bool {
    let t = if f.last() == Some(&0) {
        &f[..f.len().saturating_sub(1)]
    } else {
        f
    };
    t.ends_with(&[0xFF, 0xD9])
}

/// Pads odd-length fragments to even length, then returns the Basic Offset Table (offsets
/// measured after padding, from the first fragment's item tag).
pub fn pad_and_offsets(frames: &mut [Vec<u8>]) -> Vec<u32> {
    let mut bot = Vec::with_capacity(frames.len());
    let mut off = 0u32;
    for f in frames.iter_mut() {
        if f.len() % 2 == 1 {
            f.push(0);
        }
        bot.push(off);
        off = off.wrapping_add(f.len() as u32 + 8);
    }
    bot
}

/// Appends an encapsulated Pixel Data element (explicit VR little endian) for `frames`, one
/// fragment each, odd lengths padded first and the Basic Offset Table computed afterwards.
pub fn write_encapsulated(
    out: &mut dyn std::io::Write,
    frames: &mut [Vec<u8>],
) -> std::io::Result<()> {
    let bot = pad_and_offsets(frames);
    out.write_all(&[
        0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ])?;
    item(out, (bot.len() * 4) as u32)?;
    for b in &bot {
        out.write_all(&b.to_le_bytes())?;
    }
    for f in frames.iter() {
        item(out, f.len() as u32)?;
        out.write_all(f)?;
    }
    out.write_all(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0])
}

fn item(out: &mut dyn std::io::Write, len: u32) -> std::io::Result<()> {
    out.write_all(&[0xFE, 0xFF, 0x00, 0xE0])?;
    out.write_all(&len.to_le_bytes())
}

/// Writes the header of a native Pixel Data element (explicit VR little endian).
pub fn write_native_header(
    out: &mut dyn std::io::Write,
    vr_ow: bool,
    len: u32,
) -> std::io::Result<()> {
    out.write_all(&[0xE0, 0x7F, 0x10, 0x00])?;
    out.write_all(if vr_ow { b"OW" } else { b"OB" })?;
    out.write_all(&[0, 0])?;
    out.write_all(&len.to_le_bytes())
}
