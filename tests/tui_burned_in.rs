//! Burned-in text in the TUI: the detector's boxes come back from the worker as a message, the
//! detail line says what the export will do (the engine's own decision), the keys mask / keep /
//! shrink the crop / zoom, the decision is saved in the session, the boxes are drawn over the
//! preview (colour and NO_COLOR), and the per-file decision reaches the ZIP.

mod common;
mod tui_common;

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::demo::{Kind, Planted, Spec};
use us_dicomizer::core::load::{InputSource, SourceKind};
use us_dicomizer::core::pixels::{decode, render};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::text::draw::{text_size, Style};
use us_dicomizer::core::text::policy::TextChoice;
use us_dicomizer::core::text::{self, TextBox};
use us_dicomizer::tui::effect::{Effect, PreviewRequest};
use us_dicomizer::tui::keymap::Keymap;
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::session::store;
use us_dicomizer::tui::session::{FileRecord, Snapshot};
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::ui::{self, PreviewImage};
use us_dicomizer::tui::update;

const WHITE: [u8; 3] = [255, 255, 255];

fn tb(rect: CropRect, over_scan: bool) -> TextBox {
    TextBox {
        rect,
        over_scan,
        glyphs: 8,
        glyph_height: 8,
    }
}

/// Two boxes in a 640x480 file: a parameter column on black and a name over the scan.
fn two_boxes() -> Vec<TextBox> {
    vec![
        tb(CropRect::new(520, 130, 600, 140), false),
        tb(CropRect::new(250, 220, 380, 236), true),
    ]
}

/// One 640x480 file, cropped and tagged (so only text can block it), with `boxes` found.
fn state_with_boxes(boxes: Vec<TextBox>) -> AppState {
    let mut s = state_with(&[("a.dcm", 640, 480, 1), ("b.dcm", 640, 480, 1)]);
    for f in s.files.iter_mut() {
        f.crop = Some((CropRect::new(100, 80, 620, 460), CropSource::User));
        f.tags = common::tags();
    }
    let ids: Vec<u64> = s.files.iter().map(|f| f.id).collect();
    for (n, id) in ids.iter().enumerate() {
        update::on_msg(
            &mut s,
            Msg::Identified {
                file: *id,
                identity: format!("id-{n}"),
            },
        );
    }
    update::on_msg(
        &mut s,
        Msg::TextFound {
            file: ids[0],
            result: Ok(boxes),
        },
    );
    s
}

fn render(s: &AppState, w: u16, h: u16, image: &PreviewImage) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, s, image)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

fn preview_of(fx: &[Effect]) -> Option<PreviewRequest> {
    fx.iter().rev().find_map(|e| match e {
        Effect::Preview(r) => Some(r.clone()),
        _ => None,
    })
}

fn saved_record(fx: &[Effect]) -> Option<FileRecord> {
    fx.iter().rev().find_map(|e| match e {
        Effect::SaveSession(s) => s.records.values().next().cloned(),
        _ => None,
    })
}

#[test]
fn loading_asks_the_worker_for_text_and_its_answer_is_kept_per_file() {
    let mut s = AppState::new(Settings::defaults(), Keymap::defaults());
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![source("a.dcm")],
            skipped: vec![],
        },
    );
    let id = s.files[0].id;
    let fx = update::on_msg(
        &mut s,
        Msg::Loaded {
            file: id,
            result: Ok(Box::new(info(640, 480, 1))),
        },
    );
    let asked: Vec<_> = fx
        .iter()
        .filter(|e| matches!(e, Effect::ScanText { file, .. } if *file == id))
        .collect();
    assert_eq!(asked.len(), 1, "one search per loaded file");
    assert_eq!(
        s.text_line().map(|l| l.0),
        Some("burned-in text: searching…".into())
    );
    update::on_msg(
        &mut s,
        Msg::TextFound {
            file: id,
            result: Ok(two_boxes()),
        },
    );
    assert_eq!(s.files[0].text_boxes().len(), 2);
    // the boxes go into the preview request (drawn by the preview worker, not in `update`)
    s.preview_area = Some((60, 20));
    let fx = update::update(&mut s, us_dicomizer::tui::action::Action::Redraw);
    let req = preview_of(&fx).expect("the new boxes redraw the frame");
    assert_eq!(req.text.boxes.len(), 2);
    assert!(
        req.text.boxes[0].x0 < 520 && req.text.boxes[0].x1 > 600,
        "margin added"
    );
}

