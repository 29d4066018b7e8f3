//! Annotation mode through the real keymap and reducer: a polygon drawn by keys (cursor moves,
//! vertices, undo, close, class), the grade that follows the frame as you step or play, the
//! status, copying the previous frame's polygons, deleting; and the overlay drawn over a real
//! frame at 80x24 and 160x45 (halfblocks, and characters under NO_COLOR).

mod tui_common;

use std::path::PathBuf;
use std::sync::OnceLock;

use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::core::annotation::Polygon;
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::{Keymap, Mode};
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::ui::{self, PreviewImage};
use us_dicomizer::tui::update;

fn rep(k: &str, n: usize) -> String {
    vec![k; n].join(" ")
}

fn saves(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::SaveSession(_)))
        .count()
}

fn screen(s: &AppState, w: u16, h: u16, image: &PreviewImage) -> (Terminal<TestBackend>, String) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, s, image)).unwrap();
    let buf = t.backend().buffer().clone();
    let text = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    (t, text)
}

#[test]
fn a_polygon_drawn_by_keys_is_stored_in_its_class() {
    let mut s = state_with(&[("cine.dcm", 640, 480, 24)]);
    let classes = s.settings.annotation.classes.clone();
    keys(&mut s, "a");
    assert_eq!(s.mode, Mode::Annotate);
    assert_eq!(
        s.annot.as_ref().unwrap().cursor,
        (320, 240),
        "starts centred"
    );
    // 2 x 10 px left, 2 x 1 px right, 1 px up: (302, 239).
    keys(&mut s, "H H l l k");
    assert_eq!(s.annot.as_ref().unwrap().cursor, (302, 239));
    let mut fx = keys(&mut s, "space L L L a");
    // Two vertices: closing is refused and says why.
    fx.extend(keys(&mut s, "enter"));
    assert!(s.files[0].annotations.polygons.is_empty());
    assert!(
        s.notice.as_ref().unwrap().1.contains("3 vertices"),
        "{:?}",
        s.notice
    );
    // A stray vertex, undone; then the third one.
    fx.extend(keys(&mut s, "J a u J space"));
    assert_eq!(s.annot.as_ref().unwrap().points.len(), 3);
    assert_eq!(saves(&fx), 0, "nothing stored before the polygon is closed");
    let fx = keys(&mut s, "enter");
    assert_eq!(saves(&fx), 1, "a closed polygon is saved in the session");
    let want = vec![[302.0, 239.0], [332.0, 239.0], [332.0, 259.0]];
    assert_eq!(
        s.files[0].annotations.polygons.get(&0),
        Some(&vec![Polygon {
            label: classes[0].label.clone(),
            points: want.clone(),
        }])
    );
    // The class menu relabels the selected (just closed) polygon; one key per class.
    keys(&mut s, "c");
    assert_eq!(s.mode, Mode::AnnotateClass);
    let fx = keys(&mut s, "3");
    assert_eq!(s.mode, Mode::Annotate);
    assert_eq!(saves(&fx), 1);
    assert_eq!(
        s.files[0].annotations.polygons[&0][0].label,
        classes[2].label
    );
    // A polygon started and cancelled leaves nothing; esc with an open polygon only drops it.
    keys(&mut s, "space l space X");
    assert!(s.annot.as_ref().unwrap().points.is_empty());
    keys(&mut s, "space esc");
    assert_eq!(s.mode, Mode::Annotate);
    keys(&mut s, "esc");
    assert_eq!(s.mode, Mode::Files);
    assert_eq!(s.files[0].annotations.polygon_count(), 1);
}

