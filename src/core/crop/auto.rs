//! Automatic crop, deterministic: the union of the ultrasound regions if the file has them,
//! else the scan area(s) found in the content of the middle frame ([`super::scan_area`]).

use super::{CropRect, CropSource};
use crate::core::load::UsRegion;
use crate::core::pixels::Frame;

/// From SequenceOfUltrasoundRegions (Max values inclusive), clamped to the image.
pub fn from_regions(regions: &[UsRegion], columns: u32, rows: u32) -> Option<CropRect> {
    let mut it = regions.iter().filter(|r| {
        r.min_x0 <= r.max_x1 && r.min_y0 <= r.max_y1 && r.min_x0 < columns && r.min_y0 < rows
    });
    let first = it.next()?;
    let mut b = (first.min_x0, first.min_y0, first.max_x1, first.max_y1);
    for r in it {
        b = (
            b.0.min(r.min_x0),
            b.1.min(r.min_y0),
            b.2.max(r.max_x1),
            b.3.max(r.max_y1),
        );
    }
    let rect = CropRect::new(b.0, b.1, (b.2 + 1).min(columns), (b.3 + 1).min(rows));
    rect.validate(columns, rows).ok().map(|_| rect)
}

/// From image content: an 8-bit grey or RGB frame (see [`super::scan_area`] for the rule).
/// Returns the crop around the scan area(s) and which rule chose it, or what was looked for.
pub fn from_content(
    f: &Frame,
    banner_rows: u32,
    tolerance: u8,
) -> Result<(CropRect, String), String> {
    let areas = super::scan_area::find(
        f,
        super::scan_area::Options {
            banner_rows,
            tolerance,
        },
    )?;
    let rect = areas.union();
    rect.validate(f.width, f.height)?;
    Ok((rect, areas.describe()))
}

/// The frame used for content detection: the middle one (never random).
pub fn detection_frame(frames: u32) -> u32 {
    frames / 2
}

/// Regions first, then content. Returns the crop, its source and the rule that chose it; the
/// error says what was looked for.
pub fn detect(
    regions: &[UsRegion],
    columns: u32,
    rows: u32,
    frame: impl FnOnce() -> Result<Frame, String>,
    banner_rows: u32,
    tolerance: u8,
) -> Result<(CropRect, CropSource, String), String> {
    if let Some(r) = from_regions(regions, columns, rows) {
        return Ok((
            r,
            CropSource::AutoRegions,
            "regions: union of the Sequence of Ultrasound Regions".into(),
        ));
    }
    let f = frame().map_err(|e| format!("automatic crop: no ultrasound regions, and the frame for content detection could not be read: {e}"))?;
    from_content(&f, banner_rows, tolerance)
        .map(|(r, why)| (r, CropSource::AutoContent, why))
        .map_err(|e| {
            format!("automatic crop found no scan area (the file has no ultrasound regions; {e})")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_union_is_exclusive_at_the_far_edge() {
        let r = [
            UsRegion {
                min_x0: 10,
                min_y0: 20,
                max_x1: 99,
                max_y1: 79,
                spatial_format: 1,
                data_type: 1,
            },
            UsRegion {
                min_x0: 50,
                min_y0: 90,
                max_x1: 149,
                max_y1: 119,
                spatial_format: 3,
                data_type: 3,
            },
        ];
        assert_eq!(
            from_regions(&r, 200, 200),
            Some(CropRect::new(10, 20, 150, 120))
        );
    }

    #[test]
    fn content_finds_the_bright_centre_not_the_banner() {
        let (w, h) = (200u32, 160u32);
        let mut data = vec![0u8; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let banner = y < 20 && x > 10 && x < 190;
                let scan = (40..140).contains(&y) && (50..150).contains(&x);
                if banner || scan {
                    data[(y * w + x) as usize] = 200;
                }
            }
        }
        let f = Frame {
            width: w,
            height: h,
            spp: 1,
            bytes_per_sample: 1,
            photometric: "MONOCHROME2".into(),
            data,
        };
        assert_eq!(
            from_content(&f, 30, 8).map(|r| r.0),
            Ok(CropRect::new(50, 40, 150, 140))
        );
    }
}