#[test]
fn text_over_the_scan_blocks_until_a_person_decides_and_the_decision_is_saved() {
    let mut s = state_with_boxes(two_boxes());
    // the engine's decision: text over the scan is not masked automatically
    let (line, warn) = s.text_line().unwrap();
    assert!(warn);
    assert!(
        line.starts_with("text over the scan: decide (M mask · N keep · X shrink the crop)"),
        "{line}"
    );
    let b = s.blocker_at(0).unwrap();
    assert!(
        b.contains("over the scan content at [250,220,380,236]"),
        "{b}"
    );
    assert!(s.hint().unwrap().contains("press M mask"), "{:?}", s.hint());
    let c = s.counts();
    assert_eq!((c.ready, c.blocked, c.text), (1, 1, 1));
    assert!(c.line().contains("1 text to decide"), "{}", c.line());

    // M: masked (the person's decision covers the box over the scan too), saved
    let fx = keys(&mut s, "M");
    assert_eq!(s.files[0].text_choice, Some(TextChoice::Mask));
    assert_eq!(s.blocker_at(0), None);
    assert_eq!(
        s.text_line().unwrap().0,
        "2 text boxes inside the crop: masked on export (your decision)"
    );
    assert_eq!(saved_record(&fx).unwrap().text, Some(TextChoice::Mask));
    assert_eq!(s.counts().text, 0);
    // N: kept; N again: back to the setting (blocked again)
    keys(&mut s, "N");
    assert_eq!(s.files[0].text_choice, Some(TextChoice::Keep));
    assert!(s.text_line().unwrap().0.contains("kept on export"));
    let fx = keys(&mut s, "N");
    assert_eq!(s.files[0].text_choice, None);
    assert!(s.blocker_at(0).is_some());
    assert_eq!(saved_record(&fx).unwrap().text, None);
}

#[test]
fn boxes_on_black_inside_the_crop_are_announced_as_masked() {
    let mut s = state_with_boxes(vec![tb(CropRect::new(520, 130, 600, 140), false)]);
    assert_eq!(
        s.text_line().unwrap().0,
        "1 text box inside the crop: masked on export"
    );
    assert_eq!(s.blocker_at(0), None);
    // with the crop moved left of the box, it is cut away instead
    s.files[0].crop = Some((CropRect::new(100, 80, 500, 460), CropSource::User));
    assert_eq!(
        s.text_line().unwrap().0,
        "1 text box outside the crop: cut away on export"
    );
    // no crop yet: the whole frame is what would be exported
    s.files[0].crop = None;
    assert_eq!(
        s.text_line().unwrap().0,
        "1 text box in the frame (no crop): masked on export"
    );
    // "refuse" blocks any text inside the crop
    s.files[0].crop = Some((CropRect::new(100, 80, 620, 460), CropSource::User));
    s.settings.pixels.burned_in_text = us_dicomizer::core::text::policy::TextMode::Refuse;
    assert!(s.blocker_at(0).unwrap().contains("refuse"));
    assert!(s.text_line().unwrap().0.contains(": decide ("));
}

#[test]
fn select_and_shrink_the_crop_to_leave_a_box_out() {
    let mut s = state_with_boxes(two_boxes());
    // s cycles through the boxes in the crop, in reading order
    keys(&mut s, "s");
    assert_eq!(s.selected_text_box(), Some(0), "the column (y 130) first");
    keys(&mut s, "s");
    assert_eq!(s.selected_text_box(), Some(1));
    let fx = keys(&mut s, "X");
    let (crop, source) = s.files[0].crop.unwrap();
    assert_eq!(source, CropSource::User);
    let boxed = s.files[0].text_boxes()[1].with_margin(640, 480);
    assert!(
        text::intersect(&crop, &boxed).is_none(),
        "{crop} vs {boxed}"
    );
    // the crop only shrank, on one side
    let old = CropRect::new(100, 80, 620, 460);
    assert!(crop.x0 >= old.x0 && crop.y0 >= old.y0 && crop.x1 <= old.x1 && crop.y1 <= old.y1);
    let changed = (crop.x0 != old.x0) as u8
        + (crop.y0 != old.y0) as u8
        + (crop.x1 != old.x1) as u8
        + (crop.y1 != old.y1) as u8;
    assert_eq!(changed, 1, "{crop}");
    assert_eq!(
        saved_record(&fx).unwrap().crop,
        Some(crop.as_array()),
        "saved"
    );
    // the text over the scan is out: the file is no longer blocked
    assert_eq!(s.blocker_at(0), None, "{:?}", s.blocker_at(0));
    // in crop mode the key changes the draft (enter applies)
    let mut s = state_with_boxes(two_boxes());
    keys(&mut s, "c s s X");
    let draft = s.draft.clone().unwrap().rect;
    assert!(text::intersect(&draft, &s.files[0].text_boxes()[1].with_margin(640, 480)).is_none());
    assert_eq!(s.files[0].crop.unwrap().0, CropRect::new(100, 80, 620, 460));
    keys(&mut s, "enter");
    assert_eq!(s.files[0].crop.unwrap().0, draft);
}

