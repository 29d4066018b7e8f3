//! Auto-crop without ultrasound regions, measured on generated screens with a known scan area
//! (sector and linear, one and two panes, banners, side panels, bottom annotations), and on
//! the corpus files that carry no regions.

mod common;
#[path = "common/scan_frames.rs"]
mod scan_frames;

use us_dicomizer::core::crop::scan_area::{self, Options};

const OPTS: Options = Options {
    banner_rows: 60,
    tolerance: 2,
};

#[test]
fn generated_screens_crop_holds_the_whole_scan_area_and_no_banner_row() {
    let n: u32 = 20;
    let (mut good, mut whole, mut no_banner, mut panes_right) = (0, 0, 0, 0);
    for k in 0..n {
        let c = scan_frames::case(k as u64);
        let found = scan_area::find(&c.frame, OPTS);
        let Ok(areas) = found else {
            println!("{}: no crop: {}", c.label, found.unwrap_err());
            continue;
        };
        let s = scan_frames::score(&c, &areas.union());
        whole += s.whole as u32;
        no_banner += s.no_banner as u32;
        good += (s.whole && s.no_banner) as u32;
        panes_right += (areas.panes.len() as u32 == c.panes) as u32;
        if !(s.whole && s.no_banner) {
            println!(
                "{}: crop {} truth {} covered {:.4} banner below {} -> {}",
                c.label,
                areas.union(),
                c.truth,
                s.covered,
                c.banner_bottom,
                areas.describe()
            );
        }
    }
    println!("{good}/{n} whole scan area and no banner row; whole {whole}/{n}, no banner row {no_banner}/{n}, pane count right {panes_right}/{n}");
    assert!(good * 100 >= n * 90, "only {good}/{n} crops are right");
    assert!(
        panes_right * 100 >= n * 85,
        "pane count right in {panes_right}/{n}"
    );
}

#[test]
fn the_same_frame_gives_the_same_crop() {
    let c = scan_frames::case(7);
    let a = scan_area::find(&c.frame, OPTS).unwrap();
    let b = scan_area::find(&c.frame.clone(), OPTS).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_screen_of_text_only_is_refused_with_what_was_looked_for() {
    let mut c = scan_frames::case(3);
    // wipe the scan area back to the background level
    let bg = c.frame.data[(c.frame.width as usize * (c.frame.height as usize - 1)) * 3];
    for (i, s) in c.scan.iter().enumerate() {
        if *s {
            c.frame.data[i * 3..i * 3 + 3].fill(bg);
        }
    }
    let e = scan_area::find(&c.frame, OPTS).unwrap_err();
    assert!(
        e.contains("no scan area: looked for a textured area"),
        "{e}"
    );
}

/// Corpus files without ultrasound regions get a crop around their scan area.
#[test]
fn corpus_files_without_regions_get_a_content_crop() {
    let Some(dir) = common::shared_corpus() else {
        return;
    };
    let settings = us_dicomizer::core::settings::Settings::defaults();
    // (file, a box the crop must hold (the scan area), a box it must leave out (text/panel))
    let cases = [
        (
            "us_rgb_bigendian_1f_US-RGB-8-epicard.dcm",
            [100, 70, 540, 400],
            Some([0, 0, 200, 40]), // "GE MEDICAL SYSTEMS"
        ),
        (
            "us_rgb_explicitle_1f_planar1_color-pl.dcm",
            [40, 5, 250, 110],
            Some([0, 0, 20, 120]), // the flat grey background left of the sector
        ),
        (
            "us_rgb_explicitle_1f_retiredsop_US-RGB-8-esopecho.dcm",
            [40, 5, 250, 110],
            Some([0, 0, 20, 120]),
        ),
        (
            "us_mono2_explicitle_mf8_retiredsop_US-MONO2-8-8x-execho.dcm",
            [5, 5, 123, 115],
            None,
        ),
    ];
    for (name, must_hold, must_leave) in cases {
        let path = dir.join(name);
        let src = common::file_source(&path);
        let f = us_dicomizer::core::load::load(&src, &settings.load).expect("loads");
        assert!(f.info.regions.is_empty(), "{name} has no regions");
        let (r, source, rule) = us_dicomizer::core::export::auto_crop_explained(&f, &settings)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: {r} {} ({rule})", source.as_str());
        assert!(rule.starts_with("content:"), "{rule}");
        assert!(
            r.x0 <= must_hold[0]
                && r.y0 <= must_hold[1]
                && r.x1 >= must_hold[2]
                && r.y1 >= must_hold[3],
            "{name}: {r} cuts into the scan area"
        );
        if let Some(l) = must_leave {
            assert!(
                r.x0 >= l[2] || r.y0 >= l[3] || r.x1 <= l[0] || r.y1 <= l[1],
                "{name}: {r} holds text or background it should leave out"
            );
        }
    }
}
