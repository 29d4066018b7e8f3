//! The annotation panel under the preview: the file's status, the current frame's grade, the
//! cursor and the open polygon, and this frame's polygons (class, points) with the selected
//! one highlighted; in the class menu, one key per class in its colour.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::super::annot::{label_colour, label_short, parse_colour};
use super::super::keymap::Mode;
use super::super::state::{AppState, FileEntry};
use super::super::update::class_keys;
use super::{clip, Theme};

fn swatch(t: &Theme, rgb: [u8; 3]) -> Style {
    if t.no_color {
        Style::default()
    } else {
        Style::default().fg(Color::Rgb(rgb[0], rgb[1], rgb[2]))
    }
}

/// "DVT Status: DVT" and "ACEP Grading Score (frame 3): 4", on two lines so neither is cut at
/// 80 columns.
pub fn summary(state: &AppState, f: &FileEntry) -> [String; 2] {
    let a = &state.settings.annotation;
    let status = f.annotations.status.as_deref().unwrap_or("—");
    let grade = f
        .annotations
        .grades
        .get(&f.frame)
        .map(|g| g.to_string())
        .unwrap_or_else(|| "—".into());
    [
        format!("{}: {status}", a.status_name),
        format!("{} (frame {}): {grade}", a.grade_name, f.frame + 1),
    ]
}

/// The grade of the frame on screen, for the preview title.
pub fn title_grade(state: &AppState) -> Option<String> {
    let f = state.current()?;
    let g = f.annotations.grades.get(&f.frame)?;
    Some(format!("grade {g} "))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let block = Block::bordered()
        .title(" Annotate ")
        .border_style(t.border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(f), Some(e)) = (state.current(), state.annot.as_ref()) else {
        return;
    };
    let w = inner.width as usize;
    let vocab = &state.settings.annotation;
    let mut lines: Vec<Line> = Vec::new();
    for l in summary(state, f) {
        lines.push(Line::styled(clip(&l, w), t.accent()));
    }
    if state.mode == Mode::AnnotateClass {
        lines.truncate(1);
        let keys = class_keys(state);
        let mut spans = Vec::new();
        for (k, c) in keys.iter().zip(&vocab.classes) {
            spans.push(Span::styled(format!("{k} "), t.accent()));
            spans.push(Span::styled(
                format!("{}  ", c.short),
                swatch(t, parse_colour(&c.colour)),
            ));
        }
        lines.push(Line::raw("class (one key; esc closes):"));
        // Wrap the menu by hand: Paragraph wrapping would split key from name.
        let mut row: Vec<Span> = Vec::new();
        let mut used = 0;
        for pair in spans.chunks(2) {
            let n: usize = pair.iter().map(|s| s.content.chars().count()).sum();
            if used + n > w && !row.is_empty() {
                lines.push(Line::from(std::mem::take(&mut row)));
                used = 0;
            }
            row.extend(pair.iter().cloned());
            used += n;
        }
        if !row.is_empty() {
            lines.push(Line::from(row));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let class = vocab
        .classes
        .get(e.class)
        .map(|c| c.short.as_str())
        .unwrap_or("—");
    let mut draw_line = vec![
        Span::styled(
            format!("cursor {},{} · class ", e.cursor.0, e.cursor.1),
            t.dim(),
        ),
        Span::styled(
            class.to_string(),
            swatch(
                t,
                vocab
                    .classes
                    .get(e.class)
                    .map(|c| parse_colour(&c.colour))
                    .unwrap_or([255, 255, 255]),
            ),
        ),
    ];
    if !e.points.is_empty() {
        draw_line.push(Span::styled(
            format!(" · drawing {} pts (frame {})", e.points.len(), e.frame + 1),
            t.warn(),
        ));
    }
    lines.push(Line::from(draw_line));
    let polys = f
        .annotations
        .polygons
        .get(&f.frame)
        .map(|v| v.as_slice())
        .unwrap_or(&[]);
    if polys.is_empty() {
        lines.push(Line::styled("no polygons on this frame", t.dim()));
    }
    let room = inner.height.saturating_sub(lines.len() as u16) as usize;
    let sel = e.selected.filter(|s| *s < polys.len());
    // Keep the selected polygon in view.
    let start = sel.map(|s| (s + 1).saturating_sub(room)).unwrap_or(0);
    for (i, p) in polys.iter().enumerate().skip(start).take(room) {
        let selected = sel == Some(i);
        let text = format!(
            "{}{} {}  {} pts",
            if selected { "›" } else { " " },
            i + 1,
            label_short(vocab, &p.label),
            p.points.len()
        );
        let style = if selected {
            t.selected()
        } else {
            swatch(t, label_colour(vocab, &p.label))
        };
        lines.push(Line::styled(clip(&text, w), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
