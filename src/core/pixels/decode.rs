//! Decoding one frame of any supported encoding into an interleaved [`Frame`], cropped.
//!
//! Native data is cropped straight from the stored bytes (bit-exact, no full-frame copy).
//! JPEG Baseline/Extended frames go through libjpeg-turbo; every other codec through
//! dicom-pixeldata. Known dicom-rs gaps are handled here: native YBR_FULL_422, planar colour,
//! palette indices kept as indices, RLE/JPEG-LS colour samples kept in their stored space.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;

use super::crop::{crop_frame, crop_native, crop_ybr422_pairs, keeps_ybr422_pairs, NativeLayout};
use super::layout::native_frame_bytes;
use super::Frame;
use crate::core::crop::CropRect;
use crate::core::dcm::TransferSyntaxKind;
use crate::core::load::FileInfo;

/// Decodes frame `i` and crops it to `rect`.
pub fn decode_cropped(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    rect: &CropRect,
) -> Result<Frame, String> {
    if i >= info.frames {
        return Err(format!("frame {} of {} does not exist", i + 1, info.frames));
    }
    if !info.ts_kind.is_encapsulated() {
        return native_cropped(obj, info, i, rect);
    }
    let full = decode_encapsulated(obj, info, i)?;
    if rect.is_full(full.width, full.height) {
        Ok(full)
    } else {
        Ok(crop_frame(&full, rect))
    }
}

/// Decodes a whole frame.
pub fn decode_full(obj: &DefaultDicomObject, info: &FileInfo, i: u32) -> Result<Frame, String> {
    decode_cropped(obj, info, i, &CropRect::full(info.columns, info.rows))
}

/// The stored native pixel bytes (little-endian sample order).
pub fn native_bytes(obj: &DefaultDicomObject) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    let el = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| "no pixel data".to_string())?;
    el.to_bytes()
        .map_err(|e| format!("pixel data unreadable: {e}"))
}

pub fn native_layout(info: &FileInfo) -> NativeLayout {
    NativeLayout {
        columns: info.columns,
        rows: info.rows,
        spp: info.samples_per_pixel as u8,
        bytes_per_sample: (info.bits_allocated / 8) as u8,
        planar: info.planar_configuration == 1 && info.samples_per_pixel == 3,
        photometric: info.photometric.clone(),
    }
}

fn native_cropped(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    rect: &CropRect,
) -> Result<Frame, String> {
    let frame = native_frame_raw(obj, info, i)?;
    let layout = native_layout(info);
    // the whole of an interleaved frame read from disk is already the frame: kept, not copied
    let expanded =
        layout.planar || (layout.photometric == "YBR_FULL_422" && layout.bytes_per_sample == 1);
    if !expanded && rect.is_full(info.columns, info.rows) {
        let size = info.columns as usize
            * info.rows as usize
            * layout.spp as usize
            * layout.bytes_per_sample as usize;
        if let std::borrow::Cow::Owned(data) = frame {
            if size == 0 || data.len() != size {
                return Ok(crop_native(&data, &layout, rect));
            }
            return Ok(Frame {
                width: info.columns,
                height: info.rows,
                spp: layout.spp,
                bytes_per_sample: layout.bytes_per_sample,
                photometric: layout.photometric,
                data,
            });
        }
    }
    Ok(crop_native(&frame, &layout, rect))
}

/// Frame `i` whole, as 8-bit grey or RGB ([`render::into_8bit`]). Native 8-bit YBR_FULL_422
/// goes from its stored pairs to RGB in one pass ([`render::ybr422_to_rgb`], same values).
pub fn decode_full_8bit(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    palette: Option<&super::render::Palette>,
    window: Option<super::render::Window>,
) -> Result<Frame, String> {
    if i < info.frames && keeps_native_ybr422(info, &CropRect::full(info.columns, info.rows)) {
        let raw = native_frame_raw(obj, info, i)?;
        if let Some(data) = super::render::ybr422_to_rgb(&raw, info.columns, info.rows) {
            return Ok(Frame::eight_bit(info.columns, info.rows, 3, data));
        }
    }
    let f = decode_full(obj, info, i)?;
    Ok(super::render::into_8bit(f, palette, window))
}

/// Native 8-bit YBR_FULL_422 whose crop keeps every pixel pair whole: it can be written as
/// stored, bit-exact (see [`ybr422_pairs_cropped`]).
pub fn keeps_native_ybr422(info: &FileInfo, rect: &CropRect) -> bool {
    !info.ts_kind.is_encapsulated()
        && info.photometric == "YBR_FULL_422"
        && info.bits_allocated == 8
        && info.samples_per_pixel == 3
        && keeps_ybr422_pairs(rect)
}

