//! Render tests (TestBackend) for what the screen shows before the last step: counts and the
//! hint from the first screen, status words at 120 columns, the glyph legend, the JPEG crop
//! the export will make, the blocked list on `e`, the search being typed, and the NO_COLOR
//! preview in grey levels.

mod tui_common;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::dcm::TransferSyntaxKind;
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::Mode;
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::state::{AppState, MetaRow};
use us_dicomizer::tui::ui::{self, PreviewImage};
use us_dicomizer::tui::update;

const EXAM: &[(&str, u32, u32, u32)] = &[
    ("alpha.dcm", 640, 480, 1),
    ("beta_cine.dcm", 640, 480, 24),
    ("gamma.dcm", 800, 600, 1),
];

fn screen(s: &AppState, w: u16, h: u16, image: &PreviewImage) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, s, image)).unwrap();
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
fn first_screen_shows_counts_the_hint_and_status_words() {
    let mut s = state_with(EXAM);
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("0 ready 3 blocked 0 dup 0 invalid"), "{all}");
    let wide = screen(&s, 160, 45, &PreviewImage::default());
    assert!(
        wide.contains("0 ready · 3 blocked · 0 duplicates · 0 invalid"),
        "{wide}"
    );
    assert!(all.contains("blocked: no crop: press c"), "{all}");
    let status_words = all
        .lines()
        .filter(|l| l.contains(".dcm") && l.contains(" new "))
        .count();
    assert_eq!(status_words, 3, "status words at 120 columns:\n{all}");
    // After a crop the hint names the next step.
    keys(&mut s, "c l enter");
    s.notice = None;
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("blocked: missing required tag(s)"), "{all}");
    assert!(all.contains("press t"), "{all}");
}

#[test]
fn help_explains_the_glyphs() {
    let s = state_with(EXAM);
    let lines = ui::help_lines(&s.keymap, Mode::Files);
    let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    let legend = text
        .iter()
        .position(|l| l.contains("[file list glyphs]"))
        .expect("a glyph legend");
    let rest = text[legend..].join("\n");
    for g in ["● ", "◧ ", "◆ ", "✓ ", "= ", "✗ ", "· "] {
        assert!(rest.contains(&format!("  {g}")), "{g} missing:\n{rest}");
    }
    let mut s = s;
    keys(&mut s, "? G");
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("duplicate"), "{all}");
}

#[test]
fn a_jpeg_crop_shows_the_numbers_the_export_will_use() {
    let mut s = state_with(&EXAM[..1]);
    if let us_dicomizer::tui::state::LoadState::Loaded(i) = &mut s.files[0].load {
        i.ts_kind = TransferSyntaxKind::JpegBaseline;
        i.transfer_syntax = "1.2.840.10008.1.2.4.50".into();
        i.photometric = "YBR_FULL_422".into();
        i.samples_per_pixel = 3;
    }
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::Mcu {
            file: id,
            mcu: (16, 8),
        },
    );
    s.files[0].crop = Some((CropRect::new(21, 13, 600, 450), CropSource::User));
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(
        all.contains("exported as X0 32 Y0 16 X1 600 Y1 450"),
        "snapped numbers:\n{all}"
    );
    // On the grid: nothing to say.
    s.files[0].crop = Some((CropRect::new(32, 16, 600, 450), CropSource::User));
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(!all.contains("exported as"), "{all}");
    // Re-encoding chosen instead of snapping.
    s.settings.output.jpeg_crop = us_dicomizer::core::settings::JpegCropMode::Reencode;
    s.files[0].crop = Some((CropRect::new(21, 13, 600, 450), CropSource::User));
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("re-encoded"), "{all}");
}

#[test]
fn e_lists_blocked_files_above_the_pseudonym() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c l enter t 1 1 1 esc g g e");
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("2 of 3 listed file(s) blocked"), "{all}");
    assert!(all.contains("#2 beta_cine.dcm: no crop"), "{all}");
    assert!(all.contains("Pseudonym"), "{all}");
    // Marks: the question names both choices.
    keys(&mut s, "esc space e");
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("marked only or all?"), "{all}");
    assert!(all.contains("m marked only · a all"), "{all}");
}

#[test]
fn the_search_is_visible_while_typing_with_its_match_count() {
    let mut s = state_with(EXAM);
    keys(&mut s, "m");
    let row = |tag: &str, name: &str, value: &str| MetaRow {
        depth: 0,
        tag: tag.into(),
        vr: "CS".into(),
        name: name.into(),
        value: value.into(),
        has_children: false,
    };
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::Metadata {
            file: id,
            result: Ok(vec![
                row("(0008,0060)", "Modality", "US"),
                row("(0028,0011)", "Columns", "640"),
                row("(0028,0004)", "PhotometricInterpretation", "COLOR"),
            ]),
        },
    );
    keys(&mut s, "/");
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("type to search"), "{all}");
    type_text(&mut s, "co");
    let all = screen(&s, 120, 40, &PreviewImage::default());
    assert!(all.contains("/co█"), "the query as typed:\n{all}");
    assert!(all.contains("1 of 2 matches"), "{all}");
}

#[test]
fn no_color_preview_keeps_grey_levels_and_draws_the_crop_with_characters() {
    let dir = tempfile::tempdir().unwrap();
    let files = us_dicomizer::core::demo::write_exam(&dir.path().join("exam")).unwrap();
    let settings = Settings::defaults();
    let (mut s, id, _) = state_with_loaded(&files[0], &settings, true);
    s.files[0].crop = Some((CropRect::new(80, 60, 560, 420), CropSource::User));
    let panes = ui::layout(ratatui::layout::Rect::new(0, 0, 100, 30), &s);
    let fx = update::set_preview_area(&mut s, panes.image.map(|r| (r.width, r.height)));
    let req = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::Preview(r) => Some(r),
            _ => None,
        })
        .unwrap();
    let mut p = us_dicomizer::tui::preview::Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        settings,
    );
    let image = PreviewImage {
        protocol: None,
        text: Some(p.frame_text(&req).unwrap()),
        id: req.id,
        file: id,
        frame: 0,
    };
    let all = screen(&s, 100, 30, &image);
    let area = panes.image.unwrap();
    let inside: String = all
        .lines()
        .skip(area.y as usize)
        .take(area.height as usize)
        .map(|l| {
            l.chars()
                .skip(area.x as usize)
                .take(area.width as usize)
                .collect::<String>()
        })
        .collect();
    let levels: std::collections::BTreeSet<char> = inside
        .chars()
        .filter(|c| " .:-=+*#%@".contains(*c))
        .collect();
    assert!(
        levels.len() >= 5,
        "grey levels, not 1 bit: {levels:?}\n{all}"
    );
    for c in ['┌', '┐', '└', '┘'] {
        assert!(inside.contains(c), "crop corner {c} missing:\n{all}");
    }
}
