//! Burned-in text in one file's pixels: what `[pixels] burned_in_text` decides for it.

use super::*;

/// What the text search decided for one file.
pub(super) struct TextOutcome {
    /// Rectangles to blank, image coordinates, margins included.
    pub(super) mask: Vec<CropRect>,
    /// Nothing readable is left in the output pixels.
    pub(super) clean: bool,
    pub(super) note: String,
}

/// Searches the file's pixels for burned-in text and applies `[pixels] burned_in_text`, or the
/// person's choice for this file (`choice`, from the TUI) when there is one.
/// `frames`: the sampled frames ([`crate::core::text::read_frames`]). `outside`: the part
/// blanked by `mask_outside_sector`, if on: text lying wholly there is blanked with it.
pub(super) fn burned_in_text(
    loaded: &LoadedFile,
    frames: &[crate::core::pixels::Frame],
    crop: &CropRect,
    settings: &Settings,
    allow: bool,
    outside: Option<&crate::core::crop::sector::Footprint>,
    choice: Option<crate::core::text::policy::TextChoice>,
) -> std::result::Result<TextOutcome, Outcome> {
    use crate::core::text::{self, policy};
    let (cols, rows) = (loaded.info.columns, loaded.info.rows);
    // prepared once: the first search and every recheck below read these
    let imgs = text::images(frames);
    let search = text::Search::new(&imgs);
    let mut inside = text::inside(search.boxes(), crop);
    let blanked_anyway = outside.map(|f| f.outside_rects()).unwrap_or_default();
    if let Some(f) = outside {
        inside.retain(|b| f.keeps_any(&b.with_margin(cols, rows)));
    }
    let plural = |n: usize| if n == 1 { "box" } else { "boxes" };
    let mode = settings.pixels.burned_in_text;
    let by_person = choice == Some(policy::TextChoice::Mask);
    let (mask, note) = match policy::decide_file(&inside, mode, choice, allow) {
        policy::Decision::Clean => (Vec::new(), "none found".to_string()),
        policy::Decision::Block(reason) => return Err(Outcome::Skip(reason)),
        policy::Decision::Keep(b) => {
            let who = if choice.is_some() {
                " (your decision)"
            } else {
                ""
            };
            return Ok(TextOutcome {
                mask: Vec::new(),
                clean: false,
                note: format!("kept: {} {}{who}", b.len(), plural(b.len())),
            });
        }
        policy::Decision::Mask(b) => (
            b.iter()
                .map(|b| b.with_margin(cols, rows))
                .collect::<Vec<_>>(),
            format!("masked: {} {}", b.len(), plural(b.len())),
        ),
    };
    // search the output again; text that only shows once its neighbours are blanked (or the
    // crop cut a row) is blanked too, when it lies on black
    let mut mask = mask;
    let with_outside = |m: &[CropRect]| [m, &blanked_anyway[..]].concat();
    let mut left = search.recheck(&with_outside(&mask), crop);
    for _ in 0..3 {
        if left.is_empty()
            || (left.iter().any(|b| b.over_scan) && !by_person)
            || (mode == policy::TextMode::Refuse && !by_person)
        {
            break;
        }
        for b in &left {
            let mut g = *b;
            g.rect = CropRect::new(
                b.rect.x0 + crop.x0,
                b.rect.y0 + crop.y0,
                b.rect.x1 + crop.x0,
                b.rect.y1 + crop.y0,
            );
            mask.push(g.with_margin(cols, rows));
        }
        left = search.recheck(&with_outside(&mask), crop);
    }
    let note = if mask.is_empty() {
        note
    } else {
        format!("masked: {} {}", mask.len(), plural(mask.len()))
    };
    if left.is_empty() {
        return Ok(TextOutcome {
            mask,
            clean: true,
            note,
        });
    }
    let at = left
        .iter()
        .map(|b| {
            let r = b.rect;
            format!(
                "[{},{},{},{}]",
                r.x0 + crop.x0,
                r.y0 + crop.y0,
                r.x1 + crop.x0,
                r.y1 + crop.y0
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if !allow {
        return Err(Outcome::Skip(format!(
            "burned-in text still found in the output pixels at {at}"
        )));
    }
    Ok(TextOutcome {
        mask,
        clean: false,
        note: format!("{note}; text left at {at} (allowed)"),
    })
}
