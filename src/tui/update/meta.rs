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
            let text = m.search.clone();
            state.prompt = Some(Prompt {
                kind: PromptKind::Search,
                text,
                candidates: Vec::new(),
                error: None,
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
                    format!("copied {n} characters to the clipboard (OSC 52)"),
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
    let hit = |i: usize| {
        let r = &m.rows[i];
        r.tag.to_lowercase().contains(&needle)
            || r.name.to_lowercase().contains(&needle)
            || r.value.to_lowercase().contains(&needle)
    };
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
        Some(i) => m.cursor = i,
        None => {
            let s = m.search.clone();
            state.notify(Level::Warn, format!("no match for `{s}`"));
        }
    }
}
