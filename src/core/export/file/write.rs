//! Writing a prepared file: preamble, meta, the data set around the pixels, the pixels.

use std::io::Write;

use dicom_dictionary_std::tags;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::InMemDicomObject;
use rayon::prelude::*;

use super::prepare::{PixelOut, Prepared};
use crate::core::crop::CropRect;
use crate::core::dcm::get_str;
use crate::core::load::FileInfo;
use crate::core::pixels::{decode, encapsulated};
use crate::core::text::mask;

/// Writes the file: preamble, meta, the data set before (7FE0,0010), the pixels, the rest.
pub fn write(
    prepared: Prepared,
    out: &mut dyn Write,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<(), String> {
    let Prepared {
        obj,
        pixels,
        written,
        src,
        info,
    } = prepared;
    let ts = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
    let charset = get_str(&obj, tags::SPECIFIC_CHARACTER_SET)
        .and_then(|c| SpecificCharacterSet::from_code(c.split('\\').next().unwrap_or("")))
        .unwrap_or_default();
    let meta = obj.meta().clone();
    let ds = obj.into_inner();
    let (before, after): (Vec<_>, Vec<_>) = ds
        .into_iter()
        .partition(|e| e.header().tag < tags::PIXEL_DATA);
    let before = InMemDicomObject::from_element_iter(before);
    let after = InMemDicomObject::from_element_iter(after);
    let io = |e: std::io::Error| format!("write failed: {e}");
    out.write_all(&[0u8; 128]).map_err(io)?;
    out.write_all(b"DICM").map_err(io)?;
    meta.write(&mut *out)
        .map_err(|e| format!("cannot write file meta: {e}"))?;
    before
        .write_dataset_with_ts(&mut *out, &ts)
        .map_err(|e| format!("cannot write data set: {}", first_line(&e.to_string())))?;
    match pixels {
        PixelOut::Encapsulated(mut frames, _) => {
            encapsulated::write_encapsulated(&mut *out, &mut frames).map_err(io)?;
        }
        PixelOut::Native {
            frame_bytes,
            vr_ow,
            rect,
            mask: boxes,
            black,
            ybr422_pairs,
        } => {
            let total = frame_bytes as u64 * written.frames as u64;
            let padded = total + total % 2;
            if padded > u32::MAX as u64 - 1 {
                return Err("cropped pixel data is larger than 4 GB".into());
            }
            encapsulated::write_native_header(&mut *out, vr_ow, padded as u32).map_err(io)?;
            let rows = boxes.is_empty() && !ybr422_pairs && plain_rows(&info);
            let chunk = (rayon::current_num_threads() * 2).max(2) as u32;
            let mut start = 0u32;
            while start < written.frames {
                let end = (start + chunk).min(written.frames);
                if rows {
                    // read in parallel (from disk when the pixel data was left there)
                    let raws: Result<Vec<_>, String> = (start..end)
                        .into_par_iter()
                        .map(|i| decode::native_frame_raw(&src, &info, i))
                        .collect();
                    for raw in raws? {
                        write_rows(&raw, &info, &rect, frame_bytes, &mut *out)?;
                    }
                    progress(end, written.frames);
                    start = end;
                    continue;
                }
                let frames: Result<Vec<Vec<u8>>, String> = (start..end)
                    .into_par_iter()
                    .map(|i| {
                        if ybr422_pairs {
                            decode::ybr422_pairs_cropped(&src, &info, i, &rect)
                        } else {
                            let mut f = decode::decode_cropped(&src, &info, i, &rect)?;
                            mask::fill(&mut f, &boxes, &black);
                            Ok(f.data)
                        }
                    })
                    .collect();
                for f in frames? {
                    if f.len() != frame_bytes {
                        return Err(format!(
                            "frame sizes differ within the file ({} vs {frame_bytes} bytes)",
                            f.len()
                        ));
                    }
                    out.write_all(&f).map_err(io)?;
                }
                progress(end, written.frames);
                start = end;
            }
            if total % 2 == 1 {
                out.write_all(&[0]).map_err(io)?;
            }
        }
    }
    if after.iter().next().is_some() {
        after
            .write_dataset_with_ts_cs(&mut *out, &ts, charset)
            .map_err(|e| format!("cannot write data set: {}", first_line(&e.to_string())))?;
    }
    Ok(())
}

/// A native input whose cropped frame is a run of rows of its stored frame (interleaved
/// samples of whole bytes): those rows are written straight from it, without a cropped copy
/// in between (a copy fewer; the result is the same bytes).
fn plain_rows(info: &FileInfo) -> bool {
    !info.ts_kind.is_encapsulated()
        && info.bits_allocated > 0
        && info.bits_allocated.is_multiple_of(8)
        && !(info.planar_configuration == 1 && info.samples_per_pixel == 3)
        && !(info.photometric == "YBR_FULL_422" && info.bits_allocated == 8)
}

/// A stored frame cropped to `rect`, written row by row (whole rows at once; see
/// [`plain_rows`]).
fn write_rows(
    raw: &[u8],
    info: &FileInfo,
    rect: &CropRect,
    frame_bytes: usize,
    out: &mut dyn Write,
) -> Result<(), String> {
    let px = info.samples_per_pixel as usize * (info.bits_allocated / 8) as usize;
    let cols = info.columns as usize;
    let (x0, y0, y1) = (rect.x0 as usize, rect.y0 as usize, rect.y1 as usize);
    let w = rect.width() as usize * px;
    let whole = rect.x1 as usize <= cols && y1 <= info.rows as usize;
    if !whole || raw.len() < cols * info.rows as usize * px {
        return Err("the crop lies outside the frame".into());
    }
    if w * (y1 - y0) != frame_bytes {
        return Err(format!(
            "frame sizes differ within the file ({} vs {frame_bytes} bytes)",
            w * (y1 - y0)
        ));
    }
    let io = |e: std::io::Error| format!("write failed: {e}");
    if w == cols * px {
        return out.write_all(&raw[y0 * w..y1 * w]).map_err(io);
    }
    for y in y0..y1 {
        let at = (y * cols + x0) * px;
        out.write_all(&raw[at..at + w]).map_err(io)?;
    }
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}
