//! The panel under the preview: file facts, the crop numbers (the active edge or typed field
//! highlighted), tags, and what blocks the export; in tag mode, the tag menus.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::core::crop::CropRect;

use super::super::keymap::Mode;
use super::super::state::{AppState, ExportMark, LoadState};
use super::{clip, Theme};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let Some(f) = state.current() else {
        frame.render_widget(
            Block::bordered().title(" Details ").border_style(t.dim()),
            area,
        );
        return;
    };
    let block = Block::bordered()
        .title(format!(
            " #{} {} ",
            state.cursor + 1,
            clip(&f.name, area.width.saturating_sub(8) as usize)
        ))
        .border_style(t.border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    match &f.load {
        LoadState::Pending => lines.push(Line::styled("loading…", t.dim())),
        LoadState::Invalid(r) => {
            lines.push(Line::styled(clip(&format!("invalid: {r}"), w), t.error()))
        }
        LoadState::Loaded(info) => {
            let mut facts = format!(
                "{}×{} · {} frame(s) · {} · {}",
                info.columns,
                info.rows,
                info.frames,
                info.ts_kind.name(),
                info.photometric
            );
            if let Some(ft) = info.frame_time_ms {
                facts.push_str(&format!(" · {:.0} fps", 1000.0 / ft));
            }
            lines.push(Line::styled(clip(&facts, w), t.dim()));
            lines.push(crop_line(state, info.columns, info.rows, t, w));
            if let Some(l) = snap_line(state, info, t, w) {
                lines.push(l);
            }
            lines.push(tags_line(state, t, w));
            // burned-in text: what the export will do with it (the engine's own decision)
            if let Some((text, warn)) = state.text_line() {
                let style = if warn { t.warn() } else { t.dim() };
                lines.push(Line::styled(clip(&text, w), style));
            }
            if !f.annotations.is_empty() {
                let a = &f.annotations;
                let text = format!(
                    "annotations: {} · {} graded frame(s) · {} polygon(s)",
                    a.status.as_deref().unwrap_or("no status"),
                    a.grades.len(),
                    a.polygon_count()
                );
                lines.push(Line::styled(clip(&text, w), t.dim()));
            }
            if let Some(note) = laterality_note(state, info.laterality.as_deref()) {
                lines.push(Line::styled(clip(&note, w), t.warn()));
            }
            // The full reason here, with the key that fixes it.
            let blocker = state.blocker_at(state.cursor).map(|b| {
                match state
                    .hint()
                    .as_deref()
                    .and_then(|h| h.rsplit_once(": press "))
                {
                    Some((_, key)) => format!("{b}: press {key}"),
                    None => b,
                }
            });
            let (text, style) = match (&f.export, blocker) {
                (Some(ExportMark::Exported(e)), _) => (format!("exported as {e}"), t.ok()),
                (Some(ExportMark::Skipped(r)), _) => {
                    (format!("last export skipped it: {r}"), t.warn())
                }
                (Some(ExportMark::Failed(r)), _) => (format!("last export failed: {r}"), t.error()),
                (None, None) => ("ready to export".to_string(), t.ok()),
                (None, Some(b)) => (format!("blocked: {b}"), t.warn()),
            };
            lines.push(Line::styled(clip(&text, w), style));
            if !info.flags.is_empty() {
                lines.push(Line::styled(clip(&info.flags.join("; "), w), t.warn()));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn crop_line<'a>(state: &'a AppState, cols: u32, rows: u32, t: &Theme, w: usize) -> Line<'a> {
    let f = state.current().expect("caller checked");
    let draft = state.draft.as_ref().filter(|d| d.file == f.id);
    let (rect, label): (CropRect, String) = match (draft, f.crop) {
        (Some(d), _) => (
            d.rect,
            if d.edited {
                "editing".into()
            } else {
                format!("{} (not applied)", d.origin.as_str())
            },
        ),
        (None, Some((r, s))) => (r, s.as_str().into()),
        (None, None) => (CropRect::full(cols, rows), "none".into()),
    };
    let names = ["X0", "Y0", "X1", "Y1"];
    let values = rect.as_array();
    let mut spans = vec![Span::styled("crop ", t.accent())];
    for i in 0..4 {
        let (text, style) = match draft {
            Some(d) if d.fields.is_some() && state.mode == Mode::CropInput => {
                let (fields, active) = d.fields.as_ref().expect("checked");
                let s = if *active == i {
                    format!("{}▏", fields[i])
                } else {
                    fields[i].clone()
                };
                (
                    s,
                    if *active == i {
                        t.active_field()
                    } else {
                        Style::default()
                    },
                )
            }
            Some(d) if d.edge.index() == i => (values[i].to_string(), t.active_field()),
            _ => (values[i].to_string(), Style::default()),
        };
        spans.push(Span::styled(format!("{} ", names[i]), t.dim()));
        spans.push(Span::styled(format!("{text:>4}"), style));
        spans.push(Span::raw(" "));
    }
    if w >= 60 {
        let size = format!("{}×{} ", rect.width(), rect.height());
        spans.push(Span::styled(size, t.dim()));
    }
    spans.push(Span::styled(label, t.dim()));
    Line::from(spans)
}

/// For a JPEG kept in its encoding: the crop the export will really make (origin on the iMCU
/// grid), or that its frames will be re-encoded.
fn snap_line(
    state: &AppState,
    info: &crate::core::load::FileInfo,
    t: &Theme,
    w: usize,
) -> Option<Line<'static>> {
    let f = state.current()?;
    let rect = state.shown_crop()?;
    let mcu = f.mcu?;
    let text = match crate::tui::checks::jpeg_snapped(info, Some(mcu), &rect, &state.settings)? {
        Ok(s) => {
            let [x0, y0, x1, y1] = s.as_array();
            format!(
                "JPEG {}x{} grid: exported as X0 {x0} Y0 {y0} X1 {x1} Y1 {y1} (origin snapped inward, no re-encoding)",
                mcu.0, mcu.1
            )
        }
        Err(()) => format!(
            "JPEG {}x{} grid: origin off the grid, frames will be re-encoded (lossy)",
            mcu.0, mcu.1
        ),
    };
    Some(Line::styled(clip(&text, w), t.warn()))
}

/// The file's stated side against its side tag: the tag wins on export (issue 8).
fn laterality_note(state: &AppState, stated: Option<&str>) -> Option<String> {
    let f = state.current()?;
    let stated = stated?;
    let list = state
        .settings
        .tags
        .lists
        .iter()
        .find(|l| l.dicom == crate::core::tags::TagTarget::Laterality)?;
    let side = f.tags.get(&list.key)?.trim().to_ascii_uppercase();
    crate::core::deid::laterality::contradicts(stated, &side).then(|| {
        format!(
            "laterality conflict: file says {stated}, {}={side}; the tag wins",
            list.key
        )
    })
}

fn tags_line<'a>(state: &'a AppState, t: &Theme, w: usize) -> Line<'a> {
    let f = state.current().expect("caller checked");
    if state.settings.tags.is_empty() {
        return Line::styled("tags off", t.dim());
    }
    let mut spans = vec![Span::styled("tags ", t.accent())];
    let mut used = 5;
    for l in &state.settings.tags.lists {
        let v = f.tags.get(&l.key).map(String::as_str).unwrap_or("-");
        let s = format!("{}={} ", l.key, v);
        used += s.chars().count();
        if used > w {
            break;
        }
        let style = if f.tags.contains_key(&l.key) {
            Style::default()
        } else if l.required {
            t.warn()
        } else {
            t.dim()
        };
        spans.push(Span::styled(s, style));
    }
    Line::from(spans)
}

