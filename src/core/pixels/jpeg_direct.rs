//! JPEG Baseline output straight from what is stored, when no intermediate frame is needed:
//! native 8-bit MONOCHROME2 and RGB rows go to the encoder where they lie (no crop copy, no
//! 8-bit conversion copy); native YBR_FULL_422 and YCbCr 4:2:2 JPEG Baseline input are encoded
//! from their Y/Cb/Cr planes (no YCbCr -> RGB -> YCbCr round trip, no chroma upsampling and
//! re-subsampling). Anything else returns `None` and takes the general path (decode, crop,
//! 8-bit rendering, encode), which is also the reference the tests compare these against.

use std::borrow::Cow;

use dicom_object::DefaultDicomObject;

use super::decode::native_frame_raw;
use super::encapsulated;
use crate::core::crop::CropRect;
use crate::core::dcm::TransferSyntaxKind;
use crate::core::load::FileInfo;

/// Frame `i` cropped to `rect` as JPEG Baseline (4:2:2 colour or grey), or `None` when this
/// input needs the general path.
pub fn encode(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    rect: &CropRect,
    quality: u8,
) -> Option<Result<Vec<u8>, String>> {
    if info.bits_allocated != 8 || !encodable(info, i, rect) {
        return None;
    }
    if takes_stored_rows(info) {
        return Some(native_interleaved(obj, info, i, rect, quality));
    }
    let native = !info.ts_kind.is_encapsulated();
    match (native, info.samples_per_pixel, info.photometric.as_str()) {
        (true, 3, "YBR_FULL_422") => Some(native_ybr422(obj, info, i, rect, quality)),
        (false, 3, _) if info.ts_kind == TransferSyntaxKind::JpegBaseline => {
            jpeg_ycbcr422(obj, info, i, rect, quality)
        }
        _ => None,
    }
}

/// Frame `i` exists and the crop is not empty.
fn encodable(info: &FileInfo, i: u32, rect: &CropRect) -> bool {
    i < info.frames && rect.width() > 0 && rect.height() > 0
}

/// Native interleaved 8-bit MONOCHROME2 or RGB: encoded from the stored rows of a frame
/// ([`native_frame_raw`]), which are also its 8-bit frame as the text search reads it
/// (`decode::decode_full_8bit` leaves these samples as they are).
pub fn takes_stored_rows(info: &FileInfo) -> bool {
    info.bits_allocated == 8
        && !info.ts_kind.is_encapsulated()
        && match (info.samples_per_pixel, info.photometric.as_str()) {
            (1, "MONOCHROME2") => true,
            (3, "RGB") => info.planar_configuration != 1,
            _ => false,
        }
}

/// As [`encode`], from frame `i`'s stored bytes already at hand (`raw`, as
/// [`native_frame_raw`] gives them), for inputs whose frames [`takes_stored_rows`]; `None`
/// for the others.
pub fn encode_stored(
    raw: &[u8],
    info: &FileInfo,
    i: u32,
    rect: &CropRect,
    quality: u8,
) -> Option<Result<Vec<u8>, String>> {
    if !takes_stored_rows(info) || !encodable(info, i, rect) {
        return None;
    }
    Some(compress_rows(raw, info, i, rect, quality))
}

/// Native interleaved 8-bit grey or RGB: the encoder reads the crop from the stored rows.
fn native_interleaved(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    r: &CropRect,
    quality: u8,
) -> Result<Vec<u8>, String> {
    compress_rows(&native_frame_raw(obj, info, i)?, info, i, r, quality)
}

/// The crop `r` of frame `i`'s stored rows `raw` (interleaved 8-bit grey or RGB), encoded.
fn compress_rows(
    raw: &[u8],
    info: &FileInfo,
    i: u32,
    r: &CropRect,
    quality: u8,
) -> Result<Vec<u8>, String> {
    let spp = info.samples_per_pixel as usize;
    let (format, subsamp) = if spp == 3 {
        (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x1)
    } else {
        (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray)
    };
    let pitch = info.columns as usize * spp;
    let start = r.y0 as usize * pitch + r.x0 as usize * spp;
    let last_row_end = (r.y1 as usize - 1) * pitch + r.x1 as usize * spp;
    if last_row_end > raw.len() {
        return Err(format!("pixel data ends before frame {}", i + 1));
    }
    let image = turbojpeg::Image {
        pixels: &raw[start..],
        width: r.width() as usize,
        pitch,
        height: r.height() as usize,
        format,
    };
    super::jpeg::compress_packed(quality, image, subsamp)
}

/// Y, Cb and Cr planes of a 4:2:2 crop (chroma at half the width).
struct Planes<'a> {
    y: Cow<'a, [u8]>,
    y_stride: usize,
    cb: Cow<'a, [u8]>,
    cr: Cow<'a, [u8]>,
    c_stride: usize,
    width: usize,
    height: usize,
}

