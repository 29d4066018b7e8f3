//! Burned-in text keys: mask / keep (a person's decision for the file, saved in the session),
//! select a box, shrink the crop to leave it out, and the zoom on the crop area.

use crate::core::crop::{CropRect, CropSource};
use crate::core::text::policy::TextChoice;

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::state::{AppState, Level};
use super::super::text::{boxes_in_view, choice_name, shrink_to_exclude};
use super::save;

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::TextMask => choose(state, TextChoice::Mask, fx),
        Action::TextKeep => choose(state, TextChoice::Keep, fx),
        Action::TextNextBox => next_box(state),
        Action::TextExclude => exclude(state, fx),
        Action::Zoom => {
            if state.zoom {
                state.zoom = false;
                state.notify(Level::Info, "zoom off: the whole frame");
            } else if state.shown_crop().is_some() {
                state.zoom = true;
                state.notify(Level::Info, "zoom on the crop area");
            } else {
                state.notify(Level::Info, "no crop to zoom on: set one first");
            }
        }
        _ => {}
    }
}

/// Sets the file's decision; the same key again gives it back to the setting.
fn choose(state: &mut AppState, c: TextChoice, fx: &mut Vec<Effect>) {
    let Some(f) = state.current_mut() else { return };
    if f.info().is_none() {
        return;
    }
    f.text_choice = if f.text_choice == Some(c) {
        None
    } else {
        Some(c)
    };
    let now = f.text_choice;
    let setting = format!("{:?}", state.settings.pixels.burned_in_text).to_lowercase();
    let msg = match now {
        None => format!(
            "burned-in text: {} (burned_in_text = {setting})",
            choice_name(None)
        ),
        Some(_) => format!("burned-in text: {}", choice_name(now)),
    };
    state.notify(Level::Info, msg);
    save(state, fx);
}

/// Selects the next box reaching into the crop (reading order, wrapping).
fn next_box(state: &mut AppState) {
    let Some(id) = state.current().map(|f| f.id) else {
        return;
    };
    let order = boxes_in_view(state);
    if order.is_empty() {
        state.text_sel = None;
        state.notify(Level::Info, "no text box inside the crop");
        return;
    }
    let now = state.selected_text_box();
    let k = now
        .and_then(|i| order.iter().position(|&j| j == i))
        .map(|p| (p + 1) % order.len())
        .unwrap_or(0);
    state.text_sel = Some((id, order[k]));
    let b = state.current().expect("checked").text_boxes()[order[k]];
    let place = if b.over_scan { ", over the scan" } else { "" };
    state.notify(
        Level::Info,
        format!(
            "text box {} of {} at {}{place}",
            k + 1,
            order.len(),
            b.label()
        ),
    );
}

/// Shrinks the crop (the draft in crop mode, else the applied crop) so that the selected box,
/// with its masking margin, is left out; the first box in view when none is selected.
fn exclude(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(f) = state.current() else { return };
    let Some(info) = f.info() else { return };
    let (id, cols, rows) = (f.id, info.columns, info.rows);
    let sel = match state.selected_text_box() {
        Some(i) if boxes_in_view(state).contains(&i) => Some(i),
        _ => boxes_in_view(state).first().copied(),
    };
    let Some(i) = sel else {
        state.notify(Level::Info, "no text box inside the crop");
        return;
    };
    let b = f.text_boxes()[i];
    let before = state
        .shown_crop()
        .unwrap_or_else(|| CropRect::full(cols, rows));
    let Some(after) = shrink_to_exclude(&before, &b.with_margin(cols, rows)) else {
        state.notify(
            Level::Warn,
            format!("text at {}: no crop leaves it out", b.label()),
        );
        return;
    };
    let in_draft = state.draft.as_ref().map(|d| d.file == id).unwrap_or(false);
    if in_draft {
        let d = state.draft.as_mut().expect("checked");
        d.rect = after;
        d.edited = true;
        state.notify(
            Level::Info,
            format!(
                "crop {after} leaves out the text at {}; enter applies",
                b.label()
            ),
        );
    } else {
        if let Some(f) = state.current_mut() {
            f.crop = Some((after, CropSource::User));
        }
        state.notify(
            Level::Info,
            format!(
                "crop {before} → {after}: leaves out the text at {}",
                b.label()
            ),
        );
        save(state, fx);
    }
    // the next box in view, if any, is the one to look at now
    state.text_sel = boxes_in_view(state).first().map(|&j| (id, j));
}
