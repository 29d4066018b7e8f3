//! File list actions: moving, ordering, marking, removing, frames, and opening other modes.

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{AppState, Level, MetaView, Prompt, PromptKind, View};
use super::{crop, export, save};

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let page = (state.list_height as usize / 2).max(1);
    let n = state.files.len();
    match action {
        Action::Down => select(state, state.cursor.saturating_add(1)),
        Action::Up => select(state, state.cursor.saturating_sub(1)),
        Action::Top => select(state, 0),
        Action::Bottom => select(state, n.saturating_sub(1)),
        Action::HalfPageDown => select(state, state.cursor + page),
        Action::HalfPageUp => select(state, state.cursor.saturating_sub(page)),
        Action::MoveFileDown => {
            if state.cursor + 1 < n {
                state.files.swap(state.cursor, state.cursor + 1);
                state.cursor += 1;
                save(state, fx);
            }
        }
        Action::MoveFileUp => {
            if state.cursor > 0 && state.cursor < n {
                state.files.swap(state.cursor, state.cursor - 1);
                state.cursor -= 1;
                save(state, fx);
            }
        }
        Action::ToggleMark => {
            if let Some(f) = state.current_mut() {
                f.marked = !f.marked;
                select(state, state.cursor + 1);
                save(state, fx);
            }
        }
        Action::MarkAll => {
            let all = state.files.iter().all(|f| f.marked);
            state.files.iter_mut().for_each(|f| f.marked = !all);
            state.notify(
                Level::Info,
                if all {
                    "all files unmarked".to_string()
                } else {
                    format!("{n} files marked")
                },
            );
            save(state, fx);
        }
        Action::RemoveFile => {
            if state.cursor < n {
                let f = state.files.remove(state.cursor);
                state.removed_keys.push(f.key);
                if state
                    .draft
                    .as_ref()
                    .map(|d| d.file == f.id)
                    .unwrap_or(false)
                {
                    state.draft = None;
                }
                state.cursor = state.cursor.min(state.files.len().saturating_sub(1));
                state.playing = false;
                state.notify(
                    Level::Info,
                    format!("removed #{} from the list", state.cursor + 1),
                );
                save(state, fx);
            }
        }
        Action::AddInputs => {
            state.prompt = Some(Prompt {
                kind: PromptKind::AddPath,
                text: String::new(),
                candidates: Vec::new(),
                error: None,
                info: Vec::new(),
            });
            state.push_mode(Mode::Prompt);
        }
        Action::CopyTagsToMarked => copy_tags_to_marked(state, fx),
        Action::RepeatTags => repeat_tags(state, fx),
        Action::NextProblem => match state.next_problem() {
            Some(i) => {
                select(state, i);
                let msg = match state.blocker_at(i) {
                    Some(r) => format!("#{}: {r}", i + 1),
                    None => format!("#{}: no tags yet", i + 1),
                };
                state.notify(Level::Warn, msg);
            }
            None => state.notify(Level::Info, "no blocked or untagged file"),
        },
        Action::CycleProtocol => {
            let names = super::super::detect::PROTOCOLS_CYCLE;
            let cur = state
                .protocol_choice
                .clone()
                .unwrap_or_else(|| state.protocol_name.clone());
            let i = names
                .iter()
                .position(|n| *n == cur)
                .map(|i| i + 1)
                .unwrap_or(0);
            let next = names[i % names.len()].to_string();
            state.protocol_choice = Some(next.clone());
            fx.push(Effect::SetProtocol(next.clone()));
            state.notify(
                Level::Info,
                format!("preview protocol: {next} (P again switches; halfblocks works everywhere)"),
            );
        }
        Action::Export => export::start(state),
        Action::Metadata => open_metadata(state, fx),
        Action::Jobs => {
            state.view = View::Jobs;
            state.jobs_scroll = 0;
            state.push_mode(Mode::Jobs);
        }
        Action::TagMenu => super::tags::open(state),
        Action::CropMode => crop::enter(state),
        Action::AnnotateMode => super::annotate::enter(state),
        Action::Back => {
            state.playing = false;
        }
        a => frame_action(state, a),
    }
}

