//! The jobs pane: export progress (files and frames), per-file results, the log.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Gauge, Paragraph};
use ratatui::Frame;

use super::super::state::{AppState, ExportMark, Level};
use super::{clip, Theme};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, t: &Theme) {
    let block = Block::bordered()
        .title(" Jobs & log ")
        .border_style(t.accent());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut rest = inner;
    if let Some(job) = &state.export {
        let [g1, g2, below] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        let files_ratio = if job.total == 0 {
            0.0
        } else {
            job.done as f64 / job.total as f64
        };
        let gstyle = if state.no_color {
            ratatui::style::Style::default()
        } else {
            t.ok()
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(gstyle)
                .ratio(files_ratio.clamp(0.0, 1.0))
                .label(format!("files {}/{}", job.done, job.total)),
            g1,
        );
        let (d, tot) = job.frames;
        let fr = if tot == 0 { 0.0 } else { d as f64 / tot as f64 };
        let label = match job.current {
            Some(n) if job.running => format!("file {n}: frames {d}/{tot}"),
            _ => "frames".to_string(),
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(gstyle)
                .ratio(fr.clamp(0.0, 1.0))
                .label(label),
            g2,
        );
        rest = below;
        let state_line = if job.running {
            if job.cancel_requested {
                ("cancelling…".to_string(), t.warn())
            } else if job.writing {
                ("writing the archive…".to_string(), t.dim())
            } else {
                (format!("exporting to {}", job.out), t.dim())
            }
        } else {
            match &job.finished {
                Some(Ok(s)) => (s.clone(), t.ok()),
                Some(Err(e)) => (format!("failed: {e}"), t.error()),
                None => (String::new(), t.dim()),
            }
        };
        lines.push(Line::styled(clip(&state_line.0, w), state_line.1));
        for r in &job.results {
            let (text, style) = match &r.mark {
                ExportMark::Exported(e) => (format!("#{} ✓ {} → {e}", r.n, r.name), t.ok()),
                ExportMark::Skipped(why) => {
                    (format!("#{} skipped {}: {why}", r.n, r.name), t.warn())
                }
                ExportMark::Failed(why) => {
                    (format!("#{} failed {}: {why}", r.n, r.name), t.error())
                }
            };
            lines.push(Line::styled(clip(&text, w), style));
        }
        lines.push(Line::raw(""));
    } else {
        lines.push(Line::styled("no export yet (e starts one)", t.dim()));
    }
    lines.push(Line::styled("log", t.accent()));
    for (lvl, m) in state.log.iter().rev().take(200) {
        let style = match lvl {
            Level::Info => t.dim(),
            Level::Warn => t.warn(),
            Level::Error => t.error(),
        };
        lines.push(Line::styled(clip(m, w), style));
    }
    let h = rest.height as usize;
    let max_scroll = lines.len().saturating_sub(h);
    let scroll = state.jobs_scroll.min(max_scroll);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(h).collect();
    frame.render_widget(Paragraph::new(shown), rest);
}
