//! The preview pane: the encoded frame (the crop is drawn into its pixels), frame n/N.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use ratatui_image::Image;

use super::super::keymap::Mode;
use super::super::state::{AppState, LoadState};
use super::{clip, PreviewImage, Theme};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, image: &PreviewImage, t: &Theme) {
    let cur = state.current();
    let mut title = String::from(" Preview ");
    if let Some(f) = cur {
        if f.frames() > 0 {
            title = format!(" frame {}/{} ", f.frame + 1, f.frames());
            if state.playing {
                title.push_str("▶ ");
            }
        }
    }
    if let Some(g) = super::annotate::title_grade(state) {
        title.push_str(&g);
    }
    let mode_tag = match state.mode {
        Mode::Crop | Mode::CropInput => " CROP ",
        Mode::Annotate | Mode::AnnotateClass => " ANNOTATE ",
        _ => "",
    };
    let zoom_tag = if state.zoom && state.shown_crop().is_some() {
        " ZOOM "
    } else {
        ""
    };
    let right = format!(" {} ", state.protocol_name);
    let block = Block::bordered()
        .title(Line::from(format!("{title}{mode_tag}{zoom_tag}")))
        .title_bottom(Line::from(right).right_aligned())
        .border_style(t.border(matches!(
            state.mode,
            Mode::Crop | Mode::CropInput | Mode::Annotate | Mode::AnnotateClass
        )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(f) = cur else { return };
    let msg = match &f.load {
        LoadState::Pending => Some("loading…".to_string()),
        LoadState::Invalid(r) => Some(format!("invalid: {r}")),
        LoadState::Loaded(_) => None,
    };
    if let Some(m) = msg {
        let style = if m.starts_with("invalid") {
            t.error()
        } else {
            t.dim()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(clip(&m, inner.width as usize), style)),
            inner,
        );
        return;
    }
    if let Some(e) = &state.preview.error {
        if state
            .preview
            .shown
            .map(|(_, id, _)| id == f.id)
            .unwrap_or(false)
        {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    clip(&format!("cannot show: {e}"), inner.width as usize),
                    t.error(),
                )),
                inner,
            );
            return;
        }
    }
    if let (Some(text), true) = (&image.text, image.file == f.id) {
        // NO_COLOR: grey levels as characters, centred.
        let h = (text.len() as u16).min(inner.height);
        let w = text
            .first()
            .map(|l| l.chars().count() as u16)
            .unwrap_or(0)
            .min(inner.width);
        let area = Rect {
            x: inner.x + (inner.width - w) / 2,
            y: inner.y + (inner.height - h) / 2,
            width: w,
            height: h,
        };
        let lines: Vec<Line> = text.iter().map(|l| Line::raw(l.clone())).collect();
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    match &image.protocol {
        Some(p) if image.file == f.id => {
            // Centre the picture in the pane.
            let size = p.size();
            let w = size.width.min(inner.width);
            let h = size.height.min(inner.height);
            let x = inner.x + (inner.width - w) / 2;
            let y = inner.y + (inner.height - h) / 2;
            frame.render_widget(
                Image::new(p),
                Rect {
                    x,
                    y,
                    width: w,
                    height: h,
                },
            );
        }
        _ => frame.render_widget(Paragraph::new(Line::styled("decoding…", t.dim())), inner),
    }
}
