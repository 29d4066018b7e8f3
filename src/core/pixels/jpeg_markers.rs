//! JPEG marker segments: keep what decoding needs, nothing else.
//!
//! A JPEG stream copied into an export (a frame passed through, or cropped in the DCT domain,
//! which copies the source's markers) can carry identity outside the image: COM comments, EXIF
//! (APP1: Artist, ImageDescription, dates, serial numbers), ICC profiles (APP2: description and
//! copyright text), other APPn segments, and bytes after the end-of-image marker. [`strip`]
//! rebuilds the stream from SOI, APP0 `JFIF` (without its thumbnail), APP14 `Adobe` (the colour
//! transform flag), DQT, SOFn, DHT, DAC, DRI, DNL, each SOS with its entropy-coded data
//! (restart markers included), and EOI. Everything else is dropped, and nothing after EOI.

/// Markers without a length field.
fn standalone(m: u8) -> bool {
    matches!(m, 0x01 | 0xD0..=0xD9)
}

/// True for the segments that decoding needs.
fn needed(m: u8, payload: &[u8]) -> bool {
    match m {
        0xC0..=0xCF => m != 0xC8, // SOFn, DHT (C4), DAC (CC); C8 is reserved (JPG)
        0xDB..=0xDD => true,      // DQT, DNL, DRI
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xEE => payload.starts_with(b"Adobe"),
        _ => false,
    }
}

/// The stream with only the segments decoding needs (see the module documentation).
pub fn strip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err("not a JPEG stream (no start-of-image marker)".into());
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut i = 2;
    loop {
        // find the next marker (skip fill bytes)
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i + 1 < bytes.len() && bytes[i + 1] == 0xFF {
            i += 1;
        }
        if i + 1 >= bytes.len() {
            return Err("JPEG stream ends without an end-of-image marker".into());
        }
        let m = bytes[i + 1];
        if m == 0xD9 {
            out.extend_from_slice(&[0xFF, 0xD9]);
            return Ok(out);
        }
        if standalone(m) {
            i += 2;
            continue;
        }
        if i + 4 > bytes.len() {
            return Err("truncated JPEG marker segment".into());
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        let end = i + 2 + len;
        if len < 2 || end > bytes.len() {
            return Err("JPEG marker segment runs past the end of the stream".into());
        }
        let payload = &bytes[i + 4..end];
        if m == 0xDA {
            // SOS: header, then entropy-coded data up to the next marker that is not a
            // restart marker or a stuffed byte.
            let mut j = end;
            while j + 1 < bytes.len() {
                if bytes[j] == 0xFF {
                    let n = bytes[j + 1];
                    if n == 0x00 || (0xD0..=0xD7).contains(&n) {
                        j += 2;
                        continue;
                    }
                    if n == 0xFF {
                        j += 1;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            out.extend_from_slice(&bytes[i..j]);
            i = j;
            continue;
        }
        if needed(m, payload) {
            if m == 0xE0 && payload.len() >= 14 {
                // JFIF header without the thumbnail: version, units, densities, 0x0 thumbnail
                let mut seg = payload[..14].to_vec();
                seg[12] = 0;
                seg[13] = 0;
                out.extend_from_slice(&[0xFF, 0xE0]);
                out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
                out.extend_from_slice(&seg);
            } else {
                out.extend_from_slice(&bytes[i..end]);
            }
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(m: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, m];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn drops_text_segments_and_trailing_bytes() {
        let mut s = vec![0xFF, 0xD8];
        s.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\x02\x01THUMB"));
        s.extend(seg(0xE1, b"Exif\0\0ZZPHI ARTIST"));
        s.extend(seg(0xE2, b"ICC_PROFILE\0ZZPHI ICC"));
        s.extend(seg(0xFE, b"ZZPHI COMMENT"));
        s.extend(seg(0xEE, b"Adobe\0\x64\0\0\0\0\x01"));
        s.extend(seg(0xDB, &[0u8; 65]));
        s.extend(seg(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
        s.extend(seg(0xC4, &[0u8; 17]));
        s.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        s.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        s.extend([0xFF, 0xD9]);
        s.extend(b"ZZPHI AFTER EOI");
        let out = strip(&s).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("ZZ"), "{text:?}");
        assert!(!text.contains("THUMB"));
        assert!(text.contains("JFIF") && text.contains("Adobe"));
        assert!(out.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]));
        assert!(strip(b"not a jpeg").is_err());
    }
}
