//! The attribute tree: moving, folding sequences, search, copying a value.

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{AppState, Level, Prompt, PromptKind, View};

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let page = (state.list_height as usize / 2).max(1);
    if matches!(action, Action::Back | Action::Metadata) {
        state.view = View::Preview;
        state.pop_mode();
        return;
    }
    let Some(m) = state.meta.as_mut() else {
        state.view = View::Preview;
        state.pop_mode();
        return;
    };
    let visible = m.visible();
    let last = visible.len().saturating_sub(1);
    match action {
        Action::Down => m.cursor = (m.cursor + 1).min(last),
        Action::Up => m.cursor = m.cursor.saturating_sub(1),
        Action::Top => m.cursor = 0,
        Action::Bottom => m.cursor = last,
        Action::HalfPageDown => m.cursor = (m.cursor + page).min(last),
        Action::HalfPageUp => m.cursor = m.cursor.saturating_sub(page),
        Action::ToggleExpand => {
            if let Some(&row) = visible.get(m.cursor) {
                if m.rows[row].has_children && !m.collapsed.remove(&row) {
                    m.collapsed.insert(row);
                }
            }
        }
        Action::Search => {
            // A new search starts empty (n / N repeat the last one).
            state.prompt = Some(Prompt {
                kind: PromptKind::Search,
                text: String::new(),
                candidates: Vec::new(),
                error: None,
                info: Vec::new(),
            });
            state.push_mode(Mode::Prompt);
        }
        Action::SearchNext => find(state, true, false),
        Action::SearchPrev => find(state, false, false),
        Action::CopyValue => {
            if let Some(&row) = visible.get(m.cursor) {
                let v = m.rows[row].value.clone();
                let n = v.chars().count();
                fx.push(Effect::Clipboard(v));
                state.notify(
                    Level::Info,
                    format!(
                        "sent {n} characters as OSC 52 (also tmux-wrapped inside tmux): \
                         the terminal decides whether they reach the clipboard"
                    ),
                );
            }
        }
        _ => {}
    }
}

/// Moves to the next (or previous) row matching the search; `here` includes the cursor row.
pub(super) fn find(state: &mut AppState, forward: bool, here: bool) {
    let Some(m) = state.meta.as_mut() else { return };
    let needle = m.search.to_lowercase();
    if needle.is_empty() {
        state.notify(Level::Info, "no search (/ searches)");
        return;
    }
    // Unfold everything so every match is reachable.
    m.collapsed.clear();
    let n = m.rows.len();
    if n == 0 {
        return;
    }
    let all = m.matches();
    let hit = |i: usize| all.binary_search(&i).is_ok();
    let start = m.cursor.min(n - 1);
    let found = (0..n)
        .map(|k| {
            let off = if here { k } else { k + 1 };
            if forward {
                (start + off) % n
            } else {
                (start + n * 2 - off) % n
            }
        })
        .find(|&i| hit(i));
    match found {
        Some(i) => {
            m.cursor = i;
            let (k, total) = m.match_position();
            let s = m.search.clone();
            state.notify(Level::Info, format!("/{s}: {k} of {total} matches"));
        }
        None => {
            let s = m.search.clone();
            state.notify(Level::Warn, format!("no match for `{s}`"));
        }
    }
}
