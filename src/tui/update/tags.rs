//! Tag menus: one per vocabulary list, one key per value; picking a value moves to the next
//! list, and after the last list to the next file (the menu stays open until esc).

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{AppState, Level};
use super::{files, save};

pub(super) fn open(state: &mut AppState) {
    if state.settings.tags.is_empty() {
        state.notify(Level::Info, "tagging is off (no [[tags.list]] in settings)");
        return;
    }
    let Some(f) = state.current() else { return };
    if f.info().is_none() {
        state.notify(
            Level::Warn,
            "this file cannot be tagged (not loaded or invalid)",
        );
        return;
    }
    // Start at the first list without a value.
    let lists = &state.settings.tags.lists;
    state.tag_list = lists
        .iter()
        .position(|l| !f.tags.contains_key(&l.key))
        .unwrap_or(0);
    state.playing = false;
    state.push_mode(Mode::Tags);
}

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let count = state.settings.tags.lists.len();
    if count == 0 {
        state.pop_mode();
        return;
    }
    state.tag_list = state.tag_list.min(count - 1);
    match action {
        Action::TagNextList => state.tag_list = (state.tag_list + 1) % count,
        Action::TagPrevList => state.tag_list = (state.tag_list + count - 1) % count,
        Action::TagClear => {
            let key = state.settings.tags.lists[state.tag_list].key.clone();
            if let Some(f) = state.current_mut() {
                if f.tags.remove(&key).is_some() {
                    save(state, fx);
                }
            }
        }
        Action::Down | Action::Up | Action::Top | Action::Bottom => {
            files::update(state, action, fx);
            state.tag_list = 0;
        }
        Action::CopyTagsToMarked => files::update(state, action, fx),
        Action::RepeatTags => {
            let before = state.cursor;
            let was_last = before + 1 >= state.files.len();
            files::repeat_tags(state, fx);
            if was_last && state.last_tags.is_some() {
                // The last file: done, like picking its last value.
                state.tag_list = 0;
                state.pop_mode();
            } else {
                first_open_list(state);
            }
        }
        Action::Char(c) => pick(state, c, fx),
        Action::Back => state.pop_mode(),
        _ => {}
    }
}

fn pick(state: &mut AppState, c: char, fx: &mut Vec<Effect>) {
    let list = state.settings.tags.lists[state.tag_list].clone();
    let keys = state.tag_value_keys(list.values.len());
    let Some(i) = keys.iter().position(|k| *k == c) else {
        state.notify(Level::Warn, format!("`{c}` picks no {} value", list.key));
        return;
    };
    let value = list.values[i].value().to_string();
    let Some(f) = state.current_mut() else { return };
    f.tags.insert(list.key.clone(), value);
    let tags = f.tags.clone();
    let summary = summary(state);
    state.last_tags = Some(tags);
    save(state, fx);
    if state.tag_list + 1 < state.settings.tags.lists.len() {
        state.tag_list += 1;
        return;
    }
    let n = state.cursor + 1;
    // Next file that can be tagged; the menu stays open on it.
    let next = (state.cursor + 1..state.files.len()).find(|&i| state.files[i].info().is_some());
    match next {
        Some(i) => {
            files::select(state, i);
            first_open_list(state);
            state.notify(
                Level::Info,
                format!(
                    "tagged: {summary} (#{n}); now #{} (. repeats, esc closes)",
                    i + 1
                ),
            );
        }
        None => {
            state.tag_list = 0;
            state.pop_mode();
            state.notify(
                Level::Info,
                format!("tagged: {summary} (#{n}, the last file)"),
            );
        }
    }
}

/// The first list without a value on the current file (else the first list).
fn first_open_list(state: &mut AppState) {
    let Some(f) = state.current() else { return };
    state.tag_list = state
        .settings
        .tags
        .lists
        .iter()
        .position(|l| !f.tags.contains_key(&l.key))
        .unwrap_or(0);
}

fn summary(state: &AppState) -> String {
    let Some(f) = state.current() else {
        return String::new();
    };
    state
        .settings
        .tags
        .lists
        .iter()
        .map(|l| {
            format!(
                "{}={}",
                l.key,
                f.tags.get(&l.key).map(String::as_str).unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}