fn compress_planes(p: &Planes, quality: u8) -> Result<Vec<u8>, String> {
    let image = turbojpeg::YuvPlanesImage {
        y_plane: &p.y[..],
        u_plane: &p.cb[..],
        v_plane: &p.cr[..],
        width: p.width,
        height: p.height,
        y_stride: p.y_stride,
        u_stride: p.c_stride,
        v_stride: p.c_stride,
        subsamp: turbojpeg::Subsamp::Sub2x1,
    };
    let len = turbojpeg::compressed_buf_len(p.width, p.height, turbojpeg::Subsamp::Sub2x1)
        .map_err(|e| format!("JPEG encode failed: {e}"))?;
    super::jpeg::with_compressor(quality, |c| {
        super::jpeg::compress_into(len, |out| c.compress_yuv_planes_to_slice(&image, out))
    })
}

fn avg(a: u8, b: u8) -> u8 {
    (a as u16 + b as u16).div_ceil(2) as u8
}

/// The chroma of output pair `j` of a crop starting at `x0` within `x1`, from a half-width
/// chroma row: the stored value when the pair lines up with a stored pair (even x0), else
/// the mean of the two stored values the pair straddles.
fn chroma_at(row: &[u8], x0: usize, x1: usize, j: usize) -> u8 {
    let a = (x0 + 2 * j) / 2;
    if x0.is_multiple_of(2) || x0 + 2 * j + 1 >= x1 {
        row[a]
    } else {
        avg(row[a], row[a + 1])
    }
}

/// Native YBR_FULL_422 (Y0 Y1 Cb Cr per pixel pair): split into planes, samples as stored.
fn native_ybr422(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    r: &CropRect,
    quality: u8,
) -> Result<Vec<u8>, String> {
    let raw = native_frame_raw(obj, info, i)?;
    let cols = info.columns as usize;
    let (x0, x1) = (r.x0 as usize, r.x1 as usize);
    let (w, h) = (x1 - x0, r.height() as usize);
    // libjpeg-turbo wants the luma plane padded to an even width
    let y_stride = w + (w & 1);
    let c_stride = y_stride / 2;
    let mut y = vec![0u8; y_stride * h];
    let mut cb = vec![0u8; c_stride * h];
    let mut cr = vec![0u8; c_stride * h];
    let mut ch_cb = vec![0u8; cols.div_ceil(2)];
    let mut ch_cr = vec![0u8; cols.div_ceil(2)];
    for (k, sy) in (r.y0 as usize..r.y1 as usize).enumerate() {
        let row = raw
            .get(sy * cols * 2..(sy + 1) * cols * 2)
            .ok_or_else(|| format!("pixel data ends before frame {}", i + 1))?;
        let yrow = &mut y[k * y_stride..(k + 1) * y_stride];
        for (o, x) in yrow.iter_mut().zip(x0..x1) {
            *o = row[(x / 2) * 4 + (x & 1)];
        }
        if w & 1 == 1 {
            yrow[w] = yrow[w - 1];
        }
        if x0.is_multiple_of(2) {
            let pairs = &row[x0 * 2..];
            for (j, pair) in pairs.chunks_exact(4).take(c_stride).enumerate() {
                cb[k * c_stride + j] = pair[2];
                cr[k * c_stride + j] = pair[3];
            }
        } else {
            for (p, pair) in row.chunks_exact(4).enumerate() {
                ch_cb[p] = pair[2];
                ch_cr[p] = pair[3];
            }
            for j in 0..c_stride {
                cb[k * c_stride + j] = chroma_at(&ch_cb, x0, x1, j);
                cr[k * c_stride + j] = chroma_at(&ch_cr, x0, x1, j);
            }
        }
    }
    let planes = Planes {
        y: Cow::Owned(y),
        y_stride,
        cb: Cow::Owned(cb),
        cr: Cow::Owned(cr),
        c_stride,
        width: w,
        height: h,
    };
    compress_planes(&planes, quality)
}