/// The tag menus side by side: the active list highlighted, one key per value.
pub fn tag_menu(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let block = Block::bordered()
        .title(" Tags: press a value key (tab: next list, esc: done) ")
        .border_style(t.accent());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(f) = state.current() else { return };
    let lists = &state.settings.tags.lists;
    if lists.is_empty() {
        return;
    }
    let cols = Layout::horizontal(
        lists
            .iter()
            .map(|_| Constraint::Ratio(1, lists.len() as u32)),
    )
    .split(inner);
    for (i, (l, col)) in lists.iter().zip(cols.iter()).enumerate() {
        let active = i == state.tag_list;
        let keys = state.tag_value_keys(l.values.len());
        let w = col.width.saturating_sub(1) as usize;
        let mut lines = vec![Line::styled(
            clip(
                &format!("{}{}", l.key, if l.required { "*" } else { "" }),
                w,
            ),
            if active { t.active_field() } else { t.accent() },
        )];
        for (v, k) in l.values.iter().zip(keys.iter()) {
            let chosen = f.tags.get(&l.key).map(|x| x == v.value()).unwrap_or(false);
            let text = match v.label() {
                Some(lb) => format!("{k} {} {lb}", v.value()),
                None => format!("{k} {}", v.value()),
            };
            let style = if chosen {
                t.selected()
            } else if active {
                Style::default()
            } else {
                t.dim()
            };
            lines.push(Line::styled(clip(&text, w), style));
        }
        frame.render_widget(Paragraph::new(lines), *col);
    }
}