#[test]
fn grade_follows_the_frame_as_you_step_or_play_and_status_cycles() {
    let mut s = state_with(&[("cine.dcm", 640, 480, 24)]);
    let (lo, hi) = (
        s.settings.annotation.grade_min,
        s.settings.annotation.grade_max,
    );
    assert_eq!((lo, hi), (1, 5));
    let fx = keys(&mut s, "a 3 ] 5");
    assert_eq!(saves(&fx), 2);
    let grades: Vec<(u32, u8)> = s.files[0].annotations.grades.clone().into_iter().collect();
    assert_eq!(grades, vec![(0, 3), (1, 5)]);
    // Out of range: refused with the range.
    keys(&mut s, "] 7 0");
    assert!(!s.files[0].annotations.grades.contains_key(&2));
    assert!(
        s.notice.as_ref().unwrap().1.contains("from 1 to 5"),
        "{:?}",
        s.notice
    );
    // The preview title shows the grade of the frame on screen.
    let img = PreviewImage::default();
    let title = |s: &AppState| screen(s, 100, 30, &img).1;
    keys(&mut s, "home");
    assert!(title(&s).contains("frame 1/24 grade 3"), "{}", title(&s));
    keys(&mut s, "]");
    assert!(title(&s).contains("frame 2/24 grade 5"), "{}", title(&s));
    // Playing: the frame advances on ticks and the shown grade follows.
    keys(&mut s, "home p");
    assert!(s.playing);
    update::on_msg(&mut s, Msg::PlayTick);
    assert!(title(&s).contains("frame 2/24 ▶ grade 5"), "{}", title(&s));
    update::on_msg(&mut s, Msg::PlayTick);
    let t = title(&s);
    assert!(t.contains("frame 3/24") && !t.contains("grade"), "{t}");
    // The panel names the vocabulary's grade and status.
    assert!(t.contains("ACEP Grading Score (frame 3): —"), "{t}");
    // Status: none -> DVT -> NO DVT -> none.
    keys(&mut s, "p s");
    assert_eq!(s.files[0].annotations.status.as_deref(), Some("DVT"));
    keys(&mut s, "s");
    assert_eq!(s.files[0].annotations.status.as_deref(), Some("NO DVT"));
    keys(&mut s, "s");
    assert_eq!(s.files[0].annotations.status, None);
    // minus clears the frame's grade.
    keys(&mut s, "home minus");
    assert!(!s.files[0].annotations.grades.contains_key(&0));
}

#[test]
fn copy_previous_frame_select_and_delete() {
    let mut s = state_with(&[("cine.dcm", 640, 480, 24)]);
    keys(&mut s, "a space L space J space enter");
    keys(&mut s, "h space K space L space enter");
    assert_eq!(s.files[0].annotations.polygons[&0].len(), 2);
    keys(&mut s, "] y");
    assert_eq!(
        s.files[0].annotations.polygons.get(&1),
        s.files[0].annotations.polygons.get(&0)
    );
    // Again: nothing is repeated.
    keys(&mut s, "y");
    assert_eq!(s.files[0].annotations.polygons[&1].len(), 2);
    assert!(s.notice.as_ref().unwrap().1.contains("0 polygon(s) copied"));
    // Select the second polygon (tab tab) and delete it: the first frame keeps both.
    let second = s.files[0].annotations.polygons[&1][1].clone();
    let fx = keys(&mut s, "tab tab x");
    assert_eq!(saves(&fx), 1);
    assert_eq!(s.files[0].annotations.polygons[&1].len(), 1);
    assert_ne!(s.files[0].annotations.polygons[&1][0], second);
    assert_eq!(s.files[0].annotations.polygons[&0].len(), 2);
    // The first frame has no previous one.
    keys(&mut s, "home y");
    assert!(s.notice.as_ref().unwrap().1.contains("no previous frame"));
}

#[test]
fn the_cursor_stays_in_the_image() {
    let mut s = state_with(&[("small.dcm", 64, 48, 1)]);
    keys(&mut s, &format!("a {}", rep("H", 20)));
    keys(&mut s, &rep("K", 20));
    assert_eq!(s.annot.as_ref().unwrap().cursor, (0, 0));
    keys(&mut s, &format!("{} {}", rep("L", 20), rep("J", 20)));
    assert_eq!(s.annot.as_ref().unwrap().cursor, (63, 47));
}

