//! The attribute tree: tag, VR, keyword and value, sequences folded with enter.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::super::state::AppState;
use super::{clip, Theme};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let Some(m) = &state.meta else { return };
    let idx = state.index_of(m.file).map(|i| i + 1).unwrap_or(0);
    let mut title = format!(" Metadata #{idx} ");
    if !m.search.is_empty() {
        let (n, total) = m.match_position();
        title.push_str(&format!("· /{} · {n} of {total} matches ", m.search));
    }
    let block = Block::bordered().title(title).border_style(t.accent());
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    // The search being typed, on the last line.
    let typing = state
        .prompt
        .as_ref()
        .filter(|p| p.kind == super::super::state::PromptKind::Search);
    if let (Some(p), true) = (typing, inner.height > 1) {
        inner.height -= 1;
        let (n, total) = m.match_position();
        let count = if p.text.is_empty() {
            "type to search tag, keyword or value".to_string()
        } else {
            format!("{n} of {total} matches")
        };
        let line = Line::from(vec![
            Span::styled("/", t.accent()),
            Span::raw(p.text.clone()),
            Span::styled("█", t.accent()),
            Span::styled(format!("  {count}"), t.dim()),
        ]);
        let row = Rect {
            y: inner.y + inner.height,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(line), row);
    }
    if m.loading {
        frame.render_widget(Paragraph::new(Line::styled("reading…", t.dim())), inner);
        return;
    }
    if let Some(e) = &m.error {
        frame.render_widget(Paragraph::new(Line::styled(e.clone(), t.error())), inner);
        return;
    }
    let visible = m.visible();
    let h = inner.height as usize;
    let w = inner.width as usize;
    let top = (m.cursor + 1).saturating_sub(h);
    let needle = m.search.to_lowercase();
    let lines: Vec<Line> = visible
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(vi, &ri)| {
            let r = &m.rows[ri];
            let fold = if r.has_children {
                if m.collapsed.contains(&ri) {
                    "▸ "
                } else {
                    "▾ "
                }
            } else {
                "  "
            };
            let indent = "  ".repeat(r.depth as usize);
            let head = format!("{indent}{fold}{} {:<2} ", r.tag, r.vr);
            let name = format!("{} ", r.name);
            let rest = w.saturating_sub(head.chars().count() + name.chars().count());
            let value = clip(&r.value, rest);
            let hit = !needle.is_empty()
                && (r.name.to_lowercase().contains(&needle)
                    || r.value.to_lowercase().contains(&needle)
                    || r.tag.to_lowercase().contains(&needle));
            if vi == m.cursor {
                Line::styled(clip(&format!("{head}{name}{value}"), w), t.selected())
            } else {
                Line::from(vec![
                    Span::styled(head, t.dim()),
                    Span::styled(name, if hit { t.warn() } else { t.accent() }),
                    Span::styled(value, Style::default()),
                ])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