#[test]
fn zoom_asks_for_the_crop_area_only() {
    let mut s = state_with_boxes(two_boxes());
    let fx = update::set_preview_area(&mut s, Some((60, 20)));
    assert!(!preview_of(&fx).unwrap().zoom);
    let fx = keys(&mut s, "z");
    let r = preview_of(&fx).expect("zoom redraws");
    assert!(r.zoom);
    assert_eq!(r.crop, Some(CropRect::new(100, 80, 620, 460)));
    let all = render(&s, 100, 30, &PreviewImage::default()).join("\n");
    assert!(all.contains("ZOOM"), "{all}");
    let fx = keys(&mut s, "z");
    assert!(!preview_of(&fx).unwrap().zoom);
    // without a crop there is nothing to zoom on
    s.files[1].crop = None;
    keys(&mut s, "j z");
    assert!(!s.zoom);
}

#[test]
fn the_detail_pane_shows_the_warning_and_the_decision() {
    let mut s = state_with_boxes(two_boxes());
    let all = render(&s, 140, 32, &PreviewImage::default()).join("\n");
    assert!(all.contains("text over the scan: decide (M mask"), "{all}");
    // the counts line, in its long or short form
    assert!(
        all.contains("1 text to decide") || all.contains("blocked (1 text)"),
        "{all}"
    );
    keys(&mut s, "M");
    let all = render(&s, 140, 32, &PreviewImage::default()).join("\n");
    assert!(
        all.contains("2 text boxes inside the crop: masked on export (your decision)"),
        "{all}"
    );
    assert!(
        !all.contains("text to decide") && !all.contains("(1 text)"),
        "{all}"
    );
}

#[test]
fn remapped_keys_are_used_and_named() {
    let km = Keymap::from_layers(&[
        ("d".into(), us_dicomizer::tui::keymap::DEFAULT_KEYMAP.into()),
        (
            "u".into(),
            "[files]\nM = \"noop\"\nF5 = \"text_mask\"\n".into(),
        ),
    ])
    .unwrap();
    let mut s = state_with_keymap(&[("a.dcm", 640, 480, 1)], km);
    s.files[0].crop = Some((CropRect::new(100, 80, 620, 460), CropSource::User));
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::TextFound {
            file: id,
            result: Ok(two_boxes()),
        },
    );
    assert!(
        s.text_line().unwrap().0.contains("(f5 mask"),
        "{:?}",
        s.text_line()
    );
    keys(&mut s, "M");
    assert_eq!(s.files[0].text_choice, None);
    keys(&mut s, "f5");
    assert_eq!(s.files[0].text_choice, Some(TextChoice::Mask));
    let help = ui::help_lines(&s.keymap, us_dicomizer::tui::keymap::Mode::Files);
    assert!(help
        .iter()
        .any(|(_, l)| l.contains("text_mask") && l.contains("f5")));
}

fn src(path: &str) -> InputSource {
    InputSource {
        kind: SourceKind::File(PathBuf::from(path)),
        size: 1000,
    }
}

