//! Reducer tests for showing problems before the last step and for the faster loop: counts,
//! duplicates at load, blocked files on `e`, marked-or-all, next problem, counts before
//! motions, next file in crop mode, typed crop numbers, search, destinations, protocol switch.

mod tui_common;

use tui_common::*;
use us_dicomizer::core::crop::CropRect;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::Mode;
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::state::{AppState, ConfirmKind, FileStatus, MetaRow};
use us_dicomizer::tui::update;

const EXAM: &[(&str, u32, u32, u32)] = &[
    ("a.dcm", 640, 480, 1),
    ("b.dcm", 640, 480, 24),
    ("c.dcm", 800, 600, 1),
    ("d.dcm", 640, 480, 5),
];

/// Crops and tags file `i` (0-based) through keys; the cursor ends on it in files mode.
fn make_ready(s: &mut us_dicomizer::tui::state::AppState, i: usize) {
    keys(s, &format!("{} G c l enter t 1 1 1", i + 1));
    if s.mode == Mode::Tags {
        keys(s, "esc");
    }
    keys(s, &format!("{} G", i + 1));
}

#[test]
fn duplicates_are_flagged_as_they_load_and_counted() {
    let mut s = state_with(&EXAM[..2]);
    let id = s.next_id;
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![source("copy_of_a.dcm")],
            skipped: vec![],
        },
    );
    let mut dup = info(640, 480, 1);
    dup.sop_instance_uid = s.files[0].info().unwrap().sop_instance_uid.clone();
    update::on_msg(
        &mut s,
        Msg::Loaded {
            file: id,
            result: Ok(Box::new(dup)),
        },
    );
    let notice = s.notice.clone().unwrap().1;
    assert!(notice.contains("duplicate"), "{notice}");
    assert!(notice.contains("#3") && notice.contains("#1"), "{notice}");
    assert_eq!(s.status_at(2), FileStatus::Duplicate);
    let c = s.counts();
    assert_eq!((c.ready, c.blocked, c.duplicates, c.invalid), (0, 2, 1, 0));
    assert!(s.counts().line().contains("1 duplicate"), "{}", c.line());
    // Even when otherwise ready, the duplicate stays out of the export.
    make_ready(&mut s, 0);
    make_ready(&mut s, 2);
    assert_eq!(s.counts().ready, 1);
    assert!(s.blocker_at(2).unwrap().contains("duplicate of #1"));
}

#[test]
fn blocked_files_are_listed_as_soon_as_e_is_pressed() {
    let mut s = state_with(EXAM);
    make_ready(&mut s, 0);
    keys(&mut s, "e");
    assert_eq!(s.mode, Mode::Prompt);
    let p = s.prompt.clone().unwrap();
    let info = p.info.join("\n");
    assert!(info.contains("3 of 4 listed file(s) blocked"), "{info}");
    assert!(info.contains("#2 b.dcm: no crop"), "{info}");
    assert!(info.contains("#3 c.dcm"), "{info}");
    // Nothing ready: no prompts at all, the list instead.
    let mut s = state_with(EXAM);
    keys(&mut s, "e");
    assert_eq!(s.mode, Mode::Confirm);
    let c = s.confirm.clone().unwrap();
    assert_eq!(c.kind, ConfirmKind::Nothing);
    assert!(c.lines[0].contains("all 4"), "{:?}", c.lines);
    assert_eq!(c.lines.len(), 5, "{:?}", c.lines);
}

