//! Crop mode (sticky: h/j/k/l move the active edge until esc) and typed crop numbers.

use crate::core::crop::{CropRect, CropSource};
use crate::core::settings::CropPreset;

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{AppState, Confirm, ConfirmKind, CropDraft, Edge, Level};
use super::{files, save, BIG_STEP};

/// Opens crop mode on the current file with its crop (else its preset, else the full image).
pub(super) fn enter(state: &mut AppState) {
    let Some(f) = state.current() else { return };
    let Some(info) = f.info() else {
        state.notify(
            Level::Warn,
            "this file cannot be cropped (not loaded or invalid)",
        );
        return;
    };
    let (rect, origin) = match f.crop {
        Some(c) => c,
        None => match state.settings.preset_for(
            &info.manufacturer,
            &info.model,
            info.columns,
            info.rows,
        ) {
            Some(p) => (p.rect(info.is_multi_frame()), CropSource::Preset),
            None => (CropRect::full(info.columns, info.rows), CropSource::None),
        },
    };
    let from_preset = origin == CropSource::Preset && f.crop.is_none();
    state.draft = Some(CropDraft {
        file: f.id,
        rect,
        origin,
        edge: Edge::Left,
        edited: false,
        fields: None,
        replace: false,
    });
    state.playing = false;
    state.push_mode(Mode::Crop);
    if from_preset {
        state.notify(
            Level::Info,
            "crop mode: the device preset is loaded (enter applies)",
        );
    }
}

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    if state.mode == Mode::CropInput {
        return input_update(state, action);
    }
    let Some(geom) = state
        .current()
        .and_then(|f| f.info().map(|i| (i.columns, i.rows)))
    else {
        state.draft = None;
        state.pop_mode();
        return;
    };
    let cur_id = state.current().map(|f| f.id);
    if state
        .draft
        .as_ref()
        .map(|d| Some(d.file) != cur_id)
        .unwrap_or(true)
    {
        state.draft = None;
        state.pop_mode();
        return;
    }
    match action {
        Action::CropNextEdge | Action::CropPrevEdge => {
            let d = state.draft.as_mut().expect("checked");
            let i = d.edge.index() as i64
                + if action == Action::CropNextEdge {
                    1
                } else {
                    -1
                };
            d.edge = Edge::ALL[i.rem_euclid(4) as usize];
        }
        Action::CropLeft => nudge(state, -1, 0, geom),
        Action::CropRight => nudge(state, 1, 0, geom),
        Action::CropUp => nudge(state, 0, -1, geom),
        Action::CropDown => nudge(state, 0, 1, geom),
        Action::CropLeftBig => nudge(state, -BIG_STEP, 0, geom),
        Action::CropRightBig => nudge(state, BIG_STEP, 0, geom),
        Action::CropUpBig => nudge(state, 0, -BIG_STEP, geom),
        Action::CropDownBig => nudge(state, 0, BIG_STEP, geom),
        Action::CropEdit => start_input(state, None),
        Action::Char(c) if c.is_ascii_digit() => start_input(state, Some(c)),
        Action::CropAuto => {
            if let Some(src) = state.current().and_then(|f| f.source.clone()) {
                let file = state.draft.as_ref().expect("checked").file;
                fx.push(Effect::AutoCrop { file, source: src });
                state.notify(Level::Info, "detecting the scan area…");
            }
        }
        Action::CropPreset => preset(state),
        Action::CropReset => {
            let f = state.current().expect("checked");
            let (rect, origin) = f
                .crop
                .unwrap_or((CropRect::full(geom.0, geom.1), CropSource::None));
            let d = state.draft.as_mut().expect("checked");
            d.rect = rect;
            d.origin = origin;
            d.edited = false;
        }
        Action::CropClear => {
            if let Some(f) = state.current_mut() {
                f.crop = None;
            }
            let d = state.draft.as_mut().expect("checked");
            d.rect = CropRect::full(geom.0, geom.1);
            d.origin = CropSource::None;
            d.edited = false;
            state.notify(Level::Info, "crop removed from this file");
            save(state, fx);
        }
        Action::CropApply if apply_draft(state, fx) => {
            state.draft = None;
            state.pop_mode();
        }
        Action::CropApplySameGeometry => ask_same_geometry(state, geom),
        Action::CropSavePreset => save_preset(state, fx),
        Action::CropNextFile | Action::CropPrevFile => {
            let Some(to) = files::neighbour(state, action == Action::CropNextFile) else {
                return;
            };
            let edited = state.draft.as_ref().map(|d| d.edited).unwrap_or(false);
            state.draft = None;
            state.pop_mode();
            files::select(state, to);
            enter(state);
            if edited {
                state.notify(
                    Level::Warn,
                    "the previous file's crop was not applied (enter applies)",
                );
            }
        }
        Action::Back => {
            let edited = state.draft.as_ref().map(|d| d.edited).unwrap_or(false);
            state.draft = None;
            state.pop_mode();
            if edited {
                state.notify(Level::Warn, "crop not applied (enter applies)");
            }
        }
        a @ (Action::NextFrame
        | Action::PrevFrame
        | Action::NextFrame10
        | Action::PrevFrame10
        | Action::FirstFrame
        | Action::LastFrame
        | Action::PlayPause) => files::frame_action(state, a),
        _ => {}
    }
}

