//! `[pixels] mask_outside_sector`: which part of a file's frames is the scan, for blanking
//! everything else.

use crate::core::crop::scan_area::{self, Options};
use crate::core::crop::sector::{self, Footprint};
use crate::core::crop::CropRect;
use crate::core::load::LoadedFile;
use crate::core::pixels::Frame;
use crate::core::settings::Settings;

/// The scan's footprint (from the ultrasound regions, else the content rule's panes) and the
/// report's note. `None` with a note when no scan area is found (nothing is blanked then).
pub(super) fn footprint(
    loaded: &LoadedFile,
    frames: &[Frame],
    settings: &Settings,
) -> (Option<Footprint>, String) {
    let info = &loaded.info;
    let (cols, rows) = (info.columns, info.rows);
    let regions: Vec<CropRect> = info
        .regions
        .iter()
        .filter(|r| {
            r.min_x0 <= r.max_x1 && r.min_y0 <= r.max_y1 && r.min_x0 < cols && r.min_y0 < rows
        })
        .map(|r| {
            CropRect::new(
                r.min_x0,
                r.min_y0,
                (r.max_x1 + 1).min(cols),
                (r.max_y1 + 1).min(rows),
            )
        })
        .collect();
    let (areas, from) = if !regions.is_empty() {
        (regions, "the ultrasound regions")
    } else {
        let Some(mid) = frames.get(frames.len() / 2) else {
            return (None, "no frame to find the scan in: nothing blanked".into());
        };
        let opts = Options {
            banner_rows: settings.crop.banner_rows,
            tolerance: settings.crop.threshold,
        };
        match scan_area::find(mid, opts) {
            Ok(a) => (a.panes.iter().map(|p| p.rect).collect(), "the content rule"),
            Err(e) => return (None, format!("nothing blanked: {e}")),
        }
    };
    let fp = sector::footprint(frames, &areas, settings.crop.threshold);
    let note = fp.describe(from);
    (Some(fp), note)
}