#[test]
fn marks_ask_marked_only_or_all_and_keep_numbers() {
    let mut s = state_with(EXAM);
    for i in 0..4 {
        make_ready(&mut s, i);
    }
    keys(&mut s, "3 G space");
    assert_eq!(s.marked_count(), 1);
    keys(&mut s, "e");
    assert_eq!(
        s.mode,
        Mode::Confirm,
        "marks left over must not narrow silently"
    );
    assert_eq!(s.confirm.as_ref().unwrap().kind, ConfirmKind::ExportScope);
    keys(&mut s, "y");
    assert_eq!(s.mode, Mode::Confirm, "y is not an answer here");
    type_text(&mut s, "m");
    assert_eq!(s.mode, Mode::Prompt);
    assert!(s.prompt.as_ref().unwrap().info[0].contains("all 1 marked"));
    type_text(&mut s, "P01");
    keys(&mut s, "enter ctrl-u");
    type_text(&mut s, "/nonexistent-dir/x.zip");
    keys(&mut s, "enter");
    let fx = keys(&mut s, "y");
    let (items, excluded) = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartExport {
                items, excluded, ..
            } => Some((items.clone(), excluded.clone())),
            _ => None,
        })
        .expect("export");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].index, Some(3), "numbered by its place in the list");
    assert_eq!(excluded.len(), 3, "{excluded:?}");
    assert!(excluded[0].starts_with("#1: not marked"), "{excluded:?}");

    // "all" takes every file, whatever is marked.
    let mut s = state_with(EXAM);
    for i in 0..4 {
        make_ready(&mut s, i);
    }
    keys(&mut s, "space e");
    type_text(&mut s, "a");
    assert!(s.prompt.as_ref().unwrap().info[0].contains("all 4 listed"));
}

#[test]
fn next_problem_jumps_to_blocked_or_untagged_files() {
    let mut s = state_with(EXAM);
    make_ready(&mut s, 0);
    make_ready(&mut s, 2);
    keys(&mut s, "g g b");
    assert_eq!(s.cursor, 1);
    assert!(s.notice.as_ref().unwrap().1.contains("#2"));
    keys(&mut s, "b");
    assert_eq!(s.cursor, 3, "skips the ready #3");
    keys(&mut s, "b");
    assert_eq!(s.cursor, 1, "wraps around");
}

#[test]
fn counts_before_motions() {
    let mut s = state_with(EXAM);
    keys(&mut s, "3 j");
    assert_eq!(s.cursor, 3);
    keys(&mut s, "2 G");
    assert_eq!(s.cursor, 1, "2G goes to the second file");
    keys(&mut s, "1 2 ]");
    assert_eq!(s.files[1].frame, 12);
    keys(&mut s, "0");
    assert_eq!(s.files[1].frame, 0, "0 alone is still the first frame");
    keys(&mut s, "1 0 ]");
    assert_eq!(s.files[1].frame, 10, "0 continues a count");
    keys(&mut s, "9 9 G");
    assert_eq!(s.cursor, 3, "clamped");
    keys(&mut s, "5 esc j");
    assert_eq!(s.cursor, 3, "esc drops the count");
    assert_eq!(s.count, None);
}

#[test]
fn next_file_without_leaving_crop_mode_and_typed_numbers_replace() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c l enter c n");
    assert_eq!((s.mode, s.cursor), (Mode::Crop, 1));
    assert_eq!(s.draft.as_ref().unwrap().file, s.files[1].id);
    keys(&mut s, "l n");
    assert_eq!((s.mode, s.cursor), (Mode::Crop, 2));
    assert!(s.files[1].crop.is_none(), "n does not apply");
    assert!(s.notice.as_ref().unwrap().1.contains("not applied"));
    keys(&mut s, "N N");
    assert_eq!(s.cursor, 0);
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(1, 0, 640, 480)
    );
    // Typing replaces the field's value instead of appending to it.
    keys(&mut s, "esc j c tab tab");
    type_text(&mut s, "600");
    keys(&mut s, "tab");
    type_text(&mut s, "470");
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Crop);
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(0, 0, 600, 470)
    );
    // Backspace edits the value in place.
    keys(&mut s, "tab i backspace");
    type_text(&mut s, "5");
    keys(&mut s, "enter");
    assert_eq!(s.draft.as_ref().unwrap().rect.x0, 5, "0 -> '' -> 5");
}

