//! Drawing: one function per pane, reading the state only. The encoded image is the one piece
//! of mutable render state and lives outside `AppState` (`PreviewImage`).

mod annotate;
mod details;
mod dialog;
mod files;
mod help;
mod jobs;
mod meta;
mod preview;
mod status;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;
use ratatui_image::protocol::Protocol;

use super::keymap::Mode;
use super::state::{AppState, View};

pub use help::help_lines;

/// The last encoded frame, owned by the UI thread.
#[derive(Default)]
pub struct PreviewImage {
    pub protocol: Option<Protocol>,
    /// NO_COLOR: the frame as grey-level characters.
    pub text: Option<Vec<String>>,
    pub id: u64,
    pub file: u64,
    pub frame: u32,
}

/// The protocol an encoded frame was made for, by its name in the protocol cycle.
pub fn protocol_kind(p: &Protocol) -> &'static str {
    match p {
        Protocol::Halfblocks(_) => "halfblocks",
        Protocol::Sixel(_) => "sixel",
        Protocol::Kitty(_) => "kitty",
        Protocol::ITerm2(_) => "iterm2",
    }
}

impl PreviewImage {
    /// Takes a newly encoded frame unless it is older than the one shown or was encoded for
    /// another protocol than `current` (a frame in flight when the user switched: drawing it
    /// would print, say, sixel data into a terminal that shows it as text). Returns whether
    /// the kind of image changed from one shown before, in which case the whole screen must be
    /// cleared.
    pub fn accept(
        &mut self,
        current: &str,
        protocol: Option<Protocol>,
        text: Option<Vec<String>>,
        id: u64,
        file: u64,
        frame: u32,
    ) -> Option<bool> {
        if protocol.is_none() && text.is_none() || id < self.id {
            return None;
        }
        if let Some(p) = &protocol {
            if protocol_kind(p) != current {
                return None;
            }
        }
        // The first image needs no clear (the screen was drawn without one); clearing costs
        // a cursor-position round trip to the terminal.
        let before = self.protocol.as_ref().map(protocol_kind);
        let changed = before.is_some() && before != protocol.as_ref().map(protocol_kind);
        *self = PreviewImage {
            protocol,
            text,
            id,
            file,
            frame,
        };
        Some(changed)
    }
}

/// Where each pane goes for a screen size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Panes {
    pub files: Option<Rect>,
    pub preview: Option<Rect>,
    /// The image area inside the preview pane's border.
    pub image: Option<Rect>,
    pub bottom: Option<Rect>,
    pub right: Option<Rect>,
    pub main: Rect,
    pub status: Rect,
}

/// Height of the panel under the preview.
fn bottom_height(state: &AppState) -> u16 {
    match state.mode {
        Mode::Prompt => {
            let info = state.prompt.as_ref().map(|p| p.info.len()).unwrap_or(0) as u16;
            (5 + info).min(16)
        }
        Mode::Tags => {
            let most = state
                .settings
                .tags
                .lists
                .iter()
                .map(|l| l.values.len())
                .max()
                .unwrap_or(0) as u16;
            (most + 3).clamp(7, 14)
        }
        Mode::Annotate | Mode::AnnotateClass => {
            let polys = state
                .current()
                .and_then(|f| f.annotations.polygons.get(&f.frame))
                .map(|v| v.len())
                .unwrap_or(0) as u16;
            (polys + 5).clamp(8, 13)
        }
        _ => 8,
    }
}

/// The layout for the whole screen.
pub fn layout(area: Rect, state: &AppState) -> Panes {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let mut p = Panes {
        main,
        status,
        ..Default::default()
    };
    if state.mode == Mode::Help {
        return p;
    }
    let left_w = (main.width * 38 / 100).clamp(24.min(main.width), 56);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(1)]).areas(main);
    p.files = Some(left);
    p.right = Some(right);
    if state.mode == Mode::Confirm || state.view != View::Preview {
        return p;
    }
    let bh = bottom_height(state).min(right.height.saturating_sub(4));
    let [top, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(bh)]).areas(right);
    p.preview = Some(top);
    p.bottom = Some(bottom);
    let inner = Rect {
        x: top.x + 1,
        y: top.y + 1,
        width: top.width.saturating_sub(2),
        height: top.height.saturating_sub(2),
    };
    if inner.width >= 2 && inner.height >= 2 {
        p.image = Some(inner);
    }
    p
}