/// The demo cine with a polygon drawn by keys, its preview encoded as the worker does for a
/// `w` x `h` terminal (halfblocks, or characters under NO_COLOR).
fn drawn_on_demo(w: u16, h: u16, no_color: bool) -> (AppState, PreviewImage, Rect) {
    // The demo exam is written once for all the render tests.
    static DEMO: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    let (_, files) = DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let files = us_dicomizer::core::demo::write_exam(&dir.path().join("exam")).unwrap();
        (dir, files)
    });
    let settings = Settings::defaults();
    let (mut s, id, (cols, rows)) = state_with_loaded(&files[1], &settings, no_color);
    // A large triangle around the centre: 100 px left, 100 px right, 100 px down.
    keys(
        &mut s,
        &format!(
            "a {} space {} space {} space enter",
            rep("H", 10),
            rep("L", 20),
            rep("J", 10)
        ),
    );
    let p = &s.files[0].annotations.polygons[&0][0];
    let (cx, cy) = (cols / 2, rows / 2);
    assert_eq!(
        p.points,
        vec![
            [cx as f64 - 100.0, cy as f64],
            [cx as f64 + 100.0, cy as f64],
            [cx as f64 + 100.0, cy as f64 + 100.0]
        ]
    );
    let panes = ui::layout(Rect::new(0, 0, w, h), &s);
    let area = panes.image.expect("a preview pane");
    let fx = update::set_preview_area(&mut s, Some((area.width, area.height)));
    let req = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::Preview(r) => Some(r),
            _ => None,
        })
        .expect("a preview request");
    assert!(req.overlay.is_some(), "the request carries the overlay");
    let mut p = us_dicomizer::tui::preview::Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        settings,
    );
    p.no_color = no_color;
    let mut image = PreviewImage {
        id: req.id,
        file: id,
        frame: 0,
        ..Default::default()
    };
    if no_color {
        image.text = Some(p.frame_text(&req).unwrap());
    } else {
        image.protocol = Some(p.frame_protocol(&req).unwrap());
    }
    (s, image, area)
}

#[test]
fn the_polygon_is_drawn_over_the_preview_at_80x24_and_160x45() {
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let (s, image, area) = drawn_on_demo(w, h, false);
        let class = s.settings.annotation.classes[0].clone();
        let c = us_dicomizer::tui::annot::parse_colour(&class.colour);
        let (t, text) = screen(&s, w, h, &image);
        let buf = t.backend().buffer();
        let mut edge = 0;
        let mut cursor = 0;
        for y in area.y..area.y + area.height {
            for x in area.x..area.x + area.width {
                for col in [buf[(x, y)].fg, buf[(x, y)].bg] {
                    if col == Color::Rgb(c[0], c[1], c[2]) {
                        edge += 1;
                    }
                    if col == Color::Rgb(255, 0, 255) {
                        cursor += 1;
                    }
                }
            }
        }
        assert!(
            edge >= 10,
            "{w}x{h}: polygon edges in the class colour ({edge})"
        );
        assert!(cursor >= 2, "{w}x{h}: the cursor ({cursor})");
        assert!(text.contains("ANNOTATE"), "{w}x{h}:\n{text}");
        assert!(
            text.contains(&format!("1 {}  3 pts", class.short)),
            "{w}x{h}: the frame's polygon list\n{text}"
        );
    }
}

#[test]
fn under_no_color_the_polygon_is_drawn_with_characters() {
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let (s, image, area) = drawn_on_demo(w, h, true);
        let (_, text) = screen(&s, w, h, &image);
        let inside: Vec<String> = text
            .lines()
            .skip(area.y as usize)
            .take(area.height as usize)
            .map(|l| {
                l.chars()
                    .skip(area.x as usize)
                    .take(area.width as usize)
                    .collect()
            })
            .collect();
        let all = inside.join("\n");
        // The selected (just closed) polygon is drawn with `&`, the cursor with `X` (neither is
        // in the grey ramp).
        assert!(all.matches('&').count() >= 5, "{w}x{h}:\n{all}");
        assert!(all.contains('X'), "{w}x{h}:\n{all}");
    }
}