#[test]
fn the_decision_comes_back_from_the_session_and_old_sessions_still_load() {
    let d = tempfile::tempdir().unwrap();
    let paths = store::paths(d.path(), &[PathBuf::from("/exam")]);
    let open = |s: &mut AppState| {
        let mut fx = update::on_msg(
            s,
            Msg::Gathered {
                sources: vec![src("/exam/a.dcm")],
                skipped: vec![],
            },
        );
        let id = s.files[0].id;
        fx.extend(update::on_msg(
            s,
            Msg::Identified {
                file: id,
                identity: "id-a".into(),
            },
        ));
        fx.extend(update::on_msg(
            s,
            Msg::Loaded {
                file: id,
                result: Ok(Box::new(info(640, 480, 1))),
            },
        ));
        fx.extend(update::on_msg(
            s,
            Msg::TextFound {
                file: id,
                result: Ok(two_boxes()),
            },
        ));
        fx
    };
    let mut s = AppState::new(Settings::defaults(), Keymap::defaults());
    let mut fx = open(&mut s);
    fx.extend(keys(&mut s, "N"));
    let mut snap: Option<Snapshot> = None;
    for e in &fx {
        if let Effect::SaveSession(x) = e {
            let mut x = (**x).clone();
            if let Some(o) = snap.take() {
                x.absorb(o);
            }
            snap = Some(x);
        }
    }
    store::save(&paths, &snap.unwrap()).unwrap();
    let text = std::fs::read_to_string(&paths.files).unwrap();
    assert!(
        text.contains("\"text\": \"keep\"") || text.contains("\"text\":\"keep\""),
        "{text}"
    );
    // a new window: the decision is back
    let mut s = AppState::new(Settings::defaults(), Keymap::defaults());
    s.session.records = store::load_records(&paths.files).into_iter().collect();
    s.session.had_saved = true;
    open(&mut s);
    assert_eq!(s.files[0].text_choice, Some(TextChoice::Keep));
    // a record written before the field existed still reads, with no decision
    let old: FileRecord =
        serde_json::from_str(r#"{"crop":[1,2,300,400],"crop_source":"user","tags":{"side":"L"}}"#)
            .unwrap();
    assert_eq!(old.text, None);
    assert_eq!(old.crop, Some([1, 2, 300, 400]));
}

/// A 640x480 sector frame with a fake name written over the scan and a parameter column on
/// black inside the region.
fn text_fixture(dir: &Path) -> (PathBuf, Vec<Planted>) {
    let (w, h) = (640, 480);
    let planted = vec![
        Planted::new(250, 220, "DOE JANE 1958", 2, Style::Plain, WHITE),
        Planted::new(w - w / 8 - 76, h / 4, "ID 12975", 1, Style::Plain, WHITE),
    ];
    let spec = Spec {
        instance: 41,
        sector: true,
        text: planted.clone(),
        ..Spec::new(Kind::Mono, w, h, 1)
    };
    (common::write_fixture(dir, "exam.dcm", &spec), planted)
}

/// Exports through the UI with `decision` keys pressed first; the report, the crop used.
fn export_with(
    path: &Path,
    out: &Path,
    decision: &str,
) -> (Option<us_dicomizer::core::export::ExportReport>, CropRect) {
    let mut d = Driver::new();
    let mut s = state_on(&[path.to_path_buf()], Settings::defaults(), &mut d);
    assert_eq!(s.files.len(), 1);
    d.press(&mut s, "c a enter t 1 1 1");
    assert!(
        s.files[0].text_boxes().len() >= 2,
        "the worker's search found both lines: {:?}",
        s.files[0].text
    );
    if !decision.is_empty() {
        d.press(&mut s, decision);
    }
    let crop = s.files[0].crop.unwrap().0;
    d.press(&mut s, "e");
    d.type_text(&mut s, "P01");
    d.press(&mut s, "enter ctrl-u");
    d.type_text(&mut s, out.to_str().unwrap());
    d.press(&mut s, "enter y");
    (d.report.take(), crop)
}

fn max_luma(file: &us_dicomizer::core::load::LoadedFile, r: &CropRect) -> u8 {
    let f = decode::decode_full(&file.obj, &file.info, 0).unwrap();
    let e = render::to_8bit(&f, None, None);
    let mut m = 0;
    for y in r.y0..r.y1.min(e.height) {
        for x in r.x0..r.x1.min(e.width) {
            m = m.max(e.data[(y * e.width + x) as usize * e.spp as usize]);
        }
    }
    m
}

#[test]
fn the_per_file_decision_reaches_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let (path, planted) = text_fixture(dir.path());
    let (tw, th) = text_size(&planted[0].text, planted[0].scale, planted[0].style);
    let name = CropRect::new(
        planted[0].x,
        planted[0].y,
        planted[0].x + tw,
        planted[0].y + th,
    );
    let shifted = |r: &CropRect, c: &CropRect| {
        CropRect::new(r.x0 - c.x0, r.y0 - c.y0, r.x1 - c.x0, r.y1 - c.y0)
    };

    // the setting alone: text over the scan blocks the file, the export leaves it out
    let (rep, _) = export_with(&path, &dir.path().join("none.zip"), "");
    if let Some(rep) = rep {
        assert!(
            rep.files.iter().all(|f| f.output.is_none()),
            "{:?}",
            rep.files
        );
    }

    // M: masked by a person's decision, exported, no glyph pixel left in the name's box
    let out = dir.path().join("mask.zip");
    let (rep, crop) = export_with(&path, &out, "M");
    let rep = rep.expect("export ran");
    let f = rep
        .files
        .iter()
        .find(|f| f.output.is_some())
        .expect("exported");
    let file = common::read_entry(&out, f.output.as_ref().unwrap());
    let m = max_luma(&file, &shifted(&name, &crop));
    assert!(m < 40, "the name over the scan is blanked (max luma {m})");

    // N: kept by a person's decision, exported with the text and Burned In Annotation YES
    let out = dir.path().join("keep.zip");
    let (rep, crop) = export_with(&path, &out, "N");
    let rep = rep.expect("export ran");
    let f = rep
        .files
        .iter()
        .find(|f| f.output.is_some())
        .expect("exported");
    let file = common::read_entry(&out, f.output.as_ref().unwrap());
    let m = max_luma(&file, &shifted(&name, &crop));
    assert!(m > 200, "the name is still there (max luma {m})");
    let yes = file.obj.element(tags::BURNED_IN_ANNOTATION).unwrap();
    assert_eq!(yes.to_str().unwrap().trim(), "YES");
}

