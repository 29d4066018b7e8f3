//! Key-to-frame latency of the preview path, measured without a terminal (the bench's UI
//! figures).

use std::path::Path;
use std::time::Instant;

use ratatui::Terminal;
use ratatui_image::picker::Picker;

use super::effect::Effect;
use super::keymap::Key;
use super::msg::Msg;
use super::state::AppState;
use super::{preview, ui, update};
use crate::core::settings::Settings;

/// Key-to-frame latency of the preview path, measured without a terminal: key → keymap →
/// reducer → decode → crop outline → halfblocks encoding → drawing into a buffer.
#[derive(Debug, Clone)]
pub struct FrameLatency {
    pub frames: u32,
    pub samples_ms: Vec<f64>,
}

/// Steps through `steps` frames of the file at `path` with `]` and times each step (the frames
/// are new each time: the decoded-frame cache does not help). `area` is the terminal size.
pub fn measure_key_to_frame(
    path: &Path,
    settings: &Settings,
    area: (u16, u16),
    steps: usize,
) -> Result<FrameLatency, String> {
    use ratatui::backend::TestBackend;
    let g = crate::core::load::gather(&[path.to_path_buf()], &settings.load);
    let source = g.sources.into_iter().next().ok_or("no input found")?;
    let loaded = crate::core::load::load(&source, &settings.load)?;
    let frames = loaded.info.frames;
    let mut state = AppState::new(settings.clone(), super::keymap::Keymap::defaults());
    let fx = update::on_msg(
        &mut state,
        Msg::Gathered {
            sources: vec![source],
            skipped: vec![],
        },
    );
    drop(fx);
    let id = state.files[0].id;
    update::on_msg(
        &mut state,
        Msg::Loaded {
            file: id,
            result: Ok(Box::new(loaded.info)),
        },
    );
    let mut term = Terminal::new(TestBackend::new(area.0, area.1)).map_err(|e| e.to_string())?;
    let panes = ui::layout(ratatui::layout::Rect::new(0, 0, area.0, area.1), &state);
    let mut previewer = preview::Previewer::new(Picker::halfblocks(), settings.clone());
    let mut image = ui::PreviewImage::default();
    let mut samples = Vec::new();
    let mut fx = update::set_preview_area(&mut state, panes.image.map(|r| (r.width, r.height)));
    for step in 0..=steps.min(frames.saturating_sub(1) as usize) {
        let t0 = Instant::now();
        if step > 0 {
            fx = update::handle_key(&mut state, Key::char(']'));
        }
        for e in fx.drain(..) {
            if let Effect::Preview(r) = e {
                let p = previewer.frame_protocol(&r)?;
                image = ui::PreviewImage {
                    protocol: Some(p),
                    text: None,
                    id: r.id,
                    file: r.file,
                    frame: r.frame,
                };
                update::on_msg(
                    &mut state,
                    Msg::PreviewDone {
                        id: r.id,
                        file: r.file,
                        frame: r.frame,
                        result: Ok(()),
                        ms: 0,
                    },
                );
            }
        }
        term.draw(|f| ui::draw(f, &state, &image))
            .map_err(|e| e.to_string())?;
        if step > 0 {
            samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(FrameLatency {
        frames,
        samples_ms: samples,
    })
}
