//! The pure reducer: keys and worker messages change the state and return effects. No I/O here
//! (the one exception: checking whether an export destination already exists).

mod annotate;
mod crop;
mod export;
mod files;
mod meta;
mod msg;
mod prompt;
mod session;
mod tags;
mod text;

use super::action::Action;
use super::effect::{Effect, PreviewRequest};
use super::keymap::{Key, KeyCode, Mode, Resolved};
use super::session::Session;
use super::state::{AppState, Level, PreviewKey, View};

/// Image pixels one "big" move takes (the capital-letter keys of crop and annotation modes).
const BIG_STEP: i64 = 10;

pub use annotate::class_keys;
pub use msg::on_msg;
pub use prompt::expand_home;

/// One key press through the keymap (chords wait in `state.pending`, counts in `state.count`).
pub fn handle_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    if let Some(d) = count_digit(state, key) {
        let n = state
            .count
            .unwrap_or(0)
            .saturating_mul(10)
            .saturating_add(d);
        state.count = Some(n.min(99_999));
        return Vec::new();
    }
    let mut seq = state.pending.clone();
    seq.push(key);
    match state.keymap.resolve(state.mode, &seq) {
        Resolved::Action(a) => {
            state.pending.clear();
            match state.count.take() {
                Some(n) => with_count(state, a, n),
                None => update(state, a),
            }
        }
        Resolved::Pending => {
            state.pending = seq;
            Vec::new()
        }
        Resolved::Unbound => {
            let was_pending = !state.pending.is_empty() || state.count.is_some();
            state.pending.clear();
            state.count = None;
            if was_pending {
                return Vec::new();
            }
            // Esc quickly followed by a key arrives as alt-key (tmux, slow links): when alt-key
            // means nothing, treat it as the two keys.
            if key.alt && !key.ctrl && matches!(key.code, KeyCode::Char(_)) {
                let mut fx = handle_key(state, Key::plain(KeyCode::Esc));
                fx.extend(handle_key(state, Key { alt: false, ..key }));
                return fx;
            }
            match key.code {
                KeyCode::Char(c) if !key.ctrl && !key.alt => update(state, Action::Char(c)),
                _ => Vec::new(),
            }
        }
    }
}

/// A digit that starts or extends a count (`5j`, `12G`) in the lists; `0` alone stays
/// "first frame". Digits bound in the mode keep their binding.
fn count_digit(state: &AppState, key: Key) -> Option<usize> {
    if !matches!(state.mode, Mode::Files | Mode::Metadata) || !state.pending.is_empty() {
        return None;
    }
    if key.ctrl || key.alt {
        return None;
    }
    let KeyCode::Char(c @ '0'..='9') = key.code else {
        return None;
    };
    if c == '0' && state.count.is_none() {
        return None;
    }
    if state.count.is_none() && state.keymap.is_bound(state.mode, key) {
        return None;
    }
    Some(c as usize - '0' as usize)
}

/// An action with a count: motions repeat, `G`/`gg` go to line N, others ignore it.
fn with_count(state: &mut AppState, a: Action, n: usize) -> Vec<Effect> {
    match a {
        Action::Top | Action::Bottom => {
            match state.mode {
                Mode::Files => {
                    let i = n.saturating_sub(1).min(state.files.len().saturating_sub(1));
                    files::select(state, i);
                }
                Mode::Metadata => {
                    if let Some(m) = state.meta.as_mut() {
                        let last = m.visible().len().saturating_sub(1);
                        m.cursor = n.saturating_sub(1).min(last);
                    }
                }
                _ => return update(state, a),
            }
            let mut fx = Vec::new();
            finish(state, &mut fx);
            fx
        }
        Action::Down
        | Action::Up
        | Action::NextFrame
        | Action::PrevFrame
        | Action::NextFrame10
        | Action::PrevFrame10
        | Action::HalfPageDown
        | Action::HalfPageUp => {
            let mut fx = Vec::new();
            for _ in 0..n.clamp(1, 10_000) {
                fx.extend(update(state, a));
            }
            fx
        }
        _ => update(state, a),
    }
}

