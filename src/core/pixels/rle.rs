//! RLE Lossless (PS3.5 Annex G) encoder: one segment per byte plane (most significant byte
//! first), each row PackBits-encoded on its own, segments padded to even length.

use super::Frame;

/// Encodes one interleaved frame as an RLE Lossless fragment.
pub fn encode(f: &Frame) -> Vec<u8> {
    let (w, h) = (f.width as usize, f.height as usize);
    let spp = f.spp as usize;
    let bps = f.bytes_per_sample as usize;
    let segments = spp * bps;
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::with_capacity(segments);
    let mut row = vec![0u8; w];
    for s in 0..spp {
        for b in (0..bps).rev() {
            offsets.push(out.len() as u32);
            for y in 0..h {
                for (x, v) in row.iter_mut().enumerate() {
                    *v = f.data[((y * w + x) * spp + s) * bps + b];
                }
                packbits(&row, &mut out);
            }
            if out.len() % 2 == 1 {
                out.push(0);
            }
        }
    }
    out[0..4].copy_from_slice(&(segments as u32).to_le_bytes());
    for (i, o) in offsets.iter().enumerate() {
        out[4 + 4 * i..8 + 4 * i].copy_from_slice(&o.to_le_bytes());
    }
    out
}

fn packbits(row: &[u8], out: &mut Vec<u8>) {
    let n = row.len();
    let mut i = 0;
    while i < n {
        // length of the run of equal bytes starting at i
        let mut run = 1;
        while i + run < n && run < 128 && row[i + run] == row[i] {
            run += 1;
        }
        if run >= 2 {
            out.push((257 - run) as u8);
            out.push(row[i]);
            i += run;
            continue;
        }
        // literal: until a run of 2 starts or 128 bytes
        let start = i;
        let mut len = 0;
        while i < n && len < 128 {
            if i + 1 < n && row[i + 1] == row[i] {
                break;
            }
            i += 1;
            len += 1;
        }
        out.push((len - 1) as u8);
        out.extend_from_slice(&row[start..start + len]);
    }
}

/// Checks the 64-byte RLE header of a frame before a decoder believes it: 1 to 15 segments,
/// as many as the samples need, offsets increasing inside the fragment. (dicom-rs 0.10 sizes a
/// vector by the declared segment count, so JPEG bytes relabelled RLE asked for 15 GB.)
pub fn check_header(frame: &[u8], spp: u16, bits_allocated: u16) -> Result<(), String> {
    if frame.len() < 64 {
        return Err(format!(
            "{} bytes, shorter than the 64-byte RLE header",
            frame.len()
        ));
    }
    let word = |k: usize| u32::from_le_bytes(frame[4 * k..4 * k + 4].try_into().unwrap());
    let n = word(0);
    let expected = spp as u32 * bits_allocated.div_ceil(8) as u32;
    if n == 0 || n > 15 {
        return Err(format!(
            "the header declares {n} segments (1 to 15 allowed)"
        ));
    }
    if n != expected {
        return Err(format!(
            "{n} segments, {expected} expected for these samples"
        ));
    }
    let mut previous = 63u32;
    for k in 1..=n as usize {
        let o = word(k);
        if o <= previous || o as usize >= frame.len() {
            return Err(format!(
                "segment {k} starts at {o}, outside the fragment or out of order"
            ));
        }
        previous = o;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpack(mut data: &[u8], expected: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < expected && !data.is_empty() {
            let h = data[0] as i8;
            data = &data[1..];
            if h >= 0 {
                let n = h as usize + 1;
                out.extend_from_slice(&data[..n]);
                data = &data[n..];
            } else if h != -128 {
                let n = 1 - h as isize;
                out.extend(std::iter::repeat_n(data[0], n as usize));
                data = &data[1..];
            }
        }
        out
    }

    #[test]
    fn packbits_round_trips() {
        let row: Vec<u8> = vec![1, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 7, 7, 7, 8];
        let mut enc = Vec::new();
        packbits(&row, &mut enc);
        assert_eq!(unpack(&enc, row.len()), row);
        let long: Vec<u8> = (0..1000u32)
            .map(|i| if i % 300 < 200 { 9 } else { (i % 7) as u8 })
            .collect();
        let mut enc = Vec::new();
        packbits(&long, &mut enc);
        assert_eq!(unpack(&enc, long.len()), long);
    }

    #[test]
    fn header_lists_segments() {
        let f = Frame {
            width: 3,
            height: 1,
            spp: 3,
            bytes_per_sample: 1,
            photometric: "YBR_FULL".into(),
            data: vec![1, 2, 3, 1, 2, 3, 1, 2, 3],
        };
        let e = encode(&f);
        assert_eq!(u32::from_le_bytes(e[0..4].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(e[4..8].try_into().unwrap()), 64);
        let s1 = u32::from_le_bytes(e[8..12].try_into().unwrap()) as usize;
        assert_eq!(unpack(&e[64..s1], 3), vec![1, 1, 1]);
        assert_eq!(e.len() % 2, 0);
    }
}
