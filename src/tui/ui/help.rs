//! Help, generated from the live keymap (so it always tells the truth).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::super::action::Action;
use super::super::keymap::{seq_to_string, Keymap, Mode};
use super::super::state::AppState;
use super::Theme;

/// Help text: the mode we came from first, then global, then the other modes.
pub fn help_lines(km: &Keymap, from: Mode) -> Vec<(bool, String)> {
    let mut order = vec![from, Mode::Global];
    order.extend(
        Mode::ALL
            .iter()
            .copied()
            .filter(|m| *m != from && *m != Mode::Global && *m != Mode::Help),
    );
    let mut out = Vec::new();
    for m in order {
        let b = km.bindings(m);
        if b.is_empty() {
            continue;
        }
        out.push((true, format!("[{}]", m.name())));
        // Group keys by action, in the action's documentation order.
        let mut actions: Vec<Action> = b.iter().map(|(_, a)| *a).collect();
        actions.sort_by_key(|a| Action::ALL.iter().position(|x| x == a));
        actions.dedup();
        for a in actions {
            let keys: Vec<String> = b
                .iter()
                .filter(|(_, x)| *x == a)
                .map(|(k, _)| seq_to_string(k))
                .collect();
            out.push((
                false,
                format!(
                    "  {:<18} {:<26} {}",
                    keys.join(" "),
                    a.name(),
                    a.description()
                ),
            ));
        }
        if m == Mode::Tags {
            out.push((
                false,
                "  (other keys)        pick a value (keys shown in the menu)".into(),
            ));
        }
        if m == Mode::Annotate {
            out.push((
                false,
                "  (digits)            grade the current frame (grade_min..grade_max)".into(),
            ));
        }
        if m == Mode::AnnotateClass {
            out.push((
                false,
                "  (other keys)        pick a class (keys shown in the menu)".into(),
            ));
        }
        out.push((false, String::new()));
    }
    out.push((true, "[file list glyphs]".into()));
    for st in crate::tui::state::FileStatus::ALL {
        out.push((
            false,
            format!("  {}  {:<10} {}", st.glyph(), st.label(), st.meaning()),
        ));
    }
    out.push((
        false,
        "  *  marked   (space marks; the export then asks: marked only or all?)".into(),
    ));
    out
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let from = state.mode_stack.last().copied().unwrap_or(Mode::Files);
    let block = Block::bordered()
        .title(" Help: the live keymap (esc closes, j/k scroll) ")
        .title_bottom(Line::from(" override keys in <config-dir>/keymaps/*.toml ").right_aligned())
        .border_style(t.accent());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = help_lines(&state.keymap, from);
    let h = inner.height as usize;
    let scroll = state.help_scroll.min(all.len().saturating_sub(h));
    let lines: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(h)
        .map(|(head, s)| {
            if head {
                Line::from(Span::styled(s, t.accent()))
            } else {
                Line::raw(s)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