/// Applies one action.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    if !matches!(action, Action::Char(_)) {
        state.notice = None;
    }
    match action {
        Action::Noop => {}
        Action::Redraw => fx.push(Effect::Redraw),
        Action::Help => {
            if state.mode != Mode::Help {
                state.help_scroll = 0;
                state.push_mode(Mode::Help);
            }
        }
        Action::TextMask
        | Action::TextKeep
        | Action::TextNextBox
        | Action::TextExclude
        | Action::Zoom
            if matches!(state.mode, Mode::Files | Mode::Crop) =>
        {
            text::update(state, action, &mut fx)
        }
        Action::Quit => {
            if state.export_running() {
                export::ask_quit(state);
            } else {
                state.quit = Some(0);
            }
        }
        _ => match state.mode {
            Mode::Files | Mode::Global => files::update(state, action, &mut fx),
            Mode::Crop | Mode::CropInput => crop::update(state, action, &mut fx),
            Mode::Tags => tags::update(state, action, &mut fx),
            Mode::Metadata => meta::update(state, action, &mut fx),
            Mode::Jobs => jobs_update(state, action, &mut fx),
            Mode::Help => help_update(state, action),
            Mode::Confirm => export::confirm_update(state, action, &mut fx),
            Mode::Prompt => prompt::update(state, action, &mut fx),
            Mode::Annotate | Mode::AnnotateClass => annotate::update(state, action, &mut fx),
        },
    }
    finish(state, &mut fx);
    fx
}

fn jobs_update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let page = (state.list_height as usize / 2).max(1);
    match action {
        Action::Down => state.jobs_scroll += 1,
        Action::Up => state.jobs_scroll = state.jobs_scroll.saturating_sub(1),
        Action::Top => state.jobs_scroll = 0,
        Action::Bottom => state.jobs_scroll = usize::MAX / 2,
        Action::HalfPageDown => state.jobs_scroll += page,
        Action::HalfPageUp => state.jobs_scroll = state.jobs_scroll.saturating_sub(page),
        Action::CancelExport => {
            if let Some(job) = state.export.as_mut().filter(|j| j.running) {
                job.cancel_requested = true;
                fx.push(Effect::CancelExport);
                state.notify(Level::Warn, "cancelling the export…");
            } else {
                state.notify(Level::Info, "no export is running");
            }
        }
        Action::Back | Action::Jobs => {
            state.view = View::Preview;
            state.pop_mode();
        }
        _ => {}
    }
}

fn help_update(state: &mut AppState, action: Action) {
    let page = (state.list_height as usize / 2).max(1);
    match action {
        Action::Down => state.help_scroll += 1,
        Action::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
        Action::Top => state.help_scroll = 0,
        Action::Bottom => state.help_scroll = usize::MAX / 2,
        Action::HalfPageDown => state.help_scroll += page,
        Action::HalfPageUp => state.help_scroll = state.help_scroll.saturating_sub(page),
        Action::Back => state.pop_mode(),
        _ => {}
    }
}

/// The preview the state wants now, if a preview pane is visible.
pub fn wanted_preview(state: &AppState) -> Option<PreviewKey> {
    if state.view != View::Preview || state.mode == Mode::Help {
        return None;
    }
    let area = state.preview_area?;
    if area.0 < 2 || area.1 < 2 {
        return None;
    }
    let f = state.current()?;
    f.info()?;
    let crop = state.shown_crop();
    Some(PreviewKey {
        file: f.id,
        frame: f.frame,
        crop,
        area,
        text: state.text_overlay(),
        zoom: state.zoom && crop.is_some(),
        overlay: super::annot::overlay_for(state),
    })
}

/// Sends a preview request when what should be on screen changed.
pub fn finish(state: &mut AppState, fx: &mut Vec<Effect>) {
    let want = wanted_preview(state);
    if want == state.preview.requested_key {
        return;
    }
    state.preview.requested_key = want.clone();
    let Some(key) = want else { return };
    let Some(source) = state.file(key.file).and_then(|f| f.source.clone()) else {
        return;
    };
    state.preview.requested += 1;
    fx.push(Effect::Preview(PreviewRequest {
        id: state.preview.requested,
        file: key.file,
        source,
        frame: key.frame,
        crop: key.crop,
        area: key.area,
        text: key.text,
        zoom: key.zoom,
        overlay: key.overlay,
    }));
}

/// Saves the session (called after every change worth keeping).
pub(crate) fn save(state: &mut AppState, fx: &mut Vec<Effect>) {
    fx.push(Effect::SaveSession(Box::new(Session::snapshot(state))));
}

/// Sets the preview area (cells), from the runner's layout.
pub fn set_preview_area(state: &mut AppState, area: Option<(u16, u16)>) -> Vec<Effect> {
    let mut fx = Vec::new();
    if state.preview_area != area {
        state.preview_area = area;
        finish(state, &mut fx);
    }
    fx
}