/// Moves the active edge by (dx, dy), keeping at least one pixel and staying in the image.
fn nudge(state: &mut AppState, dx: i64, dy: i64, (cols, rows): (u32, u32)) {
    let d = state.draft.as_mut().expect("checked");
    let r = &mut d.rect;
    let clamp = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi.max(lo)) as u32;
    let moved = match d.edge {
        Edge::Left if dx != 0 => {
            r.x0 = clamp(r.x0 as i64 + dx, 0, r.x1 as i64 - 1);
            true
        }
        Edge::Right if dx != 0 => {
            r.x1 = clamp(r.x1 as i64 + dx, r.x0 as i64 + 1, cols as i64);
            true
        }
        Edge::Top if dy != 0 => {
            r.y0 = clamp(r.y0 as i64 + dy, 0, r.y1 as i64 - 1);
            true
        }
        Edge::Bottom if dy != 0 => {
            r.y1 = clamp(r.y1 as i64 + dy, r.y0 as i64 + 1, rows as i64);
            true
        }
        _ => false,
    };
    if moved {
        d.edited = true;
    } else {
        let edge = d.edge;
        let hint = if matches!(edge, Edge::Left | Edge::Right) {
            "left/right"
        } else {
            "up/down"
        };
        state.notify(
            Level::Info,
            format!("the {} edge moves {hint} (tab picks the edge)", edge.name()),
        );
    }
}

fn start_input(state: &mut AppState, first: Option<char>) {
    let d = state.draft.as_mut().expect("checked");
    let mut fields = d.rect.as_array().map(|v| v.to_string());
    let active = d.edge.index();
    if let Some(c) = first {
        fields[active] = c.to_string();
    }
    // A typed number replaces the field's value; backspace edits it instead.
    d.replace = first.is_none();
    d.fields = Some((fields, active));
    state.push_mode(Mode::CropInput);
}

fn input_update(state: &mut AppState, action: Action) {
    let geom = state
        .current()
        .and_then(|f| f.info().map(|i| (i.columns, i.rows)));
    let Some(d) = state.draft.as_mut() else {
        state.pop_mode();
        return;
    };
    let Some((fields, active)) = d.fields.as_mut() else {
        state.pop_mode();
        return;
    };
    match action {
        Action::Char(c) if c.is_ascii_digit() && (d.replace || fields[*active].len() < 6) => {
            if d.replace {
                fields[*active].clear();
                d.replace = false;
            }
            fields[*active].push(c)
        }
        Action::Char(',' | ' ') | Action::FieldNext => {
            *active = (*active + 1) % 4;
            d.replace = true;
        }
        Action::FieldPrev => {
            *active = (*active + 3) % 4;
            d.replace = true;
        }
        Action::FieldDelete => {
            fields[*active].pop();
            d.replace = false;
        }
        Action::FieldCommit => {
            let text = fields.join(",");
            let parsed = CropRect::parse(&text).and_then(|r| match geom {
                Some((c, rw)) => r.validate(c, rw).map(|_| r),
                None => Err("the file is not loaded".into()),
            });
            match parsed {
                Ok(r) => {
                    d.rect = r;
                    d.edited = true;
                    d.origin = CropSource::User;
                    d.edge = Edge::ALL[*active];
                    d.fields = None;
                    state.pop_mode();
                }
                Err(e) => state.notify(Level::Error, e),
            }
        }
        Action::Back => {
            d.fields = None;
            state.pop_mode();
        }
        _ => {}
    }
}

fn preset(state: &mut AppState) {
    let f = state.current().expect("checked");
    let info = f.info().expect("checked");
    match state
        .settings
        .preset_for(&info.manufacturer, &info.model, info.columns, info.rows)
    {
        Some(p) => {
            let rect = p.rect(info.is_multi_frame());
            let name = p.name.clone();
            let d = state.draft.as_mut().expect("checked");
            d.rect = rect;
            d.origin = CropSource::Preset;
            d.edited = false;
            state.notify(
                Level::Info,
                format!("preset `{name}` loaded (enter applies)"),
            );
        }
        None => {
            let msg = format!(
                "no preset for this device and {}x{} images (S saves one)",
                info.columns, info.rows
            );
            state.notify(Level::Warn, msg);
        }
    }
}