/// JPEG Baseline coded as YCbCr 4:2:2: decoded to planes (no colour conversion, no chroma
/// upsampling), cropped, encoded from the planes. `None` for other streams or on any decode
/// problem (the general path then decodes, or reports, it).
fn jpeg_ycbcr422(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    r: &CropRect,
    quality: u8,
) -> Option<Result<Vec<u8>, String>> {
    let bytes = encapsulated::frame_bytes(obj, info.frames, i).ok()?;
    let mut d = turbojpeg::Decompressor::new().ok()?;
    let head = d.read_header(&bytes).ok()?;
    if head.colorspace != turbojpeg::Colorspace::YCbCr
        || head.subsamp != turbojpeg::Subsamp::Sub2x1
        || head.is_lossless
        || head.width != info.columns as usize
        || head.height != info.rows as usize
    {
        return None;
    }
    let (fw, fh) = (head.width, head.height);
    let y_stride = fw + (fw & 1);
    let c_stride = y_stride / 2;
    let len = turbojpeg::yuv_pixels_len(fw, 1, fh, turbojpeg::Subsamp::Sub2x1).ok()?;
    if len != (y_stride + 2 * c_stride) * fh {
        return None;
    }
    let mut buf = vec![0u8; len];
    let out = turbojpeg::YuvImage {
        pixels: &mut buf[..],
        width: fw,
        align: 1,
        height: fh,
        subsamp: turbojpeg::Subsamp::Sub2x1,
    };
    d.decompress_to_yuv(&bytes, out).ok()?;
    let (yp, rest) = buf.split_at(y_stride * fh);
    let (up, vp) = rest.split_at(c_stride * fh);
    let (x0, x1) = (r.x0 as usize, r.x1 as usize);
    let (w, h) = (x1 - x0, r.height() as usize);
    let y0 = r.y0 as usize;
    let planes = if x0.is_multiple_of(2) {
        // every plane is read where it lies
        Planes {
            y: Cow::Borrowed(&yp[y0 * y_stride + x0..]),
            y_stride,
            cb: Cow::Borrowed(&up[y0 * c_stride + x0 / 2..]),
            cr: Cow::Borrowed(&vp[y0 * c_stride + x0 / 2..]),
            c_stride,
            width: w,
            height: h,
        }
    } else {
        let oy = w + (w & 1);
        let oc = oy / 2;
        let mut y = vec![0u8; oy * h];
        let mut cb = vec![0u8; oc * h];
        let mut cr = vec![0u8; oc * h];
        for k in 0..h {
            let sy = y0 + k;
            y[k * oy..k * oy + w].copy_from_slice(&yp[sy * y_stride + x0..sy * y_stride + x1]);
            if w & 1 == 1 {
                y[k * oy + w] = y[k * oy + w - 1];
            }
            let (urow, vrow) = (
                &up[sy * c_stride..(sy + 1) * c_stride],
                &vp[sy * c_stride..(sy + 1) * c_stride],
            );
            for j in 0..oc {
                cb[k * oc + j] = chroma_at(urow, x0, x1, j);
                cr[k * oc + j] = chroma_at(vrow, x0, x1, j);
            }
        }
        Planes {
            y: Cow::Owned(y),
            y_stride: oy,
            cb: Cow::Owned(cb),
            cr: Cow::Owned(cr),
            c_stride: oc,
            width: w,
            height: h,
        }
    };
    Some(compress_planes(&planes, quality))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4:2:2 planes through the thread's reused compressor and output buffer give the stream a
    /// fresh compressor writes into its own growing buffer: odd and even widths, one line, a
    /// large frame between small ones, and qualities in turn.
    #[test]
    fn planes_through_the_reused_buffer_give_the_fresh_stream() {
        let sizes = [
            (1, 1),
            (17, 9),
            (640, 480),
            (2, 3),
            (2100, 1600),
            (33, 1),
            (5, 31),
        ];
        for (k, &(w, h)) in sizes.iter().enumerate() {
            let y_stride = w + (w & 1);
            let c_stride = y_stride / 2;
            let fill = |n: usize, seed: usize| -> Vec<u8> {
                (0..n)
                    .map(|i| ((i * 2654435761 + seed * 977) >> 9) as u8)
                    .collect()
            };
            let planes = Planes {
                y: Cow::Owned(fill(y_stride * h, k)),
                y_stride,
                cb: Cow::Owned(fill(c_stride * h, k + 1)),
                cr: Cow::Owned(fill(c_stride * h, k + 2)),
                c_stride,
                width: w,
                height: h,
            };
            let q = [85u8, 90, 60][k % 3];
            let got = compress_planes(&planes, q).unwrap();
            let mut c = turbojpeg::Compressor::new().unwrap();
            c.set_quality(q as i32).unwrap();
            let want = c
                .compress_yuv_planes_to_vec(&turbojpeg::YuvPlanesImage {
                    y_plane: &planes.y[..],
                    u_plane: &planes.cb[..],
                    v_plane: &planes.cr[..],
                    width: w,
                    height: h,
                    y_stride,
                    u_stride: c_stride,
                    v_stride: c_stride,
                    subsamp: turbojpeg::Subsamp::Sub2x1,
                })
                .unwrap();
            assert_eq!(got, want, "{w}x{h} q {q}");
        }
    }
}