/// Moves the cursor (clamped); stops playback when the file changes.
pub(super) fn select(state: &mut AppState, index: usize) {
    let idx = index.min(state.files.len().saturating_sub(1));
    if idx != state.cursor {
        state.playing = false;
    }
    state.cursor = idx;
}

/// The file after (`next`) or before the cursor, for the modes that carry on to the next file
/// (crop, annotation); `None`, with a note, at either end of the list.
pub(super) fn neighbour(state: &mut AppState, next: bool) -> Option<usize> {
    let to = if next {
        state.cursor + 1
    } else {
        state.cursor.wrapping_sub(1)
    };
    if to >= state.files.len() {
        state.notify(Level::Info, "no more files this way");
        return None;
    }
    Some(to)
}

/// Frame stepping and playback; shared by files and crop modes.
pub(super) fn frame_action(state: &mut AppState, action: Action) {
    let Some(f) = state.current_mut() else { return };
    let frames = f.frames();
    if frames == 0 {
        return;
    }
    let last = frames - 1;
    let before = f.frame;
    f.frame = match action {
        Action::NextFrame => (f.frame + 1).min(last),
        Action::PrevFrame => f.frame.saturating_sub(1),
        Action::NextFrame10 => (f.frame + 10).min(last),
        Action::PrevFrame10 => f.frame.saturating_sub(10),
        Action::FirstFrame => 0,
        Action::LastFrame => last,
        Action::PlayPause => {
            if frames > 1 {
                state.playing = !state.playing;
            } else {
                state.notify(Level::Info, "a single frame: nothing to play");
            }
            return;
        }
        _ => return,
    };
    if f.frame != before {
        state.playing = false;
    }
}

fn copy_tags_to_marked(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(cur) = state.current() else { return };
    let (id, tags) = (cur.id, cur.tags.clone());
    if tags.is_empty() {
        state.notify(Level::Warn, "this file has no tags to copy");
        return;
    }
    let mut count = 0;
    for f in state.files.iter_mut().filter(|f| f.marked && f.id != id) {
        f.tags = tags.clone();
        count += 1;
    }
    state.last_tags = Some(tags.clone());
    if count == 0 {
        state.notify(
            Level::Warn,
            "no other file is marked (space marks, V marks all)",
        );
    } else {
        // The marks did their job: left over, they would narrow a later export.
        state.files.iter_mut().for_each(|f| f.marked = false);
        state.notify(
            Level::Info,
            format!("tags copied to {count} marked file(s); marks cleared"),
        );
        save(state, fx);
    }
}

fn open_metadata(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(cur) = state.current() else { return };
    let Some(source) = cur.source.clone() else {
        state.notify(Level::Warn, "no metadata: the input could not be read");
        return;
    };
    let id = cur.id;
    state.playing = false;
    if state
        .meta
        .as_ref()
        .map(|m| m.file != id || m.error.is_some())
        .unwrap_or(true)
    {
        state.meta = Some(MetaView {
            file: id,
            loading: true,
            ..Default::default()
        });
        fx.push(Effect::Metadata { file: id, source });
    }
    state.view = View::Metadata;
    state.push_mode(Mode::Metadata);
}

/// `.`: the last picked (or copied) tags on this file, then the next file.
pub(super) fn repeat_tags(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(tags) = state.last_tags.clone() else {
        state.notify(Level::Warn, "no tags picked yet (t opens the tag menu)");
        return;
    };
    let Some(f) = state.current_mut() else { return };
    if f.info().is_none() {
        state.notify(
            Level::Warn,
            "this file cannot be tagged (not loaded or invalid)",
        );
        return;
    }
    f.tags = tags;
    let n = state.cursor + 1;
    save(state, fx);
    select(state, state.cursor + 1);
    state.notify(Level::Info, format!("#{n} tagged like the last file"));
}
