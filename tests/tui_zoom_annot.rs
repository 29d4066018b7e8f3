//! The annotation layer in the zoom (`z`): the polygons are drawn over the crop area as they
//! are over the whole frame, moved by the crop's origin, in their class colour (halfblocks)
//! and with their list number (NO_COLOR); what lies outside the crop is clipped, not pressed
//! onto the zoom's edge.

mod tui_common;

use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::Terminal;
use tui_common::*;
use us_dicomizer::core::annotation::Polygon;
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::{Effect, PreviewRequest};
use us_dicomizer::tui::preview::Previewer;
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::ui::{self, PreviewImage};
use us_dicomizer::tui::update;

const CROP: CropRect = CropRect {
    x0: 80,
    y0: 68,
    x1: 560,
    y1: 450,
};

fn preview_of(fx: Vec<Effect>) -> Option<PreviewRequest> {
    fx.into_iter().find_map(|e| match e {
        Effect::Preview(r) => Some(r),
        _ => None,
    })
}

/// The demo's RGB cine (640x480) with a crop, two polygons on frame 0 and the zoom on: one
/// polygon inside the crop, one whose top edge lies wholly above it. The zoom's request.
fn zoomed_request(w: u16, h: u16) -> (AppState, PreviewRequest, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let files = us_dicomizer::core::demo::write_exam(&dir.path().join("exam")).unwrap();
    let settings = Settings::defaults();
    let (mut s, _, (cols, rows)) = state_with_loaded(&files[1], &settings, false);
    assert_eq!((cols, rows), (640, 480));
    let label = settings.annotation.classes[0].label.clone();
    let poly = |pts: &[[f64; 2]]| Polygon {
        label: label.clone(),
        points: pts.to_vec(),
    };
    s.files[0].crop = Some((CROP, CropSource::User));
    s.files[0].annotations.polygons.insert(
        0,
        vec![
            poly(&[[220.0, 240.0], [420.0, 240.0], [420.0, 340.0]]),
            poly(&[[100.0, 20.0], [300.0, 20.0], [300.0, 300.0]]),
        ],
    );
    let panes = ui::layout(Rect::new(0, 0, w, h), &s);
    let area = panes.image.expect("a preview pane");
    let req = preview_of(update::set_preview_area(
        &mut s,
        Some((area.width, area.height)),
    ))
    .expect("a preview request");
    assert!(!req.zoom && req.overlay.is_some());
    let req = preview_of(keys(&mut s, "z")).expect("the zoom redraws");
    assert!(req.zoom, "zoom on");
    (s, req, dir)
}

#[test]
fn the_polygons_are_drawn_in_the_zoom_in_their_class_colour() {
    let (w, h) = (100u16, 30u16);
    let (s, req, _dir) = zoomed_request(w, h);
    let c = us_dicomizer::tui::annot::parse_colour(&s.settings.annotation.classes[0].colour);
    let mut p = Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        s.settings.clone(),
    );
    let image = PreviewImage {
        protocol: Some(p.frame_protocol(&req).unwrap()),
        id: req.id,
        file: req.file,
        frame: 0,
        ..Default::default()
    };
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, &s, &image)).unwrap();
    let edge = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|cell| [cell.fg, cell.bg].contains(&Color::Rgb(c[0], c[1], c[2])))
        .count();
    assert!(
        edge >= 20,
        "polygon edges in the class colour in the zoom ({edge})"
    );
}

#[test]
fn under_no_color_the_zoom_shows_the_polygons_moved_by_the_crop_and_clipped() {
    let (s, req, _dir) = zoomed_request(100, 30);
    let mut p = Previewer::new(
        ratatui_image::picker::Picker::halfblocks(),
        s.settings.clone(),
    );
    p.no_color = true;
    let lines = p.frame_text(&req).unwrap();
    let grid: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let (rows, cols) = (grid.len() as i64, grid[0].len() as i64);
    let all = lines.join("\n");
    // a frame point, in the zoom's character grid
    let cell = |x: i64, y: i64| {
        (
            (x - i64::from(CROP.x0)) * cols / i64::from(CROP.width()),
            (y - i64::from(CROP.y0)) * rows / i64::from(CROP.height()),
        )
    };
    let near = |(cx, cy): (i64, i64), mark: char| {
        (-1..=1).any(|dy| {
            (-1..=1).any(|dx| {
                grid.get((cy + dy) as usize)
                    .and_then(|r| r.get((cx + dx) as usize))
                    == Some(&mark)
            })
        })
    };
    // the first polygon's corners, where the crop moved them
    for (x, y) in [(220, 240), (420, 240), (420, 340)] {
        assert!(
            near(cell(x, y), '1'),
            "corner ({x},{y}) at {:?}\n{all}",
            cell(x, y)
        );
    }
    // the second polygon's right edge (x = 300) crosses the zoom from its top
    assert!(near(cell(300, 150), '2'), "{all}");
    // its top edge (y = 20) is above the crop: not drawn along the zoom's first row
    let top = grid[0].iter().filter(|&&ch| ch == '2').count();
    assert!(
        top <= 3,
        "the edge above the crop is clipped ({top} marks on row 0)\n{all}"
    );
}
