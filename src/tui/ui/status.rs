//! The status line: mode, pending keys with which-key hints (or the newest notice), export
//! progress.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::super::action::Action;
use super::super::keymap::{seq_to_string, Mode};
use super::super::state::{AppState, Level};
use super::{clip, Theme};

fn hints_for(mode: Mode) -> &'static [Action] {
    match mode {
        Mode::Files | Mode::Global => &[
            Action::CropMode,
            Action::TagMenu,
            Action::Export,
            Action::Help,
            Action::AnnotateMode,
            Action::Metadata,
            Action::Quit,
        ],
        Mode::Crop => &[
            Action::CropNextEdge,
            Action::CropAuto,
            Action::CropApply,
            Action::CropApplySameGeometry,
            Action::CropEdit,
            Action::Back,
        ],
        Mode::CropInput => &[Action::FieldNext, Action::FieldCommit, Action::Back],
        Mode::Tags => &[
            Action::TagNextList,
            Action::TagClear,
            Action::CopyTagsToMarked,
            Action::Back,
        ],
        Mode::Metadata => &[
            Action::Search,
            Action::CopyValue,
            Action::ToggleExpand,
            Action::Back,
        ],
        Mode::Jobs => &[Action::CancelExport, Action::Back],
        Mode::Help => &[Action::Back],
        Mode::Confirm => &[Action::ConfirmYes, Action::ConfirmNo],
        Mode::Prompt => &[Action::PromptSubmit, Action::PromptComplete, Action::Back],
        Mode::Annotate => &[
            Action::AnnotAddVertex,
            Action::AnnotClose,
            Action::AnnotClassMenu,
            Action::AnnotStatus,
            Action::AnnotUndo,
            Action::AnnotCopyPrevious,
            Action::Back,
        ],
        Mode::AnnotateClass => &[Action::Back],
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let badge = format!(" {} ", state.mode.name().to_uppercase().replace('_', " "));
    let mut spans = vec![Span::styled(badge.clone(), t.badge()), Span::raw(" ")];
    let mut right = String::new();
    if let Some(job) = &state.export {
        if job.running {
            right = format!(" export {}/{} ", job.done, job.total);
        }
    }
    if state.playing {
        right.push_str(" ▶ ");
    }
    let avail =
        (area.width as usize).saturating_sub(badge.chars().count() + 1 + right.chars().count());
    // What blocks the current file and the key that fixes it, from the first screen on.
    let hint = if matches!(state.mode, Mode::Files | Mode::Global) {
        state.hint()
    } else {
        None
    };
    if let (Some(n), true) = (state.count, state.pending.is_empty()) {
        spans.push(Span::styled(
            clip(&format!("{n} … (a motion: j k G gg ] [)"), avail),
            t.accent(),
        ));
    } else if !state.pending.is_empty() {
        let keys = seq_to_string(&state.pending);
        let mut text = match state.count {
            Some(n) => format!("{n}{keys} … "),
            None => format!("{keys} … "),
        };
        for (rest, a) in state.keymap.continuations(state.mode, &state.pending) {
            text.push_str(&format!("{}:{}  ", seq_to_string(&rest), a.name()));
        }
        spans.push(Span::styled(clip(&text, avail), t.accent()));
    } else if let Some((lvl, msg)) = &state.notice {
        let style = match lvl {
            Level::Info => ratatui::style::Style::default(),
            Level::Warn => t.warn(),
            Level::Error => t.error(),
        };
        let msg_w = msg.chars().count();
        spans.push(Span::styled(clip(msg, avail), style));
        if let Some(h) = &hint {
            let room = avail.saturating_sub(msg_w + 3);
            if room >= 12 {
                spans.push(Span::styled(" │ ", t.dim()));
                spans.push(Span::styled(clip(h, room), t.warn()));
            }
        }
    } else {
        let mut text = String::new();
        if let Some(h) = &hint {
            let h = format!("{h}  ");
            spans.push(Span::styled(clip(&h, avail), t.warn()));
        }
        let avail = avail.saturating_sub(hint.map(|h| h.chars().count() + 2).unwrap_or(0));
        for a in hints_for(state.mode) {
            if let Some(k) = state.keymap.keys_for(state.mode, *a).first() {
                text.push_str(&format!("{k} {}  ", a.name().replace('_', " ")));
            }
        }
        spans.push(Span::styled(clip(&text, avail), t.dim()));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(right, t.accent()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