#[test]
fn search_starts_empty_follows_typing_and_counts_matches() {
    let mut s = state_with(EXAM);
    keys(&mut s, "m");
    let row = |tag: &str, name: &str, value: &str| MetaRow {
        depth: 0,
        tag: tag.into(),
        vr: "US".into(),
        name: name.into(),
        value: value.into(),
        has_children: false,
    };
    let rows = vec![
        row("(0008,0060)", "Modality", "US"),
        row("(0028,0010)", "Rows", "480"),
        row("(0028,0011)", "Columns", "640"),
        row("(0018,6018)", "RegionLocationMinX0", "10"),
        row("(0028,0004)", "PhotometricInterpretation", "COLOR"),
    ];
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::Metadata {
            file: id,
            result: Ok(rows),
        },
    );
    keys(&mut s, "/");
    type_text(&mut s, "co");
    assert_eq!(s.meta.as_ref().unwrap().search, "co", "the query is live");
    assert_eq!(
        s.meta.as_ref().unwrap().cursor,
        2,
        "first match while typing"
    );
    keys(&mut s, "enter");
    assert_eq!(s.meta.as_ref().unwrap().match_position(), (1, 2));
    keys(&mut s, "n");
    assert_eq!(s.meta.as_ref().unwrap().match_position(), (2, 2));
    assert!(s.notice.as_ref().unwrap().1.contains("2 of 2"));
    keys(&mut s, "/");
    assert_eq!(
        s.prompt.as_ref().unwrap().text,
        "",
        "a new search starts empty"
    );
}

#[test]
fn a_folder_destination_gets_the_default_name_and_paths_are_absolute() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = state_with(EXAM);
    make_ready(&mut s, 0);
    keys(&mut s, "e");
    type_text(&mut s, "P07");
    keys(&mut s, "enter ctrl-u");
    type_text(&mut s, &tmp.path().display().to_string());
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Confirm);
    let want = tmp.path().join("P07.zip");
    match &s.confirm.as_ref().unwrap().kind {
        ConfirmKind::Export { out, .. } => assert_eq!(out, &want),
        k => panic!("{k:?}"),
    }
    assert!(s.confirm.as_ref().unwrap().lines[0].contains(&want.display().to_string()));
    // A relative path becomes absolute in the question and the export.
    keys(&mut s, "n e enter ctrl-u");
    type_text(&mut s, "rel/out.zip");
    keys(&mut s, "enter");
    match &s.confirm.as_ref().unwrap().kind {
        ConfirmKind::Export { out, .. } => {
            assert!(out.is_absolute() && out.ends_with("rel/out.zip"), "{out:?}")
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn a_key_switches_the_preview_protocol() {
    let mut s = state_with(EXAM);
    let names: Vec<String> = (0..5)
        .map(|_| {
            keys(&mut s, "P")
                .into_iter()
                .find_map(|e| match e {
                    Effect::SetProtocol(p) => Some(p),
                    _ => None,
                })
                .expect("a protocol switch")
        })
        .collect();
    assert_eq!(names, ["sixel", "kitty", "iterm2", "halfblocks", "sixel"]);
}

#[test]
fn next_and_previous_file_stop_at_the_ends_of_the_list_in_crop_and_annotation_modes() {
    let at_end = |s: &AppState| {
        s.notice
            .as_ref()
            .is_some_and(|n| n.1.contains("no more files this way"))
    };
    let mut s = state_with(EXAM);
    // crop mode at the first file: N has nowhere to go, says so and stays in the mode
    keys(&mut s, "c N");
    assert_eq!((s.mode, s.cursor), (Mode::Crop, 0));
    assert!(at_end(&s));
    keys(&mut s, "n n n");
    assert_eq!((s.mode, s.cursor), (Mode::Crop, 3));
    s.notice = None;
    keys(&mut s, "n");
    assert_eq!((s.mode, s.cursor), (Mode::Crop, 3), "the last file stays");
    assert!(at_end(&s));
    assert!(s.draft.is_some(), "the draft of the last file is kept");
    // annotation mode: the same at both ends
    keys(&mut s, "esc esc a");
    assert_eq!(s.mode, Mode::Annotate);
    s.notice = None;
    keys(&mut s, "n");
    assert_eq!((s.mode, s.cursor), (Mode::Annotate, 3));
    assert!(at_end(&s));
    keys(&mut s, "N N N");
    assert_eq!((s.mode, s.cursor), (Mode::Annotate, 0));
    s.notice = None;
    keys(&mut s, "N");
    assert_eq!((s.mode, s.cursor), (Mode::Annotate, 0));
    assert!(at_end(&s));
}