/// Draws everything.
pub fn draw(frame: &mut Frame, state: &AppState, image: &PreviewImage) {
    let t = Theme::new(state.no_color);
    let p = layout(frame.area(), state);
    if state.mode == Mode::Help {
        help::draw(frame, p.main, state, &t);
    } else {
        if let Some(a) = p.files {
            files::draw(frame, a, state, &t);
        }
        if let Some(right) = p.right {
            if state.mode == Mode::Confirm {
                dialog::confirm(frame, right, state, &t);
            } else {
                match state.view {
                    View::Preview => {
                        if let Some(a) = p.preview {
                            preview::draw(frame, a, state, image, &t);
                        }
                        if let Some(b) = p.bottom {
                            if state.mode == Mode::Prompt {
                                dialog::prompt(frame, b, state, &t);
                            } else if state.mode == Mode::Tags {
                                details::tag_menu(frame, b, state, &t);
                            } else if matches!(state.mode, Mode::Annotate | Mode::AnnotateClass) {
                                annotate::draw(frame, b, state, &t);
                            } else {
                                details::draw(frame, b, state, &t);
                            }
                        }
                    }
                    View::Metadata => meta::draw(frame, right, state, &t),
                    View::Jobs => jobs::draw(frame, right, state, &t),
                }
            }
        }
    }
    status::draw(frame, p.status, state, &t);
}

/// Colours, or only bold/reverse/dim when NO_COLOR is set.
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { no_color }
    }
    fn fg(&self, c: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }
    pub fn active_field(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD)
        }
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.accent()
        } else {
            self.dim()
        }
    }
    pub fn badge(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD)
        }
    }
}

/// Cuts a string to `w` display columns with an ellipsis.
pub fn clip(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        s.to_string()
    } else if w <= 1 {
        s.chars().take(w).collect()
    } else {
        let mut out: String = s.chars().take(w - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod accept_tests {
    use super::*;
    use image::{DynamicImage, RgbImage};
    use ratatui_image::picker::{Picker, ProtocolType};
    use ratatui_image::Resize;

    fn encoded(kind: ProtocolType) -> Protocol {
        let mut picker = Picker::halfblocks();
        picker.set_protocol_type(kind);
        let img = DynamicImage::ImageRgb8(RgbImage::new(32, 32));
        picker
            .new_protocol(img, Rect::new(0, 0, 4, 2).into(), Resize::Fit(None))
            .expect("encodes")
    }

    #[test]
    fn a_frame_for_the_previous_protocol_is_dropped() {
        let mut shown = PreviewImage::default();
        let first = shown.accept("sixel", Some(encoded(ProtocolType::Sixel)), None, 1, 1, 0);
        assert_eq!(first, Some(false), "the first image needs no clear");
        // The user switched to kitty; a sixel frame still in flight arrives.
        let stale = shown.accept("kitty", Some(encoded(ProtocolType::Sixel)), None, 2, 1, 0);
        assert_eq!(stale, None);
        assert_eq!(shown.id, 1);
        // The kitty frame arrives: taken, and the screen must be cleared.
        let fresh = shown.accept("kitty", Some(encoded(ProtocolType::Kitty)), None, 3, 1, 0);
        assert_eq!(fresh, Some(true));
        assert_eq!(protocol_kind(shown.protocol.as_ref().unwrap()), "kitty");
        // Same kind again: no clear needed; older frames are dropped.
        let same = shown.accept("kitty", Some(encoded(ProtocolType::Kitty)), None, 4, 1, 1);
        assert_eq!(same, Some(false));
        assert_eq!(
            shown.accept("kitty", Some(encoded(ProtocolType::Kitty)), None, 3, 1, 0),
            None
        );
    }
}
