//! The file detail shows a laterality conflict between the file and its side tag (the tag
//! wins on export, issue 8).

mod tui_common;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::tui::state::LoadState;
use us_dicomizer::tui::ui::{self, PreviewImage};

fn screen(s: &us_dicomizer::tui::state::AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    t.draw(|f| ui::draw(f, s, &PreviewImage::default()))
        .unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn detail_shows_a_laterality_conflict_with_the_side_tag() {
    let mut s = state_with(&[("a.dcm", 640, 480, 1)]);
    if let LoadState::Loaded(info) = &mut s.files[0].load {
        info.laterality = Some("R".into());
    }
    s.files[0].tags.insert("side".into(), "R".into());
    assert!(!screen(&s).contains("laterality conflict"));
    s.files[0].tags.insert("side".into(), "L".into());
    let all = screen(&s);
    assert!(
        all.contains("laterality conflict: file says R, side=L"),
        "{all}"
    );
}