#[test]
fn the_export_carries_what_was_drawn_and_graded() {
    let mut s = state_with(&[("a.dcm", 640, 480, 1), ("b.dcm", 640, 480, 1)]);
    // Both ready (crop and tags); a.dcm gets a status, a grade and a polygon by keys.
    keys(&mut s, "c l enter t 1 1 1 esc c l enter t 1 1 1 esc g g");
    keys(&mut s, "a s 2 H space L L space J J space enter esc");
    let drawn = s.files[0].annotations.clone();
    assert_eq!(drawn.polygon_count(), 1);
    keys(&mut s, "e");
    type_text(&mut s, "P01");
    keys(&mut s, "enter ctrl-u");
    type_text(&mut s, "/nonexistent-dir/out.zip");
    keys(&mut s, "enter");
    let fx = keys(&mut s, "y");
    let items = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::StartExport { items, .. } => Some(items),
            _ => None,
        })
        .expect("export started");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].annotations.as_ref(), Some(&drawn));
    assert_eq!(
        items[0].annotations.as_ref().unwrap().polygons[&0][0].points,
        vec![[310.0, 240.0], [330.0, 240.0], [330.0, 260.0]]
    );
    assert_eq!(items[1].annotations, None, "nothing drawn on b.dcm");
}

#[test]
fn the_annotate_keys_are_remappable_and_listed_in_help() {
    let km = Keymap::from_layers(&[
        (
            "<built-in>".into(),
            us_dicomizer::tui::keymap::DEFAULT_KEYMAP.into(),
        ),
        (
            "user.toml".into(),
            "[annotate]\nw = \"annot_up\"\nk = \"noop\"\n[files]\nA = \"annotate_mode\"\n".into(),
        ),
    ])
    .unwrap();
    let mut s = state_with_keymap(&[("a.dcm", 640, 480, 1)], km);
    keys(&mut s, "A w w k");
    assert_eq!(s.mode, Mode::Annotate);
    assert_eq!(s.annot.as_ref().unwrap().cursor, (320, 238));
    let help = ui::help_lines(&s.keymap, Mode::Annotate);
    let text: Vec<&str> = help.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(text[0], "[annotate]", "the mode you came from first");
    assert!(text
        .iter()
        .any(|l| l.contains("w ") && l.contains("annot_up")));
    assert!(text.iter().any(|l| l.contains("grade the current frame")));
    assert!(text.iter().any(|l| l.starts_with("[annotate_class]")));
}

#[test]
fn a_polygon_drawn_by_keys_is_exported_into_the_zip_next_to_its_entry() {
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let exam = tmp.path().join("exam");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    us_dicomizer::core::demo::write_exam(&exam).unwrap();
    let mut settings = Settings::defaults();
    settings.output.export_dir = out.display().to_string();
    let mut d = Driver::new();
    let mut s = state_on(std::slice::from_ref(&exam), settings, &mut d);
    // Crop and tag everything (as in the 25-key flow), then annotate the first file.
    d.press(&mut s, "c a A y G c a enter g g t 1 1 1 . . . . g g");
    let (crop, _) = s.files[0].crop.expect("cropped");
    d.press(&mut s, "a s 3 space L space J space enter esc");
    let (cx, cy) = ((crop.x0 + crop.x1) / 2, (crop.y0 + crop.y1) / 2);
    assert_eq!(
        s.files[0].annotations.polygons[&0][0].points,
        vec![
            [cx as f64, cy as f64],
            [cx as f64 + 10.0, cy as f64],
            [cx as f64 + 10.0, cy as f64 + 10.0]
        ]
    );
    d.press(&mut s, "e");
    d.type_text(&mut s, "P01");
    d.press(&mut s, "enter enter y");
    let report = d.report.as_ref().expect("the export ran");
    assert_eq!(report.summary.exported, 5, "{:?}", report.files);
    let mut z = zip::ZipArchive::new(std::fs::File::open(out.join("P01.zip")).unwrap()).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    let json: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".json") && !n.ends_with("manifest.json"))
        .collect();
    assert_eq!(
        json.len(),
        1,
        "one annotation file, for the annotated entry: {names:?}"
    );
    let mut text = String::new();
    z.by_name(json[0])
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Next to its entry, named after it, in the entry's (cropped) coordinates.
    let entry = v["imagePath"].as_str().unwrap();
    assert!(
        names
            .iter()
            .any(|n| n.ends_with(entry) && n.ends_with(".dcm")),
        "{entry}"
    );
    assert_eq!(v["imageWidth"], crop.x1 - crop.x0);
    assert_eq!(v["imageHeight"], crop.y1 - crop.y0);
    let (ox, oy) = ((cx - crop.x0) as f64, (cy - crop.y0) as f64);
    assert_eq!(
        v["shapes"][0]["points"],
        serde_json::json!([[ox, oy], [ox + 10.0, oy], [ox + 10.0, oy + 10.0]])
    );
    assert_eq!(
        v["shapes"][0]["label"],
        s.settings.annotation.classes[0].label
    );
    assert_eq!(v["frame_gradings"]["0"], "Grade 3");
    assert_eq!(v["flags"]["pseudonym"], "P01");
    assert!(
        !text.contains("demo_01"),
        "no input name in the export:\n{text}"
    );
}

