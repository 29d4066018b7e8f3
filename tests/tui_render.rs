//! Render tests on ratatui's TestBackend: layout at 80x24, help from the live keymap,
//! NO_COLOR, the tag menu, and a real frame through the preview encoder.

mod tui_common;

use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::{Keymap, DEFAULT_KEYMAP};
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::ui::{self, PreviewImage};
use us_dicomizer::tui::update;

const EXAM: &[(&str, u32, u32, u32)] = &[
    ("alpha.dcm", 640, 480, 1),
    ("beta_cine.dcm", 640, 480, 24),
    ("gamma.dcm", 800, 600, 1),
];

fn render(s: &AppState, w: u16, h: u16, image: &PreviewImage) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, s, image)).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn small_terminal_shows_files_and_status_line() {
    let mut s = state_with(EXAM);
    keys(&mut s, "j");
    let t = render(&s, 80, 24, &PreviewImage::default());
    let lines = text(&t);
    let all = lines.join("\n");
    assert!(all.contains("Files 3"), "{all}");
    for n in ["alpha.dcm", "beta_cine.dcm", "gamma.dcm", "24f"] {
        assert!(all.contains(n), "{n} missing:\n{all}");
    }
    assert!(
        lines[23].starts_with(" FILES "),
        "status line: {:?}",
        lines[23]
    );
    assert!(
        lines[23].contains("help"),
        "which-key hints: {:?}",
        lines[23]
    );
    assert!(all.contains("frame 1/24"), "{all}");
    assert!(all.contains("X0"), "crop numbers shown:\n{all}");
}

#[test]
fn invalid_files_show_their_reason() {
    let mut s = state_with(EXAM);
    let id = s.next_id;
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![source("zz.txt")],
            skipped: vec![],
        },
    );
    update::on_msg(
        &mut s,
        Msg::Loaded {
            file: id,
            result: Err("not a DICOM file: text".into()),
        },
    );
    let all = text(&render(&s, 100, 30, &PreviewImage::default())).join("\n");
    assert!(all.contains("↳ not a DICOM file: text"), "{all}");
}

#[test]
fn help_lists_the_live_keymap() {
    let km = Keymap::from_layers(&[
        ("d".into(), DEFAULT_KEYMAP.into()),
        ("u".into(), "[files]\nZ = \"export\"\nc = \"noop\"\n".into()),
    ])
    .unwrap();
    let mut s = state_with_keymap(EXAM, km);
    keys(&mut s, "?");
    let all = text(&render(&s, 120, 80, &PreviewImage::default())).join("\n");
    assert!(all.contains("[files]"), "{all}");
    assert!(all.contains("g g"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.contains(" Z ") && l.contains("export")),
        "user binding listed:\n{all}"
    );
    assert!(
        !all.lines()
            .any(|l| l.contains("  c ") && l.contains("crop_mode")),
        "unbound key not listed:\n{all}"
    );
    // The help text helper agrees.
    let lines = ui::help_lines(&s.keymap, us_dicomizer::tui::keymap::Mode::Files);
    assert!(lines
        .iter()
        .any(|(_, l)| l.contains("half_page_down") && l.contains("ctrl-d")));
}

#[test]
fn no_color_uses_no_colours() {
    let mut s = state_with(EXAM);
    s.no_color = true;
    keys(&mut s, "c");
    let t = render(&s, 80, 24, &PreviewImage::default());
    let buf = t.backend().buffer();
    for c in buf.content() {
        assert_eq!(c.fg, Color::Reset, "{c:?}");
        assert_eq!(c.bg, Color::Reset, "{c:?}");
    }
}

#[test]
fn tag_menu_shows_one_key_per_value() {
    let mut s = state_with(EXAM);
    keys(&mut s, "t");
    let all = text(&render(&s, 100, 30, &PreviewImage::default())).join("\n");
    assert!(all.contains("1 CFV"), "{all}");
    assert!(all.contains("2 R right"), "{all}");
    assert!(all.contains("2 non-diagnostic"), "{all}");
}

#[test]
fn real_frame_is_drawn_with_the_crop_outline() {
    let dir = tempfile::tempdir().unwrap();
    let files = us_dicomizer::core::demo::write_exam(&dir.path().join("exam")).unwrap();
    let settings = Settings::defaults();
    let (mut s, id, _) = state_with_loaded(&files[1], &settings, false);
    s.files[0].crop = Some((
        CropRect::new(80, 60, 560, 420),
        us_dicomizer::core::crop::CropSource::User,
    ));
    let panes = ui::layout(ratatui::layout::Rect::new(0, 0, 100, 30), &s);
    let fx = update::set_preview_area(&mut s, panes.image.map(|r| (r.width, r.height)));
    let req = fx
        .into_iter()
        .find_map(|e| {
            if let Effect::Preview(r) = e {
                Some(r)
            } else {
                None
            }
        })
        .unwrap();
    let mut p = us_dicomizer::tui::preview::Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        settings,
    );
    let protocol = p.frame_protocol(&req).unwrap();
    let image = PreviewImage {
        protocol: Some(protocol),
        text: None,
        id: req.id,
        file: id,
        frame: 0,
    };
    let t = render(&s, 100, 30, &image);
    let buf = t.backend().buffer();
    let area = panes.image.unwrap();
    let mut outline = 0;
    let mut coloured = 0;
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let c = &buf[(x, y)];
            for col in [c.fg, c.bg] {
                if let Color::Rgb(r, g, b) = col {
                    coloured += 1;
                    if (r, g, b) == (255, 200, 0) {
                        outline += 1;
                    }
                }
            }
        }
    }
    assert!(
        coloured > 100,
        "image drawn ({coloured} coloured half-cells)"
    );
    assert!(
        outline > 20,
        "crop outline drawn into the pixels ({outline})"
    );
}

#[test]
fn key_to_frame_measurement_runs() {
    let dir = tempfile::tempdir().unwrap();
    let files = us_dicomizer::core::demo::write_exam(&dir.path().join("exam")).unwrap();
    let r = us_dicomizer::tui::measure_key_to_frame(&files[2], &Settings::defaults(), (100, 30), 3)
        .unwrap();
    assert_eq!(r.frames, 24);
    assert_eq!(r.samples_ms.len(), 3);
    assert!(r.samples_ms.iter().all(|ms| *ms > 0.0));
}