#[test]
fn the_real_frame_shows_the_boxes_in_their_own_colour_and_as_characters() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = text_fixture(dir.path());
    let settings = Settings::defaults();
    let mut d = Driver::new();
    let mut s = state_on(&[path], settings.clone(), &mut d);
    s.files[0].crop = Some((CropRect::new(60, 40, 620, 470), CropSource::User));
    keys(&mut s, "s");
    let panes = ui::layout(ratatui::layout::Rect::new(0, 0, 100, 30), &s);
    let fx = update::set_preview_area(&mut s, panes.image.map(|r| (r.width, r.height)));
    let req = preview_of(&fx).unwrap();
    assert!(req.text.boxes.len() >= 2 && req.text.selected.is_some());
    let mut p = us_dicomizer::tui::preview::Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        settings.clone(),
    );
    let count = |req: &PreviewRequest, p: &mut us_dicomizer::tui::preview::Previewer| {
        let image = PreviewImage {
            protocol: Some(p.frame_protocol(req).unwrap()),
            text: None,
            id: req.id,
            file: req.file,
            frame: 0,
        };
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| ui::draw(f, &s, &image)).unwrap();
        let buf = t.backend().buffer().clone();
        let mut n = [0usize; 3];
        for c in buf.content() {
            for col in [c.fg, c.bg] {
                // the box colours blend a little when the frame is scaled to the pane
                if let Color::Rgb(r, g, b) = col {
                    if r > 190 && g < 120 && b > 160 {
                        n[0] += 1;
                    } else if r < 120 && g > 190 && b > 190 {
                        n[1] += 1;
                    } else if (r, g, b) == (255, 200, 0) {
                        n[2] += 1;
                    }
                }
            }
        }
        n
    };
    let [boxes, selected, crop] = count(&req, &mut p);
    assert!(
        boxes > 0 && selected > 0,
        "boxes {boxes}, selected {selected}"
    );
    assert!(crop > 0, "the crop outline too, in its own colour");
    // zoomed: the crop area fills the pane, the boxes larger, no crop outline
    let zoomed = PreviewRequest {
        zoom: true,
        ..req.clone()
    };
    let [zb, zs, zc] = count(&zoomed, &mut p);
    assert!(
        zb + zs > boxes + selected,
        "zoom {zb}+{zs} vs {boxes}+{selected}"
    );
    assert_eq!(zc, 0);
    // NO_COLOR: the boxes as characters of their own
    let lines = p.frame_text(&req).unwrap().join("\n");
    assert!(lines.contains('╔') && lines.contains('╭'), "{lines}");
}