#[test]
fn annotation_files_next_to_an_input_are_shown_not_listed_and_never_duplicated() {
    let tmp = tempfile::tempdir().unwrap();
    let exam = tmp.path().join("exam");
    let files = us_dicomizer::core::demo::write_exam(&exam).unwrap();
    // The cine gets a LabelMe file the way the original writes it (status in flags, grades as
    // "Grade n", polygons with their frame), and the same polygon again in a Darwin-named file
    // that is not valid JSON (its problem is reported, the DICOM still loads).
    let cine = &files[1];
    let stem = cine.file_stem().unwrap().to_string_lossy().to_string();
    let labelme = serde_json::json!({
        "version": "4.16",
        "flags": {"dvt": "NO DVT"},
        "frame_gradings": {"1": "Grade 4"},
        "shapes": [
            {"label": "Clot", "points": [[100, 100], [200, 100], [150, 180]], "shape_type": "polygon", "frame": 1},
            {"label": "Clot", "points": [[100, 100], [200, 100], [150, 180]], "shape_type": "polygon", "frame": 1}
        ],
        "imagePath": "x.dcm"
    });
    std::fs::write(exam.join(format!("{stem}.json")), labelme.to_string()).unwrap();
    std::fs::write(exam.join(format!("{stem}_darwin.json")), "{ not json").unwrap();
    let mut d = Driver::new();
    let mut s = state_on(std::slice::from_ref(&exam), Settings::defaults(), &mut d);
    assert_eq!(s.files.len(), files.len(), "the JSON files are not inputs");
    assert!(
        s.files.iter().all(|f| f.info().is_some()),
        "nothing invalid"
    );
    let i = s.files.iter().position(|f| f.name.contains(&stem)).unwrap();
    let a = s.files[i].annotations.clone();
    assert_eq!(a.status.as_deref(), Some("NO DVT"));
    assert_eq!(a.grades.get(&1), Some(&4));
    assert_eq!(a.polygons[&1].len(), 1, "a repeated polygon is read once");
    assert!(
        s.log.iter().any(|(_, m)| m.contains("not imported")),
        "{:?}",
        s.log
    );
    // Shown: on that frame the overlay carries the polygon in the Clot colour.
    s.cursor = i;
    s.files[i].frame = 1;
    let ov = us_dicomizer::tui::annot::overlay_for(&s).expect("an overlay");
    assert_eq!(ov.shapes.len(), 1);
    assert_eq!(ov.shapes[0].colour, [0xFF, 0xDD, 0x00]);
    // Adding the folder again does not import twice.
    d.perform(
        &mut s,
        vec![Effect::Gather {
            paths: vec![exam.clone()],
        }],
    );
    assert_eq!(s.files[i].annotations.polygons[&1].len(), 1);
}