/// Native YBR_FULL_422 frame `i` cropped to `rect` in its stored layout (Y Y Cb Cr per pair).
pub fn ybr422_pairs_cropped(
    obj: &DefaultDicomObject,
    info: &FileInfo,
    i: u32,
    rect: &CropRect,
) -> Result<Vec<u8>, String> {
    if i >= info.frames {
        return Err(format!("frame {} of {} does not exist", i + 1, info.frames));
    }
    if !keeps_native_ybr422(info, rect) {
        return Err("not native YBR_FULL_422 with an even crop".into());
    }
    let frame = native_frame_raw(obj, info, i)?;
    Ok(crop_ybr422_pairs(&frame, info.columns, rect))
}

/// The stored bytes of native frame `i`: read from the file when the pixel data was left on
/// disk (large native files), else borrowed from the object.
pub fn native_frame_raw<'a>(
    obj: &'a DefaultDicomObject,
    info: &FileInfo,
    i: u32,
) -> Result<std::borrow::Cow<'a, [u8]>, String> {
    let fsz = native_frame_bytes(
        info.rows,
        info.columns,
        info.samples_per_pixel,
        info.bits_allocated,
        &info.photometric,
    ) as usize;
    let start = fsz * i as usize;
    if let Some(loc) = &info.pixel_location {
        if (start + fsz) as u64 > loc.len {
            return Err(format!("pixel data ends before frame {}", i + 1));
        }
        let f = std::fs::File::open(&loc.path)
            .map_err(|e| format!("cannot reopen the input: {}", e.kind()))?;
        let buf = read_vec_at(&f, fsz, loc.offset + start as u64)
            .map_err(|e| format!("cannot read frame {}: {}", i + 1, e.kind()))?;
        return Ok(std::borrow::Cow::Owned(buf));
    }
    match native_bytes(obj)? {
        std::borrow::Cow::Borrowed(raw) => raw
            .get(start..start + fsz)
            .map(std::borrow::Cow::Borrowed)
            .ok_or_else(|| format!("pixel data ends before frame {}", i + 1)),
        std::borrow::Cow::Owned(raw) => raw
            .get(start..start + fsz)
            .map(|b| std::borrow::Cow::Owned(b.to_vec()))
            .ok_or_else(|| format!("pixel data ends before frame {}", i + 1)),
    }
}