/// The source recorded when a person applies a draft.
fn applied_source(d: &CropDraft) -> CropSource {
    if d.origin == CropSource::Preset && !d.edited {
        CropSource::Preset
    } else {
        CropSource::User
    }
}

/// Applies the draft to the current file; false (with a notice) when it is not valid.
fn apply_draft(state: &mut AppState, fx: &mut Vec<Effect>) -> bool {
    let d = state.draft.clone().expect("checked");
    let f = state.current().expect("checked");
    let info = f.info().expect("checked");
    if let Err(e) = d.rect.validate(info.columns, info.rows) {
        state.notify(Level::Error, e);
        return false;
    }
    let full = d.rect.is_full(info.columns, info.rows);
    let source = applied_source(&d);
    if let Some(f) = state.current_mut() {
        f.crop = Some((d.rect, source));
    }
    let msg = if full {
        "whole image applied (no crop)".to_string()
    } else {
        format!("crop {} applied ({})", d.rect, source.as_str())
    };
    state.notify(Level::Info, msg);
    save(state, fx);
    true
}

fn ask_same_geometry(state: &mut AppState, (cols, rows): (u32, u32)) {
    let d = state.draft.clone().expect("checked");
    if let Err(e) = d.rect.validate(cols, rows) {
        state.notify(Level::Error, e);
        return;
    }
    let files: Vec<_> = state
        .files
        .iter()
        .filter(|f| {
            f.info()
                .map(|i| (i.columns, i.rows) == (cols, rows))
                .unwrap_or(false)
        })
        .map(|f| f.id)
        .collect();
    let already = state
        .files
        .iter()
        .filter(|f| {
            files.contains(&f.id) && f.crop.is_some() && f.crop.map(|(r, _)| r) != Some(d.rect)
        })
        .count();
    let mut lines = vec![format!(
        "Apply crop {} to {} file(s) of {cols}x{rows}?",
        d.rect,
        files.len()
    )];
    if already > 0 {
        lines.push(format!(
            "{already} of them have another crop, which will be replaced."
        ));
    }
    state.confirm = Some(Confirm {
        kind: ConfirmKind::ApplySameGeometry {
            rect: d.rect,
            source: applied_source(&d),
            files,
        },
        title: "Apply to same geometry".into(),
        lines,
    });
    state.push_mode(Mode::Confirm);
}

/// Confirmed: apply to every listed file, then leave crop mode.
pub(super) fn apply_same_geometry(
    state: &mut AppState,
    rect: CropRect,
    source: crate::core::crop::CropSource,
    files: &[u64],
    fx: &mut Vec<Effect>,
) {
    let mut n = 0;
    for f in state.files.iter_mut().filter(|f| files.contains(&f.id)) {
        f.crop = Some((rect, source));
        n += 1;
    }
    state.draft = None;
    // Leave crop mode too (the confirm dialog was opened from it).
    while state.mode == Mode::Crop || state.mode == Mode::CropInput {
        state.pop_mode();
    }
    state.notify(Level::Info, format!("crop {rect} applied to {n} file(s)"));
    save(state, fx);
}

fn save_preset(state: &mut AppState, fx: &mut Vec<Effect>) {
    let d = state.draft.clone().expect("checked");
    let f = state.current().expect("checked");
    let info = f.info().expect("checked");
    if let Err(e) = d.rect.validate(info.columns, info.rows) {
        state.notify(Level::Error, e);
        return;
    }
    if d.rect.is_full(info.columns, info.rows) {
        state.notify(Level::Warn, "the crop is the whole image: nothing to save");
        return;
    }
    let device = [info.manufacturer.trim(), info.model.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if device.is_empty() {
        format!("{}x{}", info.columns, info.rows)
    } else {
        format!("{device} {}x{}", info.columns, info.rows)
    };
    let b = d.rect.as_array();
    let preset = CropPreset {
        name,
        manufacturer: info.manufacturer.trim().to_string(),
        model: info.model.trim().to_string(),
        columns: info.columns,
        rows: info.rows,
        single: b,
        multi: Some(b),
    };
    // Takes effect now (first match wins), and is appended to the user's settings file.
    state.settings.crop.preset.insert(0, preset.clone());
    fx.push(Effect::SavePreset(preset));
    state.notify(Level::Info, "saving the preset…");
}
