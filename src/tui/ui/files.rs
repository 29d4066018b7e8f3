//! The file list: order, marks, status, frame count; invalid files show their reason.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::super::keymap::Mode;
use super::super::state::{AppState, FileStatus, LoadState};
use super::{clip, Theme};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let focused = matches!(state.mode, Mode::Files | Mode::Tags);
    let mut title = format!(" Files {} ", state.files.len());
    let marked = state.marked_count();
    if marked > 0 {
        title.push_str(&format!("· {marked} marked "));
    }
    if state.loading > 0 {
        title.push_str(&format!("· loading {} ", state.loading));
    }
    let block = Block::bordered()
        .title(title)
        .border_style(t.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.files.is_empty() {
        let msg = if state.loading > 0 {
            "loading…"
        } else {
            "no files (o adds a path)"
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, t.dim())), inner);
        return;
    }
    let w = inner.width as usize;
    let h = inner.height as usize;
    // Build lines (an invalid file takes two), then scroll so the cursor is visible.
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let mut cursor_line = 0;
    // First line: the counts, so problems show before the export.
    let counts = state.counts();
    let cstyle = if counts.blocked + counts.duplicates + counts.invalid > 0 {
        t.warn()
    } else {
        t.ok()
    };
    let header = Line::styled(clip(&counts.line_for(w), w), cstyle);
    let h = h.saturating_sub(1);
    for (i, f) in state.files.iter().enumerate() {
        let status = state.status_at(i);
        let glyph = status.glyph();
        let gstyle = match status {
            FileStatus::Loading | FileStatus::New => t.dim(),
            FileStatus::Invalid | FileStatus::Duplicate => t.error(),
            FileStatus::Exported | FileStatus::Ready => t.ok(),
            FileStatus::Cropped | FileStatus::Tagged => t.warn(),
        };
        let frames = match f.frames() {
            0 => String::new(),
            n => format!("{n}f"),
        };
        // Status words from 34 columns (a 120-column screen gives the list 43).
        let label = if w >= 34 {
            format!(" {:<9}", status.label())
        } else {
            String::new()
        };
        let mark = if f.marked { "*" } else { " " };
        let num = format!("{:>2} ", i + 1);
        let fixed =
            1 + 2 + num.chars().count() + frames.chars().count() + 1 + label.chars().count();
        let name_w = w.saturating_sub(fixed).max(4);
        let name = format!("{:<name_w$}", clip(&f.name, name_w));
        let selected = i == state.cursor;
        let base = if selected {
            t.selected()
        } else {
            ratatui::style::Style::default()
        };
        if selected {
            cursor_line = lines.len();
        }
        let line = Line::from(vec![
            Span::styled(mark, base),
            Span::styled(format!("{glyph} "), if selected { base } else { gstyle }),
            Span::styled(num, base),
            Span::styled(name, base),
            Span::styled(format!(" {frames}"), base),
            Span::styled(label, if selected { base } else { gstyle }),
        ]);
        lines.push((i, line));
        if let LoadState::Invalid(reason) = &f.load {
            lines.push((
                i,
                Line::styled(
                    format!("    ↳ {}", clip(reason, w.saturating_sub(6))),
                    t.error(),
                ),
            ));
        }
    }
    let top = (cursor_line + 1).saturating_sub(h);
    let visible: Vec<Line> = std::iter::once(header)
        .chain(lines.into_iter().skip(top).take(h).map(|(_, l)| l))
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}