/// `len` bytes of `f` from `offset`, read straight into a new buffer: no zeroing of a frame's
/// megabytes first (the reads fill every byte, or it fails).
#[cfg(unix)]
pub(crate) fn read_vec_at(f: &std::fs::File, len: usize, offset: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::io::AsRawFd;
    let mut buf: Vec<u8> = Vec::with_capacity(len);
    let mut done = 0usize;
    while done < len {
        let at = i64::try_from(offset + done as u64).map_err(std::io::Error::other)?;
        // SAFETY: the kernel writes at most `len - done` bytes into the vector's spare
        // capacity starting at `done` (within its allocation of `len`); `set_len` below only
        // covers bytes the reads reported written.
        let n = unsafe {
            libc::pread(
                f.as_raw_fd(),
                buf.as_mut_ptr().add(done).cast(),
                len - done,
                at as libc::off_t,
            )
        };
        match n {
            n if n > 0 => done += n as usize,
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    // SAFETY: bytes 0..len were all written by the reads above.
    unsafe { buf.set_len(len) };
    Ok(buf)
}

#[cfg(not(unix))]
pub(crate) fn read_vec_at(
    mut f: &std::fs::File,
    len: usize,
    offset: u64,
) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut buf = vec![0u8; len];
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// What the samples mean after a codec has decoded them.
fn decoded_photometric(info: &FileInfo) -> String {
    let pi = info.photometric.as_str();
    if info.samples_per_pixel == 1 {
        return pi.to_string();
    }
    match info.ts_kind {
        // These codecs return the samples as stored.
        TransferSyntaxKind::Rle | TransferSyntaxKind::JpegLs | TransferSyntaxKind::JpegLsNear => {
            pi.to_string()
        }
        TransferSyntaxKind::Jpeg2000
        | TransferSyntaxKind::Jpeg2000Lossless
        | TransferSyntaxKind::Htj2k
        | TransferSyntaxKind::Htj2kLossless => match pi {
            "YBR_FULL" => "YBR_FULL".into(),
            _ => "RGB".into(),
        },
        // JPEG decoders convert YCbCr to RGB.
        _ => "RGB".into(),
    }
}

fn decode_encapsulated(obj: &DefaultDicomObject, info: &FileInfo, i: u32) -> Result<Frame, String> {
    let bps = (info.bits_allocated / 8) as u8;
    if matches!(
        info.ts_kind,
        TransferSyntaxKind::JpegBaseline | TransferSyntaxKind::JpegExtended
    ) && bps == 1
    {
        let bytes = super::encapsulated::frame_bytes(obj, info.frames, i)?;
        match super::jpeg::decode(&bytes, info.samples_per_pixel == 3) {
            Ok(f) => return check_size(f, info),
            Err(turbo) => {
                // fall through to dicom-pixeldata, and report libjpeg-turbo's reason if both fail
                return dicom_rs_frame(obj, info, i).map_err(|e| format!("{turbo}; {e}"));
            }
        }
    }
    if matches!(
        info.ts_kind,
        TransferSyntaxKind::JpegExtended | TransferSyntaxKind::JpegBaseline
    ) && bps == 2
    {
        let bytes = super::encapsulated::frame_bytes(obj, info.frames, i)?;
        return match super::jpeg12::precision(&bytes) {
            Some(12) => super::jpeg12::decode(&bytes, info.samples_per_pixel == 3)
                .and_then(|f| check_size(f, info)),
            Some(p) => Err(format!(
                "JPEG Extended frame {} declares {p}-bit samples: only 8 and 12 are defined",
                i + 1
            )),
            None => Err(format!("JPEG Extended frame {} has no frame header", i + 1)),
        };
    }
    dicom_rs_frame(obj, info, i)
}

fn dicom_rs_frame(obj: &DefaultDicomObject, info: &FileInfo, i: u32) -> Result<Frame, String> {
    if info.ts_kind == TransferSyntaxKind::Rle {
        let bytes = super::encapsulated::frame_bytes(obj, info.frames, i)?;
        super::rle::check_header(&bytes, info.samples_per_pixel, info.bits_allocated)
            .map_err(|e| format!("cannot decode RLE Lossless frame {}: {e}", i + 1))?;
    }
    if matches!(
        info.ts_kind,
        TransferSyntaxKind::JpegLs | TransferSyntaxKind::JpegLsNear
    ) {
        let bytes = super::encapsulated::frame_bytes(obj, info.frames, i)?;
        if !ends_with_eoi(&bytes) {
            // CharLS reads past the end of a cut stream as zero bits, and spends seconds of
            // CPU on every missing sample before it gives up
            return Err(format!(
                "cannot decode JPEG-LS frame {}: its data ends without the end-of-image \
                 marker (truncated)",
                i + 1
            ));
        }
    }
    let decoded = crate::core::guard::catch(|| obj.decode_pixel_data_frame(i))
        .map_err(|why| {
            format!(
                "the {} decoder failed on frame {} ({why})",
                info.ts_kind.name(),
                i + 1
            )
        })?
        .map_err(|e| {
            format!(
                "cannot decode {} frame {}: {}",
                info.ts_kind.name(),
                i + 1,
                first_line(&e.to_string())
            )
        })?;
    let bps = decoded.bits_allocated().div_ceil(8) as u8;
    let spp = decoded.samples_per_pixel() as u8;
    let mut data = decoded.data().to_vec();
    let (w, h) = (decoded.columns(), decoded.rows());
    // CharLS hands back JPEG-LS colour scans coded without interleave (one scan per
    // component) plane by plane, while dicom-pixeldata labels them interleaved.
    let jpegls_planes = spp == 3
        && matches!(
            info.ts_kind,
            TransferSyntaxKind::JpegLs | TransferSyntaxKind::JpegLsNear
        )
        && super::encapsulated::frame_bytes(obj, info.frames, i)
            .map(|b| jpegls_not_interleaved(&b))
            .unwrap_or(false);
    if spp == 3
        && (jpegls_planes
            || decoded.planar_configuration() == dicom_pixeldata::PlanarConfiguration::PixelFirst)
    {
        let l = NativeLayout {
            columns: w,
            rows: h,
            spp,
            bytes_per_sample: bps,
            planar: true,
            photometric: String::new(),
        };
        data = crop_native(&data, &l, &CropRect::full(w, h)).data;
    }
    let f = Frame {
        width: w,
        height: h,
        spp,
        bytes_per_sample: bps,
        photometric: decoded_photometric(info),
        data,
    };
    check_size(f, info)
}

fn check_size(f: Frame, info: &FileInfo) -> Result<Frame, String> {
    let expected =
        f.width as usize * f.height as usize * f.spp as usize * f.bytes_per_sample as usize;
    if f.width != info.columns || f.height != info.rows || f.data.len() < expected {
        return Err(format!(
            "decoded frame is {}x{} ({} bytes), the header says {}x{}",
            f.width,
            f.height,
            f.data.len(),
            info.columns,
            info.rows
        ));
    }
    if f.spp as u16 != info.samples_per_pixel {
        return Err(format!(
            "decoded frame has {} samples per pixel, the header says {}",
            f.spp, info.samples_per_pixel
        ));
    }
    Ok(f)
}

/// True when a JPEG-family stream ends with its end-of-image marker (FFD9), allowing the zero
/// bytes that pad a fragment to even length.
pub fn ends_with_eoi(b: &[u8]) -> bool {
    let end = b.len() - b.iter().rev().take(8).take_while(|&&x| x == 0).count();
    end >= 2 && b[end - 2..end] == [0xFF, 0xD9]
}

/// True when the first scan of a JPEG-LS stream carries one component (interleave mode none).
fn jpegls_not_interleaved(b: &[u8]) -> bool {
    let mut p = 2;
    while p + 4 < b.len() {
        if b[p] != 0xFF {
            return false;
        }
        let marker = b[p + 1];
        let len = u16::from_be_bytes([b[p + 2], b[p + 3]]) as usize;
        if marker == 0xDA {
            let ns = b.get(p + 4).copied().unwrap_or(0);
            let ilv = b.get(p + 4 + 1 + 2 * ns as usize + 1).copied().unwrap_or(1);
            return ns == 1 || ilv == 0;
        }
        p += 2 + len;
    }
    false
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::{jpegls_not_interleaved, read_vec_at};

    /// Frames read from disk without zeroing: every byte is the file's, at any offset and
    /// length (several reads where one is short), and a read past the end is an error.
    #[test]
    fn read_vec_at_reads_exactly_the_file() {
        use std::io::Write;
        let data: Vec<u8> = (0..300_001u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        for (off, len) in [(0, 0), (0, 1), (5, 4099), (1, 300_000), (123_457, 176_544)] {
            let got = read_vec_at(&f, len, off as u64).unwrap();
            assert_eq!(got, data[off..off + len], "offset {off} len {len}");
        }
        let e = read_vec_at(&f, 10, 299_995).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        let pipe_like = std::fs::File::open("/dev/null").unwrap();
        assert!(read_vec_at(&pipe_like, 1, 0).is_err());
    }

    fn stream(ns: u8, ilv: u8) -> Vec<u8> {
        // SOI, SOF55 (len 8+3*ns), SOS with ns components, NEAR, ILV
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x11];
        b.extend_from_slice(&[8, 0, 4, 0, 4, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
        let len = 6 + 2 * ns as u16;
        b.extend_from_slice(&[0xFF, 0xDA]);
        b.extend_from_slice(&len.to_be_bytes());
        b.push(ns);
        for c in 0..ns {
            b.extend_from_slice(&[c + 1, 0]);
        }
        b.extend_from_slice(&[0, ilv, 0]);
        b
    }

    #[test]
    fn end_of_image_is_found_before_padding_only() {
        use super::ends_with_eoi;
        assert!(ends_with_eoi(&[0xFF, 0xD8, 1, 2, 0xFF, 0xD9]));
        assert!(ends_with_eoi(&[0xFF, 0xD8, 1, 0xFF, 0xD9, 0]));
        assert!(!ends_with_eoi(&[0xFF, 0xD8, 1, 2, 3, 4]));
        assert!(!ends_with_eoi(&[0xFF, 0xD8, 0xFF, 0xD9, 7, 0]));
        assert!(!ends_with_eoi(&[0xD9]));
        assert!(!ends_with_eoi(&[]));
    }

    #[test]
    fn jpegls_interleave_mode_is_read_from_the_first_scan() {
        assert!(jpegls_not_interleaved(&stream(1, 0)));
        assert!(!jpegls_not_interleaved(&stream(3, 2)));
        assert!(!jpegls_not_interleaved(&stream(3, 1)));
    }
}
