//! Prompts (under the preview) and confirmations (in place of the preview: nothing is ever
//! drawn over the image).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::super::action::Action;
use super::super::keymap::Mode;
use super::super::state::{AppState, ConfirmKind};
use super::{clip, Theme};

pub fn prompt(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let Some(p) = &state.prompt else { return };
    let km = &state.keymap;
    let hint = format!(
        " {} accept · {} complete · {} cancel ",
        km.keys_for(Mode::Prompt, Action::PromptSubmit)
            .first()
            .cloned()
            .unwrap_or_default(),
        km.keys_for(Mode::Prompt, Action::PromptComplete)
            .first()
            .cloned()
            .unwrap_or_default(),
        km.keys_for(Mode::Prompt, Action::Back)
            .first()
            .cloned()
            .unwrap_or_default(),
    );
    let block = Block::bordered()
        .title(format!(" {} ", p.kind.title()))
        .title_bottom(Line::from(hint).right_aligned())
        .border_style(t.accent());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    // Show the end of long text.
    let shown: String = {
        let n = p.text.chars().count();
        let keep = w.saturating_sub(3);
        if n > keep {
            p.text.chars().skip(n - keep).collect()
        } else {
            p.text.clone()
        }
    };
    let mut lines: Vec<Line> = p
        .info
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let style = if i == 0 && p.info.len() > 1 {
                t.warn()
            } else if i == 0 {
                t.ok()
            } else {
                ratatui::style::Style::default()
            };
            Line::styled(clip(l, w), style)
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("> ", t.accent()),
        Span::raw(shown),
        Span::styled("█", t.accent()),
    ]));
    if let Some(e) = &p.error {
        lines.push(Line::styled(clip(e, w), t.error()));
    } else if !p.candidates.is_empty() {
        lines.push(Line::styled(clip(&p.candidates.join("  "), w), t.dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn confirm(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let Some(c) = &state.confirm else { return };
    let km = &state.keymap;
    let yes = km.keys_for(Mode::Confirm, Action::ConfirmYes).join("/");
    let no = km.keys_for(Mode::Confirm, Action::ConfirmNo).join("/");
    let footer = if c.kind == ConfirmKind::Nothing {
        format!(" {no} close ")
    } else if c.kind == ConfirmKind::ExportScope {
        " m marked only · a all · esc cancel ".to_string()
    } else {
        format!(" {yes} yes · {no} no ")
    };
    let block = Block::bordered()
        .title(format!(" {} ", c.title))
        .title_bottom(Line::from(footer).right_aligned())
        .border_style(t.warn());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = c
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                Line::styled(l.clone(), t.accent())
            } else {
                Line::raw(l.clone())
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
